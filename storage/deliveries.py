"""Claiming due nudges and recording what happened to them.

A wave goes: `claim_due` (one transaction: choose the day's nudge, insert one delivery per
user and local date under a unique constraint, advance `next_due_at`), then for each small
group `mark_sending` (committed before the requests leave), then `record_sent`, `release`
or `record_blocked`. A crash can lose a nudge that was `sending`; it never sends one twice,
since `sending` without an answer is taken as sent.

The wave's functions take a synchronous `Connection` and are run with `Database.run` (see
storage/db.py): SQLAlchemy Core, no ORM objects, each statement built once and run with a
list of parameter sets where there are many rows; the ones run for every nudge or group go
straight to the driver (`DriverStatement`). The same code serves SQLite and PostgreSQL
(`FOR UPDATE SKIP LOCKED` there, so several instances share a wave).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    FromClause,
    Label,
    Table,
    and_,
    bindparam,
    case,
    or_,
    select,
    update,
)
from sqlmodel import col
from sqlmodel import select as orm_select
from sqlmodel.ext.asyncio.session import AsyncSession

from nudges.choice import Candidates, Living, PastDay, choose_nudge, eligible
from nudges.library import (
    MAIN_CATEGORIES,
    Category,
    Kind,
    enabled_categories,
    load_library,
    nudges_by_id,
    topics_from_text,
)
from nudges.schedule import follow_up_instant, is_too_late, local_date
from storage.db import DriverStatement, insert_ignoring_conflicts
from storage.models import Delivery, DeliveryStatus, OnboardingStep, Pair, PairDay, User
from storage.schedules import can_receive, next_due_for

MAX_ATTEMPTS = 5
FOLLOW_UP_STALE = timedelta(hours=1)

RETRY_DELAY = timedelta(seconds=30)

_DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
_USERS: Table = User.__table__  # type: ignore[attr-defined]
_PAIRS: Table = Pair.__table__  # type: ignore[attr-defined]
_PAIR_DAYS: Table = PairDay.__table__  # type: ignore[attr-defined]
_PARTNERS = _USERS.alias("partner")

# What the schedule needs of a user (storage.schedules.Member), and of their partner.
_MEMBER_COLUMNS = (
    "id",
    "first_name",
    "pair_id",
    "timezone",
    "nudge_time",
    "onboarding_step",
    "blocked_at",
    "weekdays",
    "last_nudge_date",
    "spark",
    "follow_ups",
    "language",
)
# And of their partner (storage.schedules.Partner, the name and the spark opt-in).
_PARTNER_COLUMNS = ("id", "first_name", "pair_id", "blocked_at", "spark")


def _labelled(table: FromClause, names: tuple[str, ...], prefix: str) -> list[Label[Any]]:
    return [table.c[name].label(prefix + name) for name in names]


# Due users with their partner and pair, in one query. Only the user's row is locked.
_DUE_USERS = (
    select(
        *_labelled(_USERS, _MEMBER_COLUMNS, "u_"),
        _USERS.c.next_due_at,
        _USERS.c.welcome_back,
        *_labelled(_PARTNERS, _PARTNER_COLUMNS, "p_"),
        _PAIRS.c.id.label("pair_row_id"),
        _PAIRS.c.paused_until,
        _PAIRS.c.topics,
        _PAIRS.c.living,
        _PAIRS.c.seed,
    )
    .select_from(
        _USERS.outerjoin(
            _PARTNERS,
            and_(_PARTNERS.c.pair_id == _USERS.c.pair_id, _PARTNERS.c.id != _USERS.c.id),
        ).outerjoin(_PAIRS, _PAIRS.c.id == _USERS.c.pair_id)
    )
    .where(_USERS.c.next_due_at <= bindparam("now"))
    .order_by(_USERS.c.next_due_at)
    .limit(bindparam("room"))
    .with_for_update(skip_locked=True, of=_USERS)
)

# Claimed deliveries whose lease ran out (a dead process's, or waiting for a retry).
_EXPIRED_CLAIMS = (
    select(
        _DELIVERIES.c.id.label("delivery_id"),
        _DELIVERIES.c.pair_id.label("delivery_pair_id"),
        _DELIVERIES.c.nudge_id,
        _DELIVERIES.c.local_date,
        _DELIVERIES.c.due_at,
        _DELIVERIES.c.attempts,
        *_labelled(_USERS, _MEMBER_COLUMNS, "u_"),
        *_labelled(_PARTNERS, _PARTNER_COLUMNS, "p_"),
    )
    .select_from(
        _DELIVERIES.outerjoin(_USERS, _USERS.c.id == _DELIVERIES.c.user_id).outerjoin(
            _PARTNERS,
            and_(_PARTNERS.c.pair_id == _USERS.c.pair_id, _PARTNERS.c.id != _USERS.c.id),
        )
    )
    .where(
        _DELIVERIES.c.status == DeliveryStatus.CLAIMED,
        _DELIVERIES.c.lease_until <= bindparam("now"),
    )
    .order_by(_DELIVERIES.c.id)
    .limit(bindparam("room"))
    .with_for_update(skip_locked=True, of=_DELIVERIES)
)

# Users claimed together mostly share their next due instant (same zone and time), so
# they are moved on in a few statements, one per distinct outcome, not one row at a time.
_ADVANCE_USERS = (
    update(_USERS)
    .where(_USERS.c.id.in_(bindparam("user_ids", expanding=True)))
    .values(
        next_due_at=bindparam("next_due"),
        last_nudge_date=bindparam("last_date"),
        welcome_back=bindparam("still_welcome_back"),
    )
)

_RELEASE_EXPIRED = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("expired_id"))
    .values(
        status=bindparam("expired_status"),
        lease_until=bindparam("expired_lease"),
        claim_token=bindparam("expired_token"),
    )
)

_HISTORY = (
    select(_PAIR_DAYS.c.pair_id, _PAIR_DAYS.c.local_date, _PAIR_DAYS.c.nudge_id)
    .where(_PAIR_DAYS.c.pair_id.in_(bindparam("pair_ids", expanding=True)))
    .order_by(_PAIR_DAYS.c.local_date)
)

_STORED_CHOICES = select(
    _PAIR_DAYS.c.pair_id, _PAIR_DAYS.c.local_date, _PAIR_DAYS.c.nudge_id
).where(
    _PAIR_DAYS.c.pair_id.in_(bindparam("choice_pairs", expanding=True)),
    _PAIR_DAYS.c.local_date.in_(bindparam("choice_dates", expanding=True)),
)

# Still claimed, for statements that find their few rows by key. `status || ''`: compared
# as is, SQLite's planner picks the (status, lease_until) index and walks every claimed row
# instead of looking the few up by primary key or (user, local date).
_STILL_CLAIMED = _DELIVERIES.c.status.concat("") == DeliveryStatus.CLAIMED.value

# The two statements every group of a wave runs go straight to the driver (see
# storage.db.DriverStatement): a list of parameter sets, one compiled statement.
_RECORD_SENT = DriverStatement(
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("sent_id"))
    .values(
        status=DeliveryStatus.SENT,
        message_id=bindparam("sent_message"),
        sent_at=bindparam("sent_when"),
        lease_until=None,
    )
)


@cache
def _mark_sending(count: int) -> DriverStatement:
    """Marks `count` deliveries (a group has at most `most_sending`: a few statements)."""
    return DriverStatement(
        update(_DELIVERIES)
        .where(
            _DELIVERIES.c.id.in_([bindparam(f"sending_{n}") for n in range(count)]),
            _STILL_CLAIMED,
            _DELIVERIES.c.claim_token == bindparam("sending_token"),
        )
        .values(status=DeliveryStatus.SENDING, attempts=_DELIVERIES.c.attempts + 1)
        .returning(_DELIVERIES.c.id)
    )


_RELEASE = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("retry_id"))
    .values(status=bindparam("retry_status"), lease_until=bindparam("retry_lease"))
)

# Back to claimed and due now, under the claim's token only; a `sending` one takes back the
# attempt `mark_sending` counted (its request never started).
_HAND_BACK = (
    update(_DELIVERIES)
    .where(
        _DELIVERIES.c.id == bindparam("back_id"),
        _DELIVERIES.c.claim_token == bindparam("back_token"),
        or_(
            _DELIVERIES.c.status == DeliveryStatus.CLAIMED,
            _DELIVERIES.c.status == DeliveryStatus.SENDING,
        ),
    )
    .values(
        status=DeliveryStatus.CLAIMED,
        lease_until=bindparam("back_now"),
        attempts=case(
            (_DELIVERIES.c.status == DeliveryStatus.SENDING, _DELIVERIES.c.attempts - 1),
            else_=_DELIVERIES.c.attempts,
        ),
    )
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
    language: str | None = None  # the recipient's (users.language)


@dataclass(slots=True)
class _Member:
    """A user as the wave reads them (satisfies storage.schedules.Member)."""

    id: int
    first_name: str
    pair_id: int | None
    timezone: str | None
    nudge_time: time | None
    onboarding_step: OnboardingStep
    blocked_at: datetime | None
    weekdays: int
    last_nudge_date: date | None
    spark: bool
    follow_ups: bool
    language: str | None


@dataclass(frozen=True, slots=True)
class _PartnerRow:
    """Their partner, as the wave reads them (satisfies storage.schedules.Partner)."""

    id: int
    first_name: str
    pair_id: int | None
    blocked_at: datetime | None
    spark: bool


_USER_WIDTH = len(_MEMBER_COLUMNS)
_PARTNER_WIDTH = len(_PARTNER_COLUMNS)


def _member(row: Sequence[Any], first: int) -> _Member | None:
    """The user whose columns start at `first` (None when the outer join found none)."""
    if row[first] is None:
        return None
    return _Member(*row[first : first + _USER_WIDTH])


def _partner(row: Sequence[Any], first: int) -> _PartnerRow | None:
    if row[first] is None:
        return None
    return _PartnerRow(*row[first : first + _PARTNER_WIDTH])


@dataclass(frozen=True, slots=True)
class _PairFacts:
    id: int
    paused_until: datetime | None
    topics: str
    living: Living | None
    seed: int


@dataclass(slots=True)
class _Planned:
    user: _Member
    partner: _PartnerRow
    pair: _PairFacts
    day: date
    due: datetime
    welcome_back: bool


def claim_due(
    connection: Connection,
    *,
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
    claimed = _reclaim_expired(
        connection, now=now, limit=limit, lease=lease, catch_up=catch_up, token=token
    )
    room = limit - len(claimed)
    if room <= 0:
        return claimed
    rows = connection.execute(_DUE_USERS, {"now": now, "room": room}).all()
    if not rows:
        return claimed

    planned: list[_Planned] = []
    advanced: dict[tuple[datetime | None, date | None, bool], list[int]] = defaultdict(list)
    next_for = _next_due_memo(now)
    after_user = _USER_WIDTH + 2  # the partner's columns follow next_due_at and welcome_back
    after_partner = after_user + _PARTNER_WIDTH
    for row in rows:
        user = _member(row, 0)
        assert user is not None
        due: datetime | None = row[_USER_WIDTH]
        welcome_back: bool = row[_USER_WIDTH + 1]
        partner = _partner(row, after_user)
        pair = None if row[after_partner] is None else _PairFacts(*row[after_partner:])
        if due is None or partner is None or pair is None or not can_receive(user, partner):
            next_due = None
        elif is_too_late(due, now, catch_up):
            next_due = next_for(user, partner, pair)
        else:
            assert user.timezone is not None
            day = local_date(due, user.timezone)
            user.last_nudge_date = day
            next_due = next_for(user, partner, pair)
            planned.append(_Planned(user, partner, pair, day, due, welcome_back))
            welcome_back = False
        advanced[(next_due, user.last_nudge_date, welcome_back)].append(user.id)
    for (next_due, last_date, still_welcome_back), user_ids in advanced.items():
        connection.execute(
            _ADVANCE_USERS,
            {
                "user_ids": user_ids,
                "next_due": next_due,
                "last_date": last_date,
                "still_welcome_back": still_welcome_back,
            },
        )
    if not planned:
        return claimed

    pairs = {plan.pair.id: plan.pair for plan in planned}
    chosen = _nudges_for_days(
        connection,
        wanted={(plan.pair.id, plan.day) for plan in planned},
        pairs=pairs,
        categories={
            plan.pair.id: _categories(plan.pair.topics, plan.user.spark and plan.partner.spark)
            for plan in planned
        },
    )
    follow_up = _follow_up_memo(now)
    lease_until = now + lease
    deliveries = [
        {
            "user_id": plan.user.id,
            "pair_id": plan.pair.id,
            "local_date": plan.day,
            "nudge_id": chosen[(plan.pair.id, plan.day)],
            "due_at": plan.due,
            "status": DeliveryStatus.CLAIMED,
            "lease_until": lease_until,
            "claim_token": token,
            "attempts": 0,
            "follow_up_due_at": follow_up(plan.user, chosen[(plan.pair.id, plan.day)]),
        }
        for plan in planned
    ]
    # A second claim of the same user and date inserts nothing (the unique constraint).
    # Which rows are new: this claim's token, and not one of the claims it took over.
    _INSERT_DELIVERIES.execute_many(connection, deliveries)
    taken_over = {nudge.delivery_id for nudge in claimed}
    delivery_of = {
        (user_id, day): delivery_id
        for delivery_id, user_id, day in connection.execute(
            _INSERTED_NOW,
            {
                "new_users": [plan.user.id for plan in planned],
                "new_dates": sorted({plan.day for plan in planned}),
                "new_token": token,
            },
        )
        if delivery_id not in taken_over
    }
    for plan in planned:
        if (plan.user.id, plan.day) in delivery_of:
            claimed.append(
                DueNudge(
                    delivery_id=delivery_of[(plan.user.id, plan.day)],
                    user_id=plan.user.id,
                    partner_name=plan.partner.first_name,
                    nudge_id=chosen[(plan.pair.id, plan.day)],
                    local_date=plan.day,
                    attempts=0,
                    claim_token=token,
                    welcome_back=plan.welcome_back,
                    language=plan.user.language,
                )
            )
    return claimed


# What a claim inserts: one delivery per user and local date, and the pair's choice for a
# date. A second claim of the same ones inserts nothing (the unique constraints).
_NEW_DELIVERY_COLUMNS = (
    "user_id",
    "pair_id",
    "local_date",
    "nudge_id",
    "due_at",
    "status",
    "lease_until",
    "claim_token",
    "attempts",
    "follow_up_due_at",
)
_INSERT_DELIVERIES = DriverStatement(
    lambda dialect: insert_ignoring_conflicts(dialect, Delivery, ["user_id", "local_date"]),
    column_keys=_NEW_DELIVERY_COLUMNS,
)
_INSERT_PAIR_DAYS = DriverStatement(
    lambda dialect: insert_ignoring_conflicts(dialect, PairDay, ["pair_id", "local_date"]),
    column_keys=("pair_id", "local_date", "nudge_id"),
)

# The deliveries this claim inserted: its token, on the (user, local date) index.
_INSERTED_NOW = select(_DELIVERIES.c.id, _DELIVERIES.c.user_id, _DELIVERIES.c.local_date).where(
    _DELIVERIES.c.user_id.in_(bindparam("new_users", expanding=True)),
    _DELIVERIES.c.local_date.in_(bindparam("new_dates", expanding=True)),
    _DELIVERIES.c.claim_token == bindparam("new_token"),
    _STILL_CLAIMED,
)


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


def hand_back(connection: Connection, *, nudges: Sequence[DueNudge], now: datetime) -> None:
    """Nudges this process claimed, or even marked `sending`, and will not send after all
    (it is stopping, or the database went away before it could record them): due now.

    Only the caller can tell that a `sending` nudge's request never started. A claim taken
    over since (its lease ran out) carries another token and is left to its new holder."""
    if nudges:
        connection.execute(
            _HAND_BACK,
            [
                {"back_id": nudge.delivery_id, "back_token": nudge.claim_token, "back_now": now}
                for nudge in nudges
            ],
        )


def mark_sending(connection: Connection, *, nudges: Sequence[DueNudge]) -> list[DueNudge]:
    """Committed just before the requests go out; from here a crash means 'maybe sent'.

    Returns the nudges this process may send: those still claimed under their claim's
    token. A claim whose lease ran out may have been taken over, by another instance or by
    a later claim of this one; then the same delivery can be among `nudges` twice, and only
    the newer claim's copy is returned (a delivery id alone would let both go)."""
    marked: set[tuple[int, int]] = set()
    for token in {nudge.claim_token for nudge in nudges}:
        ids = sorted({nudge.delivery_id for nudge in nudges if nudge.claim_token == token})
        parameters: dict[str, int] = {f"sending_{n}": id_ for n, id_ in enumerate(ids)}
        parameters["sending_token"] = token
        rows = _mark_sending(len(ids)).execute(connection, parameters)
        marked |= {(delivery_id, token) for (delivery_id,) in rows}
    return [nudge for nudge in nudges if (nudge.delivery_id, nudge.claim_token) in marked]


