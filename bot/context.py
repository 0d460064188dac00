"""What every handler can reach: settings, the database, the clock (typed, no string keys)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.config import Settings
from storage.db import Database

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


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock = system_clock
    bot_username: str = ""


class BotData:
    """The application's `bot_data`: `services` is set by `build_application`."""

    services: Services


Context = CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def services(context: Context) -> Services:
    return context.bot_data.services
