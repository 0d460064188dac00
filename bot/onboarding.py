"""Onboarding (/start): time zone, then nudge time, then the invite. Also /time, /timezone.

The current step is stored on the user, so a restart in the middle loses nothing.
"""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import ApplicationHandlerStop

from bot import keyboards, texts
from bot.chat import drop_buttons, enter, say, sender_id, too_long_to_parse
from bot.context import Context, services
from nudges.times import format_time_of_day, parse_time_of_day
from nudges.zones import ZoneMatch, resolve_zone, zone, zone_for_location
from storage import users
from storage.models import OnboardingStep, User


async def start(update: Update, context: Context) -> None:
    """/start without a code: welcome a new user, or continue where they stopped."""
    tg_user = update.effective_user
    if tg_user is None:
        return
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user, is_new = await users.find_or_create(
            session=session, user_id=tg_user.id, first_name=tg_user.first_name, now=now
        )
        await users.welcome_back_if_blocked(session=session, user=user, now=now)
        partner = await users.partner_of(session=session, user=user)

    chat_id = user.id
    if user.onboarding_step == OnboardingStep.DONE:
        if partner is not None:
            await say(context, chat_id, texts.ALL_SET_PAIRED)
        else:
            await say(context, chat_id, texts.OFFER_INVITE, keyboards.make_invite())
        return
    greeting = texts.welcome(user.first_name) if is_new else texts.welcome_back(user.first_name)
    await say(context, chat_id, greeting)
    await ask_next_step(context, user)


async def ask_next_step(context: Context, user: User) -> None:
    """Asks the question of the user's current onboarding step (nothing when done)."""
    if user.onboarding_step == OnboardingStep.TIMEZONE:
        await say(context, user.id, texts.ASK_TIMEZONE, keyboards.share_location())
    elif user.onboarding_step == OnboardingStep.TIME:
        await say(context, user.id, texts.ASK_TIME, keyboards.nudge_times())


async def on_text(update: Update, context: Context) -> None:
    """A plain message while onboarding waits for a zone or a time; else left to others."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    now = services(context).clock()
    readable = not too_long_to_parse(message.text)
    async with services(context).database.transaction() as session:
        user = await users.find(session=session, user_id=sender_id(update))
        if user is None:
            user = await enter(session=session, update=update, now=now)
            step = None
        else:
            step = user.onboarding_step
            if step == OnboardingStep.TIMEZONE:
                match = resolve_zone(message.text) if readable else None
                if match is not None:
                    await users.set_timezone(session=session, user=user, zone=match.zone, now=now)
            elif step == OnboardingStep.TIME:
                chosen = parse_time_of_day(message.text) if readable else None
                if chosen is not None:
                    await users.set_nudge_time(session=session, user=user, value=chosen, now=now)
    context.sender = user  # read once: the handlers after this one need not read it again
    if step is None:
        await say(context, user.id, texts.welcome(user.first_name))
        await ask_next_step(context, user)
    elif step == OnboardingStep.TIMEZONE:
        if user.timezone is None:
            await say(context, user.id, texts.timezone_unknown(message.text))
        else:
            await _timezone_confirmed(context, user, match)
    elif step == OnboardingStep.TIME:
        if user.nudge_time is None:
            await say(context, user.id, texts.time_unknown(message.text))
        else:
            await _time_confirmed(context, user, was_onboarding=True)
    else:
        return
    raise ApplicationHandlerStop


async def on_location(update: Update, context: Context) -> None:
    """A shared location sets the time zone, during onboarding or any time after."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    found = zone_for_location(message.location.latitude, message.location.longitude)
    if found is None:
        await say(context, sender_id(update), texts.LOCATION_NO_ZONE)
        return
    await _change_timezone(update, context, ZoneMatch(found, found.rsplit("/", 1)[-1]))


async def timezone_command(update: Update, context: Context) -> None:
    """/timezone <zone or city>; without one, says how and offers the location button."""
    text = " ".join(context.args or [])
    if not text:
        now = services(context).clock()
        async with services(context).database.transaction() as session:
            user = await enter(session=session, update=update, now=now)
        await say(context, user.id, texts.timezone_usage(user.timezone), keyboards.share_location())
        return
    match = None if too_long_to_parse(text) else resolve_zone(text)
    if match is None:
        await say(context, sender_id(update), texts.timezone_unknown(text))
        return
    await _change_timezone(update, context, match)


async def _change_timezone(update: Update, context: Context, match: ZoneMatch) -> None:
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        await users.set_timezone(session=session, user=user, zone=match.zone, now=now)
    await _timezone_confirmed(context, user, match)


async def _timezone_confirmed(context: Context, user: User, match: ZoneMatch | None) -> None:
    zone_name = user.timezone or "UTC"
    local_now = services(context).clock().astimezone(zone(zone_name))
    place = match.place if match is not None else zone_name
    await say(
        context,
        user.id,
        texts.timezone_set(place, zone_name, format_time_of_day(local_now.time())),
        ReplyKeyboardRemove(),
    )
    await ask_next_step(context, user)


async def time_command(update: Update, context: Context) -> None:
    """/time HH:MM; without a time, shows the current one and the suggested buttons."""
    text = " ".join(context.args or [])
    chosen = parse_time_of_day(text) if text and not too_long_to_parse(text) else None
    if text and chosen is None:
        await say(context, sender_id(update), texts.time_unknown(text))
        return
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        was_onboarding = user.onboarding_step != OnboardingStep.DONE
        if chosen is not None:
            await users.set_nudge_time(session=session, user=user, value=chosen, now=now)
    if chosen is None:
        current = format_time_of_day(user.nudge_time) if user.nudge_time else None
        await say(context, user.id, texts.time_usage(current), keyboards.nudge_times())
        return
    await _time_confirmed(context, user, was_onboarding=was_onboarding)


async def time_button(update: Update, context: Context) -> None:
    """A suggested-time button (`time:07:00`)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    chosen = parse_time_of_day(query.data.removeprefix("time:"))
    if chosen is None:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        was_onboarding = user.onboarding_step != OnboardingStep.DONE
        await users.set_nudge_time(session=session, user=user, value=chosen, now=now)
    await query.answer()
    await drop_buttons(query)
    await _time_confirmed(context, user, was_onboarding=was_onboarding)


async def _time_confirmed(context: Context, user: User, *, was_onboarding: bool) -> None:
    assert user.nudge_time is not None
    zone_name = user.timezone or services(context).settings.default_timezone
    await say(context, user.id, texts.time_set(format_time_of_day(user.nudge_time), zone_name))
    if user.onboarding_step != OnboardingStep.DONE:
        await ask_next_step(context, user)
    elif was_onboarding:
        if user.pair_id is not None:
            await say(context, user.id, texts.ALL_SET_PAIRED)
        else:
            await say(context, user.id, texts.OFFER_INVITE, keyboards.make_invite())
