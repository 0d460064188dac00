"""Small things every feature needs: who is talking, and saying something back."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError

if TYPE_CHECKING:
    from bot.context import Context
from storage import users
from storage.models import User

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply

log = logging.getLogger(__name__)


def sender_id(update: Update) -> int:
    """The acting user, always from the update itself (never from client-sent data)."""
    if update.effective_user is None:
        raise ValueError("update without a user")
    return update.effective_user.id


async def enter(*, session: AsyncSession, update: Update, now: datetime) -> User:
    """The sender's user row, created on first contact.

    Someone who had blocked the bot and writes again is back: nudges resume for the pair.
    """
    tg_user = update.effective_user
    if tg_user is None:
        raise ValueError("update without a user")
    user, _created = await users.find_or_create(
        session=session, user_id=tg_user.id, first_name=tg_user.first_name, now=now
    )
    await users.welcome_back_if_blocked(session=session, user=user, now=now)
    return user


async def say(context: Context, chat_id: int, text: str, markup: Markup | None = None) -> None:
    """Sends one message (HTML) to a private chat."""
    await context.bot.send_message(chat_id, text, reply_markup=markup)


async def tell(bot: Bot, chat_id: int, text: str) -> bool:
    """A message to someone other than the sender (usually the partner). If it cannot be
    delivered (they blocked the bot, Telegram failed), that is logged and is not the
    sender's problem: the change it reports is already saved. Returns whether it went."""
    try:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except Forbidden:
        log.info("chat %s has blocked the bot; a message was not delivered", chat_id)
        return False
    except TelegramError as error:
        log.warning("a message to chat %s was not delivered: %s", chat_id, error.message)
        return False
    return True
