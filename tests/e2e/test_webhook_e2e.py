"""Webhook mode through the real process: the secret, acknowledging after processing,
redeliveries handled once, /healthz."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

from fakegram import FakeBotApiServer, FakeTelegram, FakeUser
from testbed.bot_process import TOKEN, BotProcess
from testbed.postgres import running_postgres

SECRET = "s3cret_Token-for-tests"
ALEX = FakeUser(501, "Alex")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(port: int, update: dict[str, object], secret: str | None = SECRET) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram",
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json"}
        | ({"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def get(port: int, path: str) -> int:
    """The status of a GET, or 0 while nothing listens on the port yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0


def start_webhook_bot(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    tmp_path: Path,
    database_url: str,
    **extra_env: str,
) -> tuple[BotProcess, int]:
    port = free_port()
    process = BotProcess(
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": database_url,
            "WEBHOOK_URL": "https://couplet.example.test/telegram",
            "WEBHOOK_SECRET": SECRET,
            "PORT": str(port),
        }
        | extra_env,
        workdir=tmp_path,
    )
    process.start()
    fake.wait_for(lambda: bool(fake.calls_for("setWebhook")) or not process.running, 30)
    fake.wait_for(lambda: get(port, "/healthz") == 200 or not process.running, 30)
    assert process.running, process.log()
    return process, port


def test_webhook_updates_are_handled_once_and_only_with_the_secret(
    fake: FakeTelegram, api: FakeBotApiServer, tmp_path: Path
) -> None:
    process, port = start_webhook_bot(fake, api, tmp_path, f"sqlite:///{tmp_path / 'w.sqlite3'}")
    registered = fake.calls_for("setWebhook")[-1].params
    assert registered["url"] == "https://couplet.example.test/telegram"
    assert registered["secret_token"] == SECRET
    assert "callback_query" in registered["allowed_updates"]

    update = fake.send_text(ALEX, "/help")
    assert post(port, update, secret=None) == 403
    assert post(port, update, secret="wrong") == 403
    assert fake.sent_to(ALEX.id) == []  # refused requests are not processed

    assert post(port, update) == 200  # acknowledged only after the reply went out
    assert len(fake.sent_to(ALEX.id)) == 1
    assert "/invite" in fake.sent_to(ALEX.id)[0].text
    assert post(port, update) == 200  # Telegram redelivers: nothing happens twice
    assert len(fake.sent_to(ALEX.id)) == 1
    assert post(port, {"update_id": "x"}) == 400
    assert get(port, "/healthz") == 200
    assert process.stop() == 0
    assert TOKEN not in process.log() and SECRET not in process.log()


def test_healthz_says_503_when_the_database_is_gone(
    fake: FakeTelegram, api: FakeBotApiServer, tmp_path: Path
) -> None:
    with running_postgres() as server:
        process, port = start_webhook_bot(fake, api, tmp_path, server.create_database())
        assert get(port, "/healthz") == 200
    # The PostgreSQL server is stopped now.
    fake.wait_for(lambda: get(port, "/healthz") == 503, 20)
    process.kill()
