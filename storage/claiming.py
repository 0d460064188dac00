"""Claiming due nudges: who gets one now, which nudge, and one delivery row each.

A claim is one transaction (`claim_due_nudges`) that applies these rules in turn:

1. Claims whose lease ran out (a dead process's, or one waiting for a retry) are taken over
   under this claim's token, unless the nudge may no longer go (see `_take_over_expired`).
2. Due users are locked, oldest due first; rows another instance holds are skipped
   (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several instances share a wave).
3. Each due user gets today's nudge, or not: nobody who cannot receive one (blocked, no
   partner, paused), and nobody whose nudge fell due more than `catch_up` ago (it waits for
   the next day). Each user's `next_due_at` moves on either way.
4. Both partners get the same nudge on a date: the pair's stored choice, or one chosen now
   and stored.
5. One delivery per user and local date, under a unique constraint: a second claim of the
   same date inserts nothing, so a user never gets two nudges a day.

What happens to a claimed nudge next is storage/outcomes.py.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import FromClause, Label, Row, Table, and_, select, update
from sqlmodel import col

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
from storage.db import Database, Session, insert_ignoring_conflicts
from storage.models import Delivery, DeliveryStatus, OnboardingStep, Pair, PairDay, User
from storage.schedules import can_receive, next_due_for

DELIVERIES: Table = Delivery.__table__  # type: ignore[attr-defined]
_USERS: Table = User.__table__  # type: ignore[attr-defined]
_PAIRS: Table = Pair.__table__  # type: ignore[attr-defined]
_PAIR_DAYS: Table = PairDay.__table__  # type: ignore[attr-defined]
_PARTNERS = _USERS.alias("partner")

# Still claimed, for statements that find their few rows by key. `status || ''`: compared
# as is, SQLite's planner picks the (status, lease_until) index and walks every claimed row
# instead of looking the few up by primary key or (user, local date).
STILL_CLAIMED = DELIVERIES.c.status.concat("") == DeliveryStatus.CLAIMED.value


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


async def claim_due_nudges(
    database: Database, *, now: datetime, limit: int, lease: timedelta, catch_up: timedelta
) -> list[DueNudge]:
    """`claim_due` in a transaction of its own: the dispatcher's claim of one batch."""
    async with database.transaction() as session:
        return await claim_due(
            session=session, now=now, limit=limit, lease=lease, catch_up=catch_up
        )


async def claim_due(
    *, session: Session, now: datetime, limit: int, lease: timedelta, catch_up: timedelta
) -> list[DueNudge]:
    """Claims up to `limit` due nudges for this process (the rules: the module docstring)."""
    token = secrets.randbits(62)  # marks this claim: only its holder may send
    claimed = await _take_over_expired(
        session, now=now, limit=limit, lease=lease, catch_up=catch_up, token=token
    )
    if len(claimed) >= limit:
        return claimed
    due_users = await _lock_due_users(session, now=now, room=limit - len(claimed))
    todays = await _move_on(session, due_users, now=now, catch_up=catch_up)
    if not todays:
        return claimed
    chosen = await _nudges_for_days(session, todays)
    return claimed + await _insert_deliveries(
        session, todays, chosen, now=now, lease=lease, token=token, taken_over=claimed
    )


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
class _Partner:
    """Their partner, as the wave reads them (satisfies storage.schedules.Partner)."""

    id: int
    first_name: str
    pair_id: int | None
    blocked_at: datetime | None
    spark: bool


@dataclass(frozen=True, slots=True)
class _PairFacts:
    id: int
    paused_until: datetime | None
    topics: str
    living: Living | None
    seed: int


def _member(row: Row[Any]) -> _Member | None:
    """The user of a row read with `_MEMBER_COLUMNS` labelled `u_` (None: no such user)."""
    fields = row._mapping
    if fields["u_id"] is None:
        return None
    return _Member(**{name: fields["u_" + name] for name in _MEMBER_COLUMNS})


def _partner(row: Row[Any]) -> _Partner | None:
    """The partner of a row read with `_PARTNER_COLUMNS` labelled `p_` (None: no partner)."""
    fields = row._mapping
    if fields["p_id"] is None:
        return None
    return _Partner(**{name: fields["p_" + name] for name in _PARTNER_COLUMNS})


