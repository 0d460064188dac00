"""/today, in process on both databases: today's nudge again (same words, same buttons), or
when the next one comes; and a kind line for whoever has no nudges yet.

The black-box version runs the real process in tests/e2e/test_daily_nudge_e2e.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot import texts
from fakegram import FakeTelegram, FakeUser
from tests.bot.app_harness import RunningApp, a_paired_couple, fix_nudges, onboard
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
MONDAY = date(2026, 11, 23)
MONDAY_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


async def a_couple_with_a_week_of_nudges(app: RunningApp, now: datetime) -> None:
    """Alex and Sam, paired at `now` in Berlin with an 8:00 nudge; one kind a day."""
    pair = await a_paired_couple(app, ALEX, SAM, now=now)
    assert pair.id is not None
    kinds = ("feelings-001", "appreciation-001", "together-001", "curiosity-001")
    await fix_nudges(app, pair.id, {MONDAY + timedelta(n): kinds[n % 4] for n in range(7)})


async def today(app: RunningApp, user: FakeUser) -> str:
    (reply,) = await app.send(user, "/today")
    return reply.raw_text


async def test_before_the_nudge_it_says_when_and_after_it_shows_the_same_nudge_again(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await a_couple_with_a_week_of_nudges(app, MONDAY_7)
    assert await today(app, ALEX) == texts.next_nudge_at("08:00", "Europe/Berlin", "today")

    clock.now = DUE
    await app.send_due_nudges()
    nudge = fake.sent_to(ALEX.id)[-1]
    assert texts.PAUSE_BUTTON in [label for label, _ in fake.buttons(nudge)]
    (again,) = await app.send(ALEX, "/today")
    assert again.raw_text == nudge.raw_text
    assert fake.buttons(again) == fake.buttons(nudge)

    clock.now = DUE + timedelta(hours=17)  # 01:00 on Tuesday in Berlin: a new day
    assert await today(app, ALEX) == texts.next_nudge_at("08:00", "Europe/Berlin", "today")


async def test_again_means_the_same_answer_buttons_for_each_kind_of_nudge(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await a_couple_with_a_week_of_nudges(app, MONDAY_7)
    for day in range(4):  # a question, a note, a plan or action, a curiosity question
        clock.now = DUE + timedelta(days=day)
        await app.send_due_nudges()
        nudge = fake.sent_to(SAM.id)[-1]
        (again,) = await app.send(SAM, "/today")
        assert (again.raw_text, fake.buttons(again)) == (nudge.raw_text, fake.buttons(nudge))
    assert len({m.raw_text for m in fake.sent_to(SAM.id)}) == 4


async def test_paired_after_the_nudge_time_it_comes_tomorrow(
    app: RunningApp, clock: FrozenClock
) -> None:
    clock.now = DUE + timedelta(hours=2)  # 10:00 in Berlin
    await a_couple_with_a_week_of_nudges(app, clock.now)
    assert await today(app, SAM) == texts.next_nudge_at("08:00", "Europe/Berlin", "tomorrow")


async def test_on_days_off_or_in_a_pause_it_names_the_day_the_next_one_comes(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await a_couple_with_a_week_of_nudges(app, MONDAY_7)
    (settings,) = await app.send(ALEX, "/settings")
    await app.tap(ALEX, settings, "📅 Days")
    await app.tap(ALEX, app.now_showing(ALEX, settings.message_id), "Weekends")
    assert await today(app, ALEX) == texts.next_nudge_at(
        "08:00", "Europe/Berlin", "on Saturday 28 November"
    )
    await app.send(SAM, "/pause 1w")  # through Sunday: back on Monday
    assert await today(app, SAM) == texts.next_nudge_at(
        "08:00", "Europe/Berlin", "on Monday 30 November"
    )


async def test_when_the_partner_blocked_the_bot_it_says_nudges_are_paused(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await a_couple_with_a_week_of_nudges(app, MONDAY_7)
    fake.block(SAM.id)
    clock.now = DUE
    await app.send_due_nudges()
    assert fake.texts_to(ALEX.id)[-1] == texts.partner_blocked("Sam")
    clock.now = DUE + timedelta(days=1, hours=1)  # the next day: still nothing to show
    assert await today(app, ALEX) == texts.TODAY_PAUSED


async def test_no_nudges_yet_gets_a_kind_line_on_what_comes_first(app: RunningApp) -> None:
    assert await today(app, KIM) == texts.TODAY_NOT_SET_UP  # never seen before
    await app.send(KIM, "/start")
    await app.send(KIM, "Berlin")
    assert await today(app, KIM) == texts.TODAY_NOT_SET_UP  # asked for a time still
    await onboard(app, SAM)
    assert await today(app, SAM) == texts.TODAY_NOT_PAIRED