def record_sent(
    connection: Connection, *, sent: Sequence[tuple[int, int | None]], now: datetime
) -> None:
    """(delivery id, Telegram message id or None when a timeout hid it) for each sent nudge."""
    if sent:
        _RECORD_SENT.execute_many(
            connection,
            [
                {"sent_id": delivery_id, "sent_message": message_id, "sent_when": now}
                for delivery_id, message_id in sent
            ],
        )


def release(connection: Connection, *, nudges: Sequence[DueNudge], now: datetime) -> None:
    """Sending failed before Telegram had it: try again later, or give up after a few tries."""
    if nudges:
        connection.execute(
            _RELEASE,
            [
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


def mark_failed(connection: Connection, *, delivery_ids: Iterable[int]) -> None:
    """Telegram refused the message for good (e.g. the chat no longer exists)."""
    delivery_ids = list(delivery_ids)
    if delivery_ids:
        connection.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_(delivery_ids))
            .values(status=DeliveryStatus.FAILED, lease_until=None)
        )


@dataclass(frozen=True)
class Blocked:
    """Someone blocked the bot, for the first time: their partner is told once."""

    name: str
    partner_id: int
    partner_language: str | None = None


def record_blocked(
    connection: Connection, *, delivery_id: int, user_id: int, now: datetime
) -> Blocked | None:
    """The user blocked the bot: the pair pauses (SPEC, Calm by design).

    Returns who to tell the first time, so the partner is told once; None after.
    """
    connection.execute(
        update(_DELIVERIES)
        .where(_DELIVERIES.c.id == delivery_id)
        .values(status=DeliveryStatus.BLOCKED, lease_until=None)
    )
    user = connection.execute(
        select(_USERS.c.first_name, _USERS.c.pair_id, _USERS.c.blocked_at).where(
            _USERS.c.id == user_id
        )
    ).first()
    if user is None or user.blocked_at is not None:
        return None
    connection.execute(
        update(_USERS).where(_USERS.c.id == user_id).values(blocked_at=now, next_due_at=None)
    )
    if user.pair_id is None:
        return None
    partner = connection.execute(
        select(_USERS.c.id, _USERS.c.language).where(
            _USERS.c.pair_id == user.pair_id, _USERS.c.id != user_id
        )
    ).first()
    if partner is None:
        return None
    connection.execute(update(_USERS).where(_USERS.c.id == partner.id).values(next_due_at=None))
    return Blocked(user.first_name, partner.id, partner.language)


