"""/today: your latest nudge again, or when the next one comes."""

from __future__ import annotations

from datetime import datetime

from bot import keyboards, texts
from bot.i18n import day_long
from bot.unit import Unit, unit_of_work
from nudges.library import nudges_by_id
from nudges.schedule import local_date
from nudges.times import format_time_of_day
from nudges.zones import zone
from storage import deliveries, users
from storage.models import User


@unit_of_work
async def today(unit: Unit) -> None:
    """/today: the latest nudge of today again, else when the next one comes."""
    user, now = unit.sender, unit.now
    partner = await users.partner_of(session=unit.session, user=user)
    latest = await deliveries.latest_for(session=unit.session, user_id=user.id)
    if user.timezone is None or user.nudge_time is None:
        unit.reply(texts.TODAY_NOT_SET_UP)
        return
    if partner is None:
        unit.reply(texts.TODAY_NOT_PAIRED)
        return
    nudge = nudges_by_id().get(latest.nudge_id) if latest is not None else None
    todays = latest is not None and latest.local_date == local_date(now, user.timezone)
    if todays and latest is not None and latest.skipped_at and latest.answered_at is None:
        unit.reply(texts.today_set_aside(_next_nudge(user, now) or ""))
        return
    if todays and latest is not None and nudge is not None:
        unit.reply(
            texts.nudge_message(nudge, partner.first_name),
            keyboards.for_nudge(nudge, latest.id or 0, unit.language),
        )
        return
    unit.reply(_next_nudge(user, now) or texts.TODAY_PAUSED)


def _next_nudge(user: User, now: datetime) -> str | None:
    """When the next nudge comes, in the user's words; None while nudges are paused."""
    if user.next_due_at is None or user.timezone is None:
        return None
    local_due = user.next_due_at.astimezone(zone(user.timezone))
    ahead = (local_due.date() - local_date(now, user.timezone)).days
    when = texts.TODAY if ahead == 0 else texts.TOMORROW
    if ahead > 1:
        when = texts.on_day(day_long(local_due.date()))
    return texts.next_nudge_at(format_time_of_day(local_due.time()), user.timezone, when)
