"""On this day, in process: the morning nudge brings back a day both answered, once a week."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot import texts
from fakegram import FakeTelegram, FakeUser, SentMessage
from nudges.library import Kind, nudges_by_id
from tests.bot.app_harness import RunningApp, a_paired_couple, fix_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX, SAM = FakeUser(21, "Alex"), FakeUser(22, "Sam")
KIM, LEE = FakeUser(23, "Kim"), FakeUser(24, "Lee")
PAIRED = datetime(2026, 10, 23, 5, 0, tzinfo=UTC)  # Friday; Berlin is UTC+2 until the 25th
QUESTIONS = [n.id for n in nudges_by_id().values() if n.kind == Kind.QUESTION]
THEN, THE_DAY_AFTER = date(2026, 10, 23), date(2026, 10, 24)
MONTH_LATER = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin (UTC+1)


@pytest.fixture
async def app(database_url: str, fake: FakeTelegram) -> AsyncIterator[RunningApp]:
    clock = FrozenClock(PAIRED)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as running:
        pair = await a_paired_couple(running, ALEX, SAM, now=PAIRED)
        await fix_nudges(running, pair.id or 0, {THEN: QUESTIONS[0], THE_DAY_AFTER: QUESTIONS[1]})
        yield running
        assert running.errors == []


async def morning(app: RunningApp, when: datetime) -> None:
    """The dispatcher an hour before and at `when` (as the tick would have run all along)."""
    clock = app.services.clock
    assert isinstance(clock, FrozenClock)
    for instant in (when - timedelta(hours=1), when):
        clock.now = instant
        await app.send_due_nudges()


def nudge(fake: FakeTelegram, user: FakeUser) -> SentMessage:
    return next(m for m in reversed(fake.sent_to(user.id)) if m.raw_text.startswith("<b>"))


async def both_answer_the_nudge_of(app: RunningApp, when: datetime, *, with_voice: bool) -> None:
    await morning(app, when)
    await app.send(ALEX, f"Alex on {when:%d %B}")
    if with_voice:
        voice = {"file_id": "SAM-VOICE", "file_unique_id": "v1", "duration": 3}
        await app.feed(app.fake.send_message_json(SAM, voice=voice))
    else:
        await app.send(SAM, f"Sam on {when:%d %B}")


async def test_a_month_later_the_morning_nudge_offers_the_day_and_shows_both_answers(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await both_answer_the_nudge_of(app, datetime(2026, 10, 23, 6, 0, tzinfo=UTC), with_voice=True)
    await morning(app, MONTH_LATER)
    then = nudges_by_id()[QUESTIONS[0]].text
    for user in (ALEX, SAM):
        message = nudge(fake, user)
        assert "A month ago today you both wrote about" in message.text
        assert then[:40] in message.text
        assert fake.buttons(message)[0] == (texts.MEMORY_BUTTON, "otd:20261023")

    shown = await app.tap(ALEX, nudge(fake, ALEX), texts.MEMORY_BUTTON)
    assert "Friday 23 October 2026" in shown[0].text and then[:40] in shown[0].text
    assert shown[1].text == "You\n\nAlex on 23 October"
    assert shown[2].text == "Sam"
    assert shown[3].copied_from is not None and shown[3].copied_from[0] == SAM.id


async def test_at_most_one_memory_a_week(app: RunningApp, fake: FakeTelegram) -> None:
    await both_answer_the_nudge_of(app, datetime(2026, 10, 23, 6, 0, tzinfo=UTC), with_voice=False)
    await both_answer_the_nudge_of(app, datetime(2026, 10, 24, 6, 0, tzinfo=UTC), with_voice=False)
    await morning(app, MONTH_LATER)
    assert "A month ago today" in nudge(fake, ALEX).text
    await morning(app, MONTH_LATER + timedelta(days=1))  # the 24th had both answers too
    for user in (ALEX, SAM):
        assert "ago today" not in nudge(fake, user).text
        assert texts.MEMORY_BUTTON not in [label for label, _ in fake.buttons(nudge(fake, user))]


async def test_a_day_only_one_partner_answered_is_not_brought_back(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await morning(app, datetime(2026, 10, 23, 6, 0, tzinfo=UTC))
    await app.send(ALEX, "only me")
    await morning(app, MONTH_LATER)
    assert "ago today" not in nudge(fake, ALEX).text


async def test_another_pair_never_sees_the_day_even_with_a_forged_button(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await both_answer_the_nudge_of(app, datetime(2026, 10, 23, 6, 0, tzinfo=UTC), with_voice=False)
    await a_paired_couple(app, KIM, LEE, now=MONTH_LATER)
    (hello,) = await app.send(KIM, "/help")
    for data in ("otd:20261023", "otd:2026102", "otd:20261399", "otd:abcdefgh"):
        answer = await app.press(KIM, hello.message_id, data)
        assert answer["text"] == texts.MEMORY_GONE
    assert all("Alex on" not in m.text for m in fake.sent_to(KIM.id))
