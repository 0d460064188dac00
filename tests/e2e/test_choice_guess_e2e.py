"""Choice, guess and Not today through the real process (`python -m bot` and the fake Bot
API): a pair plays a choice nudge while another pair plays the same one at the same time
(both picks, one side-by-side message to each, nothing crosses between the pairs), a guess
nudge (both answer and guess, the reveal to both), and a Not today (no follow-up later,
nothing to the partner)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

from fakegram import FakeTelegram, FakeUser, SentMessage
from testbed.bot_process import BotProcess
from testbed.couples import DUE, populate
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.phone import Phone

MONDAY = date(2026, 11, 23)
CHOICE = "curiosity-053"  # A free Saturday, just the two of you: where would you go?
GUESS = "curiosity-055"  # What's weighed on you most this week? Work / Family / Health / Money
QUESTION = "feelings-001"
NOT_TODAY = "🌙 Not today"
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")
KIM = FakeUser(1002, "U1002")  # the other pair
LEE = FakeUser(1003, "U1003")


def two_pairs_with(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path, nudge_id: str
) -> tuple[BotProcess, dict[int, Phone]]:
    """Alex and Sam, and Kim and Lee, both pairs get `nudge_id` on Monday at 08:00 Berlin."""
    populate(db_path, 2, names=("Alex", "Sam"), nudges={MONDAY: nudge_id})
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO pair_days (pair_id, local_date, nudge_id) VALUES (2, ?, ?)",
            (MONDAY.isoformat(), nudge_id),
        )
    test_clock.set(DUE)
    process = start_bot()
    people = (ALEX, SAM, KIM, LEE)
    fake.wait_for(lambda: all(fake.sent_to(user.id) for user in people), 15)
    return process, {user.id: Phone(fake, user) for user in people}


def wait_for_edit(fake: FakeTelegram, user: FakeUser, message: SentMessage, edits: int) -> str:
    """The message's text once it has been edited `edits` times."""

    def edited() -> bool:
        now = next(m for m in fake.sent_to(user.id) if m.message_id == message.message_id)
        return now.edits >= edits

    fake.wait_for(edited, 10, what=f"message {message.message_id} to be edited")
    return next(m for m in fake.sent_to(user.id) if m.message_id == message.message_id).text


def test_a_choice_shows_both_picks_side_by_side_to_both_and_nothing_crosses_pairs(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    process, phones = two_pairs_with(fake, start_bot, test_clock, db_path, CHOICE)
    alex, sam, kim, lee = (phones[u.id] for u in (ALEX, SAM, KIM, LEE))
    nudges = {user.id: phones[user.id].last for user in (ALEX, SAM, KIM, LEE)}
    assert alex.button_labels(nudges[ALEX.id]) == [
        "Mountains 🏔",
        "Sea 🌊",
        "A city 🏙",
        NOT_TODAY,
        "⏸ Busy week? Pause",
    ]

    alex.tap(nudges[ALEX.id], "Mountains 🏔", expect=0)
    assert "You picked Mountains 🏔" in wait_for_edit(fake, ALEX, nudges[ALEX.id], 1)
    kim.tap(nudges[KIM.id], "A city 🏙", expect=0)  # the other pair, at the same time
    (picks,) = sam.tap(nudges[SAM.id], "Sea 🌊")
    assert picks.text.startswith("💞 You've both picked.")
    assert "You: Sea 🌊\nAlex: Mountains 🏔" in picks.text
    to_alex = fake.wait_for_message(ALEX.id, containing="You've both picked")
    assert "You: Mountains 🏔\nSam: Sea 🌊" in to_alex.text
    (same,) = lee.tap(nudges[LEE.id], "A city 🏙")
    assert same.text.startswith("💞 You both chose A city 🏙!")
    fake.wait_for_message(KIM.id, containing="You both chose A city 🏙!")

    process.let_ticks_pass()
    for phone in (alex, sam, kim, lee):
        assert len(phone.messages) == 2  # the nudge and the one message with both picks
    assert not any("Mountains" in text or "Sea" in text for text in kim.texts[1:] + lee.texts[1:])
    assert not any("city" in text for text in alex.texts[1:] + sam.texts[1:])
    picks_stored = rows(db_path, "SELECT user_id, pick FROM deliveries ORDER BY user_id")
    assert picks_stored == [(1000, 0), (1001, 1), (1002, 2), (1003, 2)]


def test_a_guess_reveals_both_answers_and_both_guesses_to_both(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    process, phones = two_pairs_with(fake, start_bot, test_clock, db_path, GUESS)
    alex, sam = phones[ALEX.id], phones[SAM.id]
    for phone, mine, guess in ((alex, "Work", "Family"), (sam, "Family", "Money")):
        nudge = phone.last
        phone.tap(nudge, mine, expect=0)
        assert "Your answer:" in wait_for_edit(fake, phone.user, nudge, 1)
        phone.tap(phone.last, guess, expect=1 if phone is sam else 0)
    to_sam = fake.wait_for_message(SAM.id, containing="You've both answered and guessed")
    assert "Alex: Work. You guessed Money: now you know 🌱" in to_sam.text
    assert "You: Family. Alex guessed Family: they knew you! 🎯" in to_sam.text
    to_alex = fake.wait_for_message(ALEX.id, containing="You've both answered and guessed")
    assert "Sam: Family. You guessed Family: you knew! 🎯" in to_alex.text
    assert "You: Work. Sam guessed Money: now they know 🌱" in to_alex.text
    process.let_ticks_pass()
    for other in (KIM, LEE):
        assert len(phones[other.id].messages) == 1  # their own nudge, nothing else


def test_not_today_brings_no_follow_up_and_tells_the_partner_nothing(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    process, phones = two_pairs_with(fake, start_bot, test_clock, db_path, QUESTION)
    alex, sam = phones[ALEX.id], phones[SAM.id]
    nudge = alex.last
    alex.tap(nudge, NOT_TODAY, expect=0)
    assert wait_for_edit(fake, ALEX, nudge, 1).startswith("🌙 Set aside for today.")
    (today,) = alex.send("/today")
    assert today.text.startswith("You set today's nudge aside 🌙")

    test_clock.set(DUE + timedelta(hours=8))  # the follow-up's time
    fake.wait_for_message(SAM.id, containing="A gentle hello")  # Sam did not skip
    process.let_ticks_pass()
    assert not any("gentle hello" in text for text in alex.texts)
    assert len(sam.messages) == 2  # the nudge and the follow-up: no word of the skip
    assert not any("aside" in text for text in sam.texts)
    assert rows(db_path, "SELECT answered_at FROM deliveries WHERE user_id = ?", ALEX.id) == [
        (None,)
    ]
