"""/recap: a picture of the pair's last eight weeks, sent as a photo.

The facts are read in the update's transaction; the drawing (CPU work) runs in a worker
thread after the commit, so the event loop goes on serving others meanwhile.
"""

from __future__ import annotations

import asyncio

from telegram import Bot, InputFile

from bot import texts
from bot.i18n import say
from bot.picture import render
from bot.unit import Unit, unit_of_work
from nudges.languages import Language
from nudges.recap import RecapFacts
from storage import recap
from storage.models import User

FILE_NAME = "couplet-recap.png"


@unit_of_work
async def recap_command(unit: Unit[User]) -> None:
    """/recap: the sender's picture, or a kind word if they are not paired."""
    facts = await recap.recap_facts(session=unit.session, viewer=unit.sender, now=unit.now)
    if facts is None:
        unit.reply(texts.RECAP_NOT_PAIRED)
        return
    bot, chat_id, language = unit.bot, unit.sender.id, unit.language
    unit.then(lambda: send_picture(bot, chat_id, facts, language))


async def send_picture(bot: Bot, chat_id: int, facts: RecapFacts, language: Language) -> None:
    """Draws the picture off the event loop and sends it as a photo with its caption, both
    in the viewer's language."""
    png = await asyncio.to_thread(render, facts, language)
    caption = say(texts.RECAP_CAPTION, language)
    await bot.send_photo(chat_id, InputFile(png, filename=FILE_NAME), caption=caption)
