"""Data rights in the chat: /export (JSON and a readable journal) and /delete."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import exports, texts
from bot.chat import enter, redraw, say, sender_id, tell
from bot.context import Context, services
from storage import privacy, users
from storage.db import Database


async def export(update: Update, context: Context) -> None:
    """/export: the user's data as JSON and as a readable Markdown journal, each written to a
    temporary file a batch of nudges at a time and sent in as many files as Telegram's
    upload limit needs (removed once sent)."""
    now = services(context).clock()
    database = services(context).database
    async with database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        head = await privacy.export_profile(session=session, user=user)
    limit = services(context).export_file_limit
    stamp = now.date().isoformat()
    with tempfile.TemporaryDirectory(prefix="couplet-export-") as directory:
        data = exports.JsonExport(Path(directory), head, {"exported_at": now.isoformat()}, limit)
        await exports.write_all(data, _nudges(database, user.id, newest_first=False))
        journal = exports.MarkdownJournal(Path(directory), user.first_name, limit)
        await exports.write_all(journal, _nudges(database, user.id, newest_first=True))
        await _send(context, user.id, data.finish(), f"couplet-export-{stamp}", ".json")
        await _send(context, user.id, journal.finish(), f"couplet-journal-{stamp}", ".md")


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


async def _send(context: Context, chat_id: int, paths: list[Path], stem: str, suffix: str) -> None:
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
                caption=whole if count == 1 else texts.export_part_caption(number, count, suffix),
            )


async def delete(update: Update, context: Context) -> None:
    """/delete: asks for a confirmation first."""
    await say(
        context,
        sender_id(update),
        texts.DELETE_CONFIRM,
        InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(texts.DELETE_YES, callback_data="delete:yes")],
                [InlineKeyboardButton(texts.DELETE_NO, callback_data="delete:no")],
            ]
        ),
    )


async def delete_button(update: Update, context: Context) -> None:
    """`delete:yes` erases every row about the presser; `delete:no` keeps everything."""
    query = update.callback_query
    if query is None or query.data not in ("delete:yes", "delete:no"):
        if query is not None:
            await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer()
    if query.data == "delete:no":
        await redraw(query, texts.DELETE_KEPT)
        return
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await users.find(session=session, user_id=sender_id(update))
        name = user.first_name if user is not None else ""
        partners = await privacy.erase(session=session, user_id=sender_id(update), now=now)
    await redraw(query, texts.DELETED if user is not None else texts.NOTHING_STORED)
    for partner in partners:
        await tell(context.bot, partner.id, texts.partner_unpaired(name))
