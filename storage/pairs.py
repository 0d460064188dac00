"""Queries about pairs: forming one, ending one."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import checkins, invites
from storage.models import Pair, PairPause, User
from storage.schedules import reschedule_pair_of


async def form(*, session: AsyncSession, inviter: User, joiner: User, now: datetime) -> Pair:
    """Pairs two unpaired users.

    Every open invite of either stops working: it was made to find a partner, and each has
    one now (nor does unpairing later bring one back).

    Raises `PairingRace` when either got paired meanwhile (another instance, same moment):
    the guarded UPDATE notices, and the caller's transaction rolls back.
    """
    pair = Pair(
        user_a_id=inviter.id,
        user_b_id=joiner.id,
        created_at=now,
        seed=secrets.randbits(62),
    )
    session.add(pair)
    await session.flush()
    result = await session.exec(
        update(User)
        .where(col(User.id).in_([inviter.id, joiner.id]), col(User.pair_id).is_(None))
        .values(pair_id=pair.id)
    )
    if result.rowcount != 2:
        raise PairingRace
    await invites.revoke_open(session=session, inviter_ids=[inviter.id, joiner.id], now=now)
    await session.refresh(inviter)
    await session.refresh(joiner)
    await reschedule_pair_of(session=session, user=inviter, now=now)
    await checkins.plan(session=session, pair=pair, now=now)
    return pair


class PairingRace(Exception):
    """One of the two was paired by another request at the same moment; roll back."""


async def end(*, session: AsyncSession, pair_id: int, now: datetime) -> list[User]:
    """Ends the pair; returns its members (now unpaired). Nobody's data is deleted.

    An invite either member left open (one made before pairing, by a version that did not
    revoke it then) stops working too: ending a pair never revives an old invite."""
    pair = await session.get(Pair, pair_id)
    if pair is None or pair.ended_at is not None:
        return []
    pair.ended_at = now
    members = list(await session.exec(select(User).where(User.pair_id == pair_id)))
    for member in members:
        member.pair_id = None
        member.next_due_at = None
    await checkins.close_for_pair(session=session, pair_id=pair_id, members=members, now=now)
    await invites.revoke_open(session=session, inviter_ids=[m.id for m in members], now=now)
    await session.flush()
    return members


async def find(*, session: AsyncSession, pair_id: int) -> Pair | None:
    return await session.get(Pair, pair_id)


async def pause(
    *, session: AsyncSession, user: User, until: datetime, now: datetime
) -> Pair | None:
    """Pauses the user's pair until `until` (a later pause replaces an earlier one); both
    partners' next nudges move past it, and each gets a welcome-back line after it."""
    if user.pair_id is None:
        return None
    pair = await session.get(Pair, user.pair_id)
    if pair is None:
        return None
    running = await _running_pause(session, pair, now)
    if running is not None:
        running.ends_at = until
    else:
        session.add(PairPause(pair_id=pair.id, started_at=now, ends_at=until))
    pair.paused_until = until
    pair.paused_by = user.id
    for member in await session.exec(select(User).where(User.pair_id == pair.id)):
        member.welcome_back = True
    await reschedule_pair_of(session=session, user=user, now=now)
    return pair


async def resume(*, session: AsyncSession, user: User, now: datetime) -> Pair | None:
    """Ends the pair's pause now (None if it was not paused)."""
    if user.pair_id is None:
        return None
    pair = await session.get(Pair, user.pair_id)
    if pair is None or pair.paused_until is None or pair.paused_until <= now:
        return None
    running = await _running_pause(session, pair, now)
    if running is not None:
        running.ends_at = now
    pair.paused_until = None
    pair.paused_by = None
    for member in await session.exec(select(User).where(User.pair_id == pair.id)):
        member.welcome_back = False
    await reschedule_pair_of(session=session, user=user, now=now)
    return pair


async def _running_pause(session: AsyncSession, pair: Pair, now: datetime) -> PairPause | None:
    """The pair's remembered pause that has not ended yet, if any."""
    result = await session.exec(
        select(PairPause)
        .where(PairPause.pair_id == pair.id, col(PairPause.ends_at) > now)
        .order_by(col(PairPause.started_at).desc())
        .limit(1)
    )
    return result.first()


async def pauses_between(
    *, session: AsyncSession, pair_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The pair's pauses (start, end) that overlap [start, end)."""
    rows = await session.exec(
        select(PairPause.started_at, PairPause.ends_at).where(
            PairPause.pair_id == pair_id,
            col(PairPause.started_at) < end,
            col(PairPause.ends_at) > start,
        )
    )
    return [(started, ends) for started, ends in rows]


def is_paused(pair: Pair | None, now: datetime) -> bool:
    return pair is not None and pair.paused_until is not None and pair.paused_until > now
