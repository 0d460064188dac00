"""Queries about invites and the wrong codes people try."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Invite, WrongCode


async def create(
    *,
    session: AsyncSession,
    inviter_id: int,
    code_hash: str,
    now: datetime,
    lifetime: timedelta,
) -> Invite:
    """A new invite; any older open invite of the same user stops working."""
    await revoke_open(session=session, inviter_ids=[inviter_id], now=now)
    invite = Invite(
        inviter_id=inviter_id, code_hash=code_hash, created_at=now, expires_at=now + lifetime
    )
    session.add(invite)
    await session.flush()
    return invite


async def revoke_open(*, session: AsyncSession, inviter_ids: Iterable[int], now: datetime) -> None:
    """Every open (unused, unrevoked) invite these users made stops working for good."""
    await session.exec(
        update(Invite)
        .where(
            col(Invite.inviter_id).in_(list(inviter_ids)),
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


async def find_by_hash(*, session: AsyncSession, code_hash: str) -> Invite | None:
    result = await session.exec(select(Invite).where(Invite.code_hash == code_hash))
    return result.first()


async def mark_used(*, session: AsyncSession, invite: Invite, now: datetime) -> bool:
    """Uses the invite up; False when someone else used it first."""
    result = await session.exec(
        update(Invite)
        .where(
            col(Invite.id) == invite.id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


async def forget_wrong_codes(*, session: AsyncSession, before: datetime) -> int:
    """Deletes the wrong codes tried before `before` (everyone's); returns how many."""
    result = await session.exec(delete(WrongCode).where(col(WrongCode.at) < before))
    return result.rowcount


async def record_wrong_code(*, session: AsyncSession, user_id: int, now: datetime) -> None:
    session.add(WrongCode(user_id=user_id, at=now))
    await session.flush()


async def count_wrong_codes_since(*, session: AsyncSession, user_id: int, since: datetime) -> int:
    result = await session.exec(
        select(func.count())
        .select_from(WrongCode)
        .where(WrongCode.user_id == user_id, col(WrongCode.at) >= since)
    )
    return result.one()
