"""Small things every feature needs: who is talking, and saying something back."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from html import unescape
from typing import TYPE_CHECKING

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

if TYPE_CHECKING:
    from bot.context import Context
from bot.i18n import say
from bot.pacing import Priority
from nudges import languages
from nudges.languages import Language
from storage import users
from storage.db import Session
from storage.models import User

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply
TAG = re.compile(r"<[^>]*>")
MAX_MESSAGE = 4096  # Telegram's limit for a message text, in UTF-16 code units
# No time, zone, pause length or invite code is longer; a longer text is refused unread
# (parsing thousands of characters costs the event loop that every chat shares).
MAX_PARSED_TEXT = 200

log = logging.getLogger(__name__)


def sender_id(update: Update) -> int:
    """The acting user, always from the update itself (never from client-sent data)."""
    if update.effective_user is None:
        raise ValueError("update without a user")
    return update.effective_user.id


def language_of(user: User) -> Language:
    """The language the bot speaks with this person."""
    return languages.stored(user.language)


def update_language(update: Update) -> Language:
    """The sender's language from Telegram's language code (for a reply given before the
    database is read: bad input, a group)."""
    user = update.effective_user
    return languages.from_telegram(user.language_code if user else None)


def too_long_to_parse(text: str) -> bool:
    """True for a text meant for a parser (a command's argument, an onboarding answer, a
    pause date) that is too long to be one: the caller gives its usual "didn't get that"
    reply without parsing it, and changes nothing."""
    return len(text) > MAX_PARSED_TEXT


async def find_or_create_sender(
    *, session: Session, update: Update, now: datetime
) -> tuple[User, bool]:
    """The sender's user row, created on first contact, and whether it was just created.

    Someone who had blocked the bot and writes again is back: nudges resume for the pair.
    """
    tg_user = update.effective_user
    if tg_user is None:
        raise ValueError("update without a user")
    user, created = await users.find_or_create(
        session=session,
        user_id=tg_user.id,
        first_name=tg_user.first_name,
        now=now,
        language=languages.from_telegram(tg_user.language_code).value,
    )
    await users.welcome_back_if_blocked(session=session, user=user, now=now)
    return user, created


async def send_now(
    context: Context, chat_id: int, text: str, markup: Markup | None = None, *, language: Language
) -> None:
    """Sends one message (HTML) to a private chat at once (for a reply that needs no
    database; a handler with a `Unit` queues it with `unit.reply`), said in `language`.
    A failure reaches the error handler."""
    await context.bot.send_message(chat_id, say(text, language), reply_markup=markup)


async def send_if_possible(
    bot: Bot,
    chat_id: int,
    text: str,
    language: Language,
    markup: InlineKeyboardMarkup | None = None,
    *,
    bulk: bool = False,
) -> bool:
    """A message to someone other than the sender (usually the partner), said in their own
    `language`. If it cannot be delivered (they blocked the bot, Telegram failed), that is
    logged and is not the sender's problem: the change it reports is already saved.
    `bulk`: sent like the wave's nudges, after any reply to a person. Returns whether it
    went."""
    paced = bulk and getattr(bot, "rate_limiter", None) is not None
    try:
        await bot.send_message(
            chat_id,
            say(text, language),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            rate_limit_args=Priority.BULK if paced else None,
        )
    except Forbidden:
        log.info("chat %s has blocked the bot; a message was not delivered", chat_id)
        return False
    except TelegramError as error:
        log.warning("a message to chat %s was not delivered: %s", chat_id, error.message)
        return False
    return True


async def redraw(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Shows `text` (HTML) in place of the message the pressed button sits on.

    A second tap on the same button asks for what is already shown; Telegram refuses that
    ("message is not modified"), so it is not asked. A button under a message without text
    (a file) gets the view as a new message instead.
    """
    shown = query.message if isinstance(query.message, Message) else None
    if shown is None or shown.text is None:
        await query.get_bot().send_message(query.from_user.id, text, reply_markup=markup)
        return
    if shown.text == _visible(text) and shown.reply_markup == markup:
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if not _not_modified(error):
            raise


async def drop_buttons(query: CallbackQuery) -> None:
    """Takes the buttons off the message the pressed button sits on (once is enough)."""
    shown = query.message if isinstance(query.message, Message) else None
    if shown is None or shown.reply_markup is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as error:
        if not _not_modified(error):
            raise


def _visible(html_text: str) -> str:
    """The text Telegram shows for an HTML message (tags gone, entities decoded)."""
    return unescape(TAG.sub("", html_text))


def visible_length(html_text: str) -> int:
    """How long Telegram counts an HTML message to be (UTF-16 units of what it shows)."""
    return len(_visible(html_text).encode("utf-16-le")) // 2


def _not_modified(error: BadRequest) -> bool:
    return "message is not modified" in error.message.lower()
