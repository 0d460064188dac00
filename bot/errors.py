"""The one error handler: log it (the log formatter removes the token), tell the user kindly."""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import texts
from bot.context import Context

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Logs what went wrong and, in a private chat, says so instead of staying silent."""
    log.error(
        "error while handling update %s",
        update.update_id if isinstance(update, Update) else "(none)",
        exc_info=context.error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    try:
        if update.callback_query is not None:
            with suppress(BadRequest):  # the handler had answered the button already
                await update.callback_query.answer(texts.SOMETHING_WENT_WRONG, show_alert=True)
                return
        await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WENT_WRONG)
    except Forbidden:
        log.info("could not tell chat %s about the error: bot blocked", update.effective_chat.id)
    except TelegramError as error:
        log.warning("could not tell chat %s about the error: %s", update.effective_chat.id, error)
