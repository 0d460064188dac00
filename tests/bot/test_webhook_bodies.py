"""What the webhook answers to bodies that are not updates (the secret was right): 400 and
one WARNING without the body, never a 500; a real update still goes through."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.webhook import SECRET_HEADER, web_app
from fakegram import FakeTelegram, FakeUser
from tests.bot.app_harness import running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

SECRET = "s3cret_Token-for-tests"
ALEX = FakeUser(501, "Alex")
MARK = "BODY-CONTENT-MARK"  # in every bad body: must never reach the log
DEEP = 100_000


def nested(depth: int, inner: str) -> str:
    return "[" * depth + inner + "]" * depth


BAD_BODIES = {
    "deeply nested": nested(DEEP, json.dumps(MARK)).encode(),
    "deeply nested in an update": (
        '{"update_id": 7, "message": ' + nested(DEEP, json.dumps(MARK)) + "}"
    ).encode(),
    "not JSON": f"{MARK} {{".encode(),
    "not UTF-8": b'{"update_id": 7, "x": "\xff' + MARK.encode() + b'"}',
    "a list": json.dumps([MARK]).encode(),
    "no update_id": json.dumps({"message": MARK}).encode(),
    "a text update_id": json.dumps({"update_id": MARK}).encode(),
    "a boolean update_id": json.dumps({"update_id": True, "x": MARK}).encode(),
    "a message PTB cannot read": json.dumps({"update_id": 7, "message": MARK}).encode(),
    "a message without its fields": json.dumps(
        {"update_id": 7, "message": {"text": MARK}}
    ).encode(),
    "a huge number": ('{"update_id": 7, "x": ' + "9" * 5000 + f', "y": "{MARK}"}}').encode(),
}


@pytest.fixture
async def client(fake: FakeTelegram, tmp_path: object) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    url = f"sqlite+aiosqlite:///{tmp_path}/webhook.sqlite3"
    clock = FrozenClock(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    async with running_app(fake, database_url=url, clock=clock, token=TOKEN) as app:
        settings = Settings.from_values(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "DATABASE_URL": url,
                "WEBHOOK_URL": "https://couplet.example.test/telegram",
                "WEBHOOK_SECRET": SECRET,
            }
        )
        async with TestClient(TestServer(web_app(app.application, settings))) as test_client:
            yield test_client


async def post(client: TestClient, body: bytes) -> int:  # type: ignore[type-arg]
    response = await client.post(
        "/telegram",
        data=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    return response.status


@pytest.mark.parametrize("name", list(BAD_BODIES))
async def test_a_body_that_is_not_an_update_gets_400_and_one_warning_without_it(
    client: TestClient,  # type: ignore[type-arg]
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await post(client, BAD_BODIES[name]) == 400
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, caplog.text
    assert not any(r.levelno > logging.WARNING for r in caplog.records), caplog.text
    assert MARK not in caplog.text
    assert fake.calls_for("sendMessage") == []

    update = fake.send_text(ALEX, "/help")  # the next real update is handled as ever
    assert await post(client, json.dumps(update).encode()) == 200
    assert "/invite" in fake.texts_to(ALEX.id)[-1]
