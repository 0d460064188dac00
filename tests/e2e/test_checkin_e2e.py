"""The weekly check-in through the real process: offer, both answer, reveal, a pause week,
an unpairing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import texts
from fakegram import FakeTelegram, FakeUser
from testbed.couples import populate
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.phone import Phone

OFFER = datetime(2026, 12, 13, 18, 0, tzinfo=UTC)  # Sunday 19:00 in Berlin, after week two
WEEK = timedelta(weeks=1)
QUESTION = "How connected did you feel"


def offer_planned(db_path: Path) -> None:
    """As pairing would have planned it (the couple is written straight into the file)."""
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "UPDATE users SET checkin_due_at = ?", (OFFER.replace(tzinfo=None).isoformat(" "),)
        )


def questions(phone: Phone) -> int:
    return sum(QUESTION in text for text in phone.texts)


def test_a_check_in_is_offered_answered_revealed_paused_and_closed_by_an_unpairing(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    alex_id, sam_id = populate(db_path, 1, names=("Alex", "Sam"))
    offer_planned(db_path)
    alex, sam = Phone(fake, FakeUser(alex_id, "Alex")), Phone(fake, FakeUser(sam_id, "Sam"))
    test_clock.set(OFFER + timedelta(seconds=30))
    bot = start_bot()

    # The offer, once, to both; one yes switches it on for the pair.
    fake.wait_for(lambda: all(any("A weekly check-in?" in t for t in p.texts) for p in (alex, sam)))
    alex.tap(alex.last, texts.CHECKIN_YES_BUTTON)
    fake.wait_for(lambda: "Alex set your weekly check-in: Sundays at 19:00" in sam.last.text)

    # The next Sunday: both answer; each sees the other's check-in once both have.
    test_clock.set(OFFER + WEEK + timedelta(seconds=30))
    fake.wait_for(lambda: questions(alex) == 1 and questions(sam) == 1)
    alex.tap(alex.last, texts.FEELING_LABELS["close"])  # type: ignore[index]
    alex.send("the soup you made")
    (saved,) = alex.tap(alex.last, texts.CHECKIN_SKIP_BUTTON)
    assert "once they've done theirs" in saved.text
    sam.tap(sam.last, texts.FEELING_LABELS["okay"])  # type: ignore[index]
    sam.send("our walk")
    (reveal,) = sam.send("more walks")
    assert "Alex's check-in" in reveal.text and "the soup you made" in reveal.text
    fake.wait_for(lambda: "Sam's check-in" in alex.last.text and "more walks" in alex.last.text)

    # A pause over the next Sunday: nothing is sent that week.
    test_clock.set(OFFER + WEEK + timedelta(days=4))
    sam.send("/pause 1w")
    test_clock.set(OFFER + 2 * WEEK + timedelta(seconds=30))
    bot.let_ticks_pass()
    assert (questions(alex), questions(sam)) == (1, 1)

    # After the pause it comes again; an unpairing closes it and nothing more comes.
    test_clock.set(OFFER + 3 * WEEK + timedelta(seconds=30))
    fake.wait_for(lambda: questions(alex) == 2 and questions(sam) == 2)
    alex.tap(alex.last, texts.FEELING_LABELS["very_close"])  # type: ignore[index]
    (confirm,) = sam.send("/unpair")
    sam.tap(confirm, texts.UNPAIR_YES, expect=0)
    fake.wait_for(lambda: "Sam ended your pairing" in alex.last.text)
    assert rows(
        db_path, "SELECT count(*) FROM checkins WHERE step IN ('feeling', 'appreciated', 'more_of')"
    ) == [(0,)]
    assert rows(db_path, "SELECT count(*) FROM users WHERE checkin_due_at IS NOT NULL") == [(0,)]
    test_clock.set(OFFER + 4 * WEEK + timedelta(seconds=30))
    bot.let_ticks_pass()
    assert (questions(alex), questions(sam)) == (2, 2)
