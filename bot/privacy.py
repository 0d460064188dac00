"""Data rights in the chat: /export (JSON and a readable journal) and /delete."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import exports, texts
from bot.chat import redraw
from bot.context import Context, services
from bot.i18n import say
from bot.unit import Unit, unit_of_work, unit_of_work_if_known
from nudges.languages import Language
from storage import privacy
from storage.db import Database
from storage.models import User


@unit_of_work
async def export(unit: Unit[User]) -> None:
    """/export: the user's data as JSON and as a readable Markdown journal, each written to a
    temporary file a batch of nudges at a time and sent in as many files as Telegram's
    upload limit needs (removed once sent)."""
    head = await privacy.export_profile(session=unit.session, user=unit.sender)
    context, user_id, name, now = unit.context, unit.sender.id, unit.sender.first_name, unit.now
    language = unit.language
    unit.then(lambda: _write_and_send(context, user_id, name, head, now, language))


async def _write_and_send(
    context: Context,
    user_id: int,
    name: str,
    head: dict[str, Any],
    now: datetime,
    language: Language,
) -> None:
    """Writes the export files, each nudge batch in its own short transaction, and sends them."""
    database = services(context).database
    limit = services(context).export_file_limit
    stamp = now.date().isoformat()
    with tempfile.TemporaryDirectory(prefix="couplet-export-") as directory:
        data = exports.JsonExport(Path(directory), head, {"exported_at": now.isoformat()}, limit)
        await exports.write_all(data, _nudges(database, user_id, newest_first=False))
        journal = exports.MarkdownJournal(Path(directory), name, limit, language)
        journal.add_checkins(head.get("checkins", []))
        await exports.write_all(journal, _nudges(database, user_id, newest_first=True))
        await _send(context, user_id, data.finish(), f"couplet-export-{stamp}", ".json", language)
        await _send(context, user_id, journal.finish(), f"couplet-journal-{stamp}", ".md", language)


async def _nudges(
    database: Database, user_id: int, *, newest_first: bool
) -> AsyncIterator[exports.Entry]:
    """The user's exported nudges, a batch per short transaction (so an export never holds
    the database for long)."""
    after: date | None = None
    while True:
        async with database.transaction() as session:
            batch = await privacy.export_nudges(
                session=session, user_id=user_id, after=after, newest_first=newest_first
            )
        for entry in batch.entries:
            yield entry
        if batch.next_after is None:
            return
        after = batch.next_after


async def _send(
    context: Context, chat_id: int, paths: list[Path], stem: str, suffix: str, language: Language
) -> None:
    """One file as `<stem><suffix>` with its usual caption; several as part k of n."""
    whole = texts.EXPORT_CAPTION if suffix == ".json" else texts.EXPORT_JOURNAL_CAPTION
    count = len(paths)
    for number, path in enumerate(paths, 1):
        with path.open("rb") as file:
            await context.bot.send_document(
                chat_id,
                file,
                filename=f"{stem}{suffix}"
                if count == 1
                else f"{stem}-part-{number}-of-{count}{suffix}",
                caption=say(
                    whole if count == 1 else texts.export_part_caption(number, count, suffix),
                    language,
                ),
            )


@unit_of_work_if_known
async def delete(unit: Unit[User | None]) -> None:
    """/delete: asks for a confirmation first (in the sender's language; nothing is created)."""
    unit.reply(
        texts.DELETE_CONFIRM,
        InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(unit.say(texts.DELETE_YES), callback_data="delete:yes")],
                [InlineKeyboardButton(unit.say(texts.DELETE_NO), callback_data="delete:no")],
            ]
        ),
    )


@unit_of_work_if_known
async def delete_button(unit: Unit[User | None]) -> None:
    """`delete:yes` erases every row about the presser; `delete:no` keeps everything."""
    query = unit.update.callback_query
    if query is None or query.data not in ("delete:yes", "delete:no"):
        if query is not None:
            unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    unit.then(query.answer)
    if query.data == "delete:no":
        unit.then(lambda: redraw(query, unit.say(texts.DELETE_KEPT)))
        return
    user = unit.sender
    name = user.first_name if user is not None else ""
    partners = await privacy.erase(session=unit.session, user_id=unit.sender_id, now=unit.now)
    unit.then(
        lambda: redraw(query, unit.say(texts.DELETED if user is not None else texts.NOTHING_STORED))
    )
    for partner in partners:
        unit.notify(partner, texts.partner_unpaired(name))
