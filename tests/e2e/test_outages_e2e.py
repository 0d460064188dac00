"""Outages that must cost nothing, through the real process: PostgreSQL stopped across the
nudge minute, the Bot API failing and then hanging across it, the SQLite disk full.

The bot's minutes are the test clock's; real seconds pass only where real timeouts and
retries must happen (a few dispatcher ticks, one connect timeout of the Bot API client).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import texts
from fakegram import FakeBotApiServer, FakeTelegram, FakeUser
from testbed.couples import DUE, populate
from testbed.postgres import running_postgres
from tests.conftest import IN_CI
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.e2e.test_daily_nudge_e2e import nudge_counts
from tests.e2e.test_webhook_e2e import get, post, start_webhook_bot
from tests.phone import Phone

DAY = timedelta(days=1)


def pg_rows(url: str, query: str) -> list[tuple[object, ...]]:
    """Reads the bot's PostgreSQL database directly, to check what is stored."""

    async def read() -> list[tuple[object, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in (await connection.execute(text(query))).all()]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def log_lines(log: str, containing: str) -> list[str]:
    return [line for line in log.splitlines() if containing in line]


def test_postgresql_stopped_across_the_nudge_minute_costs_no_nudge_and_no_message(
    fake: FakeTelegram, api: FakeBotApiServer, tmp_path: Path, test_clock: TestClock
) -> None:
    """Webhook mode: /healthz is what a process manager or load balancer watches there, and
    an update Telegram could not hand over (any answer but 200) is delivered again."""
    with running_postgres() as server:
        url = server.create_database()
        users = populate(url, 1)
        alex, sam = (FakeUser(user_id, f"U{user_id}") for user_id in users)
        test_clock.set(DUE)
        process, port = start_webhook_bot(
            fake,
            api,
            tmp_path,
            url,
            COUPLET_TEST_CLOCK_FILE=str(test_clock.path),
            DISPATCH_INTERVAL_SECONDS="0.2",
            LOG_LEVEL="DEBUG",
        )
        fake.wait_for(lambda: nudge_counts(fake, users) == Counter(users), 15)
        before = fake.send_text(alex, "kept before the outage")
        assert post(port, before) == 200

        test_clock.set(DUE + DAY - timedelta(seconds=30))
        server.stop()
        fake.wait_for(lambda: get(port, "/healthz") == 503, 15)
        test_clock.set(DUE + DAY + timedelta(seconds=10))  # the next nudges are due now
        during = fake.send_text(sam, "written while the database is away")
        assert post(port, during) == 503  # not acknowledged: Telegram will deliver it again
        process.let_ticks_pass(10)  # ten dispatcher runs into a stopped database
        assert process.running
        assert nudge_counts(fake, users) == Counter(users)

        server.start()
        fake.wait_for(lambda: get(port, "/healthz") == 200, 15)
        fake.wait_for(lambda: nudge_counts(fake, users) == Counter(users * 2), 15)
        assert post(port, during) == 200  # Telegram's redelivery
        after = fake.send_text(alex, "written once it was back")
        assert post(port, after) == 200
        process.let_ticks_pass()
        assert nudge_counts(fake, users) == Counter(users * 2)
        stored = pg_rows(url, "SELECT message_id FROM answer_parts ORDER BY id")
        assert stored == [
            (before["message"]["message_id"],),
            (during["message"]["message_id"],),
            (after["message"]["message_id"],),
        ]
        assert process.stop() == 0

    log = process.log()
    assert "Traceback" not in log
    unreachable = log_lines(log, "database is unreachable")
    assert 1 <= len(unreachable) <= 2, unreachable  # at most one in 10 s; ~3 s of outage
    assert all(" WARNING " in line for line in unreachable)


def test_the_bot_api_failing_then_hanging_across_the_nudge_minute_costs_no_nudge(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    start_bot: StartBot,
    test_clock: TestClock,
    db_path: Path,
) -> None:
    users = populate(db_path, 1)
    test_clock.set(DUE - timedelta(seconds=30))
    bot = start_bot()
    fake.go_down(502)
    test_clock.set(DUE + timedelta(seconds=5))

    def refused(method: str) -> int:
        return sum(call.status == 502 for call in fake.calls_for(method))

    fake.wait_for(lambda: refused("sendMessage") == 2 and refused("getUpdates") >= 2, 15)
    sends = len(fake.calls_for("sendMessage"))

    api.become_unreachable()  # now nothing gets through: every connect times out
    test_clock.set(DUE + timedelta(seconds=45))  # past the first retry: it runs into the hang
    fake.wait_for(
        lambda: (
            rows(
                db_path, "SELECT count(*) FROM deliveries WHERE attempts = 2 AND status = 'claimed'"
            )
            == [(2,)]
        ),
        20,
        what="the second try of both nudges to time out",
    )
    assert len(fake.calls_for("sendMessage")) == sends  # nothing reached "Telegram"

    api.become_reachable()
    fake.come_back()
    test_clock.set(DUE + timedelta(minutes=3))  # past the second retry
    fake.wait_for(lambda: nudge_counts(fake, users) == Counter(users), 30)
    bot.let_ticks_pass()
    assert nudge_counts(fake, users) == Counter(users)
    (reply,) = Phone(fake, FakeUser(users[0], f"U{users[0]}")).send("/help", timeout=30)
    assert "/today" in reply.text  # polling came back by itself
    assert bot.running

    log = bot.log()
    assert "Traceback" not in log
    unreachable = log_lines(log, "Telegram Bot API is unreachable")
    assert 1 <= len(unreachable) <= 2, unreachable  # at most one in 10 s
    assert all(" WARNING " in line for line in unreachable)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB filesystem of its own (tmpfs), so the test can fill it up for real."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root, so the full-disk test must run there")
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(mount_point)],
        check=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


