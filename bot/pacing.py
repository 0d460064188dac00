"""One pace for every message the deployment sends, so it stays under Telegram's limits,
and people before bulk.

Telegram allows about 30 messages a second per bot token and answers 429 (`RetryAfter`)
beyond that. Every message-sending call first takes a slot from the send ledger
(storage/pace.py): on PostgreSQL one row every instance shares, on SQLite one process's
memory. Slots are one interval apart for the whole deployment, whichever instance asks.

- People before bulk: a call made with `rate_limit_args=Priority.BULK` (the wave's nudges
  and follow-ups, bot/dispatch.py) takes a slot only while the ledger is booked at most a
  short horizon ahead; every other call (a reply, a reveal, a button's result, a partner
  notice) takes the next slot at once. Within a process, one bulk send asks at a time.
- A bulk send may ask for something to be done at its slot, just before its request goes
  out (`BulkSend.at_slot`): the wave marks its nudge `sending` there, so a crash while it
  waits for its slot leaves the nudge claimed, for another instance to send.
- A stall (a GC pause, a slow step holding the event loop, a slow `at_slot`) never becomes
  a burst: a slot not used within half an interval of its time is given up and a new one
  taken.
- 429: the pause Telegram asks for is written to the ledger, so every instance pauses;
  then the call is tried again (a few times at most).
- A ledger in the database that cannot be reached never loses a send: that send is paced
  by this process's own ledger in memory, and the outage is logged now and then.
- Paid broadcasts (`allow_paid_broadcast`, PAID_BROADCAST=true) have a pace of their own.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot import outages
from storage.db import Database
from storage.pace import Booking, DatabaseLedger, Ledger, LedgerUnavailable, MemoryLedger

log = logging.getLogger(__name__)

SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "sendDocument",
        "sendPhoto",
        "sendVoice",
        "sendVideo",
        "sendVideoNote",
        "sendAudio",
        "sendAnimation",
        "sendSticker",
        "forwardMessage",
    }
)
# A slot is used at most this many intervals after its time, or given up for a new one.
LATE_SLOT_INTERVALS = 0.5
# A bulk send told to ask again waits at least this long (never a busy loop on the ledger).
BULK_RETRY_AT_LEAST = 0.001
# How long taking a slot from the database may take before this send is paced locally.
LEDGER_PATIENCE_SECONDS = 1.0


class Priority(Enum):
    """Passed as `rate_limit_args`: who a message is for. None (the default) is a person."""

    PERSON = "person"
    BULK = "bulk"


@dataclass(frozen=True)
class BulkSend:
    """Passed as `rate_limit_args`: a bulk send that runs `at_slot` once its slot has come,
    just before its request goes out. If `at_slot` raises, nothing is sent and the error
    reaches the caller."""

    at_slot: Callable[[], Awaitable[None]] = field(repr=False)


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB gives an int or a timedelta)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Lane:
    """One pace: its ledger, the local stand-in for it, and the turn bulk senders take."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.interval = 1.0 / ledger.per_second
        self._local = ledger if isinstance(ledger, MemoryLedger) else None
        self._bulk_turn = asyncio.Lock()

    async def wait_for_slot(
        self, *, bulk: bool, at_slot: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Returns at this send's slot (never more than half an interval after it), having
        run `at_slot` (once) when the first slot came."""
        loop = asyncio.get_running_loop()
        while True:
            if bulk:
                async with self._bulk_turn:
                    at = await self._take_bulk_slot()
            else:
                at = loop.time() + (await self._book(bulk=False)).wait
            if at > loop.time():
                await asyncio.sleep(at - loop.time())
            if at_slot is not None:
                await at_slot()
                at_slot = None
            if loop.time() <= at + LATE_SLOT_INTERVALS * self.interval:
                return
            log.debug("a send slot passed while the event loop was busy; taking another")

    async def _take_bulk_slot(self) -> float:
        """The loop time of a bulk slot, asking again whenever the ledger is booked ahead."""
        loop = asyncio.get_running_loop()
        while True:
            booking = await self._book(bulk=True)
            if booking.taken:
                return loop.time() + booking.wait
            await asyncio.sleep(max(booking.wait, BULK_RETRY_AT_LEAST))

    async def _book(self, *, bulk: bool) -> Booking:
        try:
            async with asyncio.timeout(LEDGER_PATIENCE_SECONDS):
                return await self.ledger.book(bulk=bulk)
        except (LedgerUnavailable, TimeoutError) as error:
            self._report(error)
            return await self._fallback().book(bulk=bulk)

    async def hold(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(LEDGER_PATIENCE_SECONDS):
                await self.ledger.hold(seconds)
        except (LedgerUnavailable, TimeoutError) as error:
            self._report(error)
        if self._local is not None and self._local is not self.ledger:
            await self._local.hold(seconds)

    def _fallback(self) -> MemoryLedger:
        if self._local is None:
            self._local = MemoryLedger(self.ledger.per_second)
        return self._local

    @staticmethod
    def _report(error: BaseException) -> None:
        if outages.report(error) is None:
            log.warning(
                "the send ledger failed (%s); this send is paced locally", type(error).__name__
            )


class PacedRateLimiter(BaseRateLimiter[Priority | BulkSend]):
    """Message sends paced by the deployment's ledger, people before bulk, paid broadcasts
    by their own ledger; retries after a 429 (see the module docstring)."""

    def __init__(self, ledger: Ledger, *, paid: Ledger | None = None, max_retries: int = 3) -> None:
        self._free = _Lane(ledger)
        self._paid = _Lane(paid) if paid is not None else None
        self._max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Priority | BulkSend | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in SENDING_METHODS:
            return await callback(*args, **kwargs)
        paid = self._paid is not None and bool(data.get("allow_paid_broadcast"))
        lane = self._paid if paid and self._paid is not None else self._free
        bulk = rate_limit_args is Priority.BULK or isinstance(rate_limit_args, BulkSend)
        at_slot = rate_limit_args.at_slot if isinstance(rate_limit_args, BulkSend) else None
        attempt = 0
        while True:
            await lane.wait_for_slot(bulk=bulk, at_slot=at_slot)
            at_slot = None
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                attempt += 1
                if attempt > self._max_retries:
                    raise
                wait = retry_seconds(error)
                log.warning("Telegram asked to slow down: pausing sends for %.1f s", wait)
                await lane.hold(wait)


def pace_for(
    database: Database | None, per_second: float, *, paid_per_second: float | None = None
) -> PacedRateLimiter:
    """The pace of a deployment on `database`: shared through the database on PostgreSQL,
    in this process's memory on SQLite (or without a database). `paid_per_second`: paid
    broadcasts' own pace."""

    def ledger(name: str, rate: float, bulk_horizon: float | None) -> Ledger:
        if database is None or database.is_sqlite:
            return MemoryLedger(rate, bulk_horizon=bulk_horizon)
        return DatabaseLedger(database, name=name, per_second=rate, bulk_horizon=bulk_horizon)

    # Only the wave's bulk sends are paid broadcasts: their pace has no horizon to keep.
    paid = ledger("paid", paid_per_second, math.inf) if paid_per_second else None
    return PacedRateLimiter(ledger("free", per_second, None), paid=paid)
