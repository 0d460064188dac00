"""Data rights, in process on both databases: export everything, erase everything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text

from bot.context import Services
from fakegram import FakeTelegram, FakeUser
from storage.db import Database
from tests.bot.app_harness import RunningApp, pair_up_with_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
# The day's nudge is a question, answered in words (a chosen one might be a choice).
QUESTION_FIRST = {START.date(): "feelings-002"}


async def a_day_with_answers(app: RunningApp, fake: FakeTelegram, clock: FrozenClock) -> None:
    clock.now = START + timedelta(hours=1)
    services: Services = app.application.bot_data.services
    await services.dispatcher.run()
    await app.feed(fake.send_text(ALEX, "ALEX-SECRET-ANSWER"))
    await app.feed(fake.send_text(SAM, "SAM-SECRET-ANSWER"))
    await app.feed(
        fake.send_message_json(
            SAM, voice={"file_id": "SAM-VOICE", "file_unique_id": "v", "duration": 2}
        )
    )


async def test_export_gives_back_everything_stored_about_the_user(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await pair_up_with_nudges(app, fake, ALEX, SAM, QUESTION_FIRST)
        await a_day_with_answers(app, fake, clock)
        await app.feed(fake.send_text(ALEX, "/export"))
    documents = [m for m in fake.sent_to(ALEX.id) if m.kind == "document"]
    assert [d.file_name for d in documents] == [
        "couplet-export-2026-11-23.json",
        "couplet-journal-2026-11-23.md",
    ]
    data = json.loads(documents[0].file_bytes or b"")
    assert data["profile"]["telegram_user_id"] == ALEX.id
    assert data["profile"]["time_zone"] == "Europe/Berlin"
    assert data["pairs"][0]["partner"] == "Sam"
    (day,) = data["nudges"]
    assert day["my_answer"][0]["text"] == "ALEX-SECRET-ANSWER"
    shared = day["partner_shared_with_me"]
    if day["kind"] == "question":  # revealed: both answered
        assert [p["text"] for p in shared][:1] == ["SAM-SECRET-ANSWER"]
        assert {p["type"] for p in shared} == {"text", "voice"}
    journal = (documents[1].file_bytes or b"").decode()
    assert "ALEX-SECRET-ANSWER" in journal
    assert TOKEN not in documents[0].file_bytes.decode()  # type: ignore[union-attr]
    assert app.errors == []


async def test_delete_erases_every_row_about_the_user_and_the_partner_keeps_theirs(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await pair_up_with_nudges(app, fake, ALEX, SAM, QUESTION_FIRST)
        await a_day_with_answers(app, fake, clock)
        await app.feed(fake.send_text(ALEX, "/delete"))
        confirm = fake.last_to(ALEX.id)
        assert confirm is not None
        assert [label for label, _ in fake.buttons(confirm)] == [
            "Yes, erase everything",
            "Keep my data",
        ]
        await app.feed(fake.press_button(ALEX, confirm.message_id, "delete:yes"))
        assert "Everything I stored about you is erased" in fake.texts_to(ALEX.id)[-1]
        assert "Alex ended your pairing" in fake.texts_to(SAM.id)[-1]

        leftovers = await rows_mentioning(Database(database_url), ALEX.id)
        assert leftovers == []

        await app.feed(fake.send_text(SAM, "/history"))
        journal = fake.texts_to(SAM.id)[-1]
        assert "ALEX-SECRET-ANSWER" not in journal
        assert "SAM-SECRET-ANSWER" in journal

        await app.feed(fake.send_text(ALEX, "/start"))  # a stranger again: onboarding anew
        assert "I'm Couplet" in fake.texts_to(ALEX.id)[-2]
    assert app.errors == []


async def rows_mentioning(database: Database, value: int) -> list[tuple[str, str]]:
    """(table, column) of every stored value equal to `value`, in every table."""
    found: list[tuple[str, str]] = []
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(
            lambda sync: {
                name: [c["name"] for c in inspect(sync).get_columns(name)]
                for name in inspect(sync).get_table_names()
            }
        )
        for table, columns in tables.items():
            for column in columns:
                hits = await connection.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE CAST("{column}" AS TEXT) = :v'),
                    {"v": str(value)},
                )
                if hits.scalar_one():
                    found.append((table, column))
    await database.dispose()
    return found
