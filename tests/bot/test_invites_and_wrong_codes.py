"""Invites and the wrong-code limit, in process on both databases: an invite dies when its
maker pairs with someone else (and stays dead after /unpair); /delete does not reset the
limit on guessing codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot import texts
from bot.context import Services
from fakegram import FakeTelegram, FakeUser
from nudges.invites import WRONG_CODE_LIMIT, WRONG_CODE_WINDOW
from storage import invites
from storage.db import Database
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
CODE = re.compile(r"/join ([A-Za-z0-9_-]{24})")


async def onboard(app: RunningApp, fake: FakeTelegram, user: FakeUser) -> None:
    await app.feed(fake.send_text(user, "/start"))
    await app.feed(fake.send_text(user, "Berlin"))
    await app.feed(fake.send_text(user, "8:00"))


async def invite_code(app: RunningApp, fake: FakeTelegram, user: FakeUser) -> str:
    await app.feed(fake.send_text(user, "/invite"))
    found = CODE.search(fake.texts_to(user.id)[-1])
    assert found is not None
    return found[1]


async def unpair(app: RunningApp, fake: FakeTelegram, user: FakeUser) -> None:
    await app.feed(fake.send_text(user, "/unpair"))
    confirm = fake.last_to(user.id)
    assert confirm is not None
    (yes,) = [data for label, data in fake.buttons(confirm) if label == "Yes, unpair"]
    await app.feed(fake.press_button(user, confirm.message_id, yes))
    assert "no longer paired" in fake.texts_to(user.id)[-1]


async def open_invites(database_url: str, *user_ids: int) -> int:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT count(*) FROM invites WHERE used_at IS NULL AND revoked_at IS NULL"
                    " AND inviter_id IN (" + ",".join(str(u) for u in user_ids) + ")"
                )
            )
            return int(result.scalar_one())
    finally:
        await database.dispose()


async def pairs_of(database_url: str, user_id: int) -> int:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(
                text("SELECT count(*) FROM pairs WHERE user_a_id = :u OR user_b_id = :u"),
                {"u": user_id},
            )
            return int(result.scalar_one())
    finally:
        await database.dispose()


@pytest.mark.parametrize("how", ["join", "deep link"])
async def test_pairing_by_someone_elses_invite_revokes_both_partners_open_invites(
    database_url: str, fake: FakeTelegram, how: str
) -> None:
    async with running_app(
        fake, database_url=database_url, clock=FrozenClock(START), token=TOKEN
    ) as app:
        for user in (ALEX, SAM, KIM):
            await onboard(app, fake, user)
        alex_code = await invite_code(app, fake, ALEX)
        sam_code = await invite_code(app, fake, SAM)
        command = "/join" if how == "join" else "/start"
        await app.feed(fake.send_text(ALEX, f"{command} {sam_code}"))  # Alex joins Sam
        assert "You and Sam are paired" in fake.texts_to(ALEX.id)[-2]
        assert await open_invites(database_url, ALEX.id, SAM.id) == 0

        await app.feed(fake.send_text(KIM, f"/join {alex_code}"))
        assert fake.texts_to(KIM.id)[-1] == texts.JOIN_USED

        await unpair(app, fake, SAM)
        assert await open_invites(database_url, ALEX.id, SAM.id) == 0
        for code in (alex_code, sam_code):  # unpairing brings no invite back
            await app.feed(fake.send_text(KIM, f"/join {code}"))
            assert fake.texts_to(KIM.id)[-1] == texts.JOIN_USED
        assert await pairs_of(database_url, KIM.id) == 0

        fresh = await invite_code(app, fake, ALEX)  # a new invite works as ever
        await app.feed(fake.send_text(KIM, f"/join {fresh}"))
        assert "You and Alex are paired" in fake.texts_to(KIM.id)[-2]
        assert app.errors == []


async def test_delete_does_not_reset_the_wrong_code_limit(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await onboard(app, fake, ALEX)
        alex_code = await invite_code(app, fake, ALEX)
        await onboard(app, fake, SAM)
        for guess in range(WRONG_CODE_LIMIT):
            await app.feed(fake.send_text(SAM, f"/join {'B' * 23}{guess}"))
            assert fake.texts_to(SAM.id)[-1] == texts.JOIN_UNKNOWN

        await app.feed(fake.send_text(SAM, "/delete"))
        confirm = fake.last_to(SAM.id)
        assert confirm is not None
        await app.feed(fake.press_button(SAM, confirm.message_id, "delete:yes"))
        assert "Everything I stored about you is erased" in fake.texts_to(SAM.id)[-1]

        await onboard(app, fake, SAM)  # a stranger again, but still guessing
        await app.feed(fake.send_text(SAM, f"/join {'C' * 24}"))
        assert fake.texts_to(SAM.id)[-1] == texts.JOIN_RATE_LIMITED
        await app.feed(fake.send_text(SAM, f"/join {alex_code}"))
        assert fake.texts_to(SAM.id)[-1] == texts.JOIN_RATE_LIMITED

        clock.now = START + WRONG_CODE_WINDOW + timedelta(minutes=1)  # the hour has passed
        await app.feed(fake.send_text(SAM, f"/join {alex_code}"))
        assert "You and Alex are paired" in fake.texts_to(SAM.id)[-2]
        assert app.errors == []


async def test_wrong_codes_older_than_the_window_are_forgotten(database: Database) -> None:
    async with database.transaction() as session:
        for minutes_ago in (90, 61, 59, 1):
            await invites.record_wrong_code(
                session=session, user_id=42, now=START - timedelta(minutes=minutes_ago)
            )
        await invites.record_wrong_code(session=session, user_id=43, now=START - timedelta(hours=5))
    async with database.transaction() as session:
        forgotten = await invites.forget_wrong_codes(
            session=session, before=START - WRONG_CODE_WINDOW
        )
    assert forgotten == 3
    async with database.engine.connect() as connection:
        left = await connection.execute(text("SELECT user_id FROM wrong_codes ORDER BY at"))
        assert [row[0] for row in left] == [42, 42]


async def test_the_housekeeping_job_forgets_old_wrong_codes(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await onboard(app, fake, SAM)
        await app.feed(fake.send_text(SAM, f"/join {'B' * 24}"))
        job_queue = app.application.job_queue
        assert job_queue is not None
        (job,) = job_queue.get_jobs_by_name("forget wrong codes")
        services: Services = app.application.bot_data.services
        clock.now = START + WRONG_CODE_WINDOW + timedelta(seconds=1)
        context = app.application.context_types.context.from_job(job, app.application)
        await job.callback(context)  # what its schedule runs
        async with services.database.engine.connect() as connection:
            left = await connection.execute(text("SELECT count(*) FROM wrong_codes"))
            assert left.scalar_one() == 0
