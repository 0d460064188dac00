"""The per-user incoming limit: 20 messages a minute, then one kind line, nothing stored
past it, and /pause, /unpair, /delete always through. The clock is moved by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot import texts
from bot.chat import TAG
from bot.flood import IncomingWindow
from fakegram import FakeTelegram, FakeUser
from storage.db import Database
from testbed.couples import DUE, populate
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

MONDAY = date(2026, 11, 23)
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")
LIMIT = 20  # the default
T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
CATCHING_BREATH = TAG.sub("", texts.CATCHING_BREATH)

# ----------------------------------------------------------------------------- the window


def test_a_user_gets_the_limit_in_a_minute_then_waits_for_the_oldest_to_age_out() -> None:
    window = IncomingWindow(3)
    assert [window.admit(1, T0 + timedelta(seconds=s)) for s in (0, 10, 20)] == [True] * 3
    assert not window.admit(1, T0 + timedelta(seconds=30))
    assert not window.admit(1, T0 + timedelta(seconds=59.9))
    assert window.admit(1, T0 + timedelta(seconds=60))  # the one at 0 s is a minute old
    assert not window.admit(1, T0 + timedelta(seconds=65))
    assert window.admit(1, T0 + timedelta(seconds=70))  # the one at 10 s


def test_refused_updates_do_not_count_so_a_minute_of_quiet_is_never_needed() -> None:
    window = IncomingWindow(2)
    assert window.admit(1, T0) and window.admit(1, T0)
    for second in range(1, 60):  # one refused a second: none of them counts
        assert not window.admit(1, T0 + timedelta(seconds=second))
    assert window.admit(1, T0 + timedelta(seconds=60))


def test_each_user_has_their_own_limit() -> None:
    window = IncomingWindow(1)
    assert window.admit(1, T0)
    assert not window.admit(1, T0)
    assert window.admit(2, T0)


def test_the_user_is_told_once_per_burst_and_again_after_an_accepted_update() -> None:
    window = IncomingWindow(1)
    assert window.admit(1, T0)
    assert not window.admit(1, T0)
    assert window.first_refusal(1)
    assert not window.admit(1, T0 + timedelta(seconds=1))
    assert not window.first_refusal(1)  # the same burst: said already
    assert window.admit(1, T0 + timedelta(minutes=1))
    assert not window.admit(1, T0 + timedelta(minutes=1, seconds=1))
    assert window.first_refusal(1)  # a new burst


def test_users_quiet_for_a_minute_are_forgotten() -> None:
    window = IncomingWindow(5)
    for user_id in range(100):
        window.admit(user_id, T0)
    assert window.users == 100
    window.admit(1000, T0 + timedelta(minutes=1))
    assert window.users == 1


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        IncomingWindow(0)


# ----------------------------------------------------------------------------- the bot


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DUE)


@pytest.fixture
def couple_url(database_url: str) -> str:
    """Alex and Sam (and another couple), a question fixed for Monday, due now."""
    populate(database_url, 2, names=("Alex", "Sam"), nudges={MONDAY: "feelings-001"})
    return database_url


@pytest.fixture
async def app(couple_url: str, fake: FakeTelegram, clock: FrozenClock) -> AsyncIterator[RunningApp]:
    """Alex and Sam, paired, today's question delivered; the default limit."""
    async with running_app(fake, database_url=couple_url, clock=clock, token=TOKEN) as running:
        await running.application.bot_data.services.dispatcher.run()
        assert fake.sent_to(ALEX.id)
        yield running


async def stored_texts(url: str, user_id: int) -> list[str]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT p.text FROM answer_parts p JOIN deliveries d ON d.id = p.delivery_id "
                    "WHERE d.user_id = :user ORDER BY p.id"
                ),
                {"user": user_id},
            )
            return [str(row[0]) for row in result]
    finally:
        await database.dispose()


async def send(app: RunningApp, user: FakeUser, line: str) -> list[str]:
    """`user` sends one text; the bot's messages to them in answer."""
    before = len(app.fake.texts_to(user.id))
    await app.feed(app.fake.send_text(user, line))
    return app.fake.texts_to(user.id)[before:]


