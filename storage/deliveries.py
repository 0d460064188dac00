"""Deliveries: one row per user and local date, the day's nudge on its way to them.

The wave that sends them is split by meaning:
- storage/claiming.py: who gets a nudge now and which one (`claim_due_nudges`);
- storage/outcomes.py: marked `sending`, then sent, released, failed or blocked
  (`record_and_mark_sending`);
- storage/follow_ups.py: the one gentle follow-up of an unanswered question or note.

The same code serves SQLite and PostgreSQL (`FOR UPDATE SKIP LOCKED` there, so several
instances share a wave). This module answers what the rest of the bot asks of deliveries.
"""

from __future__ import annotations

from sqlmodel import col, select

from storage.db import Session
from storage.models import Delivery, DeliveryStatus


async def latest_for(*, session: Session, user_id: int) -> Delivery | None:
    """The user's most recent nudge that reached them (or may have)."""
    result = await session.exec(
        select(Delivery)
        .where(
            Delivery.user_id == user_id,
            col(Delivery.status).in_([DeliveryStatus.SENT, DeliveryStatus.SENDING]),
        )
        .order_by(col(Delivery.local_date).desc())
        .limit(1)
    )
    return result.first()
