"""Three bot processes on one PostgreSQL share one pace: a wave goes out under the token's
30 messages a second without a single 429, and a person's answer is handled before the
wave's later nudges. Order is read from the fake's recorded calls, never from times."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from storage.db import Database
from tests.e2e.conftest import TestClock, wait_until_up
from tests.e2e.couples import DUE, populate
from tests.e2e.harness import TOKEN, BotProcess
from tests.e2e.test_instances_e2e import nudge_counts
from tests.fakebot import FakeBotApiServer, FakeTelegram, FakeUser
from tests.postgres import PostgresServer

USERS = 400
ALEX, SAM = FakeUser(1000, "Alex"), FakeUser(1001, "Sam")
NOTE = "appreciation-001"  # the answer is a note delivered to the partner at once
ANSWER = "You made coffee before my early call. It saved me."


def nudge_alex_and_sam_first(url: str) -> None:
    """Their nudge falls due a minute before everyone else's, so it goes out at the start of
    the wave and Alex's answer arrives while the rest of the wave is still going out."""

    async def update() -> None:
        database = Database(url)
        async with database.engine.begin() as connection:
            await connection.execute(
                text("UPDATE users SET next_due_at = :due WHERE id IN (:alex, :sam)"),
                {"due": DUE - timedelta(minutes=1), "alex": ALEX.id, "sam": SAM.id},
            )
        await database.dispose()

    asyncio.run(update())


def test_three_processes_keep_one_pace_and_put_a_reply_before_the_wave(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    postgres_server: PostgresServer,
    test_clock: TestClock,
    tmp_path: Path,
) -> None:
    url = postgres_server.create_database()
    users = set(populate(url, USERS // 2, names=("Alex", "Sam"), nudges={date(2026, 11, 23): NOTE}))
    nudge_alex_and_sam_first(url)
    fake.rate_limit(30)  # Telegram's limit for the token, whichever process sends
    test_clock.set(DUE + timedelta(seconds=1))
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
                "LOG_LEVEL": "DEBUG",
            },
            workdir=workdir,
        )
        process.start()
        wait_until_up(fake, process, commands_set=n + 1)
        processes.append(process)

    fake.wait_for_message(ALEX.id, containing="made your day easier", timeout=60)
    fake.send_text(ALEX, ANSWER)
    fake.wait_for_message(SAM.id, containing="It saved me", timeout=60)
    fake.wait_for(lambda: len(nudge_counts(fake, users)) >= USERS, timeout=120)
    for process in processes:
        process.let_ticks_pass()

    calls = fake.calls_for("sendMessage")
    assert fake.http_429 == 0
    counts = nudge_counts(fake, users)
    assert set(counts) == users and max(counts.values()) <= 2  # Alex and Sam: nudge + reply
    assert all(counts[user] == 1 for user in users - {ALEX.id, SAM.id})

    # The answer's two messages (Alex's confirmation, Sam's note) each take the next slot:
    # only the few nudges already booked (the horizon, about two slots) go between them,
    # where first come, first served would put every waiting sender's nudge (18).
    person = [
        index
        for index, call in enumerate(calls)
        if call.chat_id in (ALEX.id, SAM.id) and "made your day easier" not in call.params["text"]
    ]
    assert len(person) == 2
    first, second = person
    wave_between = [c for c in calls[first + 1 : second] if c.chat_id not in (ALEX.id, SAM.id)]
    assert len(wave_between) <= 6
    assert len(calls) - second > 50, "the wave was still going out after the reply"

    for process in processes:
        assert "Traceback" not in process.log()
        assert process.stop() == 0
        assert TOKEN.split(":")[1] not in process.log()
