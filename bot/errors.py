"""The one error handler: log it (the log formatter removes the token), tell the user kindly.

Outages (the database unreachable or full, Telegram away) are logged by `bot.outages`, a
line now and then instead of a traceback per failure; the user hears what they can do.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import texts
from bot.chat import update_language
from bot.context import Context
from bot.i18n import say
from bot.outages import Outage, outage_of, report

log = logging.getLogger(__name__)

_REPLIES: dict[Outage | None, str] = {
    Outage.DATABASE_UNREACHABLE: texts.DATABASE_UNREACHABLE,
    Outage.DATABASE_FULL: texts.DATABASE_FULL,
}


async def on_error(update: object, context: Context) -> None:
    """Logs what went wrong and, in a private chat, says so instead of staying silent.

    Errors without an update come from the dispatcher's tick and from polling."""
    error = context.error
    outage = outage_of(error) if error is not None else None
    if outage is Outage.TELEGRAM_UNREACHABLE and isinstance(update, Update):
        # One update's call to Telegram failed: a line of its own, without a traceback.
        log.warning("error while handling update %s: %s", update.update_id, error)
    elif outage is not None and error is not None:
        report(error)  # the tick, polling, or the database: a line now and then
    else:
        log.error(
            "error while handling update %s",
            update.update_id if isinstance(update, Update) else "(none)",
            exc_info=error,
        )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    reply = say(_REPLIES.get(outage, texts.SOMETHING_WENT_WRONG), update_language(update))
    try:
        if update.callback_query is not None:
            with suppress(BadRequest):  # the handler had answered the button already
                await update.callback_query.answer(reply, show_alert=True)
                return
        await context.bot.send_message(update.effective_chat.id, reply)
    except Forbidden:
        log.info("could not tell chat %s about the error: bot blocked", update.effective_chat.id)
    except TelegramError as error:
        if report(error) is None:
            log.warning(
                "could not tell chat %s about the error: %s", update.effective_chat.id, error
            )
