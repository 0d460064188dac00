"""Data rights in the chat: /export (JSON and a readable journal) and /delete."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.chat import enter, redraw, say, sender_id, tell
from bot.context import Context, services
from storage import privacy, users


async def export(update: Update, context: Context) -> None:
    """/export: the user's data as a JSON file and a Markdown journal."""
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        data = await privacy.export(session=session, user=user)
    data["exported_at"] = now.isoformat()
    stamp = now.date().isoformat()
    await context.bot.send_document(
        user.id,
        json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        filename=f"couplet-export-{stamp}.json",
        caption=texts.EXPORT_CAPTION,
    )
    await context.bot.send_document(
        user.id,
        journal_markdown(data).encode("utf-8"),
        filename=f"couplet-journal-{stamp}.md",
        caption=texts.EXPORT_JOURNAL_CAPTION,
    )


def journal_markdown(data: dict[str, Any]) -> str:
    """The export's nudges and answers as a readable Markdown journal."""
    profile = data["profile"]
    lines = [f"# {profile['first_name']}'s Couplet journal", ""]
    for entry in reversed(data["nudges"]):
        day = date.fromisoformat(entry["date"])
        lines += [f"## {day:%A %d %B %Y}", "", f"> {entry['text'] or entry['nudge_id']}", ""]
        lines += _answer_lines("Me", entry["my_answer"])
        lines += _answer_lines("My partner", entry["partner_shared_with_me"])
        if entry["done_at"]:
            lines.append("- Done ✅")
        if entry["plan_choice"]:
            lines.append(f"- Plan: {'in' if entry['plan_choice'] == 'in' else 'not this time'}")
        lines.append("")
    return "\n".join(lines)


def _answer_lines(who: str, parts: list[dict[str, Any]]) -> list[str]:
    lines = []
    for part in parts:
        if part.get("unreadable"):
            lines.append(f"- **{who}:** {texts.ANSWER_UNREADABLE}")
        elif part["type"] == "text":
            lines.append(f"- **{who}:** {part['text']}")
        else:
            caption = f" “{part['text']}”" if part["text"] else ""
            lines.append(f"- **{who}:** [{part['type']}, {part['at'][:10]}]{caption}")
    return lines


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
