"""Outages of the parts the bot stands on, logged in one place and not once per failure.

While PostgreSQL restarts, the dispatcher ticks five times a second and every update
fails the same way; while Telegram is away, every poll and send does. One line every so
often says what is wrong (and how many failures it stands for); the process carries on,
and each feature's own retry (the next tick, Telegram's redelivery, the user's resend)
brings the work through once the part is back.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from enum import Enum

from telegram.error import BadRequest, NetworkError

from storage.outage import is_full, is_unreachable

log = logging.getLogger(__name__)


class Outage(Enum):
    DATABASE_UNREACHABLE = "the database is unreachable; waiting for it to come back"
    DATABASE_FULL = "the database is full: nothing new can be stored until there is room"
    TELEGRAM_UNREACHABLE = "the Telegram Bot API is unreachable; retrying"


@dataclass
class _Throttle:
    level: int
    every: float  # seconds between two lines at most once
    last: float | None = None
    unlogged: int = 0


_THROTTLES = {
    Outage.DATABASE_UNREACHABLE: _Throttle(logging.WARNING, 10.0),
    Outage.DATABASE_FULL: _Throttle(logging.ERROR, 60.0),
    Outage.TELEGRAM_UNREACHABLE: _Throttle(logging.WARNING, 10.0),
}


def outage_of(error: BaseException) -> Outage | None:
    """Which outage `error` comes from, or None (a bug, or a refusal meant for one call)."""
    if isinstance(error, NetworkError):  # 5xx, timeouts, connections; BadRequest is a 400
        return None if isinstance(error, BadRequest) else Outage.TELEGRAM_UNREACHABLE
    if is_full(error):
        return Outage.DATABASE_FULL
    if is_unreachable(error):
        return Outage.DATABASE_UNREACHABLE
    return None


def report(error: BaseException) -> Outage | None:
    """Logs `error` if it is an outage, at most one line per outage kind per period (no
    traceback: the kind says it all), and says which; None if it is not one."""
    outage = outage_of(error)
    if outage is None:
        return None
    throttle = _THROTTLES[outage]
    now = time.monotonic()
    if throttle.last is not None and now - throttle.last < throttle.every:
        throttle.unlogged += 1
        return outage
    since = f", {throttle.unlogged} more failures since the last line" if throttle.unlogged else ""
    log.log(throttle.level, "%s (%s%s)", outage.value, _describe(error), since)
    throttle.last, throttle.unlogged = now, 0
    return outage


def _describe(error: BaseException) -> str:
    """What failed, in a few words: never SQL, parameters or message texts."""
    if isinstance(error, NetworkError):
        return error.message
    root: BaseException = error
    while True:
        inner = getattr(root, "orig", None) or root.__cause__
        if not isinstance(inner, BaseException):
            break
        root = inner
    if isinstance(root, sqlite3.Error):
        return str(getattr(root, "sqlite_errorname", type(root).__name__))
    if isinstance(root, OSError):
        return f"{type(root).__name__}: {root.strerror or root}"
    return type(root).__name__
