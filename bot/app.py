"""The composition root: reading this file tells you the whole bot."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import (
    answers,
    checkin,
    errors,
    help,
    journal,
    on_this_day,
    onboarding,
    pairing,
    pause,
    picks,
    preferences,
    privacy,
    recap,
    router,
    texts,
    today,
    webhook,
)
from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.context import CONTEXT_TYPES, BotData, Context, Services, services
from bot.dispatch import Dispatcher
from bot.flood import IncomingLimit
from bot.i18n import offered, say
from bot.ordering import InOrderPerChat
from bot.pacing import pace_for
from nudges.languages import DEFAULT, telegram_code
from storage import claiming, crypto
from storage.db import Database
from storage.migrate import upgrade_to_head

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
NEW_MESSAGE = filters.UpdateType.MESSAGE
FORGET_WRONG_CODES_EVERY = 600  # seconds: a wrong code is deleted at most this long after its hour
# Commands run from new messages only: editing a sent message into "/unpair" does nothing.
COMMAND = PRIVATE & NEW_MESSAGE


def telegram_side(
    settings: Settings,
    *,
    database: Database | None = None,
    requests: tuple[BaseRequest, BaseRequest] | None = None,
) -> ApplicationBuilder:  # type: ignore[type-arg]
    """How the bot talks to Telegram: token, API address, HTML defaults, the pace of sends
    (shared by every instance on `database` if it is PostgreSQL) and the order updates are
    handled in. (`bench/echo_bot.py` builds on it too.)"""
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder()
        .token(settings.token)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .concurrent_updates(InOrderPerChat())
    )
    if settings.max_messages_per_second > 0:
        paid_rate = settings.paid_broadcast_rate if settings.paid_broadcast else None
        builder = builder.rate_limiter(
            pace_for(database, settings.max_messages_per_second, paid_per_second=paid_rate)
        )
    if settings.api_base_url is not None:
        builder = builder.base_url(settings.api_base_url)
        if settings.api_file_url is not None:
            builder = builder.base_file_url(settings.api_file_url)
    if requests is not None:
        builder = builder.request(requests[0]).get_updates_request(requests[1])
    return builder


async def set_command_menus(bot: Bot) -> None:
    """The command menu in English for everyone, and in each offered language for the
    people whose Telegram speaks it (Telegram picks by the user's `language_code`)."""
    for language in offered():
        commands = [BotCommand(name, say(text, language)) for name, text in texts.COMMAND_MENU]
        code = None if language == DEFAULT else telegram_code(language)
        await bot.set_my_commands(commands, language_code=code)


def build_application(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    requests: tuple[BaseRequest, BaseRequest] | None = None,
) -> Application:  # type: ignore[type-arg]
    """The bot: its services, every feature's handlers, start-up and shutdown steps.

    `requests` (one for calls, one for getUpdates) replace the HTTP layer: tests pass an
    in-process fake Bot API there.
    """
    crypto.configure(settings.answer_encryption_key)
    database = Database(settings.database_url)
    builder = (
        telegram_side(settings, database=database, requests=requests)
        .context_types(CONTEXT_TYPES)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    application = builder.build()
    dispatcher = Dispatcher(
        database=database,
        bot=application.bot,
        clock=clock,
        catch_up=settings.catch_up,
        paid_broadcast=settings.paid_broadcast,
    )

    bot_data: BotData = application.bot_data
    bot_data.services = Services(
        settings=settings, database=database, clock=clock, dispatcher=dispatcher
    )

    # First of all, someone sending faster than anyone types is asked to send the rest in a
    # minute (/pause, /unpair and /delete always get through).
    if settings.incoming_messages_per_minute > 0:
        limit = IncomingLimit(settings.incoming_messages_per_minute)
        application.add_handler(TypeHandler(Update, limit.check), group=-2)

    # Outside private chats: one polite line, nothing else runs, nothing is stored.
    application.add_handler(
        MessageHandler(
            ~PRIVATE & ((NEW_MESSAGE & filters.COMMAND) | filters.UpdateType.CHANNEL_POST),
            help.not_private,
        ),
        group=-1,
    )
    application.add_handler(
        ChatMemberHandler(help.added_to_group, ChatMemberHandler.MY_CHAT_MEMBER), group=-1
    )

    # Commands.
    application.add_handler(
        CommandHandler("start", pairing.start_with_code, COMMAND, has_args=True)
    )
    application.add_handler(CommandHandler("start", onboarding.start, COMMAND))
    application.add_handler(CommandHandler("time", onboarding.time_command, COMMAND))
    application.add_handler(CommandHandler("timezone", onboarding.timezone_command, COMMAND))
    application.add_handler(CommandHandler("invite", pairing.invite, COMMAND))
    application.add_handler(CommandHandler("join", pairing.join, COMMAND))
    application.add_handler(CommandHandler("unpair", pairing.unpair, COMMAND))
    application.add_handler(CommandHandler("settings", preferences.settings_command, COMMAND))
    application.add_handler(CommandHandler("topics", preferences.topics_command, COMMAND))
    application.add_handler(CommandHandler("language", preferences.language_command, COMMAND))
    application.add_handler(CommandHandler("pause", pause.pause_command, COMMAND))
    application.add_handler(CommandHandler("export", privacy.export, COMMAND))
    application.add_handler(CommandHandler("delete", privacy.delete, COMMAND))
    application.add_handler(CommandHandler("resume", pause.resume_command, COMMAND))
    application.add_handler(CommandHandler("today", today.today, COMMAND))
    application.add_handler(CommandHandler("history", journal.history, COMMAND))
    application.add_handler(CommandHandler("recap", recap.recap_command, COMMAND))
    application.add_handler(CommandHandler("help", help.help_command, COMMAND))
    application.add_handler(MessageHandler(COMMAND & filters.COMMAND, help.unknown_command))

    # Buttons.
    application.add_handler(CallbackQueryHandler(onboarding.time_button, pattern=r"^time:"))
    application.add_handler(CallbackQueryHandler(pairing.invite, pattern=r"^invite:new$"))
    application.add_handler(CallbackQueryHandler(pairing.unpair_button, pattern=r"^unpair:"))
    application.add_handler(CallbackQueryHandler(answers.done_button, pattern=r"^done:"))
    application.add_handler(CallbackQueryHandler(answers.plan_button, pattern=r"^plan:"))
    application.add_handler(CallbackQueryHandler(answers.heart_button, pattern=r"^heart:"))
    application.add_handler(CallbackQueryHandler(picks.pick_button, pattern=r"^opt:"))
    application.add_handler(CallbackQueryHandler(picks.guess_button, pattern=r"^gue:"))
    application.add_handler(CallbackQueryHandler(picks.not_today_button, pattern=r"^skip:"))
    application.add_handler(CallbackQueryHandler(journal.page_button, pattern=r"^hist:"))
    application.add_handler(CallbackQueryHandler(journal.view_button, pattern=r"^view:"))
    application.add_handler(CallbackQueryHandler(pause.pause_button, pattern=r"^pause:"))
    application.add_handler(CallbackQueryHandler(privacy.delete_button, pattern=r"^delete:"))
    application.add_handler(CallbackQueryHandler(preferences.settings_button, pattern=r"^set:"))
    application.add_handler(CallbackQueryHandler(checkin.checkin_button, pattern=r"^ci:"))
    application.add_handler(CallbackQueryHandler(on_this_day.see_it, pattern=r"^otd:"))
    application.add_handler(CallbackQueryHandler(preferences.living_button, pattern=r"^live:"))
    application.add_handler(CallbackQueryHandler(help.stale_button))

    # Plain messages: a location sets the time zone; anything else goes to the router,
    # which reads the sender once and picks onboarding, the pause's date, or an answer.
    application.add_handler(
        MessageHandler(PRIVATE & NEW_MESSAGE & filters.LOCATION, onboarding.on_location)
    )
    application.add_handler(
        MessageHandler(
            PRIVATE & NEW_MESSAGE & ~filters.COMMAND & ~filters.LOCATION, router.on_plain_message
        )
    )
    application.add_handler(
        MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, answers.on_edit)
    )

    application.add_error_handler(errors.on_error)

    # The daily nudges and the weekly check-ins: one repeating tick claims whatever is due
    # (see bot/dispatch.py and bot/checkin.py).
    job_queue = application.job_queue
    assert job_queue is not None
    job_queue.run_repeating(
        _dispatch_tick,
        interval=settings.dispatch_interval,
        first=0.1,
        name="dispatch",
        job_kwargs={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
    )
    # Wrong invite codes count for an hour; older ones are deleted (see storage/invites.py).
    job_queue.run_repeating(
        pairing.forget_wrong_codes,
        interval=FORGET_WRONG_CODES_EVERY,
        first=FORGET_WRONG_CODES_EVERY,
        name="forget wrong codes",
        job_kwargs={"misfire_grace_time": 60, "coalesce": True, "max_instances": 1},
    )
    return application


DISPATCH_RUN_STARTS = "dispatch run starts"  # (DEBUG: the e2e tests count the runs)


async def _dispatch_tick(context: Context) -> None:
    log.debug(DISPATCH_RUN_STARTS)
    await services(context).dispatcher.run()
    await checkin.send_due(context)  # the weekly check-ins, on the same tick and pace


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Migrates the database, learns the bot's username, sets the command menu."""
    services: Services = application.bot_data.services
    await upgrade_to_head(services.database)
    await crypto.check_key_opens_answers(services.database)
    if services.database.is_sqlite:
        async with services.database.transaction() as session:
            released = await claiming.release_claims_of_dead_processes(
                session=session, now=services.clock()
            )
        if released:
            log.info("%d nudges claimed by a stopped process will be sent now", released)
    services.bot_username = application.bot.username
    await set_command_menus(application.bot)
    log.info("Couplet is up as @%s", services.bot_username)


async def _post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data.services
    await services.database.dispose()


def run(settings: Settings, *, clock: Clock = system_clock) -> None:
    """Polls Telegram (or serves the webhook, with WEBHOOK_URL) until SIGINT/SIGTERM, then
    stops gracefully."""
    application = build_application(settings, clock=clock)
    if settings.webhook_url is not None:
        asyncio.run(webhook.serve(application, settings))
        return
    asyncio.run(_poll_until_stopped(application))


async def _poll_until_stopped(application: Application) -> None:  # type: ignore[type-arg]
    """Start-up steps, polling, then a graceful stop once SIGTERM/SIGINT comes.

    Not PTB's `run_polling`: a signal that comes while it starts polling (a `stop_running`
    before the application runs) would be lost and the bot would poll on. Here the signal
    sets an event that is waited on whenever it came: during start-up the bot never starts
    polling; after, it stops as soon as polling has started."""
    stop = webhook.set_on_stop_signals()
    async with application:  # initialize, and shutdown at the end
        if application.post_init is not None:
            await application.post_init(application)
        if not stop.is_set():
            await _poll(application, stop)
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


async def _poll(application: Application, stop: asyncio.Event) -> None:  # type: ignore[type-arg]
    """On stop, the dispatcher stops claiming, finishes the messages in flight and hands back
    the rest of its batch; polling stops, and `Application.stop` waits for that tick to end
    and for the updates already fetched."""
    updater = application.updater
    assert updater is not None

    def polling_failed(error: TelegramError) -> None:  # to the error handler, as run_polling
        application.create_task(application.process_error(update=None, error=error))

    await updater.start_polling(
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
        error_callback=polling_failed,
    )
    try:
        await application.start()
        await stop.wait()
    finally:
        services: Services = application.bot_data.services
        services.dispatcher.stopping = True
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
