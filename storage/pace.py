"""The send ledger: the next free send slot of the whole deployment.

Telegram's limit (about 30 messages a second) belongs to the bot token, not to a process.
Every message a process sends first takes a slot from one ledger, and the ledger hands out
slots one interval apart (`1 / per_second`), whoever asks:

- On PostgreSQL the ledger is a row of `send_pace`, and its time is the database's clock
  (`clock_timestamp()`), so the instances' own clocks never matter. Taking a slot is one
  autocommit statement; the process then waits locally for as long as the database said.
  An instance that dies simply stops taking slots: the others get all of them at once.
- On SQLite (one process serves the file) the same ledger lives in memory, on the event
  loop's clock.

People before bulk: a person's send (a reply, a reveal, a partner notice) always takes the
next free slot. A bulk send (the wave's nudges and follow-ups) takes one only while the
ledger is booked at most `bulk_horizon` ahead; otherwise it is told when to ask again. So
a reply waits behind at most about the horizon of bulk sends, on any instance.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import Database, insert_ignoring_conflicts
from storage.models import SendPace
from storage.types import UTCDateTime

# A bulk send takes a slot only while the ledger is booked at most this many intervals ahead.
BULK_HORIZON_INTERVALS = 2.0


@dataclass(frozen=True, slots=True)
class Booking:
    """A ledger's answer. `taken`: a slot is yours, `wait` seconds from now (0 or less: now).
    Not `taken` (bulk only, the ledger is booked beyond the horizon): ask again in `wait`.
    `at` is the same instant in seconds on the ledger's own clock (the event loop's, or the
    database's as a Unix time): what tests compare across instances."""

    taken: bool
    wait: float
    at: float


class Ledger(Protocol):
    """Where the slots of one pace are taken (in memory, or in the database)."""

    @property
    def per_second(self) -> float: ...

    async def book(self, *, bulk: bool) -> Booking:
        """Takes the next free slot (bulk: only within the horizon)."""
        ...

    async def hold(self, seconds: float) -> None:
        """No slot for anyone in the next `seconds` (Telegram answered 429)."""
        ...


class MemoryLedger:
    """The ledger of one process, on the event loop's clock (SQLite; and the stand-in while
    the database's ledger cannot be reached)."""

    def __init__(self, per_second: float, *, bulk_horizon: float | None = None) -> None:
        """`bulk_horizon`: in intervals (default `BULK_HORIZON_INTERVALS`); `math.inf`: bulk
        books like a person (a pace only bulk uses)."""
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self.interval = 1.0 / per_second
        intervals = BULK_HORIZON_INTERVALS if bulk_horizon is None else bulk_horizon
        self.horizon = intervals * self.interval
        self._next_slot = -math.inf

    async def book(self, *, bulk: bool) -> Booking:
        now = asyncio.get_running_loop().time()
        if bulk and self._next_slot > now + self.horizon:
            again = self._next_slot - self.horizon
            return Booking(taken=False, wait=again - now, at=again)
        slot = max(self._next_slot, now)
        self._next_slot = slot + self.interval
        return Booking(taken=True, wait=slot - now, at=slot)

    async def hold(self, seconds: float) -> None:
        now = asyncio.get_running_loop().time()
        self._next_slot = max(self._next_slot, now + seconds)


# The slot taken (if any) and the ledger as it was, in one statement. `taken` is the
# UPDATE; the outer SELECT reads the row as the statement found it (the snapshot before the
# update), which only matters when nothing was taken: then it says until when it is booked.
_BOOK = """
WITH taken AS (
    UPDATE send_pace
    SET next_slot = GREATEST(next_slot, clock_timestamp()) + make_interval(secs => :interval)
    WHERE name = :name{bulk_condition}
    RETURNING next_slot
)
SELECT (SELECT next_slot FROM taken) AS taken_until,
       next_slot AS booked_until,
       clock_timestamp() AS now
FROM send_pace
WHERE name = :name
"""
_WITHIN_HORIZON = " AND next_slot <= clock_timestamp() + make_interval(secs => :horizon)"
_HOLD = """
UPDATE send_pace
SET next_slot = GREATEST(next_slot, clock_timestamp() + make_interval(secs => :pause))
WHERE name = :name
"""
_COLUMNS = {"taken_until": UTCDateTime, "booked_until": UTCDateTime, "now": UTCDateTime}
_BOOK_PERSON = text(_BOOK.format(bulk_condition="")).columns(**_COLUMNS)
_BOOK_BULK = text(_BOOK.format(bulk_condition=_WITHIN_HORIZON)).columns(**_COLUMNS)


class LedgerUnavailable(Exception):
    """The database's ledger could not be reached (the database error is its cause)."""


class DatabaseLedger:
    """The ledger every instance on one PostgreSQL database shares: the row `name` of
    `send_pace`. Each statement commits on its own (the row is locked for one statement,
    never across a round trip). A database error reaches the caller as LedgerUnavailable,
    and the caller paces locally."""

    def __init__(
        self,
        database: Database,
        *,
        name: str,
        per_second: float,
        bulk_horizon: float | None = None,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        if database.is_sqlite:
            raise ValueError("SQLite serves one process: use a MemoryLedger")
        self.per_second = per_second
        self.name = name
        self.interval = 1.0 / per_second
        intervals = BULK_HORIZON_INTERVALS if bulk_horizon is None else bulk_horizon
        self.horizon = intervals * self.interval
        self._engine: AsyncEngine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._row_exists = False

    async def book(self, *, bulk: bool) -> Booking:
        bulk = bulk and math.isfinite(self.horizon)
        statement = _BOOK_BULK if bulk else _BOOK_PERSON
        parameters = {"name": self.name, "interval": self.interval}
        if bulk:
            parameters["horizon"] = self.horizon
        try:
            async with self._engine.connect() as connection:
                if not self._row_exists:
                    await self._create_row(connection)
                row = (await connection.execute(statement, parameters)).one()
        except (SQLAlchemyError, OSError) as error:
            raise LedgerUnavailable from error
        now = row.now.timestamp()
        if row.taken_until is not None:
            slot = row.taken_until.timestamp() - self.interval
            return Booking(taken=True, wait=slot - now, at=slot)
        again = row.booked_until.timestamp() - self.horizon
        return Booking(taken=False, wait=again - now, at=again)

    async def hold(self, seconds: float) -> None:
        try:
            async with self._engine.connect() as connection:
                if not self._row_exists:
                    await self._create_row(connection)
                await connection.execute(text(_HOLD), {"name": self.name, "pause": seconds})
        except (SQLAlchemyError, OSError) as error:
            raise LedgerUnavailable from error

    async def _create_row(self, connection: AsyncConnection) -> None:
        """The ledger's row, free from now (kept if another instance made it first)."""
        await connection.execute(
            insert_ignoring_conflicts("postgresql", SendPace, ["name"]).values(
                name=self.name, next_slot=func.clock_timestamp()
            )
        )
        self._row_exists = True
