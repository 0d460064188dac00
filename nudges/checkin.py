"""The weekly check-in and "on this day": when things are due, and what the answers mean.

Pure rules: the clock is always a parameter, nothing here reads one or touches storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from nudges.schedule import local_instant
from nudges.zones import zone as zone_info

DEFAULT_WEEKDAY = 6  # Sunday (Monday = 0)
DEFAULT_TIME = time(19, 0)
OFFER_AFTER = timedelta(weeks=2)  # the check-in is offered after the pair's second week
GENTLE_AFTER = 2  # one partner "a bit far" (or further) this many check-ins in a row
COUNSELLOR_AFTER = 4  # both partners so, this many check-ins in a row
MEMORY_EVERY = timedelta(days=7)  # at most one "on this day" a week per pair


class Feeling(StrEnum):
    """How connected someone felt this week (shown as words, never as a score)."""

    VERY_CLOSE = "very_close"
    CLOSE = "close"
    OKAY = "okay"
    A_BIT_FAR = "a_bit_far"
    FAR_APART = "far_apart"


FEELINGS: tuple[Feeling, ...] = tuple(Feeling)
_BY_VALUE = {feeling.value: feeling for feeling in Feeling}


def feeling_of(value: str | None) -> Feeling | None:
    """The feeling a stored (or button) value names; None for anything else."""
    return _BY_VALUE.get(value) if value is not None else None


FAR: frozenset[Feeling] = frozenset({Feeling.A_BIT_FAR, Feeling.FAR_APART})


def next_checkin(*, after: datetime, weekday: int, at: time, zone_name: str) -> datetime:
    """The first check-in instant strictly after `after`: `weekday` at `at`, local time in
    the zone (DST-correct as the daily nudge: a missing time gives the jump's minute)."""
    if after.tzinfo is None:
        raise ValueError("`after` must be aware")
    if not 0 <= weekday <= 6:
        raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
    zone = zone_info(zone_name)
    day = after.astimezone(zone).date() - timedelta(days=1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    while True:
        instant = local_instant(day, at, zone)
        if instant > after:
            return instant
        day += timedelta(days=7)


def first_offer(*, paired_at: datetime, now: datetime, zone_name: str) -> datetime:
    """When the check-in is offered to a partner: the first default check-in time (Sunday
    19:00 in their zone) once the pair's second week is over, and not before `now`."""
    after = max(paired_at + OFFER_AFTER, now)
    return next_checkin(after=after, weekday=DEFAULT_WEEKDAY, at=DEFAULT_TIME, zone_name=zone_name)


def far_in_a_row(feelings: Sequence[Feeling | None], times: int = GENTLE_AFTER) -> bool:
    """Whether the latest `times` check-ins (newest first; None for a missed one) were all
    "a bit far" or further. A missed check-in breaks the row."""
    latest = list(feelings[:times])
    return len(latest) == times and all(f is not None and f in FAR for f in latest)


def both_far_for(
    mine: Sequence[Feeling | None],
    theirs: Sequence[Feeling | None],
    times: int = COUNSELLOR_AFTER,
) -> bool:
    """Whether both partners felt far for their latest `times` check-ins."""
    return far_in_a_row(mine, times) and far_in_a_row(theirs, times)


class Ago(StrEnum):
    YEAR = "year"
    SIX_MONTHS = "six_months"
    MONTH = "month"


def months_before(day: date, months: int) -> date | None:
    """The same day of the month `months` earlier; None when that month has no such day
    (31 March has no "exactly one month ago")."""
    index = day.year * 12 + day.month - 1 - months
    try:
        return date(index // 12, index % 12 + 1, day.day)
    except ValueError:
        return None


def memory_days(today: date) -> list[tuple[Ago, date]]:
    """The past days "on this day" may bring back, the rarest first: a year, six months,
    a month ago (those that exist)."""
    found = []
    for ago, months in ((Ago.YEAR, 12), (Ago.SIX_MONTHS, 6), (Ago.MONTH, 1)):
        day = months_before(today, months)
        if day is not None:
            found.append((ago, day))
    return found


def ago_of(today: date, day: date) -> Ago | None:
    """How long before `today` the memory `day` is, if it is one of `memory_days`."""
    return next((ago for ago, past in memory_days(today) if past == day), None)


def may_offer_memory(last_offered_on: date | None, today: date) -> bool:
    """At most one memory a week per pair (the same day counts as the same offer: both
    partners' morning messages of that date carry it)."""
    if last_offered_on is None or last_offered_on == today:
        return True
    return today - last_offered_on >= MEMORY_EVERY
