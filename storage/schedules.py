"""Keeping each user's `next_due_at` true: the instant their next nudge is due, or None."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Protocol

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.schedule import next_due, weekdays_from_mask
from storage.models import OnboardingStep, Pair, User


class Member(Protocol):
    """What the schedule reads of a user: a `User`, or the dispatcher's lighter row."""

    @property
    def pair_id(self) -> int | None: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def nudge_time(self) -> time | None: ...
    @property
    def onboarding_step(self) -> OnboardingStep: ...
    @property
    def blocked_at(self) -> datetime | None: ...
    @property
    def weekdays(self) -> int: ...
    @property
    def last_nudge_date(self) -> date | None: ...


class Partner(Protocol):
    """What the schedule reads of the partner."""

    @property
    def pair_id(self) -> int | None: ...
    @property
    def blocked_at(self) -> datetime | None: ...


class Pausable(Protocol):
    """What the schedule reads of a pair."""

    @property
    def paused_until(self) -> datetime | None: ...


def can_receive(user: Member, partner: Partner | None) -> bool:
    """Nudges go only to someone paired and set up, while neither partner blocked the bot
    (a block is treated as a pause for the pair until they are back)."""
    return (
        partner is not None
        and user.pair_id is not None
        and partner.pair_id == user.pair_id
        and user.timezone is not None
        and user.nudge_time is not None
        and user.onboarding_step == OnboardingStep.DONE
        and user.blocked_at is None
        and partner.blocked_at is None
    )


def next_due_for(
    user: Member, *, partner: Partner | None, pair: Pausable | None, after: datetime
) -> datetime | None:
    """When `user`'s next nudge is due (strictly after `after`, on one of their nudge days,
    after any pause of the pair); None while none should come."""
    if pair is None or not can_receive(user, partner):
        return None
    assert user.nudge_time is not None and user.timezone is not None
    return next_due(
        after=after,
        at=user.nudge_time,
        zone_name=user.timezone,
        last_local_date=user.last_nudge_date,
        paused_until=pair.paused_until,
        weekdays=weekdays_from_mask(user.weekdays),
    )


async def reschedule_pair_of(*, session: AsyncSession, user: User, now: datetime) -> None:
    """Recomputes `next_due_at` for the user and, if paired, their partner."""
    partner: User | None = None
    pair: Pair | None = None
    if user.pair_id is not None:
        partner = (
            await session.exec(select(User).where(User.pair_id == user.pair_id, User.id != user.id))
        ).first()
        pair = await session.get(Pair, user.pair_id)
    user.next_due_at = next_due_for(user, partner=partner, pair=pair, after=now)
    if partner is not None:
        partner.next_due_at = next_due_for(partner, partner=user, pair=pair, after=now)
    await session.flush()