# ---------------------------------------------------------------- 1. expired claims


async def _take_over_expired(
    session: Session,
    *,
    now: datetime,
    limit: int,
    lease: timedelta,
    catch_up: timedelta,
    token: int,
) -> list[DueNudge]:
    """Claimed deliveries whose lease ran out are claimed again under `token`, or skipped
    when the nudge may no longer go: the user left the pair, cannot receive one now, or it
    fell due more than `catch_up` ago."""
    expired = (
        await session.exec(
            select(
                DELIVERIES.c.id,
                DELIVERIES.c.pair_id,
                DELIVERIES.c.nudge_id,
                DELIVERIES.c.local_date,
                DELIVERIES.c.due_at,
                DELIVERIES.c.attempts,
                *_labelled(_USERS, _MEMBER_COLUMNS, "u_"),
                *_labelled(_PARTNERS, _PARTNER_COLUMNS, "p_"),
            )
            .select_from(
                DELIVERIES.outerjoin(_USERS, _USERS.c.id == DELIVERIES.c.user_id).outerjoin(
                    _PARTNERS,
                    and_(_PARTNERS.c.pair_id == _USERS.c.pair_id, _PARTNERS.c.id != _USERS.c.id),
                )
            )
            .where(
                DELIVERIES.c.status == DeliveryStatus.CLAIMED,
                DELIVERIES.c.lease_until <= now,
            )
            .order_by(DELIVERIES.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=DELIVERIES)
        )
    ).all()
    taken_over: list[DueNudge] = []
    skipped: list[int] = []
    for row in expired:
        user, partner = _member(row), _partner(row)
        if (
            user is None
            or partner is None
            or user.pair_id != row.pair_id
            or not can_receive(user, partner)
            or is_too_late(row.due_at, now, catch_up)
        ):
            skipped.append(row.id)
            continue
        taken_over.append(
            DueNudge(
                delivery_id=row.id,
                user_id=user.id,
                partner_name=partner.first_name,
                nudge_id=row.nudge_id,
                local_date=row.local_date,
                attempts=row.attempts,
                claim_token=token,
                language=user.language,
            )
        )
    if skipped:
        await session.exec(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(skipped))
            .values(status=DeliveryStatus.SKIPPED, lease_until=None, claim_token=None)
        )
    if taken_over:
        await session.exec(
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_([nudge.delivery_id for nudge in taken_over]))
            .values(status=DeliveryStatus.CLAIMED, lease_until=now + lease, claim_token=token)
        )
    return taken_over


# ---------------------------------------------------------------- 2. due users


@dataclass(slots=True)
class _DueUser:
    user: _Member
    partner: _Partner | None
    pair: _PairFacts | None
    due: datetime
    welcome_back: bool


async def _lock_due_users(session: Session, *, now: datetime, room: int) -> list[_DueUser]:
    """Up to `room` users whose nudge is due, oldest first, with their partner and pair,
    in one query. Only the user's row is locked."""
    rows = (
        await session.exec(
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
            .where(_USERS.c.next_due_at <= now)
            .order_by(_USERS.c.next_due_at)
            .limit(room)
            .with_for_update(skip_locked=True, of=_USERS)
        )
    ).all()
    due_users = []
    for row in rows:
        user = _member(row)
        assert user is not None
        pair = None
        if row.pair_row_id is not None:
            pair = _PairFacts(
                id=row.pair_row_id,
                paused_until=row.paused_until,
                topics=row.topics,
                living=row.living,
                seed=row.seed,
            )
        due_users.append(_DueUser(user, _partner(row), pair, row.next_due_at, row.welcome_back))
    return due_users


# ---------------------------------------------------------------- 3. who gets today's nudge


@dataclass(slots=True)
class _Today:
    """A user who gets a nudge now: the one of `day`, their local date when it fell due."""

    user: _Member
    partner: _Partner
    pair: _PairFacts
    day: date
    due: datetime
    welcome_back: bool


