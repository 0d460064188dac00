"""Replies through the real process: every kind both ways, media, edits, the journal, and a
stranger who never sees anything of the pair."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from fakegram import FakeTelegram, FakeUser, SentMessage
from testbed.couples import DUE, populate
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.phone import Phone

MONDAY = date(2026, 11, 23)
QUESTION = "feelings-001"  # What's been sitting on your mind this week that you haven't said yet?
NOTE = "appreciation-001"
ACTION = "closeness-001"  # ten-second hug
PLAN = "together-001"  # cook a new dish

PAUSE = "⏸ Busy week? Pause"
NOT_TODAY = "🌙 Not today"
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")
KIM = FakeUser(1002, "U1002")  # in another pair


def couple_with(
    fake: FakeTelegram,
    start_bot: StartBot,
    test_clock: TestClock,
    db_path: Path,
    nudges: dict[date, str],
    *,
    pairs: int = 2,
) -> tuple[Phone, Phone]:
    """Alex and Sam (and another pair) get today's fixed nudge at 08:00 Berlin."""
    populate(db_path, pairs, names=("Alex", "Sam"), nudges=nudges)
    test_clock.set(DUE)
    start_bot()
    fake.wait_for(lambda: bool(fake.sent_to(ALEX.id)) and bool(fake.sent_to(SAM.id)), 15)
    return Phone(fake, ALEX), Phone(fake, SAM)


def nudge_message(phone: Phone) -> SentMessage:
    return next(m for m in phone.messages if m.text.startswith(("💭", "💐", "🤗", "🧺", "🔭")))


@pytest.mark.parametrize("first", ["Alex", "Sam"])
def test_question_answers_are_revealed_only_once_both_have_answered(
    first: str, fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: QUESTION})
    one, other = (alex, sam) if first == "Alex" else (sam, alex)
    one_name, other_name = one.user.first_name, other.user.first_name

    (saved,) = one.send("Work has been a lot, and I miss our walks.")
    assert f"You'll see {other_name}'s answer when they reply" in saved.text
    assert not any("miss our walks" in text for text in other.texts)

    other.send("I keep thinking about the trip.", expect=1)
    revealed_to_other = fake.wait_for_message(other.user.id, containing="miss our walks")
    assert f"Here's {one_name}'s" in revealed_to_other.text
    revealed_to_one = fake.wait_for_message(one.user.id, containing="thinking about the trip")
    assert f"Here's {other_name}'s" in revealed_to_one.text

    (added,) = one.send("Also: thank you for Sunday.")
    assert "sees it too" in added.text
    extra = fake.wait_for_message(other.user.id, containing="thank you for Sunday")
    assert f"{one_name} added" in extra.text


def test_an_appreciation_note_arrives_at_once_and_a_heart_tells_the_author_once(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: NOTE})
    (sent,) = alex.send("You made coffee before my early call. It saved me.")
    assert "Sent to Sam" in sent.text
    note = fake.wait_for_message(SAM.id, containing="It saved me")
    assert note.text.startswith("💌 From Alex:")
    assert sam.button_labels(note) == ["❤️"]
    sam.tap(note, "❤️", expect=0)
    loved = fake.wait_for_message(ALEX.id, containing="Sam loved your note")
    assert loved.text == "❤️ Sam loved your note."
    sam.tap(note, "❤️", expect=0)
    sam.send("/help")  # a round trip, so a second 'loved' would have arrived by now
    assert sum("loved your note" in text for text in alex.texts) == 1


def test_done_tells_the_partner_and_both_done_is_celebrated(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: ACTION})
    nudge = nudge_message(alex)
    assert alex.button_labels(nudge) == ["Done ✅", NOT_TODAY, PAUSE]
    alex.tap(nudge, "Done ✅", expect=0)
    told = fake.wait_for_message(SAM.id, containing="Alex did today's closeness nudge")
    assert "waiting" not in told.text
    (thanks,) = sam.send("Hugged in the kitchen, best ten seconds of the day")  # a reply counts
    assert thanks.text == "Lovely ✅"
    fake.wait_for_message(ALEX.id, containing="best ten seconds")
    fake.wait_for_message(ALEX.id, containing="You both did today's nudge")
    fake.wait_for_message(SAM.id, containing="You both did today's nudge")
    answer = alex.press(nudge.message_id, f"done:{_delivery_id(db_path, ALEX.id)}")
    assert answer.get("text") == "Already done ✅"


def test_a_plan_both_say_yes_to_is_a_plan(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: PLAN})
    assert alex.button_labels(nudge_message(alex)) == [
        "I'm in 🙌",
        "Not this time",
        NOT_TODAY,
        PAUSE,
    ]
    (waiting,) = alex.tap(nudge_message(alex), "I'm in 🙌")
    assert "I'll tell you if Sam is in too" in waiting.text
    fake.wait_for_message(SAM.id, containing="Alex is up for today's plan idea")
    (plan,) = sam.tap(nudge_message(sam), "I'm in 🙌")
    assert "It's a plan" in plan.text
    fake.wait_for_message(ALEX.id, containing="It's a plan")


