"""On this day, for the morning nudge: which messages bring back a day, and how they look.

The dispatcher asks `for_batch` once per claimed batch (one short transaction) and dresses
each nudge with `with_memory` just before sending it. The button is handled in
bot/on_this_day.py. (No import of bot.unit here: the dispatcher is built before it.)
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.i18n import say
from nudges.languages import Language
from nudges.library import nudges_by_id
from storage import memories
from storage.claiming import DueNudge
from storage.db import Database
from storage.memories import Memory


async def for_batch(database: Database, batch: Sequence[DueNudge]) -> dict[int, Memory]:
    """The memory each claimed nudge carries, by delivery id (most carry none)."""
    if not batch:
        return {}
    async with database.transaction() as session:
        return await memories.for_deliveries(
            session=session, delivery_ids=[due.delivery_id for due in batch]
        )


def with_memory(
    text: str, markup: InlineKeyboardMarkup, memory: Memory | None, language: Language
) -> tuple[str, InlineKeyboardMarkup]:
    """The morning message with its "on this day" line and a button to see that day again."""
    nudge = nudges_by_id().get(memory.nudge_id) if memory is not None else None
    if memory is None or nudge is None:
        return text, markup
    see_it = InlineKeyboardButton(
        say(texts.MEMORY_BUTTON, language), callback_data=f"otd:{memory.day:%Y%m%d}"
    )
    return (
        f"{text}\n\n{say(texts.memory_line(memory.ago, texts.nudge_text(nudge)), language)}",
        InlineKeyboardMarkup(((see_it,), *markup.inline_keyboard)),
    )
