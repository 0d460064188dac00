"""Queries about users."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.languages import Language
from storage.models import OnboardingStep, User
from storage.schedules import reschedule_pair_of


async def find(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def find_or_create(
    *,
    session: AsyncSession,
    user_id: int,
    first_name: str,
    now: datetime,
    language: str | None = None,
) -> tuple[User, bool]:
    """The user with this Telegram id, created at the start of onboarding if new.

    Returns the user and whether it was created. A known user's first name is refreshed,
    since people change it in Telegram; `language` (Telegram's, as a supported language) is
    kept only if the user has none yet (a choice made with /language stays).
    """
    user = await session.get(User, user_id)
    if user is not None:
        if first_name and user.first_name != first_name[:128]:
            user.first_name = first_name[:128]
        if user.language is None and language is not None:
            user.language = language
        return user, False
    user = User(
        id=user_id,
        first_name=first_name[:128] or "friend",
        onboarding_step=OnboardingStep.TIMEZONE,
        created_at=now,
        language=language,
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


async def set_timezone(*, session: AsyncSession, user: User, zone: str, now: datetime) -> None:
    """Stores the zone and re-plans the next nudge; onboarding moves on to the time."""
    user.timezone = zone
    if user.onboarding_step == OnboardingStep.TIMEZONE:
        user.onboarding_step = (
            OnboardingStep.TIME if user.nudge_time is None else OnboardingStep.DONE
        )
    await reschedule_pair_of(session=session, user=user, now=now)


async def set_nudge_time(*, session: AsyncSession, user: User, value: time, now: datetime) -> None:
    """Stores the time and re-plans the next nudge; onboarding finishes if it asked for it.

    Moving the time later on a day whose nudge has not gone yet brings it today at the new
    time; once today's has gone, nothing more comes today (SPEC, Scheduling).
    """
    user.nudge_time = value
    if user.onboarding_step == OnboardingStep.TIME:
        user.onboarding_step = OnboardingStep.DONE
    await reschedule_pair_of(session=session, user=user, now=now)


async def welcome_back_if_blocked(*, session: AsyncSession, user: User, now: datetime) -> bool:
    """A user who had blocked the bot wrote again: nudges resume for the pair."""
    if user.blocked_at is None:
        return False
    user.blocked_at = None
    await reschedule_pair_of(session=session, user=user, now=now)
    return True


async def set_language(*, session: AsyncSession, user: User, language: Language) -> None:
    """The language the bot speaks with this person from now on (/language)."""
    user.language = language.value
    session.add(user)
    await session.flush()