def test_not_this_time_guilts_nobody(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: PLAN})
    (ok,) = sam.tap(nudge_message(sam), "Not this time")
    assert "No problem" in ok.text
    (noted,) = alex.tap(nudge_message(alex), "I'm in 🙌")
    assert noted.text == "Noted: you're in 🙌"
    sam.send("/help")
    assert not any("Alex" in text for text in sam.texts)  # Sam is not asked again
    (ok_alex,) = alex.tap(nudge_message(alex), "Not this time")
    assert "No problem" in ok_alex.text
    sam.send("/help")
    assert not any("can't make" in text for text in sam.texts)  # Sam had said no: not told


def test_a_yes_then_no_tells_the_partner_gently_only_if_they_were_in(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: PLAN})
    sam.tap(nudge_message(sam), "I'm in 🙌")
    alex.tap(nudge_message(alex), "Not this time")
    told = fake.wait_for_message(SAM.id, containing="can't make this one")
    assert "Maybe another time" in told.text


def test_media_answers_are_kept_and_copied_to_the_partner_at_the_reveal(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: QUESTION})
    voice = {"file_id": "VOICE1", "file_unique_id": "v1", "duration": 4}
    before = len(alex.messages)
    voice_message = fake.send_message_json(ALEX, voice=voice)
    fake.wait_for(lambda: len(alex.messages) > before, 10)
    photo = [{"file_id": "PHOTO1", "file_unique_id": "p1", "width": 90, "height": 90}]
    before = len(sam.messages)
    fake.send_message_json(SAM, photo=photo)  # no caption at all
    fake.wait_for(lambda: len(fake.calls_for("copyMessage")) >= 2, 10)
    copies = {
        (c.chat_id, c.params["from_chat_id"], c.params["message_id"])
        for c in fake.calls_for("copyMessage")
    }
    assert (SAM.id, ALEX.id, voice_message["message"]["message_id"]) in copies
    assert any(chat == ALEX.id and source == SAM.id for chat, source, _ in copies)
    stored = rows(db_path, "SELECT content_type, file_id FROM answer_parts ORDER BY id")
    assert stored == [("voice", "VOICE1"), ("photo", "PHOTO1")]


def test_a_telegram_reply_to_yesterdays_nudge_answers_yesterdays(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(
        fake,
        start_bot,
        test_clock,
        db_path,
        {MONDAY: QUESTION, MONDAY + timedelta(days=1): "curiosity-001"},
    )
    yesterday = nudge_message(alex)
    sam.send("Monday answer from Sam")
    test_clock.set(DUE + timedelta(days=1))
    fake.wait_for(lambda: len([m for m in alex.messages if m.text.startswith("🔭")]) == 1, 10)
    before = len(alex.messages)
    fake.send_text(ALEX, "Late Monday answer from Alex", reply_to_message_id=yesterday.message_id)
    fake.wait_for(lambda: len(alex.messages) > before, 10)
    fake.wait_for_message(ALEX.id, containing="Monday answer from Sam")
    fake.wait_for_message(SAM.id, containing="Late Monday answer from Alex")
    dates = rows(
        db_path,
        "SELECT d.local_date FROM answer_parts p JOIN deliveries d ON d.id = p.delivery_id "
        "WHERE d.user_id = ?",
        ALEX.id,
    )
    assert dates == [("2026-11-23",)]


def test_an_edit_changes_the_stored_answer_and_never_spams_the_partner(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: QUESTION})
    first = fake.send_text(ALEX, "teh first draft")["message"]
    fake.wait_for(lambda: any("Saved" in t for t in alex.texts), 10)
    fake.edit_text(ALEX, first["message_id"], "the first draft, fixed")
    fake.wait_until_consumed()
    sam.send("Sam's answer")
    fake.wait_for_message(SAM.id, containing="the first draft, fixed")
    count = len(sam.messages)
    fake.edit_text(ALEX, first["message_id"], "the first draft, fixed twice")
    fake.wait_until_consumed()
    alex.send("/help")
    assert len(sam.messages) == count
    assert rows(
        db_path,
        "SELECT p.text FROM answer_parts p JOIN deliveries d ON d.id = p.delivery_id "
        "WHERE p.message_id = ? AND d.user_id = ?",
        first["message_id"],
        ALEX.id,
    ) == [("the first draft, fixed twice",)]