async def _move_on(
    session: Session, due_users: list[_DueUser], *, now: datetime, catch_up: timedelta
) -> list[_Today]:
    """Who of `due_users` gets a nudge now; every one's `next_due_at` moves on.

    Nobody who cannot receive one gets it (and nothing is due for them until that changes).
    A nudge that fell due more than `catch_up` ago is let go: the next one is tomorrow's.
    Getting today's nudge sets `last_nudge_date`, so the next is never the same date, and
    clears `welcome_back` (the nudge carries the welcome)."""
    todays: list[_Today] = []
    # Users claimed together mostly share their next due instant (same zone and time), so
    # they are moved on in a few statements, one per distinct outcome.
    moved: dict[tuple[datetime | None, date | None, bool], list[int]] = defaultdict(list)
    next_for = _next_due_memo(now)
    for due_user in due_users:
        user, partner, pair = due_user.user, due_user.partner, due_user.pair
        welcome_back = due_user.welcome_back
        if partner is None or pair is None or not can_receive(user, partner):
            next_due = None
        elif is_too_late(due_user.due, now, catch_up):
            next_due = next_for(user, partner, pair)
        else:
            assert user.timezone is not None
            day = local_date(due_user.due, user.timezone)
            user.last_nudge_date = day
            next_due = next_for(user, partner, pair)
            todays.append(_Today(user, partner, pair, day, due_user.due, welcome_back))
            welcome_back = False
        moved[(next_due, user.last_nudge_date, welcome_back)].append(user.id)
    for (next_due, last_date, still_welcome_back), user_ids in moved.items():
        await session.exec(
            update(_USERS)
            .where(_USERS.c.id.in_(user_ids))
            .values(
                next_due_at=next_due,
                last_nudge_date=last_date,
                welcome_back=still_welcome_back,
            )
        )
    return todays


def _next_due_memo(now: datetime) -> Callable[[_Member, _Partner, _PairFacts], datetime | None]:
    """`next_due_for(…, after=now)`, computed once per zone, time, last date, nudge days and
    pause: the users of one claim share most of those."""
    memo: dict[tuple[object, ...], datetime | None] = {}

    def next_for(user: _Member, partner: _Partner, pair: _PairFacts) -> datetime | None:
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


# ---------------------------------------------------------------- 4. the pair's nudge


async def _nudges_for_days(session: Session, todays: list[_Today]) -> dict[tuple[int, date], str]:
    """The nudge of each (pair, date): the stored choice, or a new one stored now."""
    wanted = {(today.pair.id, today.day) for today in todays}
    chosen = await _stored_choices(session, wanted)
    missing = sorted(wanted - chosen.keys(), key=lambda key: key[1])
    if not missing:
        return chosen
    pairs = {today.pair.id: today.pair for today in todays}
    categories = {
        today.pair.id: _categories(today.pair.topics, today.user.spark and today.partner.spark)
        for today in todays
    }
    library = nudges_by_id()
    history: dict[int, list[PastDay]] = defaultdict(list)
    past_days = await session.exec(
        select(_PAIR_DAYS.c.pair_id, _PAIR_DAYS.c.local_date, _PAIR_DAYS.c.nudge_id)
        .where(_PAIR_DAYS.c.pair_id.in_(sorted({pair_id for pair_id, _ in missing})))
        .order_by(_PAIR_DAYS.c.local_date)
    )
    for past in past_days:
        if past.nudge_id in library:
            history[past.pair_id].append(
                PastDay(past.local_date, past.nudge_id, library[past.nudge_id].category)
            )
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
    await session.exec(
        insert_ignoring_conflicts(session, PairDay, ["pair_id", "local_date"]), params=new_rows
    )
    # Another instance may have chosen first: whatever is stored is the pair's nudge.
    return chosen | await _stored_choices(session, set(missing))


