"""What one person's /recap picture may show: their current pair's last eight weeks."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.library import Kind, nudges_by_id
from nudges.recap import Counts, DayAnswers, RecapFacts, mark_days, window
from nudges.zones import zone
from storage import crypto, journal, pairs, users
from storage.models import AnswerPart, Delivery, User

NOTES_LOOKED_AT = 5  # the latest notes tried for a line with words in it


def appreciation_ids() -> set[str]:
    return {n.id for n in nudges_by_id().values() if n.kind == Kind.APPRECIATION}


async def recap_facts(*, session: AsyncSession, viewer: User, now: datetime) -> RecapFacts | None:
    """The viewer's picture: their current pair's days over the last eight weeks (in the
    viewer's zone), the counts since pairing, and the latest appreciation note the partner
    sent the viewer in that time. None when the viewer is not paired.

    Only the viewer's current pair is read: nothing of an earlier pair, nothing of another.
    A day is marked from the deliveries that reached either partner and whether each
    answered (as the journal shows it); a day without any, by the pauses remembered.
    """
    if viewer.pair_id is None:
        return None
    pair_id = viewer.pair_id
    tz = zone(viewer.timezone or "UTC")
    today = now.astimezone(tz).date()
    first, last = window(today)
    reached = list(
        await session.exec(
            select(Delivery).where(
                Delivery.pair_id == pair_id,
                col(Delivery.local_date) >= first,
                col(Delivery.local_date) <= last,
                col(Delivery.status).in_(journal.REACHED),
            )
        )
    )
    answered: dict[date, int] = defaultdict(int)
    for delivery in reached:
        answered[delivery.local_date] += delivery.answered_at is not None
    days = {
        d.local_date: DayAnswers(reached=True, answered=answered[d.local_date]) for d in reached
    }
    pauses = await pairs.pauses_between(
        session=session,
        pair_id=pair_id,
        start=datetime.combine(first, time(0), tzinfo=tz),
        end=datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz),
    )
    counted = await journal.counts(
        session=session, pair_id=pair_id, appreciation_ids=appreciation_ids()
    )
    partner = await users.partner_of(session=session, user=viewer)
    notes_ids = appreciation_ids()
    notes = sorted(
        (
            d
            for d in reached
            if d.user_id != viewer.id and d.shared_at is not None and d.nudge_id in notes_ids
        ),
        key=lambda d: d.local_date,
        reverse=True,
    )
    note = await _words_of_latest(session, notes[:NOTES_LOOKED_AT])
    return RecapFacts(
        today=today,
        marks=mark_days(today=today, days=days, pauses=pauses, tz=tz),
        counts=Counts(counted.both_showed_up, counted.notes_exchanged, counted.plans_made),
        note=note,
        note_from=partner.first_name if note is not None and partner is not None else None,
    )


async def _words_of_latest(session: AsyncSession, notes: list[Delivery]) -> str | None:
    """The words of the newest of these notes that has some (a voice note's caption counts;
    a sealed one no key opens does not)."""
    if not notes:
        return None
    parts: dict[int, list[AnswerPart]] = defaultdict(list)
    for part in await session.exec(
        select(AnswerPart)
        .where(col(AnswerPart.delivery_id).in_([n.id for n in notes]))
        .order_by(col(AnswerPart.id))
    ):
        parts[part.delivery_id].append(part)
    for note in notes:
        words = [crypto.text_of(p) for p in parts[note.id or 0]]
        text = " ".join(w for w in words if isinstance(w, str) and w.strip())
        if text.strip():
            return text
    return None
