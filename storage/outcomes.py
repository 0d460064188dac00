"""What happened to claimed nudges: marked `sending`, then sent, failed, blocked or retried.

A claimed nudge (storage/claiming.py) is marked `sending` in a transaction committed just
before its request leaves; from then on a crash means "maybe sent", and a `sending` nudge
without an answer is taken as sent: a crash can lose a nudge, it never sends one twice.
Then it is recorded sent, released for a later try (at most `MAX_ATTEMPTS`), failed for
good, or blocked (the pair pauses). A nudge this process will not send after all is handed
back, due again now.

`record_and_mark_sending` is the dispatcher's transaction for one group: what the finished
sends came to, the nudges handed back, and the next ones marked `sending`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, case, or_, select, update

from storage.claiming import DELIVERIES, STILL_CLAIMED, DueNudge
from storage.db import Database, Session
from storage.models import DeliveryStatus, User

MAX_ATTEMPTS = 5
RETRY_DELAY = timedelta(seconds=30)

_USERS: Table = User.__table__  # type: ignore[attr-defined]


@dataclass
class Finished:
    """What the finished sends of a group came to."""

    sent: list[tuple[DueNudge, int | None]] = field(default_factory=list)  # Telegram's id
    to_retry: list[DueNudge] = field(default_factory=list)
    failed: list[DueNudge] = field(default_factory=list)
    blocked: list[DueNudge] = field(default_factory=list)


@dataclass(frozen=True)
class Blocked:
    """Someone blocked the bot, for the first time: their partner is told once."""

    name: str
    partner_id: int
    partner_language: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What `record_and_mark_sending` leaves the dispatcher to do."""

    may_send: list[DueNudge]  # marked `sending` by this process: send them now
    partners_to_tell: list[Blocked]


async def record_and_mark_sending(
    database: Database,
    *,
    finished: Finished,
    unsent: Sequence[DueNudge] = (),
    starting: Sequence[DueNudge] = (),
    now: datetime,
) -> Recorded:
    """One transaction: records `finished`, hands `unsent` back, marks `starting` `sending`."""
    async with database.transaction() as session:
        await record_sent(
            session=session,
            sent=[(due.delivery_id, message_id) for due, message_id in finished.sent],
            now=now,
        )
        await release(session=session, nudges=finished.to_retry, now=now)
        await mark_failed(
            session=session, delivery_ids=[due.delivery_id for due in finished.failed]
        )
        partners_to_tell = []
        for due in finished.blocked:
            first_time = await record_blocked(
                session=session, delivery_id=due.delivery_id, user_id=due.user_id, now=now
            )
            if first_time is not None:
                partners_to_tell.append(first_time)
        await hand_back(session=session, nudges=unsent, now=now)
        may_send = await mark_sending(session=session, nudges=starting)
    return Recorded(may_send, partners_to_tell)


async def mark_sending(*, session: Session, nudges: Sequence[DueNudge]) -> list[DueNudge]:
    """Committed just before the requests go out; from here a crash means 'maybe sent'.

    Returns the nudges this process may send: those still claimed under their claim's
    token. A claim whose lease ran out may have been taken over, by another instance or by
    a later claim of this one; then the same delivery can be among `nudges` twice, and only
    the newer claim's copy is returned (a delivery id alone would let both go)."""
    marked: set[tuple[int, int]] = set()
    for token in {nudge.claim_token for nudge in nudges}:
        rows = await session.exec(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.id.in_(
                    sorted({nudge.delivery_id for nudge in nudges if nudge.claim_token == token})
                ),
                STILL_CLAIMED,
                DELIVERIES.c.claim_token == token,
            )
            .values(status=DeliveryStatus.SENDING, attempts=DELIVERIES.c.attempts + 1)
            .returning(DELIVERIES.c.id)
        )
        marked |= {(row.id, token) for row in rows}
    return [nudge for nudge in nudges if (nudge.delivery_id, nudge.claim_token) in marked]


