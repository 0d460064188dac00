"""Claiming due nudges and recording what happened to them.

A wave goes: `claim_due` (one transaction: choose the day's nudge, insert one delivery per
user and local date under a unique constraint, advance `next_due_at`), then for each small
group `mark_sending` (committed before the requests leave), then `record_sent`, `release`
or `record_blocked`. A crash can lose a nudge that was `sending`; it never sends one twice,
since `sending` without an answer is taken as sent.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Table, bindparam, tuple_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.choice import PastDay, choose_nudge, eligible
from nudges.library import (
    MAIN_CATEGORIES,
    Category,
    Kind,
    Nudge,
    enabled_categories,
    load_library,
    nudges_by_id,
    topics_from_text,
)
from nudges.schedule import follow_up_instant, is_too_late, local_date
from storage.db import insert_ignoring_conflicts
from storage.models import Delivery, DeliveryStatus, Pair, PairDay, User
from storage.schedules import can_receive, next_due_for

MAX_ATTEMPTS = 5
FOLLOW_UP_STALE = timedelta(hours=1)

RETRY_DELAY = timedelta(seconds=30)

_DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
# A Core statement run with a list of parameter sets (executemany): no ORM objects, and one
# compiled statement for every group.
_RECORD_SENT = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("sent_id"))
    .values(
        status=DeliveryStatus.SENT,
        message_id=bindparam("sent_message"),
        sent_at=bindparam("sent_when"),
        lease_until=None,
    )
)


_MARK_SENDING = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id.in_(bindparam("sending_ids", expanding=True)),
        _DELIVERIES.c.status == DeliveryStatus.CLAIMED,
        _DELIVERIES.c.claim_token == bindparam("sending_token"),
    )
    .values(status=DeliveryStatus.SENDING, attempts=_DELIVERIES.c.attempts + 1)
    .returning(_DELIVERIES.c.id)
)


@dataclass(frozen=True)
class DueNudge:
    """Everything needed to send one claimed nudge."""

    delivery_id: int
    user_id: int
    partner_name: str
    nudge_id: str
    local_date: date
    attempts: int
    claim_token: int = 0
    welcome_back: bool = False


@dataclass(frozen=True)
class _Planned:
    user: User
    partner: User
    pair: Pair
    day: date
    due: datetime
    welcome_back: bool


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    limit: int,
    lease: timedelta,
    catch_up: timedelta,
) -> list[DueNudge]:
    """Claims up to `limit` due nudges for this process (see the module docstring).

    Rows another instance holds are skipped (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    A nudge that fell due more than `catch_up` ago is skipped to the next day.
    """
    token = secrets.randbits(62)  # marks this claim: only its holder may send
    claimed = await _reclaim_expired(
        session=session, now=now, limit=limit, lease=lease, catch_up=catch_up, token=token
    )
    room = limit - len(claimed)
    if room <= 0:
        return claimed
    due_users = list(
        await session.exec(
            select(User)
            .where(col(User.next_due_at) <= now)
            .order_by(col(User.next_due_at))
            .limit(room)
            .with_for_update(skip_locked=True)
        )
    )
    if not due_users:
        return claimed
    pair_ids = {user.pair_id for user in due_users if user.pair_id is not None}
    members = await _members_by_pair(session, pair_ids)
    pairs = await _pairs_by_id(session, pair_ids)

    planned: list[_Planned] = []
    for user in due_users:
        due = user.next_due_at
        partner = _partner(members, user)
        pair = pairs.get(user.pair_id) if user.pair_id is not None else None
        if due is None or partner is None or pair is None or not can_receive(user, partner):
            user.next_due_at = None
            continue
        if is_too_late(due, now, catch_up):
            user.next_due_at = next_due_for(user, partner=partner, pair=pair, after=now)
            continue
        assert user.timezone is not None
        day = local_date(due, user.timezone)
        user.last_nudge_date = day
        user.next_due_at = next_due_for(user, partner=partner, pair=pair, after=now)
        planned.append(_Planned(user, partner, pair, day, due, user.welcome_back))
        user.welcome_back = False

    if not planned:
        await session.flush()
        return claimed

    chosen = await _nudges_for_days(
        session=session,
        wanted={(plan.pair.id or 0, plan.day) for plan in planned},
        pairs=pairs,
        categories={
            plan.pair.id or 0: enabled_categories(
                topics_from_text(plan.pair.topics),
                both_want_spark=plan.user.spark and plan.partner.spark,
            )
            for plan in planned
        },
    )
    rows = [
        {
            "user_id": plan.user.id,
            "pair_id": plan.pair.id,
            "local_date": plan.day,
            "nudge_id": chosen[(plan.pair.id or 0, plan.day)],
            "due_at": plan.due,
            "status": DeliveryStatus.CLAIMED,
            "lease_until": now + lease,
            "claim_token": token,
            "attempts": 0,
            "follow_up_due_at": _follow_up(plan.user, chosen[(plan.pair.id or 0, plan.day)], now),
        }
        for plan in planned
    ]
    # A list of parameter sets (not .values(rows)): one statement whatever the batch size,
    # so SQLAlchemy's compiled-statement cache serves every claim.
    inserted = await session.exec(
        insert_ignoring_conflicts(session, Delivery, ["user_id", "local_date"]).returning(
            col(Delivery.id), col(Delivery.user_id)
        ),
        params=rows,
    )
    delivery_of = {user_id: delivery_id for delivery_id, user_id in inserted}
    for plan in planned:
        if plan.user.id in delivery_of:
            claimed.append(
                DueNudge(
                    delivery_id=delivery_of[plan.user.id],
                    user_id=plan.user.id,
                    partner_name=plan.partner.first_name,
                    nudge_id=chosen[(plan.pair.id or 0, plan.day)],
                    local_date=plan.day,
                    attempts=0,
                    claim_token=token,
                    welcome_back=plan.welcome_back,
                )
            )
    await session.flush()
    return claimed


async def release_claims_of_dead_processes(*, session: AsyncSession, now: datetime) -> int:
    """Makes every claimed-but-unsent delivery claimable now; returns how many.

    Only for a single-instance database (SQLite): at start-up no other process can be
    holding a claim, so the ones left are a dead process's and need not wait for the lease.
    """
    result = await session.exec(
        update(Delivery)
        .where(col(Delivery.status) == DeliveryStatus.CLAIMED)
        .values(lease_until=now)
    )
    return result.rowcount


async def release_now(*, session: AsyncSession, delivery_ids: Iterable[int], now: datetime) -> None:
    """Claimed nudges this process will not send after all (it is stopping): claimable now."""
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(list(delivery_ids)), Delivery.status == DeliveryStatus.CLAIMED)
        .values(lease_until=now)
    )


async def mark_sending(*, session: AsyncSession, nudges: Sequence[DueNudge]) -> set[int]:
    """Committed just before the requests go out; from here a crash means 'maybe sent'.

    Returns the deliveries this process may send: those still claimed under its token (a
    claim whose lease ran out may have been taken over by another instance)."""
    marked: set[int] = set()
    for token in {nudge.claim_token for nudge in nudges}:
        result = await session.exec(
            _MARK_SENDING,
            params={
                "sending_ids": [n.delivery_id for n in nudges if n.claim_token == token],
                "sending_token": token,
            },
        )
        marked |= {row[0] for row in result}
    return marked


async def record_sent(
    *, session: AsyncSession, sent: Sequence[tuple[int, int | None]], now: datetime
) -> None:
    """(delivery id, Telegram message id or None when a timeout hid it) for each sent nudge."""
    if not sent:
        return
    await session.exec(
        _RECORD_SENT,
        params=[
            {"sent_id": delivery_id, "sent_message": message_id, "sent_when": now}
            for delivery_id, message_id in sent
        ],
    )


async def release(*, session: AsyncSession, nudges: Sequence[DueNudge], now: datetime) -> None:
    """Sending failed before Telegram had it: try again later, or give up after a few tries."""
    for nudge in nudges:
        attempts = nudge.attempts + 1
        await session.exec(
            update(Delivery)
            .where(col(Delivery.id) == nudge.delivery_id)
            .values(
                status=DeliveryStatus.FAILED
                if attempts >= MAX_ATTEMPTS
                else DeliveryStatus.CLAIMED,
                lease_until=now + RETRY_DELAY * attempts,
            )
        )


async def mark_failed(*, session: AsyncSession, delivery_ids: Iterable[int]) -> None:
    """Telegram refused the message for good (e.g. the chat no longer exists)."""
    delivery_ids = list(delivery_ids)
    if not delivery_ids:
        return
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(list(delivery_ids)))
        .values(status=DeliveryStatus.FAILED, lease_until=None)
    )


async def record_blocked(
    *, session: AsyncSession, delivery_id: int, user_id: int, now: datetime
) -> tuple[User, User] | None:
    """The user blocked the bot: the pair pauses (SPEC, Calm by design).

    Returns (user, partner) the first time, so the partner is told once; None after.
    """
    await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(status=DeliveryStatus.BLOCKED, lease_until=None)
    )
    user = await session.get(User, user_id)
    if user is None or user.blocked_at is not None:
        return None
    user.blocked_at = now
    user.next_due_at = None
    partner = None
    if user.pair_id is not None:
        partner = (
            await session.exec(select(User).where(User.pair_id == user.pair_id, User.id != user.id))
        ).first()
    await session.flush()
    if partner is None:
        return None
    partner.next_due_at = None
    await session.flush()
    return user, partner


async def latest_for(*, session: AsyncSession, user_id: int) -> Delivery | None:
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


async def _reclaim_expired(
    *,
    session: AsyncSession,
    now: datetime,
    limit: int,
    lease: timedelta,
    catch_up: timedelta,
    token: int,
) -> list[DueNudge]:
    """Claimed deliveries whose process died (or that wait for a retry) and are due again."""
    stale = list(
        await session.exec(
            select(Delivery)
            .where(Delivery.status == DeliveryStatus.CLAIMED, col(Delivery.lease_until) <= now)
            .order_by(col(Delivery.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not stale:
        return []
    owners = {
        user.id: user
        for user in await session.exec(
            select(User).where(col(User.id).in_([d.user_id for d in stale]))
        )
    }
    members = await _members_by_pair(session, {d.pair_id for d in stale if d.pair_id is not None})
    reclaimed: list[DueNudge] = []
    for delivery in stale:
        user = owners.get(delivery.user_id)
        partner = _partner(members, user) if user is not None else None
        if (
            user is None
            or partner is None
            or user.pair_id != delivery.pair_id
            or not can_receive(user, partner)
            or is_too_late(delivery.due_at, now, catch_up)
        ):
            delivery.status = DeliveryStatus.SKIPPED
            delivery.lease_until = None
            continue
        delivery.lease_until = now + lease
        delivery.claim_token = token
        reclaimed.append(
            DueNudge(
                delivery_id=delivery.id or 0,
                user_id=user.id,
                partner_name=partner.first_name,
                nudge_id=delivery.nudge_id,
                local_date=delivery.local_date,
                attempts=delivery.attempts,
                claim_token=token,
            )
        )
    await session.flush()
    return reclaimed


async def _nudges_for_days(
    *,
    session: AsyncSession,
    wanted: set[tuple[int, date]],
    pairs: dict[int, Pair],
    categories: dict[int, frozenset[Category]],
) -> dict[tuple[int, date], str]:
    """The nudge of each (pair, date): the stored choice, or a new one stored now."""
    chosen = await _stored_choices(session, wanted)
    missing = sorted(wanted - chosen.keys(), key=lambda key: key[1])
    if not missing:
        return chosen
    library = nudges_by_id()
    history: dict[int, list[PastDay]] = defaultdict(list)
    for pair_id, day, nudge_id in await session.exec(
        select(PairDay.pair_id, PairDay.local_date, PairDay.nudge_id)
        .where(col(PairDay.pair_id).in_({pair_id for pair_id, _ in missing}))
        .order_by(col(PairDay.local_date))
    ):
        if nudge_id in library:
            history[pair_id].append(PastDay(day, nudge_id, library[nudge_id].category))
    new_rows = []
    for pair_id, day in missing:
        pair = pairs[pair_id]
        nudge = choose_nudge(
            candidates=_candidates(categories[pair_id], long_distance=pair.long_distance),
            history=history[pair_id],
            day=day,
            seed=pair.seed,
        )
        history[pair_id].append(PastDay(day, nudge.id, nudge.category))
        history[pair_id].sort(key=lambda past: past.day)
        new_rows.append({"pair_id": pair_id, "local_date": day, "nudge_id": nudge.id})
    await session.exec(
        insert_ignoring_conflicts(session, PairDay, ["pair_id", "local_date"]), params=new_rows
    )
    # Another instance may have chosen first: whatever is stored is the pair's nudge.
    return chosen | await _stored_choices(session, set(missing))


async def _stored_choices(
    session: AsyncSession, keys: set[tuple[int, date]]
) -> dict[tuple[int, date], str]:
    if not keys:
        return {}
    rows = await session.exec(
        select(PairDay.pair_id, PairDay.local_date, PairDay.nudge_id).where(
            tuple_(col(PairDay.pair_id), col(PairDay.local_date)).in_(list(keys))
        )
    )
    return {(pair_id, day): nudge_id for pair_id, day, nudge_id in rows}


async def _members_by_pair(session: AsyncSession, pair_ids: set[int]) -> dict[int, list[User]]:
    members: dict[int, list[User]] = defaultdict(list)
    if pair_ids:
        for user in await session.exec(select(User).where(col(User.pair_id).in_(pair_ids))):
            members[user.pair_id or 0].append(user)
    return members


async def _pairs_by_id(session: AsyncSession, pair_ids: set[int]) -> dict[int, Pair]:
    if not pair_ids:
        return {}
    return {
        pair.id or 0: pair
        for pair in await session.exec(select(Pair).where(col(Pair.id).in_(pair_ids)))
    }


def _follow_up(user: User, nudge_id: str, sent: datetime) -> datetime | None:
    """Questions and notes get one gentle follow-up, if the user wants them."""
    nudge = nudges_by_id().get(nudge_id)
    if not user.follow_ups or user.timezone is None or nudge is None:
        return None
    if nudge.kind not in (Kind.QUESTION, Kind.APPRECIATION):
        return None
    return follow_up_instant(sent, user.timezone)


@dataclass(frozen=True)
class FollowUp:
    delivery_id: int
    user_id: int
    message_id: int | None


async def claim_follow_ups(*, session: AsyncSession, now: datetime, limit: int) -> list[FollowUp]:
    """Unanswered nudges whose one follow-up is due; each is claimed once, ever."""
    rows = list(
        await session.exec(
            select(Delivery, User, Pair)
            .join(User, col(User.id) == col(Delivery.user_id))
            .join(Pair, col(Pair.id) == col(Delivery.pair_id))
            .where(
                col(Delivery.follow_up_due_at) <= now,
                Delivery.status == DeliveryStatus.SENT,
                col(Delivery.answered_at).is_(None),
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
        stale = due is None or now - due > FOLLOW_UP_STALE  # the bot was down: let it go
        paused = pair.paused_until is not None and pair.paused_until > now
        if (
            not stale
            and not paused
            and user.follow_ups
            and user.blocked_at is None
            and user.pair_id == delivery.pair_id
        ):
            delivery.follow_up_sent_at = now
            claimed.append(FollowUp(delivery.id or 0, user.id, delivery.message_id))
    await session.flush()
    return claimed


@cache
def _candidates(categories: frozenset[Category], *, long_distance: bool) -> tuple[Nudge, ...]:
    """The nudges a pair with these categories can get (never empty: all main ones else)."""
    found = eligible(load_library(), categories=categories, long_distance=long_distance)
    if not found:
        found = eligible(
            load_library(), categories=frozenset(MAIN_CATEGORIES), long_distance=long_distance
        )
    return tuple(found)


def _partner(members: dict[int, list[User]], user: User) -> User | None:
    if user.pair_id is None:
        return None
    return next((m for m in members.get(user.pair_id, []) if m.id != user.id), None)
