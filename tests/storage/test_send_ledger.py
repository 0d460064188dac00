"""The send ledger, as three instances see it: one pace for all, people before bulk, a dead
instance leaves nothing behind, a 429 pauses everyone.

On PostgreSQL each "instance" is a ledger on its own `Database` (its own connections) on one
database; in memory (SQLite: one process) the three are one ledger. Nothing here sleeps or
reads a wall clock: the pace is slow (one slot in ten seconds), so every slot taken in a test
lies in the future, and the slots the ledgers hand out are compared by counting intervals.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from itertools import pairwise

import pytest

from storage.db import Database
from storage.migrate import upgrade_to_head
from storage.pace import Booking, DatabaseLedger, Ledger, MemoryLedger
from testbed.postgres import PostgresServer

PER_SECOND = 0.1  # one slot in ten seconds: a test takes them all long before the first
INTERVAL = 1 / PER_SECOND
EXACT = 1e-5  # seconds: the database keeps microseconds, the slots are Unix times


@pytest.fixture(params=["memory", pytest.param("postgresql", marks=pytest.mark.postgresql)])
async def instances(request: pytest.FixtureRequest) -> AsyncIterator[list[Ledger]]:
    if request.param == "memory":
        ledger = MemoryLedger(PER_SECOND)
        yield [ledger, ledger, ledger]
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    databases = [Database(url) for _ in range(3)]
    await upgrade_to_head(databases[0])
    yield [DatabaseLedger(database, name="free", per_second=PER_SECOND) for database in databases]
    for database in databases:
        await database.dispose()


def assert_one_interval_apart(bookings: list[Booking]) -> None:
    """Every slot one interval after the one before: none closer, and no gap either."""
    slots = sorted(booking.at for booking in bookings)
    for earlier, later in pairwise(slots):
        assert later - earlier == pytest.approx(INTERVAL, abs=EXACT)


async def test_three_instances_taking_at_once_get_slots_one_interval_apart(
    instances: list[Ledger],
) -> None:
    bookings = await asyncio.gather(
        *(ledger.book(bulk=False) for _ in range(10) for ledger in instances)
    )
    assert all(booking.taken for booking in bookings)
    assert len({round(booking.at, 4) for booking in bookings}) == 30
    assert_one_interval_apart(bookings)


async def test_an_instance_that_stops_taking_leaves_no_gap_for_the_others(
    instances: list[Ledger],
) -> None:
    first, second, _ = instances
    bookings = [await ledger.book(bulk=False) for _ in range(3) for ledger in instances]
    # The third is SIGKILLed here: it simply takes no more slots.
    for _ in range(6):
        bookings += [await first.book(bulk=False), await second.book(bulk=False)]
    assert_one_interval_apart(bookings)  # the survivors' slots follow on at the full pace


async def test_bulk_waits_beyond_the_horizon_and_a_person_goes_first(
    instances: list[Ledger],
) -> None:
    wave, person, other_wave = instances
    bulk = [await wave.book(bulk=True) for _ in range(5)]
    taken = [booking for booking in bulk if booking.taken]
    refused = [booking for booking in bulk if not booking.taken]
    # Bulk books two intervals ahead at most, then is told to come back.
    assert 2 <= len(taken) <= 3
    assert refused
    assert_one_interval_apart(taken)

    reply = await person.book(bulk=False)
    assert reply.taken
    assert reply.at == pytest.approx(max(b.at for b in taken) + INTERVAL, abs=EXACT)

    later = await other_wave.book(bulk=True)
    assert not later.taken  # another instance's bulk waits too
    # It may ask again once the ledger is back within the horizon: after the reply's slot.
    assert later.at == pytest.approx(reply.at + INTERVAL - 2 * INTERVAL, abs=EXACT)
    assert later.wait > 0


async def test_a_429_heard_by_one_instance_pauses_them_all(instances: list[Ledger]) -> None:
    told, other, third = instances
    before = await other.book(bulk=False)
    await told.hold(120)
    after = [await other.book(bulk=False), await third.book(bulk=False)]
    assert all(booking.wait >= 120 - 1 for booking in after)
    assert min(booking.at for booking in after) >= before.at + 120 - 1
    assert_one_interval_apart(after)
