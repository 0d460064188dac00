"""Queries about replies: which nudge a message answers, the parts of an answer, reveals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import crypto
from storage.models import AnswerPart, Delivery, DeliveryStatus, Pair, User

REPLY_WINDOW = timedelta(days=7)
MAX_PARTS = 10  # messages kept in one answer; the partner never gets more than these
REACHED = (DeliveryStatus.SENT, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class Answering:
    """What a plain message needs to become an answer, read in one query: the sender, their
    partner, the delivery it answers, the partner's delivery of the same day, and how many
    parts the answer has so far."""

    user: User
    partner: User | None
    mine: Delivery | None
    theirs: Delivery | None
    parts: int = 0

    @property
    def full(self) -> bool:
        """Whether the answer holds all the parts it may (MAX_PARTS)."""
        return self.parts >= MAX_PARTS


def _answering_query(target: Any) -> Any:
    partner, mine, theirs = aliased(User), aliased(Delivery), aliased(Delivery)
    parts = (
        select(func.count())
        .select_from(AnswerPart)
        .where(col(AnswerPart.delivery_id) == mine.id)
        .scalar_subquery()
    )
    return (
        select(User, partner, mine, theirs, parts)
        .outerjoin(partner, and_(partner.pair_id == User.pair_id, partner.id != User.id))
        .outerjoin(mine, col(mine.id) == target)
        .outerjoin(
            theirs,
            and_(
                theirs.pair_id == mine.pair_id,
                theirs.local_date == mine.local_date,
                theirs.user_id != mine.user_id,
            ),
        )
        .where(User.id == bindparam("user_id"))
        .limit(1)
    )


# Built once, with bound parameters (building a statement with aliases costs more than
# running it).
_LATEST_ID = (
    select(Delivery.id)
    .where(Delivery.user_id == bindparam("user_id"), col(Delivery.status).in_(REACHED))
    .order_by(col(Delivery.local_date).desc())
    .limit(1)
    .scalar_subquery()
)
_REPLIED_ID = (
    select(Delivery.id)
    .where(
        Delivery.user_id == bindparam("user_id"),
        Delivery.message_id == bindparam("message_id"),
        col(Delivery.status).in_(REACHED),
        col(Delivery.due_at) >= bindparam("since"),
    )
    .limit(1)
    .scalar_subquery()
)
_ANSWERING_LATEST = _answering_query(_LATEST_ID)
_ANSWERING_REPLIED = _answering_query(func.coalesce(_REPLIED_ID, _LATEST_ID))


async def answering(
    *, session: AsyncSession, user_id: int, replied_message_id: int | None, now: datetime
) -> Answering | None:
    """The nudge a message answers (the one replied to, if a reply to one of the last 7 days,
    else the latest) with the pair around it; None if the user is unknown.

    Only nudges that went out count. The partner is the other member of the sender's pair,
    their delivery the one of the same pair and date (as `partner_delivery`). One round trip
    (on PostgreSQL a second one locks the pair's day, see `lock_pair_day`)."""
    if replied_message_id is None:
        statement, params = _ANSWERING_LATEST, {"user_id": user_id}
    else:
        statement = _ANSWERING_REPLIED
        params = {"user_id": user_id, "message_id": replied_message_id, "since": now - REPLY_WINDOW}
    result = await session.exec(statement, params=params)
    row = result.first()
    if row is None:
        return None
    found = Answering(*row)
    if found.mine is not None and session.get_bind().dialect.name == "postgresql":
        theirs = await lock_pair_day(session=session, delivery=found.mine)
        found = Answering(found.user, found.partner, found.mine, theirs, found.parts)
    return found


_PAIR_DAY_LOCKED = (
    select(Delivery)
    .where(Delivery.pair_id == bindparam("pair_id"), Delivery.local_date == bindparam("local_date"))
    .order_by(col(Delivery.id))
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def lock_pair_day(*, session: AsyncSession, delivery: Delivery) -> Delivery | None:
    """Both partners' deliveries of this one's day, locked until the transaction ends and
    read afresh; returns the partner's. Two partners acting at the same moment (a reveal
    needs both answers) are thus handled one after the other.

    On PostgreSQL, row locks in id order (so two transactions never wait on each other);
    SQLite has one writer at a time anyway (one connection, see storage/db.py)."""
    if delivery.pair_id is None:
        return None
    result = await session.exec(
        _PAIR_DAY_LOCKED, params={"pair_id": delivery.pair_id, "local_date": delivery.local_date}
    )
    others = [row for row in result if row.user_id != delivery.user_id]
    return others[0] if others else None


async def partner_delivery(*, session: AsyncSession, delivery: Delivery) -> Delivery | None:
    """The partner's delivery of the same pair and date (the same nudge)."""
    if delivery.pair_id is None:
        return None
    result = await session.exec(
        select(Delivery).where(
            Delivery.pair_id == delivery.pair_id,
            Delivery.local_date == delivery.local_date,
            Delivery.user_id != delivery.user_id,
        )
    )
    return result.first()


_PARTS: Any = AnswerPart.__table__  # type: ignore[attr-defined]
_ADD_PART = insert(_PARTS).returning(_PARTS.c.id)  # built once; the values are parameters


async def add_part(
    *,
    session: AsyncSession,
    delivery: Delivery,
    message_id: int,
    content_type: str,
    text: str | None,
    file_id: str | None,
    now: datetime,
    guess: bool = False,
) -> AnswerPart:
    """Adds one message to the user's answer, after the earlier ones; marks it answered.
    `guess`: the message is the guess about the partner (a guess nudge answered in words).

    The part is inserted directly (not through the session's unit of work) and returned
    detached, with its id. Its text is stored sealed when a key is configured."""
    stored, sealed = crypto.stored_form(text)
    values = {
        "delivery_id": delivery.id or 0,
        "message_id": message_id,
        "content_type": content_type,
        "text": stored,
        "sealed": sealed,
        "file_id": file_id,
        "guess": guess,
        "created_at": now,
    }
    result = await session.exec(_ADD_PART, params=values)
    if delivery.answered_at is None:
        delivery.answered_at = now
    delivery.follow_up_due_at = None
    return AnswerPart(id=result.scalar_one(), **values)


async def has_guess(*, session: AsyncSession, delivery_id: int) -> bool:
    """Whether this answer (to a guess nudge in words) holds the guess about the partner."""
    result = await session.exec(
        select(func.count())
        .select_from(AnswerPart)
        .where(AnswerPart.delivery_id == delivery_id, col(AnswerPart.guess))
    )
    return result.one() > 0


def record_pick(*, delivery: Delivery, option: int, now: datetime) -> None:
    """The user tapped an option about themselves (a choice, or a guess nudge's answer):
    it counts as answering, and the follow-up is no longer needed."""
    delivery.pick = option
    if delivery.answered_at is None:
        delivery.answered_at = now
    delivery.follow_up_due_at = None


def record_guess_pick(*, delivery: Delivery, option: int) -> None:
    """The user tapped their guess of the partner's answer."""
    delivery.guess_pick = option


def set_aside(*, delivery: Delivery, now: datetime) -> bool:
    """ "Not today": no follow-up for this nudge. An answer already given stays, nothing is
    counted against anyone. False if it was set aside already."""
    if delivery.skipped_at is not None:
        return False
    delivery.skipped_at = now
    delivery.follow_up_due_at = None
    return True


def told_full(*, delivery: Delivery, now: datetime) -> bool:
    """Marks that the sender was told their answer is full; False if they were told already
    (the explanation comes once per answer; later messages get a short line)."""
    if delivery.full_told_at is not None:
        return False
    delivery.full_told_at = now
    return True


async def parts_of(
    *, session: AsyncSession, delivery_ids: Sequence[int]
) -> dict[int, list[AnswerPart]]:
    """The parts of these answers (a reveal needs both partners'), each in the order written,
    at most MAX_PARTS each (an answer stored before the cap may hold more); every id is a key,
    with an empty list if it has no part."""
    result = await session.exec(
        select(AnswerPart)
        .where(col(AnswerPart.delivery_id).in_(delivery_ids))
        .order_by(col(AnswerPart.id))
    )
    parts: dict[int, list[AnswerPart]] = {delivery_id: [] for delivery_id in delivery_ids}
    for part in result:
        if len(parts[part.delivery_id]) < MAX_PARTS:
            parts[part.delivery_id].append(part)
    return parts


async def edit_part(
    *, session: AsyncSession, user_id: int, message_id: int, text: str | None, now: datetime
) -> AnswerPart | None:
    """The user edited a message that is part of an answer: the stored text follows, while
    the pair it was shared in lasts. After an unpairing the answer stays as it was shared:
    the former partner may still hold it (in their export), and must not get words written
    once they were no longer a couple."""
    result = await session.exec(
        select(AnswerPart)
        .join(Delivery, col(Delivery.id) == col(AnswerPart.delivery_id))
        .join(Pair, col(Pair.id) == col(Delivery.pair_id))
        .where(
            Delivery.user_id == user_id,
            AnswerPart.message_id == message_id,
            col(Pair.ended_at).is_(None),
        )
    )

    part = result.first()
    if part is None:
        return None
    part.text, part.sealed = crypto.stored_form(text)
    part.edited_at = now
    await session.flush()
    return part


async def part_for_viewer(
    *, session: AsyncSession, part_id: int, viewer_id: int, viewer_pair_id: int | None
) -> AnswerPart | None:
    """A stored answer part the viewer may see: their own, or their current partner's
    once it was shared with them (revealed, or a note delivered to them)."""
    result = await session.exec(
        select(AnswerPart, Delivery)
        .join(Delivery, col(Delivery.id) == col(AnswerPart.delivery_id))
        .where(AnswerPart.id == part_id)
    )
    row = result.first()
    if row is None:
        return None
    part, delivery = row
    if delivery.user_id == viewer_id:
        return part
    shared = delivery.revealed_at is not None or delivery.shared_at is not None
    if viewer_pair_id is not None and delivery.pair_id == viewer_pair_id and shared:
        return part
    return None


async def count_parts(*, session: AsyncSession, delivery_id: int) -> int:
    result = await session.exec(
        select(func.count()).select_from(AnswerPart).where(AnswerPart.delivery_id == delivery_id)
    )
    return result.one()


async def delivery_by_id(*, session: AsyncSession, delivery_id: int) -> Delivery | None:
    return await session.get(Delivery, delivery_id)
