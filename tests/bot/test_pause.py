"""Pause for busy weeks, in process on both databases: /pause, /resume, the pause buttons and
a typed date; the dispatcher's wave shows which nudges still go out.

The black-box versions run the real process in tests/e2e/test_pause_settings_e2e.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot import texts
from fakegram import FakeTelegram, FakeUser, SentMessage
from storage.models import AnswerPart, Pair
from tests.bot.app_harness import RunningApp, a_paired_couple, fix_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
MONDAY = date(2026, 11, 23)
BEFORE_NUDGE = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: the nudge time


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(BEFORE_NUDGE)


@pytest.fixture
async def app(
    database_url: str, fake: FakeTelegram, clock: FrozenClock
) -> AsyncIterator[RunningApp]:
    """Alex and Sam, paired in Berlin with an 8:00 nudge: a question every day."""
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as running:
        pair = await a_paired_couple(running, ALEX, SAM, now=BEFORE_NUDGE)
        assert pair.id is not None
        week = {MONDAY + timedelta(days=n): f"feelings-{n + 1:03d}" for n in range(10)}
        await fix_nudges(running, pair.id, week)
        yield running
        assert running.errors == []


def nudges(fake: FakeTelegram, user: FakeUser) -> list[SentMessage]:
    """The daily nudges `user` received (every one carries the pause button)."""
    return [m for m in fake.sent_to(user.id) if texts.PAUSE_BUTTON in labels(fake, m)]


def labels(fake: FakeTelegram, message: SentMessage) -> list[str]:
    return [label for label, _ in fake.buttons(message)]


async def the_pair(app: RunningApp) -> Pair:
    async with app.stored() as session:
        (pair,) = (await session.exec(select(Pair))).all()
        return pair


async def nudge_at(app: RunningApp, clock: FrozenClock, when: datetime) -> None:
    clock.now = when
    await app.send_due_nudges()


async def test_a_pause_stops_both_partners_nudges_and_they_come_back_by_themselves(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await nudge_at(app, clock, DUE)
    assert len(nudges(fake, ALEX)) == len(nudges(fake, SAM)) == 1
    clock.now = DUE + timedelta(hours=2)  # Monday 10:00
    (paused,) = await app.send(ALEX, "/pause 2d")
    assert paused.raw_text == texts.paused(
        "Tuesday 24 November", "Wednesday 25 November", "Sam", replaced=False
    )
    assert fake.texts_to(SAM.id)[-1] == texts.partner_paused(
        "Alex", "on Wed 25 Nov", replaced=False
    )
    pair = await the_pair(app)
    assert pair.paused_by == ALEX.id
    assert pair.paused_until == datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # Wed 00:00 Berlin

    await nudge_at(app, clock, DUE + timedelta(days=1))  # Tuesday 08:00: paused
    assert len(nudges(fake, ALEX)) == len(nudges(fake, SAM)) == 1
    await nudge_at(app, clock, DUE + timedelta(days=2))  # Wednesday 08:00: back
    for user in (ALEX, SAM):
        assert len(nudges(fake, user)) == 2
        assert nudges(fake, user)[-1].raw_text.startswith(texts.WELCOME_BACK)
    await nudge_at(app, clock, DUE + timedelta(days=3))
    assert len(nudges(fake, ALEX)) == 3
    assert not nudges(fake, ALEX)[-1].raw_text.startswith(texts.WELCOME_BACK)  # said once


async def test_resume_ends_the_pause_at_once_and_a_new_pause_replaces_the_old(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await app.send(ALEX, "/pause 1w")
    (replaced,) = await app.send(SAM, "/pause until friday")
    assert replaced.raw_text == texts.paused(
        "Thursday 26 November", "Friday 27 November", "Alex", replaced=True
    )
    assert fake.texts_to(ALEX.id)[-1] == texts.partner_paused("Sam", "on Fri 27 Nov", replaced=True)
    assert (await the_pair(app)).paused_by == SAM.id

    (back,) = await app.send(ALEX, "/resume")
    next_line = texts.next_nudge_line("today at 08:00")
    assert back.raw_text == texts.resumed(next_line)
    assert fake.texts_to(SAM.id)[-1] == texts.partner_resumed("Alex", next_line)
    assert (await the_pair(app)).paused_until is None

    await nudge_at(app, clock, DUE)
    assert len(nudges(fake, ALEX)) == len(nudges(fake, SAM)) == 1
    assert not nudges(fake, ALEX)[0].raw_text.startswith(texts.WELCOME_BACK)
    (nothing,) = await app.send(ALEX, "/resume")
    assert nothing.raw_text == texts.NOT_PAUSED


@pytest.mark.parametrize(
    ("length", "reply"),
    [
        ("a while", texts.PAUSE_NOT_UNDERSTOOD),
        ("91d", texts.PAUSE_TOO_LONG),
        ("until 2020-01-01", texts.PAUSE_IN_THE_PAST),
        ("x" * 5000, texts.PAUSE_NOT_UNDERSTOOD),
    ],
)
async def test_a_pause_that_does_not_work_gets_a_kind_line_and_changes_nothing(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock, length: str, reply: str
) -> None:
    (answer,) = await app.send(ALEX, f"/pause {length}")
    assert answer.raw_text == reply
    assert (await the_pair(app)).paused_until is None
    assert fake.sent_to(SAM.id) == []  # the partner hears nothing
    await nudge_at(app, clock, DUE)
    assert len(nudges(fake, ALEX)) == 1


async def test_the_pause_button_a_typed_date_and_the_menu_while_paused(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await nudge_at(app, clock, DUE)
    (nudge,) = nudges(fake, ALEX)
    (menu,) = await app.tap(ALEX, nudge, texts.PAUSE_BUTTON)
    assert menu.raw_text == texts.PAUSE_MENU
    assert labels(fake, menu) == ["1 day", "3 days", "1 week", "2 weeks", "Until a date…"]
    (ask,) = await app.tap(ALEX, menu, texts.PAUSE_UNTIL_BUTTON)
    assert ask.raw_text == texts.ASK_PAUSE_DATE
    (paused,) = await app.send(ALEX, "friday")  # a date, not an answer to the question
    assert paused.raw_text == texts.paused(
        "Thursday 26 November", "Friday 27 November", "Sam", replaced=False
    )
    async with app.stored() as session:
        parts = (await session.exec(select(func.count()).select_from(AnswerPart))).one()
    assert parts == 0
    (answer_again,) = await app.send(ALEX, "friday")  # only the one message was a date
    assert answer_again.raw_text == texts.answer_saved("Sam")

    (menu,) = await app.send(SAM, "/pause")
    assert labels(fake, menu)[-1] == texts.RESUME_BUTTON
    (three,) = await app.tap(SAM, menu, "3 days")
    assert three.raw_text == texts.paused(
        "Wednesday 25 November", "Thursday 26 November", "Alex", replaced=True
    )
    assert (await the_pair(app)).paused_by == SAM.id
    (resumed,) = await app.tap(SAM, menu, texts.RESUME_BUTTON)
    assert resumed.raw_text.startswith(texts.resumed(""))
    assert (await the_pair(app)).paused_until is None


async def test_someone_unpaired_has_nothing_to_pause_and_forged_buttons_do_nothing(
    app: RunningApp, fake: FakeTelegram
) -> None:
    (nothing,) = await app.send(KIM, "/pause")
    assert nothing.raw_text == texts.PAUSE_NOT_PAIRED
    (nothing,) = await app.send(KIM, "/pause 3d")
    assert nothing.raw_text == texts.PAUSE_NOT_PAIRED
    (nothing,) = await app.send(KIM, "/resume")
    assert nothing.raw_text == texts.NOT_PAUSED
    (menu,) = await app.send(ALEX, "/pause")
    for data in ("pause:5y", "pause:", "pause:resume:now"):
        answer = await app.press(ALEX, menu.message_id, data)
        assert answer.get("show_alert") is True
        assert answer.get("text") == texts.BUTTON_EXPIRED
    assert (await the_pair(app)).paused_until is None
