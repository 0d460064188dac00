"""Whether an answer is sealed is never read from what someone typed, and a sealed answer no
key opens is a problem of that one answer: in process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bot import texts
from fakegram import FakeTelegram, FakeUser
from storage import crypto
from storage.db import Database
from testbed.couples import DUE, populate
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

MONDAY = date(2026, 11, 23)
QUESTION = "feelings-001"
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")


@pytest.fixture(autouse=True)
def no_key_left_behind() -> Iterator[None]:
    """The answer key is the process's: each test leaves it as it found it (none)."""
    yield
    crypto.configure(None)


@pytest.fixture
def couple_url(database_url: str) -> str:
    """Alex and Sam, a question fixed for Monday, due now."""
    populate(database_url, 1, names=("Alex", "Sam"), nudges={MONDAY: QUESTION})
    return database_url


@pytest.fixture
async def nudged(couple_url: str, fake: FakeTelegram) -> AsyncIterator[RunningApp]:
    async with running_app(
        fake, database_url=couple_url, clock=FrozenClock(DUE), token=TOKEN
    ) as running:
        await running.application.bot_data.services.dispatcher.run()
        assert fake.sent_to(ALEX.id) and fake.sent_to(SAM.id)
        yield running


async def stored(url: str) -> list[tuple[int, int, str | None]]:
    """(part id, author, stored text) of every answer part, in the order written."""
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT p.id, d.user_id, p.text FROM answer_parts p "
                    "JOIN deliveries d ON d.id = p.delivery_id ORDER BY p.id"
                )
            )
            return [(int(row[0]), int(row[1]), row[2]) for row in result]
    finally:
        await database.dispose()


async def export_of(app: RunningApp, fake: FakeTelegram, user: FakeUser) -> tuple[Any, str]:
    """The user's /export: the JSON data and the Markdown journal."""
    await app.feed(fake.send_text(user, "/export"))
    documents = [m for m in fake.sent_to(user.id) if m.kind == "document"][-2:]
    assert [d.file_name for d in documents] == [
        "couplet-export-2026-11-23.json",
        "couplet-journal-2026-11-23.md",
    ]
    return json.loads(documents[0].file_bytes or b""), (documents[1].file_bytes or b"").decode()


async def test_an_answer_typed_like_a_sealed_one_is_stored_and_shown_as_typed(
    nudged: RunningApp, fake: FakeTelegram, couple_url: str
) -> None:
    app = nudged
    await app.feed(fake.send_text(ALEX, "enc1:x"))
    sams = fake.send_text(SAM, "the garden, mostly")
    await app.feed(sams)  # both answered: the reveal
    assert app.errors == []
    assert any("enc1:x" in t for t in fake.texts_to(SAM.id))
    assert any("the garden, mostly" in t for t in fake.texts_to(ALEX.id))

    # Sam edits the answer into something that looks sealed too.
    await app.feed(fake.edit_text(SAM, sams["message"]["message_id"], "enc1:gAAAAAedited"))
    assert [value for _, _, value in await stored(couple_url)] == ["enc1:x", "enc1:gAAAAAedited"]

    for user in (ALEX, SAM):
        await app.feed(fake.send_text(user, "/history"))
        journal = fake.texts_to(user.id)[-1]
        assert "enc1:x" in journal and "enc1:gAAAAAedited" in journal
        data, markdown = await export_of(app, fake, user)
        (day,) = data["nudges"]
        words = {ALEX.id: "enc1:x", SAM.id: "enc1:gAAAAAedited"}
        mine, theirs = words[user.id], words[(SAM if user is ALEX else ALEX).id]
        assert [p["text"] for p in day["my_answer"]] == [mine]
        assert [p["text"] for p in day["partner_shared_with_me"]] == [theirs]
        assert mine in markdown and theirs in markdown
    assert app.errors == []


async def test_after_such_an_answer_the_bot_starts_again_with_or_without_a_key(
    nudged: RunningApp, fake: FakeTelegram, couple_url: str
) -> None:
    await nudged.feed(fake.send_text(ALEX, "enc1:x"))
    assert nudged.errors == []
    for settings in ({}, {"ANSWER_ENCRYPTION_KEY": Fernet.generate_key().decode()}):
        async with running_app(
            fake, database_url=couple_url, clock=FrozenClock(DUE), token=TOKEN, settings=settings
        ) as again:
            await again.feed(fake.send_text(ALEX, "/history"))
            assert "enc1:x" in fake.texts_to(ALEX.id)[-1]
            assert again.errors == []


async def test_a_sealed_answer_no_key_opens_costs_that_answer_only(
    couple_url: str, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    key = {"ANSWER_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    clock = FrozenClock(DUE)
    async with running_app(
        fake, database_url=couple_url, clock=clock, token=TOKEN, settings=key
    ) as app:
        await app.application.bot_data.services.dispatcher.run()
        await app.feed(fake.send_text(ALEX, "ALEX-FIRST-WORDS"))
        await app.feed(fake.send_text(ALEX, "ALEX-SECOND-WORDS"))
        (first, _, sealed), *_ = await stored(couple_url)
        assert sealed is not None and "ALEX-FIRST-WORDS" not in sealed
        broken = "enc1:gAAAAABoken-by-a-bad-disk"
        database = Database(couple_url)
        async with database.transaction() as session:
            await session.exec(  # type: ignore[call-overload]
                text("UPDATE answer_parts SET text = :broken WHERE id = :id"),
                params={"broken": broken, "id": first},
            )
        await database.dispose()

        caplog.clear()
        with caplog.at_level(logging.INFO):
            await app.feed(fake.send_text(SAM, "SAM-WORDS"))  # the reveal still happens
            assert app.errors == []
            revealed = "\n".join(fake.texts_to(SAM.id))
            assert "ALEX-SECOND-WORDS" in revealed and texts.ANSWER_UNREADABLE in revealed
            assert "SAM-WORDS" in "\n".join(fake.texts_to(ALEX.id))

            for user in (SAM, ALEX):
                await app.feed(fake.send_text(user, "/history"))
                journal = fake.texts_to(user.id)[-1]
                assert texts.ANSWER_UNREADABLE in journal
                assert "ALEX-SECOND-WORDS" in journal and "SAM-WORDS" in journal
            data, markdown = await export_of(app, fake, ALEX)
            (day,) = data["nudges"]
            assert [p["text"] for p in day["my_answer"]] == [None, "ALEX-SECOND-WORDS"]
            assert [p.get("unreadable", False) for p in day["my_answer"]] == [True, False]
            assert [p["text"] for p in day["partner_shared_with_me"]] == ["SAM-WORDS"]
            assert texts.ANSWER_UNREADABLE in markdown and "ALEX-SECOND-WORDS" in markdown
            assert app.errors == []

        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert f"answer part {first} " in logged
        assert broken not in logged and "gAAAA" not in logged
        assert "WORDS" not in logged

    async with running_app(  # start-up is not stopped by the one broken answer
        fake, database_url=couple_url, clock=clock, token=TOKEN, settings=key
    ) as again:
        await again.feed(fake.send_text(SAM, "/history"))
        assert "ALEX-SECOND-WORDS" in fake.texts_to(SAM.id)[-1]
        assert again.errors == []
