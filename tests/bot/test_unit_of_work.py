"""The unit of work every handler runs in (bot/unit.py): one transaction with the sender's
row; what the handler queued goes out only after the commit, and nothing of it if it fails."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram.ext import CommandHandler

from bot import texts
from bot.context import Services
from bot.unit import Unit, unit_of_work
from fakegram import FakeTelegram, FakeUser
from storage.models import User
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


class Broken(Exception):
    """What the handler under test raises."""


async def stored_user(app: RunningApp, user_id: int) -> User | None:
    services: Services = app.application.bot_data.services
    async with services.database.transaction() as session:
        return await session.get(User, user_id)


async def test_replies_go_out_after_the_commit_and_see_what_it_saved(
    database_url: str, fake: FakeTelegram
) -> None:
    async with running_app(
        fake, database_url=database_url, clock=FrozenClock(START), token=TOKEN
    ) as app:
        seen_when_sending: list[bool | None] = []

        async def read_back() -> None:  # runs as a queued send: the change is committed
            user = await stored_user(app, ALEX.id)
            seen_when_sending.append(user.spark if user is not None else None)

        @unit_of_work
        async def spark_on(unit: Unit[User]) -> None:
            unit.sender.spark = True
            unit.reply("spark on")
            unit.then(read_back)

        app.application.add_handler(CommandHandler("sparkon", spark_on), group=-3)
        await app.feed(fake.send_text(ALEX, "/sparkon"))

        assert app.errors == []
        assert fake.texts_to(ALEX.id)[0] == "spark on"
        assert seen_when_sending == [True]


async def test_a_failing_handler_sends_nothing_it_queued_and_changes_nothing(
    database_url: str, fake: FakeTelegram
) -> None:
    async with running_app(
        fake, database_url=database_url, clock=FrozenClock(START), token=TOKEN
    ) as app:

        @unit_of_work
        async def half_done(unit: Unit[User]) -> None:
            unit.sender.spark = True
            unit.reply("this must not arrive")
            unit.notify(unit.sender, "nor this")
            raise Broken("after the change")

        app.application.add_handler(CommandHandler("halfdone", half_done), group=-3)
        await app.feed(fake.send_text(ALEX, "/halfdone"))

        assert [type(error) for error in app.errors] == [Broken]
        sent = fake.texts_to(ALEX.id)  # (then group 0 says it does not know /halfdone)
        assert sent[0] == texts.SOMETHING_WENT_WRONG
        assert "this must not arrive" not in sent and "nor this" not in sent
        assert await stored_user(app, ALEX.id) is None  # not even the sender's row was kept
