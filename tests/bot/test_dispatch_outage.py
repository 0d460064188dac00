"""PostgreSQL going away in the middle of a wave: the nudges go out once it is back, each
exactly once, and every delivery ends up recorded `sent` with its message id."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot
from telegram.request import RequestData

from bot.dispatch import Dispatcher
from bot.outages import Outage, outage_of
from bot.pacing import pace_for
from fakegram import FakeTelegram, FakeTelegramRequest
from storage.db import Database
from storage.migrate import upgrade_to_head
from testbed.postgres import PostgresServer
from tests.bot.conftest import TOKEN
from tests.bot.test_dispatch import MONDAY
from tests.conftest import FrozenClock
from tests.storage.factories import a_couple

USERS = range(100, 130)  # fifteen couples, all due Monday morning


class GatedTelegram(FakeTelegramRequest):
    """The fake Bot API holding every nudge request at a gate until the test opens it."""

    def __init__(self, fake: FakeTelegram, *, hold: int) -> None:
        super().__init__(fake)
        self.gate = asyncio.Event()
        self.hold = hold  # `all_held` is set once this many requests wait at the gate
        self.held = 0
        self.all_held = asyncio.Event()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        if url.endswith("/sendMessage") and not self.gate.is_set():
            self.held += 1
            if self.held == self.hold:
                self.all_held.set()
            await self.gate.wait()
        return await super().do_request(url, method, request_data, **kwargs)


@pytest.fixture
async def on_postgres(postgres_server: PostgresServer) -> AsyncIterator[Database]:
    """A migrated database on the tests' PostgreSQL (running again after the test)."""
    database = Database(postgres_server.create_database())
    await upgrade_to_head(database)
    try:
        yield database
    finally:
        if not (postgres_server.data / "postmaster.pid").exists():
            postgres_server.start()
        await database.dispose()


@pytest.mark.parametrize("pace", [None, 200.0], ids=["unpaced", "paced"])
async def test_postgresql_stopping_mid_wave_loses_no_nudge_and_sends_none_twice(
    on_postgres: Database, postgres_server: PostgresServer, fake: FakeTelegram, pace: float | None
) -> None:
    """Paced, the nudges after the six in flight are marked `sending` at their slots, which
    now fails: they too are handed back and go once the database is back."""
    database = on_postgres
    async with database.transaction() as session:
        for user_id in USERS[::2]:
            await a_couple(session, user_id, user_id + 1, now=MONDAY)
    clock = FrozenClock(MONDAY + timedelta(hours=1))
    gated = GatedTelegram(fake, hold=6)
    bot: ExtBot[Any] = ExtBot(
        TOKEN,
        request=gated,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        rate_limiter=pace_for(None, pace) if pace else None,
    )
    async with bot:
        run = Dispatcher(
            database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), concurrency=6
        )
        wave = asyncio.ensure_future(run.run())
        await gated.all_held.wait()  # six requests in flight, two more ready
        postgres_server.stop(mode="fast")
        gated.gate.set()  # the requests in flight are answered while the database is away
        with pytest.raises(Exception) as raised:
            await wave
        assert outage_of(raised.value) is Outage.DATABASE_UNREACHABLE
        sent_meanwhile = len(fake.calls_for("sendMessage"))
        assert 0 < sent_meanwhile < len(USERS)
        with pytest.raises(Exception) as raised:  # the next tick: still away, nothing sent
            await run.run()
        assert outage_of(raised.value) is Outage.DATABASE_UNREACHABLE
        assert len(fake.calls_for("sendMessage")) == sent_meanwhile

        postgres_server.start()
        await run.run()

    sent = Counter(call.chat_id for call in fake.calls_for("sendMessage"))
    assert sent == dict.fromkeys(USERS, 1)
    async with database.transaction() as session:
        rows = (
            await session.exec(text("SELECT user_id, status, message_id, attempts FROM deliveries"))
        ).all()
    message_ids = {user_id: fake.sent_to(user_id)[0].message_id for user_id in USERS}
    assert sorted(tuple(row) for row in rows) == [
        (user_id, "sent", message_ids[user_id], 1) for user_id in USERS
    ]  # and a nudge handed back unsent did not spend one of its tries
