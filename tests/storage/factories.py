"""Builders for stored data, so tests say what matters and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, time

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import pairs, users
from storage.models import OnboardingStep, Pair, User

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


async def a_user(
    session: AsyncSession,
    user_id: int,
    *,
    name: str = "Alex",
    zone: str = "Europe/Berlin",
    nudge_time: time = time(8, 0),
) -> User:
    user, _ = await users.find_or_create(session=session, user_id=user_id, first_name=name, now=T0)
    user.timezone = zone
    user.nudge_time = nudge_time
    user.onboarding_step = OnboardingStep.DONE
    await session.flush()
    return user


async def a_couple(
    session: AsyncSession,
    a_id: int = 1,
    b_id: int = 2,
    *,
    a_zone: str = "Europe/Berlin",
    b_zone: str = "Europe/Berlin",
    a_time: time = time(8, 0),
    b_time: time = time(8, 0),
    long_distance: bool = False,
    now: datetime = T0,
) -> tuple[User, User, Pair]:
    """Two set-up users, paired at `now` (so their first nudges are scheduled)."""
    a = await a_user(session, a_id, name="Alex", zone=a_zone, nudge_time=a_time)
    b = await a_user(session, b_id, name="Sam", zone=b_zone, nudge_time=b_time)
    pair = await pairs.form(session=session, inviter=a, joiner=b, now=now)
    pair.long_distance = long_distance
    await session.flush()
    return a, b, pair
