"""The global pace: even spacing, and never a burst after the event loop stalls.

These run on virtual time (tests/virtual_time.py): the limiter reads the loop's clock, so
every instant it and the fake Telegram see is exact, and a stall is a jump of the clock while
nothing else runs, not a real pause that a loaded machine may stretch.
"""

from __future__ import annotations

import asyncio

from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from bot.pacing import PacedRateLimiter
from storage.pace import MemoryLedger
from tests.bot.conftest import TOKEN
from tests.fakebot import FakeTelegram, FakeTelegramRequest
from tests.virtual_time import run_in_virtual_time, virtual_loop

Stalls = list[tuple[float, float]]


async def stall_the_loop(every: float, seconds: float, times: int, stalls: Stalls) -> None:
    """A stand-in for a GC pause or a slow synchronous step: blocks the whole event loop
    for `seconds` (of the loop's time), `times` times, `every` seconds apart."""
    loop = virtual_loop()
    for _ in range(times):
        await asyncio.sleep(every)
        began = loop.time()
        loop.stall(seconds)
        stalls.append((began, loop.time()))


def assert_each_stall_came_mid_wave(stalls: Stalls, went_out: list[float]) -> None:
    """The race the test is about really happened: sends were waiting across every stall."""
    assert stalls
    for began, ended in stalls:
        assert went_out[0] <= began and went_out[-1] >= ended, (began, ended)


def test_after_a_stall_no_second_ever_holds_more_than_the_pace_allows() -> None:
    async def wave() -> tuple[list[float], Stalls]:
        limiter = PacedRateLimiter(MemoryLedger(20))
        loop = virtual_loop()
        went_out: list[float] = []
        stalls: Stalls = []

        async def send() -> bool:
            went_out.append(loop.time())
            return True

        async def sender(count: int) -> None:
            for _ in range(count):
                await limiter.process_request(send, (), {}, "sendMessage", {}, None)

        await limiter.initialize()
        await asyncio.gather(stall_the_loop(0.4, 0.5, 3, stalls), *(sender(8) for _ in range(8)))
        return went_out, stalls

    went_out, stalls = run_in_virtual_time(wave)

    assert len(went_out) == 64
    assert_each_stall_came_mid_wave(stalls, went_out)
    for first, twenty_first in zip(went_out, went_out[20:], strict=False):
        assert twenty_first - first >= 1.0 - 1e-9  # 20 at most in any second, stalls or not


def test_calls_that_send_nothing_are_not_paced() -> None:
    async def fifty_get_me() -> tuple[float, list[str]]:
        limiter = PacedRateLimiter(MemoryLedger(1))
        loop = virtual_loop()
        answered: list[str] = []

        async def get_me() -> bool:
            answered.append("getMe")
            return True

        await limiter.initialize()
        began = loop.time()
        await asyncio.gather(
            *(limiter.process_request(get_me, (), {}, "getMe", {}, None) for _ in range(50))
        )
        return loop.time() - began, answered

    waited, answered = run_in_virtual_time(fifty_get_me)
    assert len(answered) == 50
    assert waited == 0  # paced at 1 a second, the fiftieth would have waited 49 s


def test_a_wave_with_stalls_stays_under_telegrams_strict_window() -> None:
    async def wave() -> tuple[FakeTelegram, list[float], Stalls]:
        fake = FakeTelegram(TOKEN, clock=virtual_loop().time)
        fake.rate_limit(30)  # 429 for the 31st message in any second (of the loop's time)
        bot: ExtBot[None] = ExtBot(
            TOKEN,
            request=FakeTelegramRequest(fake),
            defaults=Defaults(parse_mode=ParseMode.HTML),
            rate_limiter=PacedRateLimiter(MemoryLedger(29)),
        )
        chats = iter(range(1000, 1090))
        stalls: Stalls = []

        async def sender() -> None:
            for chat_id in chats:
                await bot.send_message(chat_id, "<b>Small things</b>\n\nA nudge")

        async with bot:
            await asyncio.gather(stall_the_loop(0.5, 0.3, 4, stalls), *(sender() for _ in range(8)))
        went_out = [call.at for call in fake.calls_for("sendMessage")]
        return fake, went_out, stalls

    fake, went_out, stalls = run_in_virtual_time(wave)

    assert_each_stall_came_mid_wave(stalls, went_out)
    assert fake.http_429 == 0
    assert all(len(fake.sent_to(chat_id)) == 1 for chat_id in range(1000, 1090))