async def fill_the_minute(app: RunningApp, user: FakeUser) -> list[dict[str, Any]]:
    """`user` sends 20 texts at the same instant, each answered as usual; their updates."""
    updates = []
    for n in range(LIMIT):
        before = len(app.fake.texts_to(user.id))
        updates.append(app.fake.send_text(user, f"line {n} of everything"))
        await app.feed(updates[-1])
        replies = app.fake.texts_to(user.id)[before:]
        assert replies and CATCHING_BREATH not in replies
    return updates


async def test_past_20_messages_in_a_minute_the_bot_says_once_it_is_catching_its_breath(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock, couple_url: str
) -> None:
    lines = [update["message"]["text"] for update in await fill_the_minute(app, ALEX)]
    stored = await stored_texts(couple_url, ALEX.id)
    assert stored and stored == lines[: len(stored)]  # (an answer may hold fewer parts)

    assert await send(app, ALEX, "the 21st") == [CATCHING_BREATH]
    assert await send(app, ALEX, "the 22nd") == []  # said once per burst
    clock.advance(seconds=59)
    assert await send(app, ALEX, "the 23rd") == []
    assert await stored_texts(couple_url, ALEX.id) == stored  # nothing past the limit

    assert (await send(app, SAM, "Sam is not Alex"))[0] != CATCHING_BREATH

    clock.advance(seconds=1)  # a minute after the first of the 20
    replies = await send(app, ALEX, "after a breath")
    assert replies and CATCHING_BREATH not in replies
    assert app.errors == []


async def test_an_edit_past_the_limit_is_not_stored_and_is_said_not_to_be(
    app: RunningApp, fake: FakeTelegram, couple_url: str
) -> None:
    first = (await fill_the_minute(app, ALEX))[0]
    stored = await stored_texts(couple_url, ALEX.id)

    before = len(fake.texts_to(ALEX.id))
    await app.feed(fake.edit_text(ALEX, first["message"]["message_id"], "line 0, said better"))
    assert fake.texts_to(ALEX.id)[before:] == [CATCHING_BREATH]
    assert await stored_texts(couple_url, ALEX.id) == stored


async def test_pause_unpair_and_delete_always_get_through(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await fill_the_minute(app, ALEX)
    assert await send(app, ALEX, "one too many") == [CATCHING_BREATH]

    assert (await send(app, ALEX, "/pause"))[0].startswith(TAG.sub("", texts.PAUSE_MENU)[:20])
    unpair = await send(app, ALEX, "/unpair")
    assert unpair[0] == TAG.sub("", texts.unpair_confirm("Sam"))
    delete = await send(app, ALEX, "/delete")
    assert delete[0] == TAG.sub("", texts.DELETE_CONFIRM)
    confirmation = fake.last_to(ALEX.id)
    assert confirmation is not None

    await app.feed(fake.press_button(ALEX, confirmation.message_id, "delete:no"))
    assert fake.texts_to(ALEX.id)[-1] == TAG.sub("", texts.DELETE_KEPT)
    assert await send(app, ALEX, "/help") == []  # not a way out: still catching its breath
    assert app.errors == []


async def test_a_button_press_past_the_limit_changes_nothing_and_says_so(
    app: RunningApp, fake: FakeTelegram, couple_url: str
) -> None:
    nudge = fake.sent_to(ALEX.id)[0]
    await fill_the_minute(app, ALEX)
    sent_before = len(fake.texts_to(ALEX.id))

    await app.feed(fake.press_button(ALEX, nudge.message_id, "hist:0", forged=True))
    assert fake.callback_answers()[-1]["text"] == texts.CATCHING_BREATH_BUTTON
    assert len(fake.texts_to(ALEX.id)) == sent_before  # a notice over the chat, not in it
    # The notice on the button said nothing about messages: the next one is still told.
    assert await send(app, ALEX, "and one more thing") == [CATCHING_BREATH]


async def test_with_the_limit_off_every_message_is_taken(
    couple_url: str, fake: FakeTelegram, clock: FrozenClock
) -> None:
    async with running_app(
        fake,
        database_url=couple_url,
        clock=clock,
        token=TOKEN,
        settings={"INCOMING_MESSAGES_PER_MINUTE": "0"},
    ) as app:
        await app.application.bot_data.services.dispatcher.run()
        for n in range(LIMIT + 5):
            replies = await send(app, ALEX, f"line {n}")
            assert replies and CATCHING_BREATH not in replies
