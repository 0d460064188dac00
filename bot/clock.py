"""The clock: a parameter everywhere, so tests can move time."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, aware UTC. Handlers and logic take the clock as a parameter."""
    return datetime.now(UTC)


def file_clock(path: Path) -> Clock:
    """A clock that reads an ISO instant from `path` (end-to-end tests move time this way).

    Enabled only by `COUPLET_TEST_CLOCK_FILE`; while the file is absent it is the real time.
    """

    def now() -> datetime:
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return system_clock()
        return datetime.fromisoformat(text).astimezone(UTC)

    return now


MAX_DEMO_OFFSET = 10 * 366 * 86400  # seconds: ten years of time travel is plenty


def demo_clock(path: Path, real: Clock = system_clock) -> Clock:
    """The playground's clock (`make demo`, DEMO_CLOCK_FILE): the real time plus the number
    of seconds written in `path`, which the playground raises to travel in time.

    The offset only moves forward: a smaller number than one already read, a missing file
    or one that is not a number leaves the offset where it was, so the bot never sees time
    go back (more than ten years ahead counts as ten)."""
    furthest = timedelta(0)

    def now() -> datetime:
        nonlocal furthest
        try:
            seconds = float(path.read_text(encoding="utf-8").strip())
        except (FileNotFoundError, ValueError):
            seconds = 0.0
        if math.isfinite(seconds) and seconds > furthest.total_seconds():
            furthest = timedelta(seconds=min(seconds, MAX_DEMO_OFFSET))
        return real() + furthest

    return now
