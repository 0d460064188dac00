"""Buttons. Callback data is short, carries no user id, and is checked when pressed."""

from __future__ import annotations

from functools import cache
from urllib.parse import quote

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot import texts
from bot.i18n import say, spoken
from nudges.languages import Language
from nudges.library import Kind, Nudge, in_language

SUGGESTED_TIMES = ("07:00", "08:00", "09:00")
MAX_ROW_ID = 2**31 - 1  # the narrowest id column a button names (PostgreSQL `integer`)


def number_in(text: str, low: int, high: int) -> int | None:
    """The number a button's data carries, or None when it is not a plain one in range.

    Button data can be forged, so `int()` alone is not enough: it takes "²" or "٣" (and
    then fails) and numbers too big for any database column.
    """
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None


def row_id(text: str) -> int | None:
    """The id of a stored row (a delivery, an answer part, a pair) that button data names."""
    return number_in(text, 1, MAX_ROW_ID)


def share_location(language: Language) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(say(texts.SHARE_LOCATION_BUTTON, language), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def nudge_times() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=f"time:{t}") for t in SUGGESTED_TIMES]]
    )


def make_invite(language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(say(texts.INVITE_BUTTON, language), callback_data="invite:new")]]
    )


def share_invite(link: str, language: Language) -> InlineKeyboardMarkup:
    invitation = quote(say(texts.INVITE_SHARE_TEXT, language))
    url = f"https://t.me/share/url?url={quote(link, safe='')}&text={invitation}"
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(say(texts.INVITE_SHARE_BUTTON, language), url=url)]]
    )


def confirm_unpair(pair_id: int, language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    say(texts.UNPAIR_YES, language), callback_data=f"unpair:yes:{pair_id}"
                )
            ],
            [InlineKeyboardButton(say(texts.UNPAIR_NO, language), callback_data="unpair:no")],
        ]
    )


def for_nudge(nudge: Nudge, delivery_id: int, language: Language) -> InlineKeyboardMarkup:
    """The buttons a nudge's kind needs (questions and notes are answered by replying), and
    under them the row every nudge carries: Not today and the small pause affordance."""
    last = _last_row(delivery_id, language)
    if nudge.kind == Kind.ACTION:
        done = InlineKeyboardButton(
            say(texts.DONE_BUTTON, language), callback_data=f"done:{delivery_id}"
        )
        return InlineKeyboardMarkup(((done,), last))
    if nudge.kind == Kind.PLAN:
        plan_row = (
            InlineKeyboardButton(
                say(texts.PLAN_IN_BUTTON, language), callback_data=f"plan:in:{delivery_id}"
            ),
            InlineKeyboardButton(
                say(texts.PLAN_OUT_BUTTON, language), callback_data=f"plan:out:{delivery_id}"
            ),
        )
        return InlineKeyboardMarkup((plan_row, last))
    if nudge.options:  # a choice, or a guess answered with buttons: first about yourself
        return options(nudge, delivery_id, PICK, language)
    return InlineKeyboardMarkup((last,))


PICK = "opt"  # an option about yourself (a choice, a guess nudge's own answer)
GUESS = "gue"  # the option you guess for your partner


def options(
    nudge: Nudge, delivery_id: int, prefix: str, language: Language, chosen: int | None = None
) -> InlineKeyboardMarkup:
    """A choice or guess nudge's options (`<prefix>:<delivery id>:<index>`), two to a row,
    the one `chosen` so far ticked; Not today and pause below."""
    buttons = [
        InlineKeyboardButton(
            f"✓ {option}" if index == chosen else option,
            callback_data=f"{prefix}:{delivery_id}:{index}",
        )
        for index, option in enumerate(in_language(nudge, spoken(language)).options)
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup((*rows, _last_row(delivery_id, language)))


def _last_row(delivery_id: int, language: Language) -> tuple[InlineKeyboardButton, ...]:
    skip = InlineKeyboardButton(
        say(texts.NOT_TODAY_BUTTON, language), callback_data=f"skip:{delivery_id}"
    )
    return (skip, *_pause_row(language))


# Telegram objects are immutable once made: the button every nudge shares is made once
# (a wave sends thousands of them).
@cache
def _pause_row(language: Language) -> tuple[InlineKeyboardButton, ...]:
    return (InlineKeyboardButton(say(texts.PAUSE_BUTTON, language), callback_data="pause:menu"),)


def heart(delivery_id: int) -> InlineKeyboardMarkup:
    """Under a partner's note: loving it tells its author (once)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.HEART_BUTTON, callback_data=f"heart:{delivery_id}")]]
    )
