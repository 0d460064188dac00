"""The pace of sends: even spacing, never a burst after the event loop stalls, people before
the wave's bulk, paid broadcasts at their own pace, and no send lost to the ledger.

These run on virtual time (tests/virtual_time.py): the limiter reads the loop's clock, so
every instant it and the fake Telegram see is exact, and a stall is a jump of the clock while
nothing else runs, not a real pause that a loaded machine may stretch. (The ledger shared
through PostgreSQL is tested in tests/storage/test_send_ledger.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from itertools import pairwise
from math import inf
from typing import Any

import pytest
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from bot.pacing import BulkSend, PacedRateLimiter, Priority
from fakegram import FakeTelegram, FakeTelegramRequest
from storage.db import Database
from storage.pace import DatabaseLedger, MemoryLedger
from testbed.postgres import _free_port
from tests.bot.conftest import TOKEN
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


def test_a_bulk_sends_step_at_its_slot_runs_once_before_it_and_a_slow_one_makes_no_burst() -> None:
    """The wave marks each nudge `sending` at its slot (`BulkSend.at_slot`). A slow mark
    (every fourth here takes more than two intervals) gives the slot up for a new one
    rather than sending late, next to the slot after it."""

    async def wave() -> tuple[list[float], list[str]]:
        limiter = PacedRateLimiter(MemoryLedger(20))
        loop = virtual_loop()
        went_out: list[float] = []
        events: list[str] = []

        def nudge(n: int) -> tuple[BulkSend, Callable[[], Coroutine[Any, Any, bool]]]:
            async def mark() -> None:
                events.append(f"mark {n}")
                if n % 4 == 0:
                    await asyncio.sleep(0.12)

            async def send() -> bool:
                events.append(f"send {n}")
                went_out.append(loop.time())
                return True

            return BulkSend(mark), send

        async def sender(first: int) -> None:
            for n in range(first, first + 10):
                marking, send = nudge(n)
                await limiter.process_request(send, (), {}, "sendMessage", {}, marking)

        await limiter.initialize()
        await asyncio.gather(*(sender(10 * k) for k in range(4)))
        return went_out, events

    went_out, events = run_in_virtual_time(wave)

    assert len(went_out) == 40
    for n in range(40):
        assert events.count(f"mark {n}") == 1
        assert events.index(f"mark {n}") < events.index(f"send {n}")
    for first, twenty_first in zip(went_out, went_out[20:], strict=False):
        assert twenty_first - first >= 1.0 - 1e-9  # 20 at most in any second
    for earlier, later in pairwise(went_out):
        assert later - earlier >= 0.05 * (1 - 0.5) - 1e-9  # never two slots' sends together


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


def test_a_reply_waits_behind_at_most_the_horizon_of_the_wave() -> None:
    async def wave_and_reply() -> tuple[list[tuple[str, float]], float]:
        limiter = PacedRateLimiter(MemoryLedger(10))
        loop = virtual_loop()
        went_out: list[tuple[str, float]] = []

        def send(kind: str) -> Callable[[], Coroutine[Any, Any, bool]]:
            async def sent() -> bool:
                went_out.append((kind, loop.time()))
                return True

            return sent

        async def wave_sender() -> None:
            for _ in range(20):
                await limiter.process_request(
                    send("bulk"), (), {}, "sendMessage", {}, Priority.BULK
                )

        async def person() -> float:
            await asyncio.sleep(3.01)
            asked = loop.time()
            await limiter.process_request(send("reply"), (), {}, "sendMessage", {}, None)
            return asked

        *_, asked = await asyncio.gather(*(wave_sender() for _ in range(6)), person())
        return went_out, asked

    went_out, asked = run_in_virtual_time(wave_and_reply)

    kinds = [kind for kind, _ in went_out]
    reply = kinds.index("reply")
    ahead = [kind for kind, at in went_out[:reply] if at >= asked]
    assert len(ahead) <= 3  # the horizon (two intervals) and the slot being used
    assert kinds.count("bulk") == 120 and "bulk" in kinds[reply + 1 :]
    # The reply took a slot of the pace, it did not add one: 121 sends, 120 intervals.
    assert went_out[-1][1] - went_out[0][1] == pytest.approx(12.0)
    for (_, earlier), (_, later) in pairwise(went_out):
        assert later - earlier >= 0.1 - 1e-9


def test_paid_broadcasts_go_at_their_own_pace_and_replies_stay_on_the_free_one() -> None:
    async def paid_wave() -> FakeTelegram:
        fake = FakeTelegram(TOKEN, clock=virtual_loop().time)
        fake.rate_limit(30)  # and 1000 a second for paid broadcasts
        limiter = PacedRateLimiter(MemoryLedger(29), paid=MemoryLedger(500, bulk_horizon=inf))
        bot: ExtBot[Priority] = ExtBot(
            TOKEN, request=FakeTelegramRequest(fake), rate_limiter=limiter
        )
        chats = iter(range(1000, 1400))

        async def wave_sender() -> None:
            for chat_id in chats:
                await bot.send_message(
                    chat_id, "A nudge", allow_paid_broadcast=True, rate_limit_args=Priority.BULK
                )

        async def replies() -> None:
            for _ in range(3):
                await bot.send_message(77, "Thanks, saved")

        async with bot:
            await asyncio.gather(*(wave_sender() for _ in range(6)), replies())
        return fake

    fake = run_in_virtual_time(paid_wave)

    assert fake.http_429 == 0
    paid = [call for call in fake.calls_for("sendMessage") if call.chat_id != 77]
    assert len(paid) == 400 and all(call.params["allow_paid_broadcast"] for call in paid)
    assert paid[-1].at - paid[0].at == pytest.approx(399 / 500)  # at the paid pace
    replies = [call.at for call in fake.calls_for("sendMessage") if call.chat_id == 77]
    assert replies[1] - replies[0] == pytest.approx(1 / 29)  # at the free pace, not behind


async def test_sends_go_out_when_the_ledgers_database_is_unreachable() -> None:
    nowhere = Database(f"postgresql://couplet@127.0.0.1:{_free_port()}/couplet")
    limiter = PacedRateLimiter(DatabaseLedger(nowhere, name="free", per_second=1000))
    sent: list[str] = []

    async def send() -> bool:
        sent.append("sent")
        return True

    try:
        for priority in (None, Priority.BULK, None):
            await limiter.process_request(send, (), {}, "sendMessage", {}, priority)
    finally:
        await nowhere.dispose()
    assert sent == ["sent"] * 3
