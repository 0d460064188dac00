"""/help, /settings, and what the bot says outside private chats."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.chat import send_now
from bot.context import Context
from bot.unit import Unit, unit_of_work


@unit_of_work
async def help_command(unit: Unit) -> None:
    unit.reply(texts.HELP)


async def not_private(update: Update, context: Context) -> None:
    """Groups and channels: one polite line, nothing stored, no other handler runs."""
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, texts.GROUP_ONLY_PRIVATE)
    raise ApplicationHandlerStop


async def added_to_group(update: Update, context: Context) -> None:
    """Someone added the bot to a group or channel: say once that it works in private."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    if change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
        await context.bot.send_message(change.chat.id, texts.GROUP_ONLY_PRIVATE)


async def unknown_command(update: Update, context: Context) -> None:
    if update.effective_chat is not None:
        await send_now(context, update.effective_chat.id, texts.NOT_UNDERSTOOD)


async def stale_button(update: Update, context: Context) -> None:
    """Any button no feature recognises: a short alert, nothing changes."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.BUTTON_EXPIRED, show_alert=True)
