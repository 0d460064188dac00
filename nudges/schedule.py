"""When a nudge is due: local time, IANA zone, pause and nudge days, DST-correct.

Every function takes the current instant as a parameter; nothing here reads a clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nudges.zones import zone as zone_info

EVERY_DAY: frozenset[int] = frozenset(range(7))  # Monday = 0 … Sunday = 6
CATCH_UP = timedelta(hours=3)
_SEARCH_DAYS = 400


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `at` on local `day`.

    A time that does not exist that day (spring forward) gives the first valid minute after
    it, the moment the clocks jump; a time that occurs twice (fall back) gives the first.
    """
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if _round_trips(first, wall):
        return first.astimezone(UTC)
    if _round_trips(second, wall):
        return second.astimezone(UTC)
    # In a gap: the jump happens between the two readings; find its first minute.
    early = min(first.astimezone(UTC), second.astimezone(UTC))
    late = max(first.astimezone(UTC), second.astimezone(UTC))
    while early < late:
        if early.astimezone(zone).replace(tzinfo=None) >= wall:
            return early
        early += timedelta(minutes=1)
    return late


def _round_trips(candidate: datetime, wall: datetime) -> bool:
    return candidate.astimezone(UTC).astimezone(candidate.tzinfo).replace(tzinfo=None) == wall


def local_date(instant: datetime, zone_name: str) -> date:
    """The local calendar date of `instant` in a zone."""
    return instant.astimezone(zone_info(zone_name)).date()


def next_due(
    *,
    after: datetime,
    at: time,
    zone_name: str,
    last_local_date: date | None = None,
    paused_until: datetime | None = None,
    weekdays: frozenset[int] = EVERY_DAY,
) -> datetime | None:
    """The first nudge instant strictly after `after`, or None if no day qualifies.

    A day qualifies when it comes after `last_local_date` (at most one nudge per local
    date), is one of the user's `weekdays`, and its nudge instant is not inside a pause
    (before `paused_until`).
    """
    if after.tzinfo is None:
        raise ValueError("`after` must be aware")
    if not weekdays:
        return None
    zone = zone_info(zone_name)
    start = after
    if paused_until is not None and paused_until > start:
        start = paused_until
    day = start.astimezone(zone).date() - timedelta(days=1)
    if last_local_date is not None and day <= last_local_date:
        day = last_local_date + timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        if day.weekday() in weekdays:
            instant = local_instant(day, at, zone)
            if instant > after and (paused_until is None or instant >= paused_until):
                return instant
        day += timedelta(days=1)
    return None


def is_too_late(due: datetime, now: datetime, catch_up: timedelta = CATCH_UP) -> bool:
    """A nudge that fell due more than `catch_up` ago is skipped, not sent late."""
    return now - due > catch_up


FOLLOW_UP_AFTER = timedelta(hours=8)
FOLLOW_UP_LAST_LOCAL_TIME = time(21, 0)


def follow_up_instant(sent: datetime, zone_name: str) -> datetime | None:
    """When to send the one gentle follow-up for a nudge sent at `sent`: 8 hours later, if
    that is still the same local day and before 21:00 there; otherwise never."""
    zone = zone_info(zone_name)
    later = sent + FOLLOW_UP_AFTER
    local_later = later.astimezone(zone)
    if local_later.date() != sent.astimezone(zone).date():
        return None
    if local_later.time() >= FOLLOW_UP_LAST_LOCAL_TIME:
        return None
    return later


WEEKDAYS_ONLY: frozenset[int] = frozenset(range(5))
WEEKENDS_ONLY: frozenset[int] = frozenset({5, 6})


def weekdays_from_mask(mask: int) -> frozenset[int]:
    """Bit n set = a nudge on weekday n (Monday = 0)."""
    return frozenset(day for day in range(7) if mask >> day & 1)


def mask_from_weekdays(days: frozenset[int]) -> int:
    return sum(1 << day for day in days if 0 <= day < 7)
