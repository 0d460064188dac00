"""/recap through the real process: the picture arrives as a sendPhoto whose file is a real
PNG, a pause week shows in it, and after an unpair there is a kind word instead."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from PIL import Image

from bot import texts
from bot.picture import MARK_COLOURS, draw
from fakegram import FakeTelegram, FakeUser, SentMessage
from nudges.recap import DayMark, RecapFacts
from testbed.couples import DUE, populate
from tests.e2e.conftest import StartBot, TestClock
from tests.phone import Phone

MONDAY = date(2026, 11, 23)
NOTE = "appreciation-001"
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")


def colour_of(photo: SentMessage, today: date, day: date) -> tuple[int, int, int]:
    """The colour at the centre of `day`'s cell in a recap drawn on `today`."""
    assert photo.file_bytes is not None
    image = Image.open(io.BytesIO(photo.file_bytes))
    image.load()
    assert image.format == "PNG"
    left, top, right, bottom = draw(RecapFacts(today=today)).cells[day]  # the same layout
    return image.getpixel(((left + right) // 2, (top + bottom) // 2))  # type: ignore[return-value]


def recap(phone: Phone) -> SentMessage:
    (photo,) = phone.send("/recap")
    assert photo.kind == "photo" and photo.text == texts.RECAP_CAPTION
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG\r\n\x1a\n")
    assert photo.mime_type in (None, "image/png")
    return photo


def test_recap_is_a_png_photo_with_the_days_a_pause_week_and_nothing_after_an_unpair(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    populate(db_path, 2, names=("Alex", "Sam"), nudges={MONDAY: NOTE})
    test_clock.set(DUE)
    start_bot()
    fake.wait_for(lambda: bool(fake.sent_to(ALEX.id)) and bool(fake.sent_to(SAM.id)), 15)
    alex, sam = Phone(fake, ALEX), Phone(fake, SAM)

    sam.send("Thank you for the tea this morning 💛")  # a note to Alex: one of them answered
    fake.wait_for_message(ALEX.id, containing="Thank you for the tea")
    photo = recap(alex)
    assert len(fake.calls_for("sendPhoto")) == 1
    assert colour_of(photo, MONDAY, MONDAY) == MARK_COLOURS[DayMark.ONE]
    assert colour_of(photo, MONDAY, MONDAY - timedelta(days=1)) == MARK_COLOURS[DayMark.NONE]

    alex.send("/pause 1w")  # through next Sunday
    fake.wait_for_message(SAM.id, containing="paused your daily nudges")
    test_clock.set(DUE + timedelta(days=7, hours=2))  # the Monday after, 10:00
    fake.wait_for(lambda: any("Welcome back" in t for t in sam.texts), 10)
    later = recap(sam)
    next_monday = MONDAY + timedelta(days=7)
    assert colour_of(later, next_monday, MONDAY) == MARK_COLOURS[DayMark.ONE]
    for day in range(1, 7):  # Tuesday to Sunday: paused
        paused = colour_of(later, next_monday, MONDAY + timedelta(days=day))
        assert paused == MARK_COLOURS[DayMark.PAUSED], day
    assert later.file_bytes != photo.file_bytes

    (confirm,) = alex.send("/unpair")
    alex.tap(confirm, texts.UNPAIR_YES, expect=0)  # the question is edited into the answer
    fake.wait_for_message(SAM.id, containing="ended your pairing")
    (kind_word,) = sam.send("/recap")
    assert kind_word.kind == "text" and "once you're paired" in kind_word.text
    assert len(fake.calls_for("sendPhoto")) == 2
