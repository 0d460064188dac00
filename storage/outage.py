"""Telling an outage of the database from a bug: unreachable (PostgreSQL stopped, the
network to it down) or full (the disk under SQLite or PostgreSQL has no room left).

Errors reach the bot wrapped in several layers (SQLAlchemy's `DBAPIError` around the
driver's error, which may itself have been raised from an `OSError`): the chain of causes
is looked at (not what happened to be handled when the error came).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator

import asyncpg
from sqlalchemy.exc import DBAPIError

_POSTGRES_UNREACHABLE = (
    asyncpg.PostgresConnectionError,  # refused, lost, "the database system is starting up"
    asyncpg.ConnectionDoesNotExistError,  # the connection closed under a query
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)


def is_unreachable(error: BaseException) -> bool:
    """The database server cannot be reached just now: the work may be tried again later."""
    for link in _chain(error):
        if isinstance(link, DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(link, _POSTGRES_UNREACHABLE):
            return True
        if isinstance(link, OSError) and link.errno != errno.ENOSPC:
            return True  # refused, reset, timed out: the connect or the socket under it
    return False


def is_full(error: BaseException) -> bool:
    """The database (or the disk under it) has no room for what was to be written."""
    for link in _chain(error):
        if isinstance(link, sqlite3.Error) and (
            getattr(link, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL
        ):
            return True
        if isinstance(link, asyncpg.DiskFullError):
            return True
        if isinstance(link, OSError) and link.errno == errno.ENOSPC:
            return True
    return False


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, the driver's error inside it, and what each was raised from."""
    seen: set[int] = set()
    waiting: list[BaseException | None] = [error]
    while waiting:
        link = waiting.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        orig = link.orig if isinstance(link, DBAPIError) else None
        waiting.extend((link.__cause__, orig))
