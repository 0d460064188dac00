"""The weekly check-in: its schedule (one due instant per user), the answers, the reveal.

A user's `checkin_due_at` is when their next check-in (or, before the pair opted in, the
one offer of it) is due. The tick claims due users (`claim_due`, `FOR UPDATE SKIP LOCKED`
on PostgreSQL), decides in the same transaction what goes out and moves the instant on:
a check-in is stored as a row before its message leaves, so a crash may lose one but never
sends one twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.checkin import Feeling, feeling_of, first_offer, next_checkin
from nudges.schedule import is_too_late, local_date
from storage import crypto
from storage.models import Checkin, CheckinStep, OnboardingStep, Pair, User

AWAITING_CHECKIN = "checkin"  # `User.awaiting`: the next plain text answers the check-in
OPEN_STEPS = (CheckinStep.FEELING, CheckinStep.APPRECIATED, CheckinStep.MORE_OF)
TEXT_STEPS = (CheckinStep.APPRECIATED, CheckinStep.MORE_OF)


class Due(StrEnum):
    OFFER = "offer"
    CHECKIN = "checkin"


@dataclass(frozen=True)
class DueCheckin:
    """One message the tick sends: the offer, or a check-in (with its row's id)."""

    what: Due
    user_id: int
    partner_name: str
    checkin_id: int | None = None
    language: str | None = None  # the recipient's (users.language)


def next_due(user: User, pair: Pair | None, *, now: datetime) -> datetime | None:
    """When `user`'s next check-in (or its offer) is due; None when nothing will come."""
    if pair is None or pair.ended_at is not None or user.pair_id != pair.id:
        return None
    if user.timezone is None:
        return None
    if pair.checkin_on:
        return next_checkin(
            after=now, weekday=pair.checkin_weekday, at=pair.checkin_time, zone_name=user.timezone
        )
    if user.checkin_offered_at is None:
        return first_offer(paired_at=pair.created_at, now=now, zone_name=user.timezone)
    return None


async def plan(*, session: AsyncSession, pair: Pair, now: datetime) -> list[User]:
    """Re-plans both members' next check-in (after pairing, or the pair changed its check-in
    settings); returns the members."""
    members = list(await session.exec(select(User).where(User.pair_id == pair.id)))
    for member in members:
        member.checkin_due_at = next_due(member, pair, now=now)
    await session.flush()
    return members


async def claim_due(
    *, session: AsyncSession, now: datetime, limit: int, catch_up: timedelta
) -> list[DueCheckin]:
    """Claims up to `limit` users whose check-in (or offer) is due, decides what goes out
    and moves each one's due instant on. Nothing goes out inside a pause, to someone who
    blocked the bot (or whose partner did), or when it fell due more than `catch_up` ago;
    a new check-in closes the user's earlier one that was never finished."""
    claimed = list(
        await session.exec(
            select(User)
            .where(col(User.checkin_due_at) <= now)
            .order_by(col(User.checkin_due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not claimed:
        return []
    pair_ids = {user.pair_id for user in claimed if user.pair_id is not None}
    pairs_by_id = {
        pair.id: pair for pair in await session.exec(select(Pair).where(col(Pair.id).in_(pair_ids)))
    }
    members: dict[int, list[User]] = {}
    for member in await session.exec(select(User).where(col(User.pair_id).in_(pair_ids))):
        members.setdefault(member.pair_id or 0, []).append(member)
    out: list[DueCheckin] = []
    for user in claimed:
        due = user.checkin_due_at
        pair = pairs_by_id.get(user.pair_id or 0)
        partner = next((m for m in members.get(user.pair_id or 0, []) if m.id != user.id), None)
        if due is None or pair is None or partner is None or user.timezone is None:
            user.checkin_due_at = None
            continue
        if _may_send(user, partner, pair, due=due, now=now, catch_up=catch_up):
            if pair.checkin_on:
                checkin = await _start(session, user, pair, due=due, now=now)
                if checkin is not None:
                    out.append(
                        DueCheckin(
                            Due.CHECKIN, user.id, partner.first_name, checkin.id, user.language
                        )
                    )
            elif user.checkin_offered_at is None:
                user.checkin_offered_at = now
                out.append(DueCheckin(Due.OFFER, user.id, partner.first_name, None, user.language))
        user.checkin_due_at = next_due(user, pair, now=max(now, due))
    await session.flush()
    return out


def _may_send(
    user: User, partner: User, pair: Pair, *, due: datetime, now: datetime, catch_up: timedelta
) -> bool:
    paused = pair.paused_until is not None and pair.paused_until > due
    return (
        not paused
        and not is_too_late(due, now, catch_up)
        and user.onboarding_step == OnboardingStep.DONE
        and user.blocked_at is None
        and partner.blocked_at is None
        and (pair.ended_at is None)
    )


async def _start(
    session: AsyncSession, user: User, pair: Pair, *, due: datetime, now: datetime
) -> Checkin | None:
    """A new check-in for `user`; their unfinished earlier one closes. None if they already
    have one for that local date (the pair moved its check-in to later the same day)."""
    assert user.timezone is not None
    week_of = local_date(due, user.timezone)
    existing = await session.exec(
        select(Checkin.id).where(Checkin.user_id == user.id, Checkin.week_of == week_of)
    )
    if existing.first() is not None:
        return None
    await session.exec(
        update(Checkin)
        .where(col(Checkin.user_id) == user.id, col(Checkin.step).in_(OPEN_STEPS))
        .values(step=CheckinStep.CLOSED, closed_at=now)
    )
    if user.awaiting == AWAITING_CHECKIN:
        user.awaiting = None
    checkin = Checkin(user_id=user.id, pair_id=pair.id or 0, week_of=week_of, sent_at=now)
    session.add(checkin)
    await session.flush()
    return checkin


async def own_open(*, session: AsyncSession, user: User, checkin_id: int) -> Checkin | None:
    """The user's own check-in with this id, if it is still open and of their current pair."""
    checkin = await session.get(Checkin, checkin_id)
    if (
        checkin is None
        or checkin.user_id != user.id
        or checkin.pair_id != user.pair_id
        or checkin.step not in OPEN_STEPS
    ):
        return None
    return checkin


async def awaiting_text(*, session: AsyncSession, user: User) -> Checkin | None:
    """The user's open check-in waiting for a typed answer, if any."""
    result = await session.exec(
        select(Checkin)
        .where(
            Checkin.user_id == user.id,
            Checkin.pair_id == user.pair_id,
            col(Checkin.step).in_(TEXT_STEPS),
        )
        .order_by(col(Checkin.week_of).desc())
        .limit(1)
    )
    return result.first()


def set_feeling(checkin: Checkin, feeling: Feeling) -> None:
    """The first answer (a later tap on another word, before finishing, changes it)."""
    checkin.feeling = feeling.value
    if checkin.step == CheckinStep.FEELING:
        checkin.step = CheckinStep.APPRECIATED


def set_text(checkin: Checkin, text: str | None, *, now: datetime) -> None:
    """The answer to the question the check-in waits for (None: skipped), sealed as answer
    texts are; after the last one the check-in is done."""
    stored, sealed = crypto.stored_form(text)
    if checkin.step == CheckinStep.APPRECIATED:
        checkin.appreciated, checkin.appreciated_sealed = stored, sealed
        checkin.step = CheckinStep.MORE_OF
    elif checkin.step == CheckinStep.MORE_OF:
        checkin.more_of, checkin.more_of_sealed = stored, sealed
        checkin.step = CheckinStep.DONE
        checkin.answered_at = now


async def partner_of_week(*, session: AsyncSession, checkin: Checkin) -> Checkin | None:
    """The partner's check-in of the same pair and date, both rows locked (in id order) so
    two partners finishing at once are handled one after the other (a reveal needs both)."""
    result = await session.exec(
        select(Checkin)
        .where(Checkin.pair_id == checkin.pair_id, Checkin.week_of == checkin.week_of)
        .order_by(col(Checkin.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    others = [row for row in result if row.user_id != checkin.user_id]
    return others[0] if others else None


async def feelings(
    *, session: AsyncSession, pair_id: int, user_id: int, latest: int
) -> list[Feeling | None]:
    """The user's feelings in the pair's latest check-ins, newest first (None for one they
    did not finish)."""
    result = await session.exec(
        select(Checkin.feeling, Checkin.step)
        .where(Checkin.pair_id == pair_id, Checkin.user_id == user_id)
        .order_by(col(Checkin.week_of).desc())
        .limit(latest)
    )
    return [feeling_of(feeling) if step == CheckinStep.DONE else None for feeling, step in result]


@dataclass(frozen=True)
class Words:
    """A check-in's answers as written (None: skipped; UNREADABLE: no key opens it)."""

    feeling: Feeling | None
    appreciated: str | crypto.Unreadable | None
    more_of: str | crypto.Unreadable | None


def words_of(checkin: Checkin) -> Words:
    what = f"check-in {checkin.id}"  # named as `crypto.rotate` names it, with its column
    return Words(
        feeling_of(checkin.feeling),
        crypto.opened(
            checkin.appreciated, sealed=checkin.appreciated_sealed, what=f"{what} (appreciated)"
        ),
        crypto.opened(checkin.more_of, sealed=checkin.more_of_sealed, what=f"{what} (more_of)"),
    )


async def close_for_pair(
    *, session: AsyncSession, pair_id: int, members: Sequence[User], now: datetime
) -> None:
    """The pair ended: its unfinished check-ins close and nothing more is due for them."""
    await session.exec(
        update(Checkin)
        .where(col(Checkin.pair_id) == pair_id, col(Checkin.step).in_(OPEN_STEPS))
        .values(step=CheckinStep.CLOSED, closed_at=now)
    )
    for member in members:
        member.checkin_due_at = None
        if member.awaiting == AWAITING_CHECKIN:
            member.awaiting = None


async def erase(*, session: AsyncSession, user_id: int) -> None:
    """Every check-in the user wrote (the partner keeps their own)."""
    await session.exec(delete(Checkin).where(col(Checkin.user_id) == user_id))


async def for_export(*, session: AsyncSession, user_id: int) -> list[dict[str, Any]]:
    """The user's check-ins, oldest first, each with the partner's of the same week when it
    was revealed to them (and nothing else about anyone else)."""
    mine = list(
        await session.exec(
            select(Checkin).where(Checkin.user_id == user_id).order_by(col(Checkin.week_of))
        )
    )
    theirs: dict[tuple[int, object], Checkin] = {}
    revealed = [c for c in mine if c.revealed_at is not None]
    if revealed:
        for other in await session.exec(
            select(Checkin).where(
                col(Checkin.pair_id).in_({c.pair_id for c in revealed}),
                col(Checkin.week_of).in_({c.week_of for c in revealed}),
                Checkin.user_id != user_id,
                col(Checkin.revealed_at).is_not(None),
            )
        ):
            theirs[(other.pair_id, other.week_of)] = other
    entries = []
    for checkin in mine:
        partner = theirs.get((checkin.pair_id, checkin.week_of))
        entries.append(
            {
                "date": checkin.week_of.isoformat(),
                "status": _status(checkin),
                "mine": _exported(checkin),
                "partner_shared_with_me": _exported(partner) if partner is not None else None,
            }
        )
    return entries


def _status(checkin: Checkin) -> Literal["answered", "closed", "open"]:
    if checkin.step == CheckinStep.DONE:
        return "answered"
    return "closed" if checkin.step == CheckinStep.CLOSED else "open"


def _exported(checkin: Checkin) -> dict[str, Any]:
    words = words_of(checkin)

    def plain(value: str | crypto.Unreadable | None) -> str | None:
        return None if isinstance(value, crypto.Unreadable) else value

    unreadable = any(isinstance(v, crypto.Unreadable) for v in (words.appreciated, words.more_of))
    return {
        "felt": words.feeling.value if words.feeling else None,
        "appreciated": plain(words.appreciated),
        "more_of_next_week": plain(words.more_of),
        "answered_at": checkin.answered_at.isoformat() if checkin.answered_at else None,
    } | ({"unreadable": True} if unreadable else {})
