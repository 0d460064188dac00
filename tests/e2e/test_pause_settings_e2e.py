"""Busy weeks and settings through the real process: pause, resume, buttons that edit."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fakegram import FakeTelegram, FakeUser, SentMessage
from testbed.couples import DUE, populate
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.phone import Phone

MONDAY = date(2026, 11, 23)
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")


def nudges(phone: Phone) -> list[SentMessage]:
    """The daily nudges a phone received (every nudge carries the pause button)."""
    return [m for m in phone.messages if "⏸ Busy week? Pause" in phone.button_labels(m)]


def couple(
    fake: FakeTelegram,
    start_bot: StartBot,
    test_clock: TestClock,
    db_path: Path,
    when: object = DUE,
) -> tuple[Phone, Phone]:
    week = {MONDAY + timedelta(days=n): f"feelings-{n + 1:03d}" for n in range(10)}
    populate(db_path, 1, names=("Alex", "Sam"), nudges=week)
    test_clock.set(when)  # type: ignore[arg-type]
    start_bot()
    return Phone(fake, ALEX), Phone(fake, SAM)


def wait_nudges(fake: FakeTelegram, phone: Phone, count: int) -> None:
    fake.wait_for(lambda: len(nudges(phone)) >= count, 10, what=f"{count} nudges")


def test_a_pause_stops_nudges_and_follow_ups_for_both_then_they_come_back_by_themselves(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple(fake, start_bot, test_clock, db_path)
    wait_nudges(fake, alex, 1)
    wait_nudges(fake, sam, 1)
    test_clock.set(DUE + timedelta(hours=2))  # 10:00 in Berlin, Monday
    (paused,) = alex.send("/pause 2d")
    assert "through Tuesday 24 November" in paused.text
    assert "come back by themselves on Wednesday 25 November" in paused.text
    told = fake.wait_for_message(SAM.id, containing="paused your daily nudges")
    assert "Alex" in told.text and "Wed 25 Nov" in told.text
    test_clock.set(DUE + timedelta(hours=8, minutes=1))  # follow-up time: nothing
    test_clock.set(DUE + timedelta(days=1))  # Tuesday 08:00: paused
    alex.send("/help")
    sam.send("/help")
    assert len(nudges(alex)) == len(nudges(sam)) == 1
    assert not any("gentle hello" in t for t in alex.texts + sam.texts)
    test_clock.set(DUE + timedelta(days=2))  # Wednesday: back by themselves
    fake.wait_for(
        lambda: (
            any("Welcome back" in t for t in alex.texts)
            and any("Welcome back" in t for t in sam.texts)
        ),
        10,
    )
    test_clock.set(DUE + timedelta(days=3))
    fake.wait_for(lambda: sum("feelings" in t.lower() or "💭" in t for t in alex.texts) >= 3, 10)
    assert sum("Welcome back" in t for t in alex.texts) == 1


def test_resume_ends_a_pause_at_once_and_a_new_pause_replaces_the_old(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple(fake, start_bot, test_clock, db_path, DUE - timedelta(hours=1))
    alex.send("/pause 1w")
    fake.wait_for_message(SAM.id, containing="paused your daily nudges")
    (replaced,) = sam.send("/pause until friday")
    assert replaced.text.startswith("New plan:")
    assert "come back by themselves on Friday 27 November" in replaced.text
    fake.wait_for_message(ALEX.id, containing="Sam changed the pause")
    (back,) = alex.send("/resume")
    assert "Nudges are back on" in back.text
    assert "today at 08:00" in back.text
    fake.wait_for_message(SAM.id, containing="Alex turned your nudges back on")
    test_clock.set(DUE)
    wait_nudges(fake, alex, 1)
    wait_nudges(fake, sam, 1)
    assert not any("Welcome back" in t for t in alex.texts)
    assert "Nothing is paused" in alex.send("/resume")[0].text


def test_pause_input_that_does_not_work_gets_a_kind_line_and_changes_nothing(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, _ = couple(fake, start_bot, test_clock, db_path, DUE - timedelta(hours=1))
    assert "didn't quite get that" in alex.send("/pause a while")[0].text
    assert "more than 90 days" in alex.send("/pause 91d")[0].text
    assert "already begun or passed" in alex.send("/pause until 2020-01-01")[0].text
    assert rows(db_path, "SELECT paused_until FROM pairs") == [(None,)]
    test_clock.set(DUE)
    wait_nudges(fake, alex, 1)


def test_the_pause_buttons_and_a_typed_date(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple(fake, start_bot, test_clock, db_path)
    wait_nudges(fake, alex, 1)
    nudge = nudges(alex)[0]
    assert "⏸ Busy week? Pause" in alex.button_labels(nudge)
    (menu,) = alex.tap(nudge, "⏸ Busy week? Pause")
    assert alex.button_labels(menu)[:5] == ["1 day", "3 days", "1 week", "2 weeks", "Until a date…"]
    (ask,) = alex.tap(menu, "Until a date…")
    assert "Until when?" in ask.text
    (paused,) = alex.send("friday")
    assert "come back by themselves on Friday 27 November" in paused.text
    assert rows(db_path, "SELECT count(*) FROM answer_parts") == [(0,)]  # a date, not an answer
    fake.wait_for_message(SAM.id, containing="paused your daily nudges")
    (menu,) = sam.send("/pause")
    assert "▶️ Resume now" in sam.button_labels(menu)
    (three,) = sam.tap(menu, "3 days")
    assert "come back by themselves on Thursday 26 November" in three.text
    assert rows(db_path, "SELECT paused_by FROM pairs") == [(SAM.id,)]


def test_settings_change_in_place_and_shared_ones_tell_the_partner(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple(fake, start_bot, test_clock, db_path, DUE - timedelta(hours=1))
    (settings,) = alex.send("/settings")
    assert "Nudge days: every day" in settings.text
    assert "One gentle follow-up: on" in settings.text

    def current() -> SentMessage:
        return next(m for m in alex.messages if m.message_id == settings.message_id)

    def tap(label: str, expect_in_text: str) -> None:
        alex.tap(current(), label, expect=0)
        fake.wait_for(lambda: expect_in_text in current().text, 10, what=expect_in_text)

    tap("📅 Days", "Which days")
    tap("Weekdays", "Which days")
    fake.wait_for(
        lambda: rows(db_path, "SELECT weekdays FROM users WHERE id = ?", ALEX.id) == [(31,)], 10
    )
    fake.wait_for(lambda: "▫️ Sat" in alex.button_labels(current()), 10)
    assert "✅ Mon" in alex.button_labels(current())

    tap("‹ Back", "Nudge days: weekdays")
    tap("🔔 Follow-up", "One gentle follow-up: off")
    tap("⏰ Time", "Pick your nudge time")
    tap("07:30", "Nudge time: 07:30")
    tap("✨ Spark", "opt in): in")
    tap("🏡 Where we live", "Where do you two live?")
    tap("▫️ ✈️ Long-distance", "Where you live (shared): long-distance")
    fake.wait_for_message(SAM.id, containing="Alex said you live long-distance")
    tap("🗂 Topics", "Your topics")
    tap("✅ 💭 Feelings", "Your topics")
    fake.wait_for_message(SAM.id, containing="Alex changed your shared topics")
    topics = rows(db_path, "SELECT topics FROM pairs")[0][0]
    assert isinstance(topics, str)
    assert "feelings" not in topics.split(",")
    assert len(alex.messages) == 1  # everything happened by editing the one message

    assert not any("Spark" in t or "spark" in t for t in sam.texts)  # opting in is private
    assert rows(db_path, "SELECT spark, follow_ups FROM users WHERE id = ?", ALEX.id) == [(1, 0)]


def test_the_last_topic_stays_on(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, _ = couple(fake, start_bot, test_clock, db_path, DUE - timedelta(hours=1))
    (topics,) = alex.send("/topics")
    names = [label for label in alex.button_labels(topics) if label.startswith("✅")]
    for label in names:
        message = next(m for m in alex.messages if m.message_id == topics.message_id)
        answers = len(fake.callback_answers())
        fake.press_button_text(ALEX, message.message_id, label)
        fake.wait_for(lambda a=answers: len(fake.callback_answers()) > a, 10)
    remaining = rows(db_path, "SELECT topics FROM pairs")[0][0]
    assert isinstance(remaining, str)
    assert len(remaining.split(",")) == 1