async def latest_for(*, session: AsyncSession, user_id: int) -> Delivery | None:
    """The user's most recent nudge that reached them (or may have)."""
    result = await session.exec(
        orm_select(Delivery)
        .where(
            Delivery.user_id == user_id,
            col(Delivery.status).in_([DeliveryStatus.SENT, DeliveryStatus.SENDING]),
        )
        .order_by(col(Delivery.local_date).desc())
        .limit(1)
    )
    return result.first()


def _reclaim_expired(
    connection: Connection,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    catch_up: timedelta,
    token: int,
) -> list[DueNudge]:
    """Claimed deliveries whose process died (or that wait for a retry) and are due again."""
    stale = connection.execute(_EXPIRED_CLAIMS, {"now": now, "room": limit}).all()
    if not stale:
        return []
    reclaimed: list[DueNudge] = []
    changes: list[dict[str, object]] = []
    for row in stale:
        user = _member(row, 6)
        partner = _partner(row, 6 + _USER_WIDTH)
        if (
            user is None
            or partner is None
            or user.pair_id != row.delivery_pair_id
            or not can_receive(user, partner)
            or is_too_late(row.due_at, now, catch_up)
        ):
            changes.append(
                {
                    "expired_id": row.delivery_id,
                    "expired_status": DeliveryStatus.SKIPPED,
                    "expired_lease": None,
                    "expired_token": None,
                }
            )
            continue
        changes.append(
            {
                "expired_id": row.delivery_id,
                "expired_status": DeliveryStatus.CLAIMED,
                "expired_lease": now + lease,
                "expired_token": token,
            }
        )
        reclaimed.append(
            DueNudge(
                delivery_id=row.delivery_id,
                user_id=user.id,
                partner_name=partner.first_name,
                nudge_id=row.nudge_id,
                local_date=row.local_date,
                attempts=row.attempts,
                claim_token=token,
                language=user.language,
            )
        )
    connection.execute(_RELEASE_EXPIRED, changes)
    return reclaimed


