"""The floor under any answer: a bot with no database that answers each text with one message.

    python -m bench.answers --floor --find-max     (runs this in place of `python -m bot`)

It talks to Telegram exactly as Couplet does (`bot.app.telegram_side`: same PTB builder,
defaults and in-order-per-chat update processor; in webhook mode the same aiohttp app,
secret check and JSON parsing, `bot.webhook.web_app`), and does nothing else: no database,
no nudges, one `sendMessage` per text. Whatever rate it sustains is what receiving an
update and sending one reply cost in python-telegram-bot, before any of Couplet's own work.

Reads TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL, and WEBHOOK_URL, WEBHOOK_SECRET and PORT
for webhook mode, as `python -m bot` does. Exits on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import telegram_side
from bot.config import Settings
from bot.webhook import set_on_stop_signals, web_app

REPLY = "Saved 💛 You'll see Sam's answer when they reply."  # as long as Couplet's usual reply


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, REPLY)


def build(settings: Settings) -> Application:  # type: ignore[type-arg]
    application = telegram_side(settings).build()
    application.add_handler(MessageHandler(filters.TEXT, reply))
    return application


async def _handle(application: Application, update: Update) -> None:  # type: ignore[type-arg]
    await application.update_processor.process_update(update, application.process_update(update))


async def _always() -> bool:
    return True


async def serve_webhook(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    stop = set_on_stop_signals()
    async with application:
        await application.bot.set_webhook(
            settings.webhook_url or "", secret_token=settings.webhook_secret
        )
        await application.start()
        runner = web.AppRunner(web_app(application, settings, handle=_handle, healthy=_always))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", settings.port).start()
        await stop.wait()
        await runner.cleanup()
        await application.stop()


def main() -> int:
    settings = Settings.load()
    application = build(settings)
    if settings.webhook_url is not None:
        asyncio.run(serve_webhook(application, settings))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
