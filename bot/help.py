"""/help, /settings, and what the bot says outside private chats."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.chat import send_now, update_language
from bot.context import Context
from bot.i18n import say
from bot.unit import Unit, unit_of_work
from nudges import languages


@unit_of_work
async def help_command(unit: Unit) -> None:
    unit.reply(texts.HELP)


async def not_private(update: Update, context: Context) -> None:
    """Groups and channels: one polite line, nothing stored, no other handler runs."""
    if update.effective_chat is not None:
        await context.bot.send_message(
            update.effective_chat.id, say(texts.GROUP_ONLY_PRIVATE, update_language(update))
        )
    raise ApplicationHandlerStop


async def added_to_group(update: Update, context: Context) -> None:
    """Someone added the bot to a group or channel: say once that it works in private."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    if change.new_chat_member.status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
        language = languages.from_telegram(change.from_user.language_code)
        await context.bot.send_message(change.chat.id, say(texts.GROUP_ONLY_PRIVATE, language))


async def unknown_command(update: Update, context: Context) -> None:
    if update.effective_chat is not None:
        await send_now(
            context,
            update.effective_chat.id,
            texts.NOT_UNDERSTOOD,
            language=update_language(update),
        )


async def stale_button(update: Update, context: Context) -> None:
    """Any button no feature recognises: a short alert, nothing changes."""
    if update.callback_query is not None:
        await update.callback_query.answer(
            say(texts.BUTTON_EXPIRED, update_language(update)), show_alert=True
        )
