"""The global pace: even spacing, and never a burst after the event loop stalls."""

from __future__ import annotations

import asyncio
import time

from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from bot.pacing import PacedRateLimiter
from tests.bot.conftest import TOKEN
from tests.fakebot import FakeTelegram, FakeTelegramRequest


async def stall_the_loop(every: float, seconds: float, times: int) -> None:
    """A stand-in for a GC pause or a slow synchronous step: blocks the whole event loop."""
    for _ in range(times):
        await asyncio.sleep(every)
        time.sleep(seconds)  # noqa: ASYNC251 (blocking on purpose: that is the stall)


async def test_after_a_stall_no_second_ever_holds_more_than_the_pace_allows() -> None:
    limiter = PacedRateLimiter(20)
    loop = asyncio.get_running_loop()
    went_out: list[float] = []

    async def send() -> bool:
        went_out.append(loop.time())
        return True

    async def sender(count: int) -> None:
        for _ in range(count):
            await limiter.process_request(send, (), {}, "sendMessage", {}, None)

    await limiter.initialize()
    await asyncio.gather(stall_the_loop(0.4, 0.5, 3), *(sender(8) for _ in range(8)))

    assert len(went_out) == 64
    for first, twenty_first in zip(went_out, went_out[20:], strict=False):
        assert twenty_first - first >= 1.0  # 20 at most in any second, stalls or not


async def test_calls_that_send_nothing_are_not_paced() -> None:
    limiter = PacedRateLimiter(1)
    answered: list[str] = []

    async def get_me() -> bool:
        answered.append("getMe")
        return True

    await limiter.initialize()
    await asyncio.wait_for(
        asyncio.gather(
            *(limiter.process_request(get_me, (), {}, "getMe", {}, None) for _ in range(50))
        ),
        timeout=5,
    )
    assert len(answered) == 50


async def test_a_wave_with_stalls_stays_under_telegrams_strict_window() -> None:
    fake = FakeTelegram(TOKEN)
    fake.rate_limit(30)  # 429 for the 31st message in any second
    bot: ExtBot[None] = ExtBot(
        TOKEN,
        request=FakeTelegramRequest(fake),
        defaults=Defaults(parse_mode=ParseMode.HTML),
        rate_limiter=PacedRateLimiter(29),
    )
    chats = iter(range(1000, 1090))

    async def sender() -> None:
        for chat_id in chats:
            await bot.send_message(chat_id, "<b>Small things</b>\n\nA nudge")

    async with bot:
        await asyncio.gather(stall_the_loop(0.5, 0.3, 4), *(sender() for _ in range(8)))

    assert fake.http_429 == 0
    assert all(len(fake.sent_to(chat_id)) == 1 for chat_id in range(1000, 1090))