def fill(directory: Path) -> Path:
    """Writes a file until the filesystem has no room left; returns it."""
    filler = directory / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as error:
            assert error.errno == 28  # ENOSPC
    return filler


def test_a_full_disk_gets_a_kind_reply_loses_nothing_and_recovers_by_itself(
    fake: FakeTelegram, small_disk: Path, start_bot: StartBot, test_clock: TestClock
) -> None:
    database = small_disk / "couplet.sqlite3"
    users = populate(database, 1)
    test_clock.set(DUE)
    bot = start_bot(DATABASE_URL=f"sqlite:///{database}")
    fake.wait_for(lambda: nudge_counts(fake, users) == Counter(users), 15)
    alex = Phone(fake, FakeUser(users[0], f"U{users[0]}"))
    alex.send("kept before the disk filled up")
    kept = alex.messages[-1].text

    # The write-ahead log is rewound after a checkpoint and reused: emptied here, so the
    # next write needs new room, as it would once a busy disk had filled up.
    with sqlite3.connect(database) as outside:
        assert outside.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
    filler = fill(small_disk)
    for attempt in range(3):
        (reply,) = alex.send(f"{attempt} " + "words that find no room. " * 120)
        assert reply.text == texts.DATABASE_FULL
    assert bot.running

    filler.unlink()  # there is room again; nobody restarts anything
    (reply,) = alex.send("kept once there was room again")
    assert reply.text != texts.DATABASE_FULL
    bot.let_ticks_pass()
    stored = rows(database, "SELECT text FROM answer_parts ORDER BY id")
    assert stored == [("kept before the disk filled up",), ("kept once there was room again",)]
    assert kept != texts.DATABASE_FULL
    assert len(alex.messages) == 1 + 1 + 3 + 1  # the nudge, and one reply per message

    log = bot.log()
    assert "Traceback" not in log
    full = log_lines(log, "database is full")
    assert len(full) == 1, full  # at most one a minute
    assert " ERROR " in full[0]
