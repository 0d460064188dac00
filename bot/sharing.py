"""Passing what one partner shared to the other: text inline, media copied as they sent it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import MessageLimit, ParseMode

from bot import texts
from storage import crypto
from storage.models import AnswerPart


def utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def words_of(part: AnswerPart) -> str | None:
    """What a part says, to show: its words (None for media without a caption), or a line
    saying it cannot be read here if no configured key opens it."""
    words = crypto.text_of(part)
    return texts.ANSWER_UNREADABLE if words is crypto.UNREADABLE else words


def split_for_telegram(
    header: str, body: str, limit: int = MessageLimit.MAX_TEXT_LENGTH
) -> list[str]:
    """`header` (HTML) and the escaped `body` as messages within Telegram's length limit."""
    chunks: list[str] = []
    current, length = header, utf16_length(header)
    if header and body:
        current, length = current + "\n\n", length + 2
    for char in body:
        piece = escape(char, quote=False)
        size = utf16_length(piece)
        if length + size > limit:
            chunks.append(current)
            current, length = "", 0
        current, length = current + piece, length + size
    chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


async def share_parts(
    bot: Bot,
    *,
    to_chat: int,
    from_chat: int,
    header: str,
    parts: Sequence[AnswerPart],
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Sends `header` and the parts to `to_chat`: texts joined into the header's message,
    media copied from the author's chat (with their caption). `markup` goes on the last."""
    words = [words_of(part) or "" for part in parts if part.content_type == "text"]
    media = [part for part in parts if part.content_type != "text"]
    messages = split_for_telegram(header, "\n\n".join(words))
    for index, message in enumerate(messages):
        last = index == len(messages) - 1 and not media
        await bot.send_message(
            to_chat, message, parse_mode=ParseMode.HTML, reply_markup=markup if last else None
        )
    for index, part in enumerate(media):
        last = index == len(media) - 1
        await bot.copy_message(
            to_chat, from_chat, part.message_id, reply_markup=markup if last else None
        )