def _nudges_for_days(
    connection: Connection,
    *,
    wanted: set[tuple[int, date]],
    pairs: dict[int, _PairFacts],
    categories: dict[int, frozenset[Category]],
) -> dict[tuple[int, date], str]:
    """The nudge of each (pair, date): the stored choice, or a new one stored now."""
    chosen = _stored_choices(connection, wanted)
    missing = sorted(wanted - chosen.keys(), key=lambda key: key[1])
    if not missing:
        return chosen
    library = nudges_by_id()
    history: dict[int, list[PastDay]] = defaultdict(list)
    for pair_id, day, nudge_id in connection.execute(
        _HISTORY, {"pair_ids": sorted({pair_id for pair_id, _ in missing})}
    ):
        if nudge_id in library:
            history[pair_id].append(PastDay(day, nudge_id, library[nudge_id].category))
    new_rows = []
    for pair_id, day in missing:
        pair = pairs[pair_id]
        nudge = choose_nudge(
            candidates=_candidates(categories[pair_id], living=pair.living),
            history=history[pair_id],
            day=day,
            seed=pair.seed,
        )
        history[pair_id].append(PastDay(day, nudge.id, nudge.category))
        history[pair_id].sort(key=lambda past: past.day)
        new_rows.append({"pair_id": pair_id, "local_date": day, "nudge_id": nudge.id})
    _INSERT_PAIR_DAYS.execute_many(connection, new_rows)
    # Another instance may have chosen first: whatever is stored is the pair's nudge.
    return chosen | _stored_choices(connection, set(missing))


