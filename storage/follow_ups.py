"""The one gentle follow-up of an unanswered question or note (never a guilt trip).

A delivery of a question or a note carries `follow_up_due_at` when the user wants
follow-ups (set when it is claimed, storage/claiming.py). Each is claimed once, ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col
from sqlmodel import select as orm_select

from storage.db import Session
from storage.models import Delivery, DeliveryStatus, Pair, User

FOLLOW_UP_STALE = timedelta(hours=1)


@dataclass(frozen=True)
class FollowUp:
    delivery_id: int
    user_id: int
    message_id: int | None
    language: str | None = None  # the recipient's (users.language)


async def claim_follow_ups(*, session: Session, now: datetime, limit: int) -> list[FollowUp]:
    """Unanswered nudges whose one follow-up is due; each is claimed once, ever.

    None goes when it fell due more than `FOLLOW_UP_STALE` ago (the bot was down: let it
    go), while the pair is paused, to someone who turned follow-ups off or blocked the bot,
    or to someone no longer in the pair the nudge was for."""
    rows = list(
        await session.exec(
            orm_select(Delivery, User, Pair)
            .join(User, col(User.id) == col(Delivery.user_id))
            .join(Pair, col(Pair.id) == col(Delivery.pair_id))
            .where(
                col(Delivery.follow_up_due_at) <= now,
                Delivery.status == DeliveryStatus.SENT,
                col(Delivery.answered_at).is_(None),
                col(Delivery.skipped_at).is_(None),
            )
            .order_by(col(Delivery.follow_up_due_at))
            .limit(limit)
            .with_for_update(skip_locked=True, of=Delivery)  # type: ignore[arg-type]
        )
    )
    claimed: list[FollowUp] = []
    for delivery, user, pair in rows:
        due = delivery.follow_up_due_at
        delivery.follow_up_due_at = None
        stale = due is None or now - due > FOLLOW_UP_STALE
        paused = pair.paused_until is not None and pair.paused_until > now
        if (
            not stale
            and not paused
            and user.follow_ups
            and user.blocked_at is None
            and user.pair_id == delivery.pair_id
        ):
            delivery.follow_up_sent_at = now
            claimed.append(FollowUp(delivery.id or 0, user.id, delivery.message_id, user.language))
    await session.flush()
    return claimed
