"""One answer has at most ten parts: the eleventh message is not kept and its sender is told
why (once; later messages get a short line), and the partner never receives more than ten."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot import texts
from bot.context import Services
from fakegram import FakeTelegram, FakeUser
from storage import answers
from storage.models import AnswerPart
from tests.bot.app_harness import RunningApp, pair_up_with_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
MONDAY = date(2026, 11, 23)
NOTE = "appreciation-001"
QUESTION = "feelings-001"


async def nudged_with(app: RunningApp, fake: FakeTelegram, clock: FrozenClock, nudge: str) -> None:
    """Alex and Sam pair up; today's nudge is `nudge`, and it goes out at 08:00 Berlin."""
    await pair_up_with_nudges(app, fake, ALEX, SAM, {MONDAY: nudge})
    services: Services = app.application.bot_data.services
    clock.now = START + timedelta(hours=1)
    await services.dispatcher.run()


async def stored_parts(app: RunningApp) -> int:
    services: Services = app.application.bot_data.services
    async with services.database.transaction() as session:
        return (await session.exec(select(func.count()).select_from(AnswerPart))).one()


async def _feed(app: RunningApp, update: dict[str, Any]) -> dict[str, Any]:
    await app.feed(update)
    return update


def received(fake: FakeTelegram, user: FakeUser, count: int) -> list[int]:
    """Which of "piece 1" … "piece <count>" reached `user`, by number."""
    sent = "\n".join(fake.texts_to(user.id))
    return [n for n in range(1, count + 1) if f"piece {n}." in sent]


@pytest.mark.parametrize("nudge", [NOTE, QUESTION])
async def test_twelve_messages_as_one_answer_keep_ten_and_the_sender_is_told_once(
    database_url: str, fake: FakeTelegram, nudge: str
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await nudged_with(app, fake, clock, nudge)
        sent: dict[int, int] = {}  # piece number -> its message id
        for n in range(1, 13):
            before = len(fake.texts_to(ALEX.id))
            update = await _feed(app, fake.send_text(ALEX, f"piece {n}."))
            sent[n] = update["message"]["message_id"]
            replies = fake.texts_to(ALEX.id)[before:]
            if n == answers.MAX_PARTS + 1:
                assert replies == [texts.answer_full(answers.MAX_PARTS)]  # at once, only that
            if n > answers.MAX_PARTS + 1:  # explained once; later ones are just not kept
                assert replies == [texts.ANSWER_STILL_FULL]
        if nudge == QUESTION:  # Sam answers: both answers are revealed
            await app.feed(fake.send_text(SAM, "my own answer"))
        sams = 1 if nudge == QUESTION else 0
        assert await stored_parts(app) == answers.MAX_PARTS + sams  # Alex's ten (and Sam's)

        assert received(fake, SAM, 12) == list(range(1, answers.MAX_PARTS + 1))
        assert fake.texts_to(ALEX.id).count(texts.answer_full(answers.MAX_PARTS)) == 1

        # Editing a kept message still changes the answer; the refused ones stay out.
        await app.feed(fake.edit_text(ALEX, sent[10], "piece ten, edited."))
        await app.feed(fake.edit_text(ALEX, sent[11], "piece eleven, edited."))
        services: Services = app.application.bot_data.services
        async with services.database.transaction() as session:
            kept = [p.text for p in await session.exec(select(AnswerPart))]
        assert "piece ten, edited." in kept
        assert not any("eleven" in (text or "") or "12" in (text or "") for text in kept)
    assert app.errors == []