def _stored_choices(
    connection: Connection, keys: set[tuple[int, date]]
) -> dict[tuple[int, date], str]:
    """The stored nudge of each (pair, date) in `keys` that has one."""
    if not keys:
        return {}
    # Pairs IN (…) and dates IN (…), not row values IN (…): SQLite looks both up in the
    # (pair_id, local_date) index, where row values would scan the whole table.
    rows = connection.execute(
        _STORED_CHOICES,
        {
            "choice_pairs": sorted({pair_id for pair_id, _ in keys}),
            "choice_dates": sorted({day for _, day in keys}),
        },
    )
    return {(pair_id, day): nudge_id for pair_id, day, nudge_id in rows if (pair_id, day) in keys}


def _next_due_memo(now: datetime) -> Callable[[_Member, _PartnerRow, _PairFacts], datetime | None]:
    """`next_due_for(…, after=now)`, computed once per zone, time, last date, nudge days and
    pause: the users of one claim share most of those."""
    memo: dict[tuple[object, ...], datetime | None] = {}

    def next_for(user: _Member, partner: _PartnerRow, pair: _PairFacts) -> datetime | None:
        if not can_receive(user, partner):
            return None
        key = (
            user.timezone,
            user.nudge_time,
            user.last_nudge_date,
            user.weekdays,
            pair.paused_until,
        )
        if key not in memo:
            memo[key] = next_due_for(user, partner=partner, pair=pair, after=now)
        return memo[key]

    return next_for


