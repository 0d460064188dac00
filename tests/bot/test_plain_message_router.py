"""One router for plain messages (bot/router.py): the sender's state decides where a text goes,
an onboarding step, the date a pause waits for, or an answer to the latest nudge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from bot import texts
from bot.context import Services
from fakegram import FakeTelegram, FakeUser
from storage.models import AnswerPart, Pair, User
from tests.bot.app_harness import RunningApp, pair_up_with_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
MONDAY = date(2026, 11, 23)


async def stored(app: RunningApp) -> tuple[int, bool, str | None]:
    """(answer parts kept, whether the pair is paused, what Alex's next text is awaited as)."""
    services: Services = app.application.bot_data.services
    async with services.database.transaction() as session:
        parts = (await session.exec(select(func.count()).select_from(AnswerPart))).one()
        pair = (await session.exec(select(Pair))).first()
        alex = await session.get(User, ALEX.id)
        assert alex is not None
        return parts, pair is not None and pair.paused_until is not None, alex.awaiting


async def test_the_date_a_pause_waits_for_is_not_an_answer_and_the_next_text_is(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await pair_up_with_nudges(app, fake, ALEX, SAM, {MONDAY: "appreciation-001"})
        clock.now = START + timedelta(hours=1)
        await app.application.bot_data.services.dispatcher.run()  # the nudge is out
        await app.feed(fake.send_text(ALEX, "/pause"))
        menu = fake.last_to(ALEX.id)
        assert menu is not None
        await app.feed(fake.press_button(ALEX, menu.message_id, "pause:date"))
        assert await stored(app) == (0, False, "pause_date")

        await app.feed(fake.send_text(ALEX, "2026-12-24"))  # the date, not an answer
        assert await stored(app) == (0, True, None)
        assert "pause" in fake.texts_to(SAM.id)[-1].lower()

        await app.feed(fake.send_text(ALEX, "You make Mondays easy."))  # now an answer
        assert await stored(app) == (1, True, None)
        assert app.errors == []


async def test_a_text_from_someone_new_starts_onboarding_and_a_voice_note_does_not(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await app.feed(fake.send_text(ALEX, "hello?"))
        assert fake.texts_to(ALEX.id)[0] == texts.welcome(ALEX.first_name)
        await app.feed(fake.send_text(ALEX, "Berlin"))  # onboarding's step, not an answer
        assert "Berlin" in fake.texts_to(ALEX.id)[-2]
        assert await stored_parts_and_zone(app, ALEX.id) == (0, "Europe/Berlin")

        before = len(fake.texts_to(SAM.id))
        await app.feed(
            fake.send_message_json(
                SAM, voice={"file_id": "v1", "file_unique_id": "u1", "duration": 2}
            )
        )
        assert fake.texts_to(SAM.id)[before:] == [texts.nothing_to_answer_yet(None)]
        assert app.errors == []


async def stored_parts_and_zone(app: RunningApp, user_id: int) -> tuple[int, str | None]:
    services: Services = app.application.bot_data.services
    async with services.database.transaction() as session:
        parts = (await session.exec(select(func.count()).select_from(AnswerPart))).one()
        user = await session.get(User, user_id)
        return parts, user.timezone if user is not None else None
