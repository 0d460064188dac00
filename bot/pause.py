"""Pause for busy weeks: /pause (buttons or a length), /resume, and the pause button."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.chat import enter, say, sender_id, tell, too_long_to_parse
from bot.context import Context, services
from nudges.pause import PauseError, PauseProblem, last_paused_day, parse_pause, pause_ends_at
from nudges.schedule import local_date
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
        await _pause(update, context, text)
    else:
        await show_menu(update, context)


async def show_menu(update: Update, context: Context) -> None:
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        pair = await pairs.find(session=session, pair_id=user.pair_id) if user.pair_id else None
    if pair is None:
        await say(context, user.id, texts.PAUSE_NOT_PAIRED)
        return
    await say(context, user.id, texts.PAUSE_MENU, menu(paused=pairs.is_paused(pair, now)))


async def pause_button(update: Update, context: Context) -> None:
    """`pause:menu`, `pause:<length>`, `pause:date` and `pause:resume`."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    choice = query.data.removeprefix("pause:")
    codes = {code for _, code in texts.PAUSE_CHOICES}
    if choice not in codes | {"menu", "date", "resume"}:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer()
    if choice == "menu":
        await show_menu(update, context)
    elif choice == "resume":
        await resume_command(update, context)
    elif choice == "date":
        async with services(context).database.transaction() as session:
            user = await enter(session=session, update=update, now=services(context).clock())
            user.awaiting = AWAITING_DATE
        await say(context, user.id, texts.ASK_PAUSE_DATE)
    else:
        await _pause(update, context, choice)


async def on_awaited_date(update: Update, context: Context) -> None:
    """The date typed after "Until a date…" (one message; anything else goes on as usual)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    if context.sender is not None and context.sender.awaiting != AWAITING_DATE:
        return  # onboarding read the sender for this update: no date is awaited
    async with services(context).database.transaction() as session:
        user = await users.find(session=session, user_id=sender_id(update))
        waiting = user is not None and user.awaiting == AWAITING_DATE
        if user is not None and waiting:
            user.awaiting = None
    if not waiting:
        return
    text = message.text.strip()
    await _pause(update, context, text if text.lower().startswith("until") else f"until {text}")
    raise ApplicationHandlerStop


async def _pause(update: Update, context: Context, text: str) -> None:
    if too_long_to_parse(text):
        await say(context, sender_id(update), texts.PAUSE_NOT_UNDERSTOOD)
        return
    now = services(context).clock()
    problem: str | None = None
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        partner = await users.partner_of(session=session, user=user)
        pair = await pairs.find(session=session, pair_id=user.pair_id) if user.pair_id else None
        user_zone = user.timezone or services(context).settings.default_timezone
        try:
            resume_on = parse_pause(text, today=local_date(now, user_zone))
        except PauseError as error:
            problem = PROBLEMS[error.problem]
        if partner is None or pair is None:
            problem = texts.PAUSE_NOT_PAIRED
        if problem is None:
            replaced = pairs.is_paused(pair, now)
            until = pause_ends_at(resume_on, user_zone)
            await pairs.pause(session=session, user=user, until=until, now=now)
    if problem is not None or partner is None:
        await say(context, user.id, problem or texts.PAUSE_NOT_PAIRED)
        return
    await say(
        context,
        user.id,
        texts.paused(
            f"{last_paused_day(resume_on):%A %d %B}",
            f"{resume_on:%A %d %B}",
            partner.first_name,
            replaced=replaced,
        ),
    )
    await tell(
        context.bot,
        partner.id,
        texts.partner_paused(user.first_name, _back(until, partner), replaced=replaced),
    )


async def resume_command(update: Update, context: Context) -> None:
    """/resume (or the resume button): nudges back on now, for both."""
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        partner = await users.partner_of(session=session, user=user)
        pair = await pairs.resume(session=session, user=user, now=now)
    if pair is None or partner is None:
        await say(context, user.id, texts.NOT_PAUSED)
        return
    await say(context, user.id, texts.resumed(_next_line(user, now)))
    await tell(
        context.bot, partner.id, texts.partner_resumed(user.first_name, _next_line(partner, now))
    )


def _back(until: datetime, person: User) -> str:
    """When a pause ends, in that person's own time zone."""
    local = until.astimezone(zone(person.timezone or "UTC"))
    if local.hour == 0 and local.minute == 0:
        return f"on {local:%a %d %b}"
    return f"on {local:%a %d %b} at {local:%H:%M} your time"


def _next_line(person: User, now: datetime) -> str:
    if person.next_due_at is None or person.timezone is None:
        return ""
    local = person.next_due_at.astimezone(zone(person.timezone))
    today = local_date(now, person.timezone)
    day = "today" if local.date() == today else f"on {local:%a %d %b}"
    return texts.next_nudge_line(f"{day} at {local:%H:%M}")
