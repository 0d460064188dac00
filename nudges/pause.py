"""Reading `/pause` lengths ("3d", "2 weeks", "until friday", "until 24.12.") as whole days.

A pause is modelled by `resume_on`, the first local date on which nudges come back. Today is
always a parameter; nothing here reads a clock.
"""

from __future__ import annotations

import calendar
import re
from datetime import MAXYEAR, date, datetime, time, timedelta
from enum import StrEnum

from nudges.schedule import local_instant
from nudges.zones import zone as zone_info

MAX_PAUSE_DAYS = 90

_WEEKDAYS = {
    name: number
    for number, names in enumerate(
        (
            ("monday", "mon"),
            ("tuesday", "tue"),
            ("wednesday", "wed"),
            ("thursday", "thu"),
            ("friday", "fri"),
            ("saturday", "sat"),
            ("sunday", "sun"),
        )
    )
    for name in names
}

# Matched against the text with its spacing collapsed to single spaces (ASCII only, so
# look-alike digits and letters from other scripts are not read as numbers or units).
_FLAGS = re.ASCII | re.IGNORECASE
_LENGTH = re.compile(r"(?P<count>[0-9]+) ?(?P<unit>d|days?|w|weeks?)", _FLAGS)
_UNTIL = r"(?:(?:until|till) )?"
_ISO = re.compile(_UNTIL + r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})", _FLAGS)
_DOTTED = re.compile(
    _UNTIL + r"(?P<day>[0-9]{1,2})\.(?P<month>[0-9]{1,2})(?:\.(?P<year>[0-9]{4})?)?", _FLAGS
)
_WEEKDAY = re.compile(_UNTIL + r"(?P<weekday>[a-z]+)", _FLAGS)
_TOMORROW = re.compile(_UNTIL + r"tomorrow", _FLAGS)


class PauseProblem(StrEnum):
    """Why a `/pause` argument was refused."""

    NOT_UNDERSTOOD = "not_understood"
    IN_THE_PAST = "in_the_past"  # the date is today or earlier: nothing to pause
    TOO_LONG = "too_long"  # more than MAX_PAUSE_DAYS days


class PauseError(ValueError):
    """What someone typed after /pause is not a pause we can set; `problem` says why."""

    problem: PauseProblem

    def __init__(self, problem: PauseProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_pause(text: str, *, today: date) -> date:
    """The local date nudges come back on, for what someone typed after /pause.

    Accepts `3d`, `3 days`, `1w`, `2 weeks`, `until 2026-12-24`, `until 24.12.`,
    `until 24.12.2026`, `until friday`, `until tomorrow` (any case and spacing; `till` for
    `until`, which may be left out before a date or weekday). Raises PauseError.
    """
    try:
        resume_on = _read(" ".join(text.split()), today)
    except (ValueError, OverflowError):
        resume_on = None
    if resume_on is None:
        raise PauseError(PauseProblem.NOT_UNDERSTOOD)
    if resume_on <= today:
        raise PauseError(PauseProblem.IN_THE_PAST)
    if (resume_on - today).days > MAX_PAUSE_DAYS:
        raise PauseError(PauseProblem.TOO_LONG)
    return resume_on


def pause_ends_at(resume_on: date, zone_name: str) -> datetime:
    """The UTC instant the pause ends: the start of `resume_on` in that zone (DST-safe)."""
    return local_instant(resume_on, time(0, 0), zone_info(zone_name))


def last_paused_day(resume_on: date) -> date:
    """The last local date without nudges: the day before `resume_on`."""
    return resume_on - timedelta(days=1)


def _read(text: str, today: date) -> date | None:
    """The date `text` names, or None; may raise ValueError/OverflowError on nonsense."""
    if match := _LENGTH.fullmatch(text):
        count = int(match["count"])
        if count < 1:
            return None
        days = count * 7 if match["unit"].lower().startswith("w") else count
        return today + timedelta(days=days)
    if _TOMORROW.fullmatch(text):
        return today + timedelta(days=1)
    if match := _ISO.fullmatch(text):
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    if match := _DOTTED.fullmatch(text):
        day, month = int(match["day"]), int(match["month"])
        if match["year"] is not None:
            return date(int(match["year"]), month, day)
        return _next_occurrence(day, month, today)
    if (match := _WEEKDAY.fullmatch(text)) and (
        weekday := _WEEKDAYS.get(match["weekday"].lower())
    ) is not None:
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return None


def _next_occurrence(day: int, month: int, today: date) -> date:
    """The first date after `today` with this day and month (29.02. waits for a leap year)."""
    date(2000, month, day)  # raises ValueError for a day that no year has, like 31.02.
    for year in range(today.year, min(today.year + 9, MAXYEAR + 1)):  # a leap year within 8
        if calendar.isleap(year) or (month, day) != (2, 29):
            candidate = date(year, month, day)
            if candidate > today:
                return candidate
    raise ValueError("no such date after today")
