"""What every handler can reach: settings, the database, the clock (typed, no string keys)."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.exports import MAX_UPLOAD
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    database: Database
    clock: Clock
    dispatcher: Dispatcher
    bot_username: str = ""
    export_file_limit: int = MAX_UPLOAD  # bytes of one /export file; larger ones are split


class BotData:
    """The application's `bot_data`: `services` is set by `build_application`."""

    services: Services


class Context(CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]):
    """The context PTB hands every handler (typed `bot_data`; see `services`)."""


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)


def services(context: Context) -> Services:
    return context.bot_data.services
