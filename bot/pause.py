"""Pause for busy weeks: /pause (buttons or a length), /resume, and the pause button."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import texts
from bot.chat import send_now, sender_id, too_long_to_parse, update_language
from bot.context import Context
from bot.i18n import day_long, day_short, say
from bot.unit import Unit, unit_of_work
from nudges.pause import PauseError, PauseProblem, last_paused_day, parse_pause, pause_ends_at
from nudges.schedule import local_date
from nudges.times import format_time_of_day
from nudges.zones import zone
from storage import pairs, users
from storage.models import User

AWAITING_DATE = "pause_date"
PROBLEMS = {
    PauseProblem.NOT_UNDERSTOOD: texts.PAUSE_NOT_UNDERSTOOD,
    PauseProblem.IN_THE_PAST: texts.PAUSE_IN_THE_PAST,
    PauseProblem.TOO_LONG: texts.PAUSE_TOO_LONG,
}


def menu(*, paused: bool) -> InlineKeyboardMarkup:
    choices = [
        InlineKeyboardButton(label, callback_data=f"pause:{code}")
        for label, code in texts.PAUSE_CHOICES
    ]
    rows = [
        choices[:2],
        choices[2:],
        [InlineKeyboardButton(texts.PAUSE_UNTIL_BUTTON, callback_data="pause:date")],
    ]
    if paused:
        rows.append([InlineKeyboardButton(texts.RESUME_BUTTON, callback_data="pause:resume")])
    return InlineKeyboardMarkup(rows)


async def pause_command(update: Update, context: Context) -> None:
    """/pause with a length pauses at once; without one it shows the choices."""
    text = " ".join(context.args or [])
    if text:
        await _pause_for(update, context, text)
    else:
        await show_menu(update, context)


@unit_of_work
async def show_menu(unit: Unit[User]) -> None:
    user = unit.sender
    pair = await pairs.find(session=unit.session, pair_id=user.pair_id) if user.pair_id else None
    if pair is None:
        unit.reply(texts.PAUSE_NOT_PAIRED)
        return
    unit.reply(texts.PAUSE_MENU, menu(paused=pairs.is_paused(pair, unit.now)))


async def pause_button(update: Update, context: Context) -> None:
    """`pause:menu`, `pause:<length>`, `pause:date` and `pause:resume`."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    choice = query.data.removeprefix("pause:")
    codes = {code for _, code in texts.PAUSE_CHOICES}
    if choice not in codes | {"menu", "date", "resume"}:
        await query.answer(say(texts.BUTTON_EXPIRED, update_language(update)), show_alert=True)
        return
    await query.answer()
    if choice == "menu":
        await show_menu(update, context)
    elif choice == "resume":
        await resume_command(update, context)
    elif choice == "date":
        await _await_date(update, context)
    else:
        await _pause_for(update, context, choice)


@unit_of_work
async def _await_date(unit: Unit[User]) -> None:
    """The next plain text is the date (the router sends it to `take_awaited_date`)."""
    unit.sender.awaiting = AWAITING_DATE
    unit.reply(texts.ASK_PAUSE_DATE)


async def take_awaited_date(unit: Unit[User], text: str) -> None:
    """The date typed after "Until a date…" (the router sends it here, once)."""
    unit.sender.awaiting = None
    text = text.strip()
    await _pause(unit, text if text.lower().startswith("until") else f"until {text}")


async def _pause_for(update: Update, context: Context, text: str) -> None:
    if too_long_to_parse(text):
        await send_now(
            context, sender_id(update), texts.PAUSE_NOT_UNDERSTOOD, language=update_language(update)
        )
        return
    await _pause_in_unit(update, context, text)


@unit_of_work
async def _pause_in_unit(unit: Unit[User], text: str) -> None:
    await _pause(unit, text)


async def _pause(unit: Unit[User], text: str) -> None:
    if too_long_to_parse(text):
        unit.reply(texts.PAUSE_NOT_UNDERSTOOD)
        return
    session, user, now = unit.session, unit.sender, unit.now
    problem: str | None = None
    partner = await users.partner_of(session=session, user=user)
    pair = await pairs.find(session=session, pair_id=user.pair_id) if user.pair_id else None
    user_zone = user.timezone or unit.services.settings.default_timezone
    try:
        resume_on = parse_pause(text, today=local_date(now, user_zone))
    except PauseError as error:
        problem = PROBLEMS[error.problem]
    if partner is None or pair is None:
        problem = texts.PAUSE_NOT_PAIRED
    if problem is not None or partner is None:
        unit.reply(problem or texts.PAUSE_NOT_PAIRED)
        return
    replaced = pairs.is_paused(pair, now)
    until = pause_ends_at(resume_on, user_zone)
    await pairs.pause(session=session, user=user, until=until, now=now)
    unit.reply(
        texts.paused(
            day_long(last_paused_day(resume_on)),
            day_long(resume_on),
            partner.first_name,
            replaced=replaced,
        )
    )
    unit.notify(
        partner, texts.partner_paused(user.first_name, _back(until, partner), replaced=replaced)
    )


@unit_of_work
async def resume_command(unit: Unit[User]) -> None:
    """/resume (or the resume button): nudges back on now, for both."""
    session, user, now = unit.session, unit.sender, unit.now
    partner = await users.partner_of(session=session, user=user)
    pair = await pairs.resume(session=session, user=user, now=now)
    if pair is None or partner is None:
        unit.reply(texts.NOT_PAUSED)
        return
    unit.reply(texts.resumed(_next_line(user, now)))
    unit.notify(partner, texts.partner_resumed(user.first_name, _next_line(partner, now)))


def _back(until: datetime, person: User) -> str:
    """When a pause ends, in that person's own time zone."""
    local = until.astimezone(zone(person.timezone or "UTC"))
    if local.hour == 0 and local.minute == 0:
        return texts.back_on_day(day_short(local.date()))
    return texts.back_on_day_at(day_short(local.date()), format_time_of_day(local.time()))


def _next_line(person: User, now: datetime) -> str:
    if person.next_due_at is None or person.timezone is None:
        return ""
    local = person.next_due_at.astimezone(zone(person.timezone))
    today = local_date(now, person.timezone)
    day = texts.TODAY if local.date() == today else texts.on_day(day_short(local.date()))
    return texts.next_nudge_line(texts.day_at(day, format_time_of_day(local.time())))
