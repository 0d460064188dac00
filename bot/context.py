"""What every handler can reach: settings, the database, the clock (typed, no string keys)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.exports import MAX_UPLOAD
from storage.db import Database
from storage.models import User


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
    """PTB builds one context per update and hands the same one to every handler the update
    reaches (one per group), so what a handler learnt about the sender is there for the next.

    `sender`: the sender's user row as an earlier handler of this update read it (a detached
    copy, read-only), or None if no handler read it yet.
    """

    __slots__ = ("sender",)

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id, user_id)
        self.sender: User | None = None


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=BotData)


def services(context: Context) -> Services:
    return context.bot_data.services
