"""Two partners, two languages, through the real bot process: Lena reads German, Diego
Spanish. Pairing, one nudge (the same id for both, each in their language), the reveal
(answers as written, never translated) and a pause notice about the partner, in the
reader's language. Every expected text is rendered here from the same catalogs and library
as the bot's; it also must differ from the English, so this story needs the German and
Spanish translations (tests/i18n/test_complete.py says what is missing)."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot import texts
from bot.i18n import day_short, offered, say
from fakegram import FakeTelegram, FakeUser
from nudges.languages import Language
from nudges.library import in_language, nudges_by_id
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.phone import Phone

MONDAY_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin and Madrid
LENA = FakeUser(505, "Lena", language_code="de-AT")
DIEGO = FakeUser(606, "Diego", language_code="es")
DE, ES = Language.DE, Language.ES
CODE = re.compile(r"/join ([A-Za-z0-9_-]{24})")
NUDGE = "curiosity-001"  # a question: answered by both, then revealed


def translated(text: str, language: Language) -> str:
    said = say(text, language)
    assert said != say(text, Language.EN), f"not translated into {language}: {text!r}"
    return said


def onboard(fake: FakeTelegram, user: FakeUser, city: str, language: Language) -> Phone:
    phone = Phone(fake, user)
    welcome, _ask_zone = phone.send("/start", expect=2)
    assert welcome.raw_text == translated(texts.welcome(user.first_name), language)
    _zone_set, ask_time = phone.send(city, expect=2)
    phone.tap(ask_time, "08:00", expect=2)
    return phone


def test_a_german_and_a_spanish_partner_each_read_the_bot_in_their_own_language(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    assert DE in offered() and ES in offered(), "German and Spanish are not complete yet"
    test_clock.set(MONDAY_7)
    start_bot()
    lena = onboard(fake, LENA, "Berlin", DE)
    diego = onboard(fake, DIEGO, "Madrid", ES)
    assert rows(db_path, "SELECT id, language FROM users ORDER BY id") == [
        (LENA.id, "de"),
        (DIEGO.id, "es"),
    ]

    (invite,) = lena.send("/invite")
    code = CODE.search(invite.text)
    assert code is not None, invite.text
    joined = diego.send(f"/join {code[1]}")
    assert joined[0].raw_text == translated(texts.paired_with("Lena"), ES)
    told = fake.wait_for_message(LENA.id, containing="Diego")
    assert told.raw_text == translated(texts.paired_with("Diego"), DE)

    # Today's nudge for the pair is fixed, as if chosen already: both get this one.
    (pair_id,) = rows(db_path, "SELECT pair_id FROM users WHERE id = ?", LENA.id)[0]
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO pair_days (pair_id, local_date, nudge_id) VALUES (?, ?, ?)",
            (pair_id, "2026-11-23", NUDGE),
        )
    nudge = nudges_by_id()[NUDGE]
    german, spanish = in_language(nudge, "de").text, in_language(nudge, "es").text
    assert len({nudge.text, german, spanish}) == 3
    test_clock.set(MONDAY_7 + timedelta(hours=1))
    lena_nudge = fake.wait_for_message(LENA.id, containing=german)
    diego_nudge = fake.wait_for_message(DIEGO.id, containing=spanish)
    assert lena_nudge.raw_text == say(texts.nudge_message(nudge, "Diego"), DE)
    assert diego_nudge.raw_text == say(texts.nudge_message(nudge, "Lena"), ES)
    assert lena.button_labels(lena_nudge) == [
        say(texts.NOT_TODAY_BUTTON, DE),
        say(texts.PAUSE_BUTTON, DE),
    ]

    (saved,) = lena.send("Über Musik, stundenlang.")
    assert saved.raw_text == translated(texts.answer_saved("Diego"), DE)
    (reveal,) = diego.send("Sobre cine, sin parar.")
    header = translated(texts.revealed_header("Lena"), ES)
    assert reveal.raw_text == f"{header}\n\nÜber Musik, stundenlang."  # as she wrote it
    told = fake.wait_for_message(LENA.id, containing="Sobre cine, sin parar.")
    header = translated(texts.revealed_header("Diego"), DE)
    assert told.raw_text == f"{header}\n\nSobre cine, sin parar."

    (paused,) = lena.send("/pause 2d")
    assert "Diego" in paused.text
    back = texts.back_on_day(day_short(date(2026, 11, 25)))
    notice = fake.wait_for_message(DIEGO.id, containing=say(day_short(date(2026, 11, 25)), ES))
    assert notice.raw_text == translated(texts.partner_paused("Lena", back, replaced=False), ES)