async def _stored_choices(
    session: Session, keys: set[tuple[int, date]]
) -> dict[tuple[int, date], str]:
    """The stored nudge of each (pair, date) in `keys` that has one."""
    if not keys:
        return {}
    # Pairs IN (…) and dates IN (…), not row values IN (…): SQLite looks both up in the
    # (pair_id, local_date) index, where row values would scan the whole table.
    rows = await session.exec(
        select(_PAIR_DAYS.c.pair_id, _PAIR_DAYS.c.local_date, _PAIR_DAYS.c.nudge_id).where(
            _PAIR_DAYS.c.pair_id.in_(sorted({pair_id for pair_id, _ in keys})),
            _PAIR_DAYS.c.local_date.in_(sorted({day for _, day in keys})),
        )
    )
    return {
        (row.pair_id, row.local_date): row.nudge_id
        for row in rows
        if (row.pair_id, row.local_date) in keys
    }


@cache
def _categories(topics: str, both_want_spark: bool) -> frozenset[Category]:
    return enabled_categories(topics_from_text(topics), both_want_spark=both_want_spark)


@cache
def _candidates(categories: frozenset[Category], *, living: Living | None) -> Candidates:
    """The nudges a pair with these categories can get (never empty: all main ones else)."""
    found = eligible(load_library(), categories=categories, living=living)
    if not found:
        found = eligible(load_library(), categories=frozenset(MAIN_CATEGORIES), living=living)
    return Candidates(found)


# ---------------------------------------------------------------- 5. one delivery a day


async def _insert_deliveries(
    session: Session,
    todays: list[_Today],
    chosen: dict[tuple[int, date], str],
    *,
    now: datetime,
    lease: timedelta,
    token: int,
    taken_over: list[DueNudge],
) -> list[DueNudge]:
    """One delivery per user and local date, claimed under `token`. A second claim of the
    same user and date inserts nothing (the unique constraint): only the rows inserted now
    are returned (this claim's token, and not one of the claims it took over)."""
    follow_up = _follow_up_memo(now)
    await session.exec(
        insert_ignoring_conflicts(session, Delivery, ["user_id", "local_date"]),
        params=[
            {
                "user_id": today.user.id,
                "pair_id": today.pair.id,
                "local_date": today.day,
                "nudge_id": chosen[(today.pair.id, today.day)],
                "due_at": today.due,
                "status": DeliveryStatus.CLAIMED,
                "lease_until": now + lease,
                "claim_token": token,
                "attempts": 0,
                "follow_up_due_at": follow_up(today.user, chosen[(today.pair.id, today.day)]),
            }
            for today in todays
        ],
    )
    already_mine = {nudge.delivery_id for nudge in taken_over}
    inserted = await session.exec(
        select(DELIVERIES.c.id, DELIVERIES.c.user_id, DELIVERIES.c.local_date).where(
            DELIVERIES.c.user_id.in_([today.user.id for today in todays]),
            DELIVERIES.c.local_date.in_(sorted({today.day for today in todays})),
            DELIVERIES.c.claim_token == token,
            STILL_CLAIMED,
        )
    )
    delivery_of = {
        (row.user_id, row.local_date): row.id for row in inserted if row.id not in already_mine
    }
    return [
        DueNudge(
            delivery_id=delivery_of[(today.user.id, today.day)],
            user_id=today.user.id,
            partner_name=today.partner.first_name,
            nudge_id=chosen[(today.pair.id, today.day)],
            local_date=today.day,
            attempts=0,
            claim_token=token,
            welcome_back=today.welcome_back,
            language=today.user.language,
        )
        for today in todays
        if (today.user.id, today.day) in delivery_of
    ]


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


async def renew_claims(database: Database, nudges: Sequence[DueNudge], *, until: datetime) -> None:
    """This process still holds these claims: their lease runs until `until`. A wave renews
    its claims while it works through them, so only a dead process's claims run out (and
    are taken over soon after). One taken over already carries another token: left alone."""
    by_token: defaultdict[int, list[int]] = defaultdict(list)
    for nudge in nudges:
        by_token[nudge.claim_token].append(nudge.delivery_id)
    async with database.transaction() as session:
        for token, delivery_ids in by_token.items():
            await session.exec(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id.in_(sorted(delivery_ids)),
                    STILL_CLAIMED,
                    DELIVERIES.c.claim_token == token,
                )
                .values(lease_until=until)
            )


async def release_claims_of_dead_processes(*, session: Session, now: datetime) -> int:
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
