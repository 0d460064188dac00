"""Data rights: everything stored about a user, and erasing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.library import Kind, Nudge, nudges_by_id
from storage import checkins, crypto, pairs
from storage.models import AnswerPart, Delivery, Invite, Pair, User


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _part(part: AnswerPart) -> dict[str, Any]:
    """One part of an answer as exported (the one place this module reads a part's text)."""
    words = crypto.text_of(part)
    unreadable = words is crypto.UNREADABLE
    return (
        {
            "type": part.content_type,
            "text": None if unreadable else words,
            "media_file_id": part.file_id,
            "at": _plain(part.created_at),
            "edited_at": _plain(part.edited_at),
        }
        | ({"unreadable": True} if unreadable else {})
        | ({"guess": True} if part.guess else {})
    )


EXPORT_BATCH = 200  # deliveries read per query while exporting


@dataclass(frozen=True)
class ExportBatch:
    """Some of a user's nudges, as plain JSON-able entries, and where the next batch starts
    (None: there is no more)."""

    entries: list[dict[str, Any]]
    next_after: date | None


async def export_profile(*, session: AsyncSession, user: User) -> dict[str, Any]:
    """The user's profile, pairings and invites, as plain JSON-able data (the export's first
    keys; its nudges come from `export_nudges`)."""
    names: dict[int, str] = {}
    pair_rows = list(
        await session.exec(
            select(Pair)
            .where(or_(col(Pair.user_a_id) == user.id, col(Pair.user_b_id) == user.id))
            .order_by(col(Pair.created_at))
        )
    )
    others = {p.user_b_id if p.user_a_id == user.id else p.user_a_id for p in pair_rows} - {None}
    if others:
        for other in await session.exec(select(User).where(col(User.id).in_(others))):
            names[other.id] = other.first_name
    invites = list(await session.exec(select(Invite).where(Invite.inviter_id == user.id)))
    weekly = await checkins.for_export(session=session, user_id=user.id)
    return {
        "profile": {
            "telegram_user_id": user.id,
            "first_name": user.first_name,
            "time_zone": user.timezone,
            "nudge_time": _plain(user.nudge_time),
            "nudge_weekdays": [d for d in range(7) if user.weekdays >> d & 1],
            "follow_ups": user.follow_ups,
            "spark_opt_in": user.spark,
            "onboarding_step": user.onboarding_step,
            "created_at": _plain(user.created_at),
            "next_nudge_due_at": _plain(user.next_due_at),
        },
        "pairs": [
            {
                "partner": names.get(
                    (p.user_b_id if p.user_a_id == user.id else p.user_a_id) or 0,
                    "(erased)",
                ),
                "since": _plain(p.created_at),
                "ended_at": _plain(p.ended_at),
                "current": p.id == user.pair_id,
                "topics": p.topics.split(","),
                "living": p.living.value if p.living else None,
                "paused_until": _plain(p.paused_until),
            }
            for p in pair_rows
        ],
        "invites": [
            {
                "created_at": _plain(i.created_at),
                "expires_at": _plain(i.expires_at),
                "used_at": _plain(i.used_at),
                "revoked_at": _plain(i.revoked_at),
            }
            for i in invites
        ],
    } | ({"checkins": weekly} if weekly else {})


async def export_nudges(
    *,
    session: AsyncSession,
    user_id: int,
    after: date | None,
    newest_first: bool = False,
    limit: int = EXPORT_BATCH,
) -> ExportBatch:
    """Up to `limit` of the user's nudges after the date `after` (in date order, or newest
    first), each with their answer and what their partner shared with them that day (and
    nothing else about anyone else). Three queries a batch, however many it holds."""
    day = col(Delivery.local_date)
    query = select(Delivery).where(Delivery.user_id == user_id)
    if after is not None:
        query = query.where(day < after if newest_first else day > after)
    mine = list(
        await session.exec(query.order_by(day.desc() if newest_first else day).limit(limit))
    )
    theirs = await _partners_shared(session, mine)
    parts = await _parts_by_delivery(
        session, [d.id or 0 for d in mine] + [d.id or 0 for d in theirs.values()]
    )
    library = nudges_by_id()
    entries = []
    for delivery in mine:
        nudge = library.get(delivery.nudge_id)
        partner = theirs.get((delivery.pair_id or 0, delivery.local_date))
        entries.append(
            {
                "date": _plain(delivery.local_date),
                "nudge_id": delivery.nudge_id,
                "category": nudge.category.value if nudge else None,
                "kind": nudge.kind.value if nudge else None,
                "text": nudge.text if nudge else None,
                "status": delivery.status,
                "sent_at": _plain(delivery.sent_at),
                "answered_at": _plain(delivery.answered_at),
                "done_at": _plain(delivery.done_at),
                "plan_choice": delivery.plan_choice,
                "my_answer": [_part(p) for p in parts.get(delivery.id or 0, [])],
                "partner_shared_with_me": (
                    [_part(p) for p in parts.get(partner.id or 0, [])] if partner else []
                ),
            }
            | _picks(nudge, delivery, partner)
            | ({"set_aside_at": _plain(delivery.skipped_at)} if delivery.skipped_at else {})
        )
    more = len(mine) == limit
    return ExportBatch(entries, mine[-1].local_date if more else None)


def _picks(nudge: Nudge | None, mine: Delivery, partner: Delivery | None) -> dict[str, Any]:
    """A choice or guess nudge's tapped options, by their words: the user's own, and the
    partner's once revealed to the user (other nudges add nothing)."""
    if nudge is None or not nudge.options:
        return {}

    def option(index: int | None) -> str | None:
        return nudge.options[index] if index is not None and index < len(nudge.options) else None

    picks = {
        "my_pick": option(mine.pick),
        "partner_pick": option(partner.pick if partner else None),
    }
    if nudge.kind == Kind.GUESS:
        picks |= {
            "my_guess": option(mine.guess_pick),
            "partner_guess": option(partner.guess_pick if partner else None),
        }
    return picks


async def _partners_shared(
    session: AsyncSession, mine: list[Delivery]
) -> dict[tuple[int, date], Delivery]:
    """The partner's delivery of each of these days, by (pair, date), where it was shared
    with the user (revealed, or a note delivered to them)."""
    pair_ids = {d.pair_id for d in mine if d.pair_id is not None}
    if not pair_ids:
        return {}
    user_id, days = mine[0].user_id, {d.local_date for d in mine}
    found = await session.exec(
        select(Delivery).where(
            col(Delivery.pair_id).in_(pair_ids),
            col(Delivery.local_date).in_(days),
            Delivery.user_id != user_id,
        )
    )
    wanted = {(d.pair_id, d.local_date) for d in mine}
    shared: dict[tuple[int, date], Delivery] = {}
    for delivery in found:
        key = (delivery.pair_id or 0, delivery.local_date)
        if key not in wanted or key in shared:
            continue
        if delivery.revealed_at is not None or delivery.shared_at is not None:
            shared[key] = delivery
    return shared


async def erase(*, session: AsyncSession, user_id: int, now: datetime) -> list[User]:
    """Erases every row about the user; returns the partner they had (to tell), if any.

    The partner keeps their own answers; the user's disappear from the pair's journal.
    Kept: the wrong invite codes they tried in the last hour (a time and their id, no
    content), so that erasing oneself does not reset the limit on guessing codes; they are
    deleted with everyone's once older than the limit's window.
    """
    user = await session.get(User, user_id)
    if user is None:
        return []
    members = (
        await pairs.end(session=session, pair_id=user.pair_id, now=now) if user.pair_id else []
    )
    my_deliveries = select(Delivery.id).where(Delivery.user_id == user_id)
    await session.exec(delete(AnswerPart).where(col(AnswerPart.delivery_id).in_(my_deliveries)))
    await session.exec(delete(Delivery).where(col(Delivery.user_id) == user_id))
    await checkins.erase(session=session, user_id=user_id)
    await session.exec(delete(Invite).where(col(Invite.inviter_id) == user_id))
    await session.exec(update(Pair).where(col(Pair.user_a_id) == user_id).values(user_a_id=None))
    await session.exec(update(Pair).where(col(Pair.user_b_id) == user_id).values(user_b_id=None))
    await session.exec(update(Pair).where(col(Pair.paused_by) == user_id).values(paused_by=None))
    await session.delete(user)
    await session.flush()
    return [member for member in members if member.id != user_id]


async def _parts_by_delivery(
    session: AsyncSession, delivery_ids: list[int]
) -> dict[int, list[AnswerPart]]:
    grouped: dict[int, list[AnswerPart]] = {}
    if delivery_ids:
        for part in await session.exec(
            select(AnswerPart)
            .where(col(AnswerPart.delivery_id).in_(delivery_ids))
            .order_by(col(AnswerPart.id))
        ):
            grouped.setdefault(part.delivery_id, []).append(part)
    return grouped
