"""The clock: a parameter everywhere, so tests can move time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
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
