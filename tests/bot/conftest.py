"""In-process fixtures: the real PTB bot talking to the fake Bot API through `BaseRequest`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from fakegram import FakeTelegram, FakeTelegramRequest
from tests.bot.app_harness import RunningApp, running_app
from tests.conftest import FrozenClock

TOKEN = "123456789:AAInProcessTestTokenNeverLogged_xyzab"


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN)


@pytest.fixture
async def telegram_bot(fake: FakeTelegram) -> AsyncIterator[ExtBot[None]]:
    """A real PTB bot whose HTTP layer is the in-process fake (0.5 s read timeout)."""
    request = FakeTelegramRequest(fake, read_timeout=0.5)
    bot: ExtBot[None] = ExtBot(TOKEN, request=request, defaults=Defaults(parse_mode=ParseMode.HTML))
    async with bot:
        yield bot


@pytest.fixture
async def app(
    database_url: str, fake: FakeTelegram, clock: FrozenClock
) -> AsyncIterator[RunningApp]:
    """The real bot in process, on each database, at the test's clock (Monday 07:00 in
    Berlin unless a module says otherwise); no handler error may reach the error handler."""
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as running:
        yield running
        assert running.errors == []
