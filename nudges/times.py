"""Reading the times people type ("7:30", "07:30", "7:30am", "19:05", "7 pm")."""

from __future__ import annotations

import re
from datetime import time

_TIME = re.compile(
    r"""^\s*
    (?P<hour>\d{1,2})
    (?:\s*[:.h]\s*(?P<minute>\d{2}))?
    \s*(?P<half>a\.?m\.?|p\.?m\.?)?
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def parse_time_of_day(text: str) -> time | None:
    """The local time of day in `text`, or None when it is not one.

    Accepts 24-hour times (`7:30`, `07:30`, `19:05`, `7.30`, `7h30`) and 12-hour times
    (`7:30am`, `7 pm`, `12am`). A bare hour needs am/pm, or is read as a whole hour
    (`7` is 07:00).
    """
    match = _TIME.match(text)
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "").lower()
    if minute > 59:
        return None
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour > 23:
        return None
    return time(hour, minute)


def format_time_of_day(value: time) -> str:
    """`07:30`: how the bot shows a nudge time."""
    return f"{value.hour:02d}:{value.minute:02d}"
