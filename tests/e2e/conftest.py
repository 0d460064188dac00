"""End-to-end fixtures: the fake Bot API on 127.0.0.1 and `python -m bot` against it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from fakegram import FakeBotApiServer, FakeTelegram, FakeUser
from testbed.bot_process import TOKEN, BotProcess

E2E = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks `e2e` every test here (`make test-fast` leaves them out)."""
    for item in items:
        if item.path.is_relative_to(E2E):
            item.add_marker(pytest.mark.e2e)


class TestClock:
    """Writes the instant the bot process reads as 'now' (COUPLET_TEST_CLOCK_FILE)."""

    __test__ = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, instant: datetime) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(instant.isoformat(), encoding="utf-8")
        temporary.replace(self.path)


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN)


@pytest.fixture
def api(fake: FakeTelegram) -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(fake) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "couplet.sqlite3"


@pytest.fixture
def test_clock(tmp_path: Path) -> TestClock:
    return TestClock(tmp_path / "clock")


StartBot = Callable[..., BotProcess]


@pytest.fixture
def start_bot(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    db_path: Path,
    test_clock: TestClock,
    tmp_path: Path,
) -> Iterator[StartBot]:
    """Starts the real bot (polling the fake API, on a SQLite file) with extra settings;
    returns once it polls. Checks at the end that the token never reached its log."""
    started: list[BotProcess] = []

    def start(**extra_env: str) -> BotProcess:
        process = BotProcess(
            env={
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": f"sqlite:///{db_path}",
                "COUPLET_TEST_CLOCK_FILE": str(test_clock.path),
                "DISPATCH_INTERVAL_SECONDS": "0.2",
                "LOG_LEVEL": "DEBUG",
            }
            | extra_env,
            workdir=tmp_path,
        )
        process.start()
        wait_until_up(fake, process, commands_set=len(fake.calls_for("deleteWebhook")) + 1)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    log = (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert TOKEN not in log, "the bot token appeared in the log"
    assert TOKEN.split(":")[1] not in log


@pytest.fixture
def bot(start_bot: StartBot) -> BotProcess:
    """The real bot with default test settings, up and polling."""
    return start_bot()


def wait_until_up(fake: FakeTelegram, process: BotProcess, *, commands_set: int = 1) -> None:
    """Waits until the bot (its `commands_set`-th start) polls; fails at once if it died."""

    def up() -> bool:
        if not process.running:
            raise AssertionError(f"the bot exited; its log:\n{process.log()[-3000:]}")
        # deleteWebhook is the last call before polling starts.
        return len(fake.calls_for("deleteWebhook")) >= commands_set

    fake.wait_for(up, timeout=30, what="the bot to start")


def rows(db_path: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    """Reads the bot's SQLite file directly, to check what is (not) stored."""
    with sqlite3.connect(db_path) as connection:
        return connection.execute(query, params).fetchall()


ALEX = FakeUser(101, "Alex", username="alex")
SAM = FakeUser(202, "Sam")
KIM = FakeUser(303, "Kim")
ROBIN = FakeUser(404, "Robin")
