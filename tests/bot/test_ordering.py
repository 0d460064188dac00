"""Updates are handled concurrently across chats, strictly in order within one chat.

The real Application and its update processor, as polling feeds it (all updates handed over
at once, none awaited before the next comes), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from telegram import Update

from bot.ordering import InOrderPerChat
from storage.db import Database
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock
from tests.e2e.couples import DUE, populate
from tests.fakebot import FakeTelegram, FakeUser

MONDAY = date(2026, 11, 23)
QUESTION = "feelings-001"
ALEX = FakeUser(1000, "Alex")
SAM = FakeUser(1001, "Sam")


@pytest.fixture
def couple_url(database_url: str) -> str:
    """Alex and Sam (and another couple), a question fixed for Monday, due now."""
    populate(database_url, 2, names=("Alex", "Sam"), nudges={MONDAY: QUESTION})
    return database_url


@pytest.fixture
async def app(couple_url: str, fake: FakeTelegram) -> AsyncIterator[RunningApp]:
    async with running_app(
        fake, database_url=couple_url, clock=FrozenClock(DUE), token=TOKEN
    ) as running:
        await running.application.bot_data.services.dispatcher.run()  # today's nudges
        assert fake.sent_to(ALEX.id) and fake.sent_to(SAM.id)
        yield running


async def feed_at_once(app: RunningApp, updates: list[dict[str, Any]]) -> None:
    """As polling hands updates over: each to the update processor without awaiting the
    one before."""
    application = app.application
    parsed = [Update.de_json(update, application.bot) for update in updates]
    await asyncio.gather(
        *(
            application.update_processor.process_update(update, application.process_update(update))
            for update in parsed
            if update is not None
        )
    )


async def stored_parts(url: str, user_id: int) -> list[tuple[int, str]]:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT p.message_id, p.text FROM answer_parts p "
                    "JOIN deliveries d ON d.id = p.delivery_id "
                    "WHERE d.user_id = :user ORDER BY p.id"
                ),
                {"user": user_id},
            )
            return [(int(row[0]), str(row[1])) for row in result]
    finally:
        await database.dispose()


async def test_messages_sent_back_to_back_are_stored_and_answered_in_order(
    app: RunningApp, fake: FakeTelegram, couple_url: str
) -> None:
    lines = [f"line {n} of what I want to say" for n in range(6)]
    sent = [fake.send_text(ALEX, line) for line in lines]
    await feed_at_once(app, sent)

    assert app.errors == []
    parts = await stored_parts(couple_url, ALEX.id)
    assert parts == [
        (update["message"]["message_id"], line) for update, line in zip(sent, lines, strict=True)
    ]
    replies = [m.text for m in fake.sent_to(ALEX.id)][1:]  # after the nudge
    assert replies[0].startswith("Saved")
    assert all(reply.startswith("Added to your answer") for reply in replies[1:])
    assert len(replies) == len(lines)


async def test_partners_answering_at_the_same_moment_both_see_the_reveal(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await feed_at_once(
        app, [fake.send_text(ALEX, "Alex: the walks."), fake.send_text(SAM, "Sam: the garden.")]
    )

    assert app.errors == []
    alex_texts = [m.text for m in fake.sent_to(ALEX.id)]
    sam_texts = [m.text for m in fake.sent_to(SAM.id)]
    # Exactly one of them answered first (saved), the other's answer revealed both.
    assert sum(t.startswith("Saved") for t in alex_texts + sam_texts) == 1
    assert any("Sam: the garden." in t for t in alex_texts)
    assert any("Alex: the walks." in t for t in sam_texts)


async def test_updates_of_different_chats_run_at_the_same_time_and_one_chats_in_turn() -> None:
    processor = InOrderPerChat(8)
    events: list[str] = []
    second_chat_ran = asyncio.Event()

    def message(update_id: int, chat_id: int) -> Update:
        update = Update.de_json(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": 0,
                    "chat": {"id": chat_id, "type": "private"},
                    "from": {"id": chat_id, "is_bot": False, "first_name": "U"},
                    "text": "hi",
                },
            },
            None,
        )
        assert update is not None
        return update

    async def first_of_chat_1() -> None:
        events.append("1a start")
        await second_chat_ran.wait()  # would never end if chat 2 waited for chat 1
        events.append("1a end")

    async def second_of_chat_1() -> None:
        events.append("1b")

    async def only_of_chat_2() -> None:
        events.append("2")
        second_chat_ran.set()

    async with processor:
        await asyncio.wait_for(
            asyncio.gather(
                processor.process_update(message(1, 1), first_of_chat_1()),
                processor.process_update(message(2, 1), second_of_chat_1()),
                processor.process_update(message(3, 2), only_of_chat_2()),
            ),
            timeout=10,
        )

    assert events == ["1a start", "2", "1a end", "1b"]