def test_odd_answers_behave(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, _sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: QUESTION})
    sticker = {
        "file_id": "S",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    fake.send_message_json(ALEX, sticker=sticker)
    fake.wait_for_message(ALEX.id, containing="a voice note, a photo")
    assert "Saved" in alex.send("❤️")[0].text  # emoji-only is an answer
    long_answer = "&<b>" + "x" * 5000
    fake.send_message_json(
        SAM,
        text=long_answer,
        forward_origin={"type": "hidden_user", "sender_user_name": "Someone", "date": 1},
    )
    fake.wait_for(lambda: sum("xxxx" in t for t in alex.texts) >= 2, 10)
    received = "".join(t for t in alex.texts if "xxx" in t or "&<b>" in t)
    assert "&<b>" in received
    assert received.count("x") == 5000
    assert rows(db_path, "SELECT count(*) FROM answer_parts") == [(2,)]


def test_with_no_open_nudge_a_message_gets_a_kind_line_and_nothing_is_stored(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    populate(db_path, 1, names=("Alex", "Sam"))
    test_clock.set(DUE - timedelta(hours=2))
    start_bot()
    (reply,) = Phone(fake, ALEX).send("hello?")
    assert "no nudge to reply to just now" in reply.text
    assert "08:00" in reply.text
    assert rows(db_path, "SELECT count(*) FROM answer_parts") == [(0,)]


def test_one_gentle_follow_up_for_an_unanswered_question(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: QUESTION})
    sam.send("Sam answers early")
    test_clock.set(DUE + timedelta(hours=7, minutes=59))
    alex.send("/help")
    assert not any("gentle hello" in t for t in alex.texts)
    test_clock.set(DUE + timedelta(hours=8))  # 16:00 in Berlin
    follow_up = fake.wait_for_message(ALEX.id, containing="gentle hello")
    assert "Sam" not in follow_up.text and "waiting" not in follow_up.text
    test_clock.set(DUE + timedelta(hours=9))
    alex.send("/help")
    assert sum("gentle hello" in t for t in alex.texts) == 1
    assert not any("gentle hello" in t for t in sam.texts)  # Sam had answered


def test_the_journal_pages_through_the_couples_days_in_place(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    days = {MONDAY + timedelta(days=n): f"curiosity-{n + 1:03d}" for n in range(7)}
    alex, sam = couple_with(fake, start_bot, test_clock, db_path, days)
    for n in range(7):
        test_clock.set(DUE + timedelta(days=n))
        fake.wait_for(lambda n=n: sum(m.text.startswith("🔭") for m in sam.messages) == n + 1, 10)
        alex.send(f"Alex on day {n}", expect=1)
        sam.send(f"Sam on day {n}", expect=1)
        fake.wait_for_message(ALEX.id, containing=f"Sam on day {n}")
    (journal,) = alex.send("/history")
    assert "Days you both showed up: <b>7</b>" not in journal.text  # HTML is rendered
    assert "Days you both showed up: 7" in journal.text
    assert journal.text.count("Alex on day") == 5
    assert "Sam on day 6" in journal.text and "Sam on day 1" not in journal.text
    assert alex.button_labels(journal) == ["Older ▶"]
    alex.tap(journal, "Older ▶", expect=0)
    fake.wait_for(lambda: "Sam on day 1" in _message(alex, journal.message_id).text, 10)
    older = _message(alex, journal.message_id)
    assert "Sam on day 0" in older.text and "Sam on day 6" not in older.text
    assert alex.button_labels(older) == ["◀ Newer"]


def test_a_stranger_never_receives_anything_of_the_pair(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex, _ = couple_with(fake, start_bot, test_clock, db_path, {MONDAY: NOTE}, pairs=2)
    kim = Phone(fake, KIM)
    alex.send("A secret note for Sam only")
    fake.wait_for_message(SAM.id, containing="secret note")
    alex_delivery = _delivery_id(db_path, ALEX.id)
    part_id = rows(db_path, "SELECT id FROM answer_parts")[0][0]
    target = nudge_message(kim).message_id
    for data in (
        f"heart:{alex_delivery}",
        f"done:{alex_delivery}",
        f"plan:in:{alex_delivery}",
        f"view:{part_id}",
        "hist:999999999",
        "heart:abc",
        "view:-1",
        "done:",
    ):
        answer = kim.press(target, data)
        assert answer.get("show_alert") is True, data
    kim.send("Hello? Anything for me?")
    kim.send("/history")
    everything_kim_got = " ".join(kim.texts)
    assert "secret note" not in everything_kim_got
    assert "Alex" not in everything_kim_got and "Sam" not in everything_kim_got
    assert all(
        call.chat_id != KIM.id or call.params.get("from_chat_id") != ALEX.id
        for call in fake.calls_for("copyMessage")
    )
    assert rows(db_path, "SELECT hearted_at FROM deliveries WHERE id = ?", alex_delivery) == [
        (None,)
    ]


def _delivery_id(db_path: Path, user_id: int) -> int:
    (value,) = rows(
        db_path, "SELECT id FROM deliveries WHERE user_id = ? ORDER BY id DESC", user_id
    )[0]
    assert isinstance(value, int)
    return value


def _message(phone: Phone, message_id: int) -> SentMessage:
    return next(m for m in phone.messages if m.message_id == message_id)
