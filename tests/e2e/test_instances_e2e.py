"""Several bot processes on one PostgreSQL: every nudge goes out exactly once, even when one
process is killed in the middle of the wave."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from fakegram import FakeBotApiServer, FakeTelegram
from storage.db import Database
from testbed.bot_process import TOKEN, BotProcess
from testbed.couples import DUE, populate
from testbed.postgres import PostgresServer
from tests.e2e.conftest import TestClock, wait_until_up


def nudge_counts(fake: FakeTelegram, user_ids: set[int]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for call in fake.calls_for("sendMessage"):
        if call.chat_id in user_ids and call.status == 200:
            counts[call.chat_id] += 1
    return counts


def sending_rows(url: str) -> set[int]:
    async def query() -> set[int]:
        database = Database(url)
        async with database.engine.connect() as connection:
            found = await connection.execute(
                text("SELECT user_id FROM deliveries WHERE status = 'sending'")
            )
            users = {row[0] for row in found}
        await database.dispose()
        return users

    return asyncio.run(query())


def three_instances(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    url: str,
    test_clock: TestClock,
    tmp_path: Path,
    *,
    pace: str,
) -> list[BotProcess]:
    """Three bot processes on `url`, ticking every 0.2 s, at MAX_MESSAGES_PER_SECOND `pace`."""
    processes = []
    for n in range(3):
        workdir = tmp_path / f"instance-{n}"
        workdir.mkdir()
        process = BotProcess(
            env={
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "DATABASE_URL": url,
                "COUPLET_TEST_CLOCK_FILE": str(test_clock.path),
                "DISPATCH_INTERVAL_SECONDS": "0.2",
                "MAX_MESSAGES_PER_SECOND": pace,
                "LOG_LEVEL": "DEBUG",
            },
            workdir=workdir,
        )
        process.start()
        wait_until_up(fake, process, commands_set=n + 1)
        processes.append(process)
    return processes


def test_three_processes_share_a_wave_of_3000_and_survive_a_sigkill(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    postgres_server: PostgresServer,
    test_clock: TestClock,
    tmp_path: Path,
) -> None:
    url = postgres_server.create_database()
    users = set(populate(url, 1500))
    fake.delay_next("sendMessage", 0.004, count=1_000_000)
    test_clock.set(DUE + timedelta(seconds=1))
    processes = three_instances(fake, api, url, test_clock, tmp_path, pace="0")

    fake.wait_for(lambda: len(fake.calls_for("sendMessage")) >= 1000, timeout=60)
    processes[0].kill()
    # The killed process's claims are leased for 30 seconds; time moves on past that.
    test_clock.set(DUE + timedelta(minutes=3))
    fake.wait_for(lambda: len(nudge_counts(fake, users)) >= 3000 - 8, timeout=120)
    for process in processes[1:]:
        process.let_ticks_pass()
    counts = nudge_counts(fake, users)
    assert max(counts.values()) == 1, "a user got two nudges for one date"
    missing = users - set(counts)
    assert missing <= sending_rows(url)  # only a request in flight at the kill may be lost
    assert len(missing) <= 8
    senders = [p for p in processes[1:] if "Traceback" not in p.log()]
    assert len(senders) == 2
    for process in processes[1:]:
        assert process.stop() == 0


def test_paced_a_sigkilled_process_leaves_its_waiting_nudges_to_the_others(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    postgres_server: PostgresServer,
    test_clock: TestClock,
    tmp_path: Path,
) -> None:
    """With a pace, a nudge is marked `sending` at its slot, not while it waits for one: the
    killed process's waiting nudges stay claimed, and the others send them once the lease
    runs out. At most the one whose request was leaving at the kill may be lost."""
    url = postgres_server.create_database()
    users = set(populate(url, 300))
    fake.rate_limit(30)
    test_clock.set(DUE + timedelta(seconds=1))
    processes = three_instances(fake, api, url, test_clock, tmp_path, pace="20")  # together

    fake.wait_for(lambda: len(nudge_counts(fake, users)) >= 200, timeout=60)
    processes[0].kill()
    assert len(nudge_counts(fake, users)) < 500, "the wave finished before the kill"
    test_clock.set(DUE + timedelta(minutes=1))  # the killed process's claims run out
    fake.wait_for(lambda: len(nudge_counts(fake, users)) >= 600 - 1, timeout=120)
    for process in processes[1:]:
        process.let_ticks_pass()
    counts = nudge_counts(fake, users)
    assert max(counts.values()) == 1, "a user got two nudges for one date"
    missing = users - set(counts)
    assert missing <= sending_rows(url)
    assert len(missing) <= 1
    assert fake.http_429 == 0
    for process in processes[1:]:
        assert "Traceback" not in process.log()
        assert process.stop() == 0
