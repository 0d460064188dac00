"""Secrets stay secret through the real process: the token, answer texts, encryption keys."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

from fakegram import FakeTelegram, FakeUser
from storage import crypto
from storage.db import Database
from storage.models import AnswerPart, Checkin, CheckinStep
from testbed.bot_process import TOKEN, BotProcess
from testbed.couples import DUE, populate
from tests.e2e.conftest import StartBot, TestClock, rows
from tests.phone import Phone

ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")
QUESTION = {date(2026, 11, 23): "feelings-001"}


def test_errors_are_logged_without_the_token_and_answers_stay_out_of_info_logs(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path, tmp_path: Path
) -> None:
    populate(db_path, 1, names=("Alex", "Sam"), nudges=QUESTION)
    test_clock.set(DUE)
    start_bot(LOG_LEVEL="INFO")
    fake.wait_for(lambda: bool(fake.sent_to(SAM.id)), 10)
    alex = Phone(fake, ALEX)
    alex.send("MY-VERY-PRIVATE-ANSWER")
    fake.fail_next("sendMessage", status=500, count=2)  # the reveal fails: logged, not lost
    sam = Phone(fake, SAM)
    sam.send("ANOTHER-PRIVATE-ANSWER", expect=0)
    fake.wait_for(lambda: len(fake.calls_for("sendMessage")) >= 5, 10)
    fake.fail_next("sendMessage", status=500, count=2)  # a command fails: the error handler
    fake.send_text(SAM, "/help")
    fake.wait_for(lambda: len(fake.calls_for("sendMessage")) >= 7, 10)
    (journal,) = sam.send("/history")
    assert "MY-VERY-PRIVATE-ANSWER" in journal.text  # revealed, even though delivery failed

    log = (tmp_path / "bot.log").read_text()
    assert "error while handling update" in log  # the error handler logged it
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    assert "MY-VERY-PRIVATE-ANSWER" not in log
    assert "ANOTHER-PRIVATE-ANSWER" not in log


def _seal_an_answer(db_path: Path, key: str, value: str) -> None:
    async def write() -> None:
        crypto.configure(key)
        database = Database(f"sqlite:///{db_path}")
        try:
            stored, sealed = crypto.stored_form(value)
            async with database.transaction() as session:
                session.add(
                    AnswerPart(
                        delivery_id=1,
                        message_id=1,
                        content_type="text",
                        text=stored,
                        sealed=sealed,
                        created_at=DUE,
                    )
                )
        finally:
            crypto.configure(None)
            await database.dispose()

    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO deliveries (id, user_id, pair_id, local_date, nudge_id, due_at, status, "
            "attempts) VALUES (1, 1000, 1, '2026-11-23', 'feelings-001', ?, 'sent', 0)",
            (DUE.replace(tzinfo=None).isoformat(sep=" "),),
        )
    asyncio.run(write())


def _seal_a_checkin(db_path: Path, key: str, appreciated: str) -> None:
    """Alex's answered check-in, its appreciated text sealed under `key` (as the bot does)."""

    async def write() -> None:
        crypto.configure(key)
        database = Database(f"sqlite:///{db_path}")
        try:
            stored, sealed = crypto.stored_form(appreciated)
            async with database.transaction() as session:
                session.add(
                    Checkin(
                        user_id=1000,
                        pair_id=1,
                        week_of=date(2026, 11, 22),
                        step=CheckinStep.DONE,
                        feeling="close",
                        appreciated=stored,
                        appreciated_sealed=sealed,
                        sent_at=DUE,
                        answered_at=DUE,
                    )
                )
        finally:
            crypto.configure(None)
            await database.dispose()

    asyncio.run(write())