async def record_sent(
    *, session: Session, sent: Sequence[tuple[int, int | None]], now: datetime
) -> None:
    """(delivery id, Telegram message id or None when a timeout hid it) for each sent nudge."""
    if sent:
        await session.exec(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == bindparam("sent_id"))
            .values(
                status=DeliveryStatus.SENT,
                message_id=bindparam("sent_message"),
                sent_at=now,
                lease_until=None,
            ),
            params=[
                {"sent_id": delivery_id, "sent_message": message_id}
                for delivery_id, message_id in sent
            ],
        )


async def release(*, session: Session, nudges: Sequence[DueNudge], now: datetime) -> None:
    """Sending failed before Telegram had it: try again later (each try waits longer), or
    give up after `MAX_ATTEMPTS` tries."""
    if nudges:
        await session.exec(
            update(DELIVERIES)
            .where(DELIVERIES.c.id == bindparam("retry_id"))
            .values(status=bindparam("retry_status"), lease_until=bindparam("retry_lease")),
            params=[
                {
                    "retry_id": nudge.delivery_id,
                    "retry_status": DeliveryStatus.FAILED
                    if nudge.attempts + 1 >= MAX_ATTEMPTS
                    else DeliveryStatus.CLAIMED,
                    "retry_lease": now + RETRY_DELAY * (nudge.attempts + 1),
                }
                for nudge in nudges
            ],
        )


async def mark_failed(*, session: Session, delivery_ids: Sequence[int]) -> None:
    """Telegram refused the message for good (e.g. the chat no longer exists)."""
    if delivery_ids:
        await session.exec(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(delivery_ids))
            .values(status=DeliveryStatus.FAILED, lease_until=None)
        )


async def record_blocked(
    *, session: Session, delivery_id: int, user_id: int, now: datetime
) -> Blocked | None:
    """The user blocked the bot: the pair pauses (SPEC, Calm by design).

    Returns who to tell the first time, so the partner is told once; None after.
    """
    await session.exec(
        update(DELIVERIES)
        .where(DELIVERIES.c.id == delivery_id)
        .values(status=DeliveryStatus.BLOCKED, lease_until=None)
    )
    user = (
        await session.exec(
            select(_USERS.c.first_name, _USERS.c.pair_id, _USERS.c.blocked_at).where(
                _USERS.c.id == user_id
            )
        )
    ).first()
    if user is None or user.blocked_at is not None:
        return None
    await session.exec(
        update(_USERS).where(_USERS.c.id == user_id).values(blocked_at=now, next_due_at=None)
    )
    if user.pair_id is None:
        return None
    partner = (
        await session.exec(
            select(_USERS.c.id, _USERS.c.language).where(
                _USERS.c.pair_id == user.pair_id, _USERS.c.id != user_id
            )
        )
    ).first()
    if partner is None:
        return None
    await session.exec(update(_USERS).where(_USERS.c.id == partner.id).values(next_due_at=None))
    return Blocked(user.first_name, partner.id, partner.language)


async def hand_back(*, session: Session, nudges: Sequence[DueNudge], now: datetime) -> None:
    """Nudges this process claimed, or even marked `sending`, and will not send after all
    (it is stopping, or the database went away before it could record them): due now.

    Only the caller can tell that a `sending` nudge's request never started: it takes back
    the attempt `mark_sending` counted. A claim taken over since (its lease ran out) carries
    another token and is left to its new holder."""
    if nudges:
        await session.exec(
            update(DELIVERIES)
            .where(
                DELIVERIES.c.id == bindparam("back_id"),
                DELIVERIES.c.claim_token == bindparam("back_token"),
                or_(
                    DELIVERIES.c.status == DeliveryStatus.CLAIMED,
                    DELIVERIES.c.status == DeliveryStatus.SENDING,
                ),
            )
            .values(
                status=DeliveryStatus.CLAIMED,
                lease_until=now,
                attempts=case(
                    (DELIVERIES.c.status == DeliveryStatus.SENDING, DELIVERIES.c.attempts - 1),
                    else_=DELIVERIES.c.attempts,
                ),
            ),
            params=[
                {"back_id": nudge.delivery_id, "back_token": nudge.claim_token} for nudge in nudges
            ],
        )
