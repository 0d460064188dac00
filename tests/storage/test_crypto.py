"""Sealed answer and check-in texts in storage: the mark and its migration, start-up's key
check, rotation. Real SQLite files and the real PostgreSQL."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import col, select

from storage import answers, checkins, crypto
from storage.db import Database
from storage.migrate import upgrade_to, upgrade_to_head
from storage.models import AnswerPart, Checkin, CheckinStep, Delivery, DeliveryStatus, Pair
from tests.storage.factories import a_couple

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
A, B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def no_key_left_behind() -> Iterator[None]:
    yield
    crypto.configure(None)


def a_token_shaped(ciphertext_blocks: int = 1, version: bytes = b"\x80") -> str:
    """`enc1:` and something built like a Fernet token that no key made."""
    raw = version + bytes(8) + bytes(16) + bytes(16 * ciphertext_blocks) + bytes(32)
    return "enc1:" + base64.urlsafe_b64encode(raw).decode()


async def test_0007_marks_only_real_fernet_tokens_sealed_and_keeps_typed_text(
    empty_database_url: str,
) -> None:
    """Rows written at revision 0006 (where `enc1:` meant sealed), then upgraded."""
    real = "enc1:" + Fernet(A.encode()).encrypt(b"sealed before 0007").decode()
    values = [
        real,
        "enc1:x",  # typed by a user
        "enc1:gAAAAAedited",  # typed, and base64 too: too short to be a token
        a_token_shaped(2),  # built like a token: taken as sealed (no key opens it)
        a_token_shaped(2, version=b"\x81"),  # wrong version byte
        a_token_shaped(0),  # no ciphertext
        a_token_shaped(1)[:-4] + "!!!!",  # not base64
        real.upper(),
        "hello",
        None,  # a voice note without a caption
    ]
    database = Database(empty_database_url)
    try:
        await upgrade_to(database, "0006")
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO pairs (id, created_at, seed, long_distance, topics) "
                    "VALUES (1, :now, 0, false, 'care')"
                ),
                {"now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO users (id, first_name, onboarding_step, pair_id, created_at, "
                    "follow_ups) VALUES (1, 'Alex', 'done', 1, :now, true)"
                ),
                {"now": NOW},
            )
            await connection.execute(
                text(
                    "INSERT INTO deliveries (id, user_id, pair_id, local_date, nudge_id, due_at, "
                    "status, attempts) VALUES (1, 1, 1, :day, 'feelings-001', :now, 'sent', 0)"
                ),
                {"day": date(2026, 11, 23), "now": NOW},
            )
            for message_id, value in enumerate(values):
                await connection.execute(
                    text(
                        "INSERT INTO answer_parts (delivery_id, message_id, content_type, text, "
                        "created_at) VALUES (1, :m, 'text', :t, :now)"
                    ),
                    {"m": message_id, "t": value, "now": NOW},
                )
        await upgrade_to_head(database)
        async with database.transaction() as session:
            parts = list(await session.exec(select(AnswerPart).order_by(col(AnswerPart.id))))
    finally:
        await database.dispose()

    assert [p.text for p in parts] == values  # nothing rewritten
    assert [p.sealed for p in parts] == [True, False, False, True] + [False] * 6
    crypto.configure(A)
    assert [crypto.text_of(p) for p in parts[:3]] == ["sealed before 0007", "enc1:x", values[2]]
    assert crypto.text_of(parts[3]) is crypto.UNREADABLE


async def _answers(database: Database, texts: list[str | None]) -> list[int]:
    """Stores one answer part per text (sealed with whatever key is configured now)."""
    async with database.transaction() as session:
        existing = (await session.exec(select(Delivery))).first()
        if existing is None:
            if (await session.exec(select(Pair))).first() is None:
                await a_couple(session, now=NOW)
            existing = Delivery(
                user_id=1,
                pair_id=1,
                local_date=date(2026, 11, 23),
                nudge_id="feelings-001",
                due_at=NOW,
                status=DeliveryStatus.SENT,
            )
            session.add(existing)
            await session.flush()
        count = len(list(await session.exec(select(AnswerPart.id))))
        ids = []
        for offset, value in enumerate(texts):
            part = await answers.add_part(
                session=session,
                delivery=existing,
                message_id=count + offset,
                content_type="text",
                text=value,
                file_id=None,
                now=NOW,
            )
            ids.append(part.id or 0)
    return ids


async def _parts(database: Database) -> list[AnswerPart]:
    async with database.transaction() as session:
        return list(await session.exec(select(AnswerPart).order_by(col(AnswerPart.id))))


async def _break(database: Database, part_id: int, value: str) -> None:
    async with database.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE answer_parts SET text = :v, sealed = true WHERE id = :id"),
            params={"v": value, "id": part_id},
        )


async def _checkins(database: Database, texts: list[tuple[str | None, str | None]]) -> list[int]:
    """Stores one answered check-in per (appreciated, more of) pair of texts, as the bot
    does (sealed with whatever key is configured now), a week apart."""
    async with database.transaction() as session:
        pair = (await session.exec(select(Pair))).first()
        if pair is None:
            _, _, pair = await a_couple(session, now=NOW)
        count = len(list(await session.exec(select(Checkin.id))))
        rows = []
        for offset, (appreciated, more_of) in enumerate(texts):
            checkin = Checkin(
                user_id=1,
                pair_id=pair.id or 0,
                week_of=date(2026, 11, 29) + timedelta(weeks=count + offset),
                step=CheckinStep.APPRECIATED,
                sent_at=NOW,
            )
            checkins.set_text(checkin, appreciated, now=NOW)
            checkins.set_text(checkin, more_of, now=NOW)
            session.add(checkin)
            rows.append(checkin)
        await session.flush()
        return [checkin.id or 0 for checkin in rows]


async def _checkin_words(database: Database) -> dict[int, checkins.Words]:
    async with database.transaction() as session:
        rows = await session.exec(select(Checkin).order_by(col(Checkin.id)))
        return {checkin.id or 0: checkins.words_of(checkin) for checkin in rows}


async def _break_checkin(database: Database, checkin_id: int, value: str) -> None:
    async with database.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE checkins SET appreciated = :v, appreciated_sealed = true WHERE id = :id"),
            params={"v": value, "id": checkin_id},
        )


async def test_answers_are_sealed_with_the_first_key_and_opened_with_any(
    database: Database,
) -> None:
    crypto.configure(A)
    (under_a,) = await _answers(database, ["under A"])
    crypto.configure(f"{B}, {A}")
    (under_b,) = await _answers(database, ["under B"])
    parts = {p.id: p for p in await _parts(database)}
    assert all(p.sealed and "under" not in (p.text or "") for p in parts.values())
    assert [crypto.text_of(parts[i]) for i in (under_a, under_b)] == ["under A", "under B"]
    crypto.configure(B)
    assert crypto.text_of(parts[under_a]) is crypto.UNREADABLE
    assert crypto.text_of(parts[under_b]) == "under B"


async def test_start_up_refuses_a_missing_or_wrong_key_but_never_for_one_broken_row(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await crypto.check_key_opens_answers(database)  # nothing sealed: no key needed
    await _answers(database, ["enc1:x"])  # typed, in the clear
    await crypto.check_key_opens_answers(database)
    crypto.configure(A)
    ids = await _answers(database, ["one", "two"])

    crypto.configure(None)
    with pytest.raises(crypto.EncryptionKeyError, match="ANSWER_ENCRYPTION_KEY is not set"):
        await crypto.check_key_opens_answers(database)
    crypto.configure(B)
    with pytest.raises(crypto.EncryptionKeyError, match="does not open the stored answers"):
        await crypto.check_key_opens_answers(database)
    crypto.configure(f"{B},{A}")
    await crypto.check_key_opens_answers(database)

    crypto.configure(A)
    await _break(database, ids[1], a_token_shaped(3))  # the latest no longer opens
    with caplog.at_level(logging.WARNING):
        await crypto.check_key_opens_answers(database)
    assert f"answer part {ids[1]}" in caplog.text
    # Damaged into something not even shaped like a token: no key could be at fault.
    await _break(database, ids[1], "enc1:garbage")
    await _break(database, ids[0], "enc1:gAAAA-and-the-rest-lost")
    await crypto.check_key_opens_answers(database)
    crypto.configure(None)
    await crypto.check_key_opens_answers(database)


async def test_rotate_key_reseals_everything_under_the_first_key_resumably(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await _answers(database, ["clear one", "enc1:x"])  # before any key
    crypto.configure(A)
    await _answers(database, [f"sealed {n}" for n in range(7)] + [None])
    broken = (await _answers(database, ["soon broken"]))[0]
    await _break(database, broken, a_token_shaped(2))
    expected = {p.id: crypto.text_of(p) for p in await _parts(database) if p.id != broken}

    crypto.configure(f"{B},{A}")
    first = await crypto.rotate(database, batch_size=4, batches=1)  # then the process "dies"
    assert (first.resealed, first.sealed_from_clear, first.unreadable) == (2, 2, [])
    with caplog.at_level(logging.WARNING):
        rest = await crypto.rotate(database, batch_size=4)
    assert (rest.resealed, rest.sealed_from_clear) == (5, 0)
    assert rest.unreadable == [f"answer part {broken}"]
    assert rest.touched == 5
    assert f"answer part {broken}" in caplog.text and "soon broken" not in caplog.text
    again = await crypto.rotate(database, batch_size=4)
    assert (again.touched, again.unreadable) == (0, [f"answer part {broken}"])

    crypto.configure(B)  # A is gone: everything still opens
    parts = await _parts(database)
    assert {p.id: crypto.text_of(p) for p in parts if p.id != broken} == expected
    assert all(p.sealed for p in parts if p.text is not None)
    assert [p.text for p in parts if p.id == broken] == [a_token_shaped(2)]  # left as it was


async def test_rotate_key_reseals_check_in_texts_too_and_the_old_key_can_go(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    (clear,) = await _checkins(database, [("clear thanks", None)])  # before any key
    crypto.configure(A)
    (answer,) = await _answers(database, ["an answer under A"])
    sealed = await _checkins(
        database, [(f"thanks {n}", f"more {n}") for n in range(3)] + [(None, "only more")]
    )
    (broken,) = await _checkins(database, [("SOON-BROKEN-THANKS", "still fine")])
    await _break_checkin(database, broken, a_token_shaped(2))
    expected = await _checkin_words(database)
    assert expected[sealed[0]] == checkins.Words(None, "thanks 0", "more 0")

    crypto.configure(f"{B},{A}")
    # Then the process "dies" after two transactions: the answer parts (one), then the first
    # two check-ins' appreciated texts (the one in the clear, and one under A).
    first = await crypto.rotate(database, batch_size=2, batches=2)
    assert (first.resealed, first.sealed_from_clear, first.unreadable) == (2, 1, [])
    with caplog.at_level(logging.WARNING):
        rest = await crypto.rotate(database, batch_size=2)
    # Appreciated: the two left (and `broken`, which no key opens); more of: all five written.
    assert (rest.resealed, rest.sealed_from_clear) == (2 + 5, 0)
    assert rest.unreadable == [f"check-in {broken} (appreciated)"]
    assert f"check-in {broken} (appreciated)" in caplog.text
    assert "SOON-BROKEN-THANKS" not in caplog.text and "thanks 1" not in caplog.text
    again = await crypto.rotate(database, batch_size=2)
    assert (again.touched, again.unreadable) == (0, [f"check-in {broken} (appreciated)"])

    crypto.configure(B)  # A is gone: every check-in text still opens
    words = await _checkin_words(database)
    assert words[clear] == checkins.Words(None, "clear thanks", None)
    assert {i: w for i, w in words.items() if i != broken} == {
        i: w for i, w in expected.items() if i != broken
    }
    assert words[broken].appreciated is crypto.UNREADABLE
    assert words[broken].more_of == "still fine"
    assert [crypto.text_of(p) for p in await _parts(database) if p.id == answer] == [
        "an answer under A"
    ]
    async with database.transaction() as session:
        stored = list(await session.exec(select(Checkin).order_by(col(Checkin.id))))
    assert all(c.appreciated_sealed for c in stored if c.appreciated is not None)
    assert all(c.more_of_sealed for c in stored if c.more_of is not None)
    assert [c.appreciated for c in stored if c.id == broken] == [a_token_shaped(2)]


async def test_start_up_checks_the_key_against_check_in_texts_too(database: Database) -> None:
    crypto.configure(A)
    await _checkins(database, [("thanks", None), (None, "more")])  # only check-ins sealed

    crypto.configure(None)
    with pytest.raises(crypto.EncryptionKeyError, match="ANSWER_ENCRYPTION_KEY is not set"):
        await crypto.check_key_opens_answers(database)
    crypto.configure(B)
    with pytest.raises(crypto.EncryptionKeyError, match="does not open the stored check-in"):
        await crypto.check_key_opens_answers(database)
    crypto.configure(f"{B},{A}")
    await crypto.check_key_opens_answers(database)

    # Answers rotated to B but check-ins left under A (what the older rotate-key did), and
    # A removed: the answers open, the check-ins do not. Start-up says so.
    await _answers(database, ["under B"])
    crypto.configure(B)
    with pytest.raises(crypto.EncryptionKeyError, match="does not open the stored check-in"):
        await crypto.check_key_opens_answers(database)
    crypto.configure(f"{B},{A}")
    await crypto.rotate(database)
    crypto.configure(B)
    await crypto.check_key_opens_answers(database)


async def test_rotate_key_needs_a_key(database: Database) -> None:
    with pytest.raises(crypto.EncryptionKeyError, match="set ANSWER_ENCRYPTION_KEY first"):
        await crypto.rotate(database)


def test_a_real_token_looks_like_one_and_typed_text_does_not() -> None:
    token = Fernet(A.encode()).encrypt(os.urandom(40)).decode()
    assert crypto.looks_like_a_token("enc1:" + token)
    for typed in ("enc1:x", "enc1:", token, "enc1:" + token[:-4], "enc1: " + token):
        assert not crypto.looks_like_a_token(typed)
