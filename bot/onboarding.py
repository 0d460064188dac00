"""Onboarding (/start): time zone, then nudge time, then the invite. Also /time, /timezone.

The current step is stored on the user, so a restart in the middle loses nothing.
"""

from __future__ import annotations

from datetime import time

from telegram import ReplyKeyboardRemove, Update

from bot import keyboards, texts
from bot.chat import drop_buttons, send_now, sender_id, too_long_to_parse, update_language
from bot.context import Context
from bot.unit import Unit, unit_of_work
from nudges.times import format_time_of_day, parse_time_of_day
from nudges.zones import ZoneMatch, resolve_zone, zone, zone_for_location
from storage import users
from storage.models import OnboardingStep, User


@unit_of_work
async def start(unit: Unit[User]) -> None:
    """/start without a code: welcome a new user, or continue where they stopped."""
    user = unit.sender
    partner = await users.partner_of(session=unit.session, user=user)
    if user.onboarding_step == OnboardingStep.DONE:
        if partner is not None:
            unit.reply(texts.ALL_SET_PAIRED)
        else:
            unit.reply(texts.OFFER_INVITE, keyboards.make_invite(unit.language))
        return
    new = unit.sender_is_new
    unit.reply(texts.welcome(user.first_name) if new else texts.welcome_back(user.first_name))
    ask_next_step(unit)


def ask_next_step(unit: Unit[User]) -> None:
    """Asks the question of the sender's current onboarding step (nothing when done)."""
    if unit.sender.onboarding_step == OnboardingStep.TIMEZONE:
        unit.reply(texts.ASK_TIMEZONE, keyboards.share_location(unit.language))
    elif unit.sender.onboarding_step == OnboardingStep.TIME:
        unit.reply(texts.ASK_TIME, keyboards.nudge_times())


async def take_text(unit: Unit[User], text: str) -> None:
    """A plain message from someone onboarding (the router sends it here): the zone or the
    time their step asks for; someone new is welcomed."""
    user, session, now = unit.sender, unit.session, unit.now
    readable = not too_long_to_parse(text)
    if unit.sender_is_new:
        unit.reply(texts.welcome(user.first_name))
        ask_next_step(unit)
    elif user.onboarding_step == OnboardingStep.TIMEZONE:
        match = resolve_zone(text) if readable else None
        if match is None:
            unit.reply(texts.timezone_unknown(text))
            return
        await users.set_timezone(session=session, user=user, zone=match.zone, now=now)
        _timezone_confirmed(unit, match)
    elif user.onboarding_step == OnboardingStep.TIME:
        chosen = parse_time_of_day(text) if readable else None
        if chosen is None:
            unit.reply(texts.time_unknown(text))
            return
        await users.set_nudge_time(session=session, user=user, value=chosen, now=now)
        _time_confirmed(unit, was_onboarding=True)


async def on_location(update: Update, context: Context) -> None:
    """A shared location sets the time zone, during onboarding or any time after."""
    message = update.effective_message
    if message is None or message.location is None:
        return
    found = zone_for_location(message.location.latitude, message.location.longitude)
    if found is None:
        await send_now(
            context, sender_id(update), texts.LOCATION_NO_ZONE, language=update_language(update)
        )
        return
    await _change_timezone(update, context, ZoneMatch(found, found.rsplit("/", 1)[-1]))


async def timezone_command(update: Update, context: Context) -> None:
    """/timezone <zone or city>; without one, says how and offers the location button."""
    text = " ".join(context.args or [])
    if not text:
        await _timezone_usage(update, context)
        return
    match = None if too_long_to_parse(text) else resolve_zone(text)
    if match is None:
        await send_now(
            context,
            sender_id(update),
            texts.timezone_unknown(text),
            language=update_language(update),
        )
        return
    await _change_timezone(update, context, match)


@unit_of_work
async def _timezone_usage(unit: Unit[User]) -> None:
    unit.reply(texts.timezone_usage(unit.sender.timezone), keyboards.share_location(unit.language))


@unit_of_work
async def _change_timezone(unit: Unit[User], match: ZoneMatch) -> None:
    await users.set_timezone(session=unit.session, user=unit.sender, zone=match.zone, now=unit.now)
    _timezone_confirmed(unit, match)


def _timezone_confirmed(unit: Unit[User], match: ZoneMatch | None) -> None:
    zone_name = unit.sender.timezone or "UTC"
    local_now = unit.now.astimezone(zone(zone_name))
    place = match.place if match is not None else zone_name
    unit.reply(
        texts.timezone_set(place, zone_name, format_time_of_day(local_now.time())),
        ReplyKeyboardRemove(),
    )
    ask_next_step(unit)


async def time_command(update: Update, context: Context) -> None:
    """/time HH:MM; without a time, shows the current one and the suggested buttons."""
    text = " ".join(context.args or [])
    chosen = parse_time_of_day(text) if text and not too_long_to_parse(text) else None
    if text and chosen is None:
        await send_now(
            context, sender_id(update), texts.time_unknown(text), language=update_language(update)
        )
        return
    await _set_time(update, context, chosen)


@unit_of_work
async def _set_time(unit: Unit[User], chosen: time | None) -> None:
    user = unit.sender
    if chosen is None:
        current = format_time_of_day(user.nudge_time) if user.nudge_time else None
        unit.reply(texts.time_usage(current), keyboards.nudge_times())
        return
    was_onboarding = user.onboarding_step != OnboardingStep.DONE
    await users.set_nudge_time(session=unit.session, user=user, value=chosen, now=unit.now)
    _time_confirmed(unit, was_onboarding=was_onboarding)


@unit_of_work
async def time_button(unit: Unit[User]) -> None:
    """A suggested-time button (`time:07:00`)."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    chosen = parse_time_of_day(query.data.removeprefix("time:"))
    if chosen is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    user = unit.sender
    was_onboarding = user.onboarding_step != OnboardingStep.DONE
    await users.set_nudge_time(session=unit.session, user=user, value=chosen, now=unit.now)
    unit.then(query.answer)
    unit.then(lambda: drop_buttons(query))
    _time_confirmed(unit, was_onboarding=was_onboarding)


def _time_confirmed(unit: Unit[User], *, was_onboarding: bool) -> None:
    user = unit.sender
    assert user.nudge_time is not None
    zone_name = user.timezone or unit.services.settings.default_timezone
    unit.reply(texts.time_set(format_time_of_day(user.nudge_time), zone_name))
    if user.onboarding_step != OnboardingStep.DONE:
        ask_next_step(unit)
    elif was_onboarding:
        if user.pair_id is not None:
            unit.reply(texts.ALL_SET_PAIRED)
        else:
            unit.reply(texts.OFFER_INVITE, keyboards.make_invite(unit.language))