def _follow_up_memo(sent: datetime) -> Callable[[_Member, str], datetime | None]:
    """Questions and notes get one gentle follow-up, if the user wants them (computed once
    per zone and kind for the nudges claimed together)."""
    memo: dict[tuple[str, Kind], datetime | None] = {}
    library = nudges_by_id()

    def follow_up(user: _Member, nudge_id: str) -> datetime | None:
        nudge = library.get(nudge_id)
        if not user.follow_ups or user.timezone is None or nudge is None:
            return None
        if nudge.kind not in (Kind.QUESTION, Kind.APPRECIATION):
            return None
        key = (user.timezone, nudge.kind)
        if key not in memo:
            memo[key] = follow_up_instant(sent, user.timezone)
        return memo[key]

    return follow_up


@cache
def _categories(topics: str, both_want_spark: bool) -> frozenset[Category]:
    return enabled_categories(topics_from_text(topics), both_want_spark=both_want_spark)


@dataclass(frozen=True)
class FollowUp:
    delivery_id: int
    user_id: int
    message_id: int | None
    language: str | None = None  # the recipient's (users.language)


async def claim_follow_ups(*, session: AsyncSession, now: datetime, limit: int) -> list[FollowUp]:
    """Unanswered nudges whose one follow-up is due; each is claimed once, ever."""
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
            claimed.append(FollowUp(delivery.id or 0, user.id, delivery.message_id, user.language))
    await session.flush()
    return claimed


@cache
def _candidates(categories: frozenset[Category], *, living: Living | None) -> Candidates:
    """The nudges a pair with these categories can get (never empty: all main ones else)."""
    found = eligible(load_library(), categories=categories, living=living)
    if not found:
        found = eligible(load_library(), categories=frozenset(MAIN_CATEGORIES), living=living)
    return Candidates(found)
