"""Queries about users."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OnboardingStep, User


async def find(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def find_or_create(
    *,
    session: AsyncSession,
    user_id: int,
    first_name: str,
    now: datetime,
) -> tuple[User, bool]:
    """The user with this Telegram id, created at the start of onboarding if new.

    Returns the user and whether it was created. A known user's first name is refreshed,
    since people change it in Telegram.
    """
    user = await session.get(User, user_id)
    if user is not None:
        if first_name and user.first_name != first_name[:128]:
            user.first_name = first_name[:128]
        return user, False
    user = User(
        id=user_id,
        first_name=first_name[:128] or "friend",
        onboarding_step=OnboardingStep.TIMEZONE,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user, True


async def partner_of(*, session: AsyncSession, user: User) -> User | None:
    """The other member of the user's current pair, if they are paired."""
    if user.pair_id is None:
        return None
    result = await session.exec(
        select(User).where(User.pair_id == user.pair_id, User.id != user.id)
    )
    return result.first()


def set_timezone(user: User, zone: str) -> None:
    """Stores the zone; onboarding moves on to the time (or finishes if it is known)."""
    user.timezone = zone
    if user.onboarding_step == OnboardingStep.TIMEZONE:
        user.onboarding_step = (
            OnboardingStep.TIME if user.nudge_time is None else OnboardingStep.DONE
        )


def set_nudge_time(user: User, value: time) -> None:
    """Stores the time; onboarding finishes if it was asking for it."""
    user.nudge_time = value
    if user.onboarding_step == OnboardingStep.TIME:
        user.onboarding_step = OnboardingStep.DONE
