"""What every handler can reach: settings, the database, the clock (typed, no string keys)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.dispatch import Dispatcher
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    dispatcher: Dispatcher
    bot_username: str = ""


class BotData:
    """The application's `bot_data`: `services` is set by `build_application`."""

    services: Services


Context = CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def services(context: Context) -> Services:
    return context.bot_data.services