def test_answers_are_stored_encrypted_and_a_wrong_or_missing_key_stops_start_up_clearly(
    tmp_path: Path, db_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    populate(db_path, 1, names=("Alex", "Sam"))
    _seal_an_answer(db_path, key, "SEALED-SECRET")
    stored = rows(db_path, "SELECT text FROM answer_parts")[0][0]
    assert isinstance(stored, str)
    assert stored.startswith("enc1:") and "SEALED-SECRET" not in stored

    base = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": f"sqlite:///{db_path}"}
    for env, message in (
        ({}, "answers are encrypted, but ANSWER_ENCRYPTION_KEY is not set"),
        ({"ANSWER_ENCRYPTION_KEY": Fernet.generate_key().decode()}, "does not open"),
        ({"ANSWER_ENCRYPTION_KEY": "not-a-key"}, "not a valid key"),
    ):
        process = BotProcess(env=base | env, workdir=tmp_path)
        assert process.run_to_end("migrate") == 2, process.log()
        assert message in process.log()
        assert "Traceback" not in process.log()
    process = BotProcess(env=base | {"ANSWER_ENCRYPTION_KEY": key}, workdir=tmp_path)
    assert process.run_to_end("migrate") == 0


def test_encrypt_existing_seals_answers_stored_in_the_clear(tmp_path: Path, db_path: Path) -> None:
    populate(db_path, 1, names=("Alex", "Sam"))
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO deliveries (id, user_id, pair_id, local_date, nudge_id, due_at, status, "
            "attempts) VALUES (1, 1000, 1, '2026-11-23', 'feelings-001', '2026-11-23 07:00:00', "
            "'sent', 0)"
        )
        connection.execute(
            "INSERT INTO answer_parts (delivery_id, message_id, content_type, text, created_at) "
            "VALUES (1, 5, 'text', 'OLD-CLEAR-ANSWER', '2026-11-23 07:05:00')"
        )
    key = Fernet.generate_key().decode()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "ANSWER_ENCRYPTION_KEY": key,
    }
    process = BotProcess(env=env, workdir=tmp_path)
    assert process.run_to_end("encrypt-existing") == 0  # the older name of rotate-key
    assert "rotate-key touched 1 answer and check-in texts" in process.log()
    assert key not in process.log()
    stored, sealed = rows(db_path, "SELECT text, sealed FROM answer_parts")[0]
    assert isinstance(stored, str) and stored.startswith("enc1:") and sealed
    assert Fernet(key.encode()).decrypt(stored[5:].encode()) == b"OLD-CLEAR-ANSWER"


def test_rotate_key_moves_every_answer_to_the_new_key_and_the_old_one_can_go(
    tmp_path: Path, db_path: Path
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    populate(db_path, 1, names=("Alex", "Sam"))
    _seal_an_answer(db_path, old, "SEALED-UNDER-THE-OLD-KEY")
    _seal_a_checkin(db_path, old, "THANKS-UNDER-THE-OLD-KEY")
    base = {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": f"sqlite:///{db_path}"}

    process = BotProcess(env=base | {"ANSWER_ENCRYPTION_KEY": f"{new}, {old}"}, workdir=tmp_path)
    assert process.run_to_end("rotate-key") == 0, process.log()
    assert "rotate-key touched 2 answer and check-in texts (2 re-sealed" in process.log()
    assert old not in process.log() and new not in process.log()
    assert "SEALED-UNDER-THE-OLD-KEY" not in process.log()
    assert "THANKS-UNDER-THE-OLD-KEY" not in process.log()
    stored = rows(db_path, "SELECT text FROM answer_parts")[0][0]
    assert isinstance(stored, str)
    assert Fernet(new.encode()).decrypt(stored[5:].encode()) == b"SEALED-UNDER-THE-OLD-KEY"
    thanks = rows(db_path, "SELECT appreciated FROM checkins")[0][0]
    assert isinstance(thanks, str)
    assert Fernet(new.encode()).decrypt(thanks[5:].encode()) == b"THANKS-UNDER-THE-OLD-KEY"

    again = BotProcess(env=base | {"ANSWER_ENCRYPTION_KEY": f"{new},{old}"}, workdir=tmp_path)
    assert again.run_to_end("rotate-key") == 0
    assert "rotate-key touched 0 answer and check-in texts" in again.log()
    new_only = BotProcess(env=base | {"ANSWER_ENCRYPTION_KEY": new}, workdir=tmp_path)
    assert new_only.run_to_end("migrate") == 0, new_only.log()

    malformed = BotProcess(env=base | {"ANSWER_ENCRYPTION_KEY": f"{new},oops"}, workdir=tmp_path)
    assert malformed.run_to_end("rotate-key") == 2
    assert "ANSWER_ENCRYPTION_KEY: key 2 of 2 is not a valid key" in malformed.log()
    assert new not in malformed.log() and "oops" not in malformed.log()


def test_with_a_key_the_partner_still_reads_the_answer_in_the_clear(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    populate(db_path, 1, names=("Alex", "Sam"), nudges=QUESTION)
    test_clock.set(DUE)
    start_bot(ANSWER_ENCRYPTION_KEY=Fernet.generate_key().decode())
    fake.wait_for(lambda: bool(fake.sent_to(SAM.id)) and bool(fake.sent_to(ALEX.id)), 10)
    Phone(fake, ALEX).send("Alex, sealed at rest")
    Phone(fake, SAM).send("Sam, sealed too")
    fake.wait_for_message(SAM.id, containing="Alex, sealed at rest")
    stored = [value for (value,) in rows(db_path, "SELECT text FROM answer_parts")]
    assert all(isinstance(v, str) and v.startswith("enc1:") for v in stored)
    test_clock.set(DUE + timedelta(minutes=5))
