"""Three bot processes on one PostgreSQL share one pace: a wave goes out under the token's
30 messages a second without a single 429, and a person's answer is handled before the
wave's later nudges. Order is read from the fake's recorded calls, never from times."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from sqlalchemy import text

from fakegram import FakeBotApiServer, FakeTelegram, FakeUser
from storage.db import Database
from testbed.bot_process import TOKEN
from testbed.couples import DUE, populate
from testbed.postgres import PostgresServer
from tests.e2e.conftest import TestClock
from tests.e2e.test_webhook_e2e import post, start_webhook_bot

USERS = 300
# Three processes at 20 a second each would be 60: twice what the fake allows the token.
# (Below the default 29, so that the scheduling delays of a loaded 2-core machine, which no
# pace can see, stay inside the margin; the pace itself is checked exactly in
# tests/storage/test_send_ledger.py.)
PACE = "20"
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
    # Several instances run as webhooks behind a load balancer (polling would hand each
    # update to every one of them); Alex's answer reaches the first.
    processes, ports = [], []
    for n in range(3):
        workdir = tmp_path / f"instance-{n}"
        workdir.mkdir()
        process, port = start_webhook_bot(
            fake,
            api,
            workdir,
            url,
            COUPLET_TEST_CLOCK_FILE=str(test_clock.path),
            DISPATCH_INTERVAL_SECONDS="0.2",
            MAX_MESSAGES_PER_SECOND=PACE,
            LOG_LEVEL="DEBUG",
        )
        processes.append(process)
        ports.append(port)

    fake.wait_for_message(ALEX.id, containing="made your day easier", timeout=60)
    assert post(ports[0], fake.send_text(ALEX, ANSWER)) == 200
    fake.wait_for_message(SAM.id, containing="It saved me", timeout=60)
    fake.wait_for(lambda: len(fake.calls_for("sendMessage")) >= USERS + 2, timeout=120)
    fake.wait_for(lambda: all(fake.sent_to(user) for user in users), timeout=120)
    for process in processes:
        process.let_ticks_pass()

    calls = [call for call in fake.calls_for("sendMessage") if call.status == 200]
    assert fake.http_429 == 0
    couple = (ALEX.id, SAM.id)
    is_nudge = [
        call.chat_id not in couple or "made your day easier" in call.params["text"]
        for call in calls
    ]
    nudged = Counter(call.chat_id for call, nudge in zip(calls, is_nudge, strict=True) if nudge)
    assert set(nudged) == users and set(nudged.values()) == {1}  # each once, none missed

    # Each message of the answer (Alex's confirmation, Sam's note, ...) takes the next slot:
    # only the few nudges already booked (the horizon, about two slots) go before it, where
    # first come, first served would put every waiting sender's nudge (18) first.
    person = [index for index, nudge in enumerate(is_nudge) if not nudge]
    assert len(person) >= 2
    assert any("It saved me" in calls[index].params["text"] for index in person)
    for earlier, later in pairwise(person):
        assert sum(is_nudge[earlier + 1 : later]) <= 6, (earlier, later)
    assert sum(is_nudge[person[-1] :]) > 50, "the wave was still going out after the answer"

    for process in processes:
        assert "Traceback" not in process.log()
        assert process.stop() == 0
        assert TOKEN.split(":")[1] not in process.log()
