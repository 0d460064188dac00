"""Webhook mode: Telegram POSTs updates to WEBHOOK_URL; we answer only once each is handled.

PTB's built-in webhook server acknowledges an update as soon as it is queued; here an update
is processed and committed before the 200, so Telegram redelivers what a crash interrupted,
and a redelivered update that was already handled is acknowledged without a second run.
`GET /healthz` answers 200 while the database answers, 503 otherwise. While the database
is out of reach an update gets 503, so Telegram delivers it again once it is back.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot import outages
from bot.config import Settings
from bot.context import Services
from storage import updates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HANDLED = web.AppKey("application", Application)


Handle = Callable[[Application, Update], Awaitable[None]]  # type: ignore[type-arg]


def web_app(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    *,
    handle: Handle | None = None,
    healthy: Callable[[], Awaitable[bool]] | None = None,
) -> web.Application:
    """The aiohttp app: the webhook path from WEBHOOK_URL, and /healthz.

    A body that is not an update is refused with 400 before `handle` sees it; `handle`
    processes one update (default: `handle_once`); `healthy` says whether
    to answer /healthz with 200 (default: the database answers)."""
    handle = handle or handle_once
    app = web.Application()
    app[HANDLED] = application
    path = urlsplit(settings.webhook_url or "").path or "/"
    secret = settings.webhook_secret or ""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        update, refusal = await _read_update(request, application)
        if update is None:
            # What was sent is not logged: it may hold what someone wrote.
            log.warning("webhook: refused a body that is %s (400)", refusal)
            return web.Response(status=400)
        try:
            await handle(application, update)
        except Exception as error:
            if outages.report(error) is None:
                raise
            # Not handled, and not acknowledged: Telegram delivers it again later.
            return web.Response(status=503)
        return web.Response(status=200)

    async def database_answers() -> bool:
        services: Services = application.bot_data.services
        return await updates.database_answers(services.database)

    async def healthz(_: web.Request) -> web.Response:
        ok = await (healthy or database_answers)()
        return web.Response(status=200 if ok else 503, text="ok" if ok else "db down")

    app.router.add_post(path, receive)
    app.router.add_get("/healthz", healthz)
    return app


async def _read_update(
    request: web.Request,
    application: Application,  # type: ignore[type-arg]
) -> tuple[Update | None, str]:
    """The update in the body, or None and what the body is instead (never its content)."""
    try:
        data = await request.json()
    except RecursionError:  # nested deeper than the JSON parser goes
        return None, "nested too deeply"
    except (ValueError, UnicodeDecodeError):  # JSONDecodeError, a number of 5,000 digits
        return None, "not JSON"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    if type(data.get("update_id")) is not int:  # (a bool is an int to isinstance)
        return None, "without an integer update_id"
    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # the body is anyone's: whatever PTB's parser raises, it is no update
        return None, "not an update python-telegram-bot can read"
    if update is None:
        return None, "not an update python-telegram-bot can read"
    return update, ""


async def handle_once(application: Application, update: Update) -> None:  # type: ignore[type-arg]
    """Processes an update unless it was already; records it once handled. Updates of one
    chat take turns in the order they came, as in polling (see bot/ordering.py)."""
    await application.update_processor.process_update(update, _once(application, update))


async def _once(application: Application, update: Update) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data.services
    database, update_id = services.database, update.update_id
    if await updates.was_processed(database=database, update_id=update_id):
        return
    await application.process_update(update)  # handler errors go to the error handler
    await updates.mark_processed(database=database, update_id=update_id, now=services.clock())


def set_on_stop_signals() -> asyncio.Event:
    """An event that SIGTERM or SIGINT sets (in the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    return stop


async def serve(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Registers the webhook, serves it on PORT until SIGTERM/SIGINT, then stops gracefully."""
    stop = set_on_stop_signals()
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.bot.set_webhook(
            settings.webhook_url or "",
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
        await application.start()
        runner = web.AppRunner(web_app(application, settings))
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", settings.port)
        await site.start()
        log.info("serving the webhook on port %d", settings.port)
        await stop.wait()
        services: Services = application.bot_data.services
        services.dispatcher.stopping = True
        await runner.cleanup()  # finishes requests in flight, refuses new ones
        await application.stop()  # waits for a running dispatcher tick
        if application.post_stop is not None:
            await application.post_stop(application)
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
