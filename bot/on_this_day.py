"""On this day: the button under a morning message that shows a past day's answers again."""

from __future__ import annotations

from datetime import date

from bot import texts
from bot.i18n import day_with_year
from bot.sharing import share_parts
from bot.unit import Unit, unit_of_work
from nudges.library import nudges_by_id
from storage import memories, users
from storage.models import User


@unit_of_work
async def see_it(unit: Unit[User]) -> None:
    """`otd:<yyyymmdd>`: both partners' answers of that day, as the journal shows them
    (words inline, photos and voice notes copied again). Only the presser's current pair's
    days, and only while both answers are still stored."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    day = _day(query.data.removeprefix("otd:"))
    user = unit.sender
    partner = await users.partner_of(session=unit.session, user=user)
    remembered = (
        await memories.both_answers(session=unit.session, pair_id=user.pair_id, day=day)
        if day is not None and user.pair_id is not None
        else None
    )
    nudge = nudges_by_id().get(remembered.nudge_id) if remembered is not None else None
    if day is None or partner is None or remembered is None or nudge is None:
        unit.then(lambda: query.answer(unit.say(texts.MEMORY_GONE), show_alert=True))
        return
    unit.then(query.answer)
    unit.reply(texts.memory_header(day_with_year(day), texts.nudge_text(nudge)))
    bot, to_chat = unit.bot, user.id
    for author_id, name in ((user.id, texts.YOU), (partner.id, partner.first_name)):
        parts = remembered.parts.get(author_id, [])
        header = unit.say(texts.memory_answer_header(name))
        unit.then(
            lambda author_id=author_id, parts=parts, header=header: share_parts(
                bot, to_chat=to_chat, from_chat=author_id, header=header, parts=parts
            )
        )


def _day(text: str) -> date | None:
    """The date a button names (`yyyymmdd`); None for anything else (data can be forged)."""
    if len(text) != 8 or not (text.isascii() and text.isdecimal()):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
