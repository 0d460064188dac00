"""Storage on both real databases: SQLite files and a PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as time_of_day

import pytest
from sqlalchemy import text

from nudges.invites import INVITE_LIFETIME
from storage import invites, pairs, users
from storage.db import Database, DatabaseUrlError, async_database_url
from storage.migrate import head_revision, upgrade_to_head
from storage.models import OnboardingStep, User
from tests.storage.factories import T0, a_couple, a_user


async def test_migrations_create_the_schema_and_are_idempotent(database: Database) -> None:
    await upgrade_to_head(database)  # a second run changes nothing
    async with database.transaction() as session:
        version = (await session.exec(text("SELECT version_num FROM alembic_version"))).one()
    assert version[0] == head_revision()


async def test_a_new_user_starts_onboarding_and_instants_come_back_aware_utc(
    database: Database,
) -> None:
    async with database.transaction() as session:
        _user, created = await users.find_or_create(
            session=session, user_id=10**12, first_name="Noor", now=T0
        )
    assert created
    async with database.transaction() as session:
        again, created = await users.find_or_create(
            session=session, user_id=10**12, first_name="Noor", now=T0 + timedelta(days=1)
        )
    assert not created
    assert again.onboarding_step == OnboardingStep.TIMEZONE
    assert again.created_at == T0
    assert again.created_at.tzinfo is not None
    assert again.created_at.utcoffset() == timedelta(0)


async def test_a_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.transaction() as session:
            session.add(User(id=5, first_name="X", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001


async def test_onboarding_moves_from_zone_to_time_to_done(database: Database) -> None:
    async with database.transaction() as session:
        user, _ = await users.find_or_create(session=session, user_id=7, first_name="A", now=T0)
        await users.set_timezone(session=session, user=user, zone="Asia/Kathmandu", now=T0)
        assert user.onboarding_step == OnboardingStep.TIME
        await users.set_nudge_time(session=session, user=user, value=time_of_day(7, 30), now=T0)
    async with database.transaction() as session:
        stored = await users.find(session=session, user_id=7)
    assert stored is not None
    assert stored.onboarding_step == OnboardingStep.DONE
    assert stored.timezone == "Asia/Kathmandu"
    assert stored.nudge_time == time_of_day(7, 30)


async def test_partners_find_each_other_and_unpairing_keeps_both_users(
    database: Database,
) -> None:
    async with database.transaction() as session:
        a, _b, pair = await a_couple(session)
    async with database.transaction() as session:
        a = await users.find(session=session, user_id=1)
        assert a is not None
        partner = await users.partner_of(session=session, user=a)
        assert partner is not None
        assert partner.id == 2
        members = await pairs.end(session=session, pair_id=pair.id, now=T0)
        assert {m.id for m in members} == {1, 2}
    async with database.transaction() as session:
        for user_id in (1, 2):
            user = await users.find(session=session, user_id=user_id)
            assert user is not None
            assert user.pair_id is None
        assert await pairs.end(session=session, pair_id=pair.id, now=T0) == []


async def test_nobody_is_ever_in_two_pairs(database: Database) -> None:
    async with database.transaction() as session:
        await a_couple(session, 1, 2)
        await a_user(session, 3, name="Kim")
    with pytest.raises(pairs.PairingRace):
        async with database.transaction() as session:
            kim = await users.find(session=session, user_id=3)
            assert kim is not None
            # A stale view of user 1, as a request on another instance might hold.
            stale = User(id=1, first_name="Alex", pair_id=None, created_at=T0)
            await pairs.form(session=session, inviter=kim, joiner=stale, now=T0)
    async with database.transaction() as session:
        kim = await users.find(session=session, user_id=3)
        one = await users.find(session=session, user_id=1)
        assert kim is not None
        assert one is not None
        assert kim.pair_id is None  # rolled back
        partner = await users.partner_of(session=session, user=one)
        assert partner is not None
        assert partner.id == 2


async def test_a_new_invite_revokes_the_older_one_and_an_invite_is_used_once(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await a_user(session, 1)
        old = await invites.create(
            session=session, inviter_id=1, code_hash="a" * 64, now=T0, lifetime=INVITE_LIFETIME
        )
        new = await invites.create(
            session=session, inviter_id=1, code_hash="b" * 64, now=T0, lifetime=INVITE_LIFETIME
        )
    async with database.transaction() as session:
        old_again = await invites.find_by_hash(session=session, code_hash="a" * 64)
        assert old_again is not None
        assert old_again.revoked_at == T0
        assert not await invites.mark_used(session=session, invite=old, now=T0)
        assert await invites.mark_used(session=session, invite=new, now=T0)
        assert not await invites.mark_used(session=session, invite=new, now=T0)
        assert new.expires_at == T0 + timedelta(hours=48)
        assert await invites.find_by_hash(session=session, code_hash="c" * 64) is None


async def test_wrong_codes_are_counted_in_a_sliding_hour(database: Database) -> None:
    async with database.transaction() as session:
        await a_user(session, 1)
        for minutes in (0, 10, 50, 70):
            await invites.record_wrong_code(
                session=session, user_id=1, now=T0 + timedelta(minutes=minutes)
            )
    async with database.transaction() as session:
        since = T0 + timedelta(minutes=75) - timedelta(hours=1)
        assert await invites.count_wrong_codes_since(session=session, user_id=1, since=since) == 2
        assert await invites.count_wrong_codes_since(session=session, user_id=2, since=since) == 0


async def test_sqlite_runs_in_wal_mode(tmp_path: object) -> None:
    database = Database(f"sqlite:///{tmp_path}/wal.sqlite3")
    async with database.transaction() as session:
        mode = (await session.exec(text("PRAGMA journal_mode"))).one()
    await database.dispose()
    assert mode[0] == "wal"


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("sqlite:///couplet.sqlite3", "sqlite+aiosqlite"),
        ("postgres://u:p@h/db", "postgresql+asyncpg"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_database_urls_get_the_async_driver(raw: str, driver: str) -> None:
    assert async_database_url(raw).drivername == driver


@pytest.mark.parametrize(
    "raw", ["mysql://u@h/db", "not a url", "sqlite://", "postgresql://u@h/", "://"]
)
def test_unusable_database_urls_are_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(DatabaseUrlError):
        async_database_url(raw)
