"""Updates are handled concurrently across chats, strictly in order within one chat, and a
chat's updates waiting for their turn take no place from other chats.

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
from telegram.request import RequestData

from bot import texts
from bot.chat import TAG
from bot.ordering import CONCURRENT_UPDATES, InOrderPerChat
from fakegram import FakeTelegram, FakeTelegramRequest, FakeUser
from fakegram.request import request_params
from storage.db import Database
from testbed.couples import DUE, populate
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

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


def as_polling_would(app: RunningApp, update: dict[str, Any]) -> asyncio.Task[None]:
    """Hands one update to the update processor the way PTB's polling does (a task of its
    own, not awaited before the next update is handed over)."""
    application = app.application
    parsed = Update.de_json(update, application.bot)
    assert parsed is not None
    return asyncio.create_task(
        application.update_processor.process_update(parsed, application.process_update(parsed))
    )


class HoldingRequest(FakeTelegramRequest):
    """The fake Bot API, except that while `gate` is closed a message to `chat_id` is not
    answered: the handler sending it stays in the middle of its update until the test opens
    the gate. `held` is set once a message is being held."""

    def __init__(self, fake: FakeTelegram, chat_id: int) -> None:
        super().__init__(fake, read_timeout=2)
        self.chat_id = chat_id
        self.gate = asyncio.Event()
        self.gate.set()
        self.held = asyncio.Event()

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        if (
            not self.gate.is_set()
            and url.endswith("/sendMessage")
            and str(request_params(request_data).get("chat_id")) == str(self.chat_id)
        ):
            self.held.set()
            await self.gate.wait()
        return await super().do_request(url, method, request_data, *args, **kw)


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
                processor.process_update(private_message(1, 1), first_of_chat_1()),
                processor.process_update(private_message(2, 1), second_of_chat_1()),
                processor.process_update(private_message(3, 2), only_of_chat_2()),
            ),
            timeout=10,
        )

    assert events == ["1a start", "2", "1a end", "1b"]


async def test_a_chat_with_many_updates_waiting_takes_no_place_from_another_chat(
    couple_url: str, fake: FakeTelegram
) -> None:
    """Alex's first message is stuck mid-reply while more of his messages than there are
    places to process updates wait behind it: a stranger's /help is answered all the same,
    and Alex's messages are then stored in the order he sent them."""
    request = HoldingRequest(fake, ALEX.id)
    stranger = FakeUser(3000, "Robin")
    lines = [f"part {n} of a long story" for n in range(CONCURRENT_UPDATES + 4)]
    async with running_app(
        fake,
        database_url=couple_url,
        clock=FrozenClock(DUE),
        token=TOKEN,
        settings={"INCOMING_MESSAGES_PER_MINUTE": "0"},  # this is about order, not the limit
        request=request,
    ) as app:
        await app.application.bot_data.services.dispatcher.run()  # today's nudges
        request.gate.clear()
        alex = [as_polling_would(app, fake.send_text(ALEX, line)) for line in lines]
        try:
            await asyncio.wait_for(request.held.wait(), timeout=10)  # his first reply is held
            # (the timeout only ends the test if the bot deadlocks: before the fix, Alex's
            # waiting updates held every place and the stranger's waited for his first)
            await asyncio.wait_for(as_polling_would(app, fake.send_text(stranger, "/help")), 5)
            assert fake.texts_to(stranger.id) == [TAG.sub("", texts.HELP)]
            assert not any(task.done() for task in alex)
        finally:
            request.gate.set()
            await asyncio.gather(*alex)

    assert app.errors == []
    stored = [text for _, text in await stored_parts(couple_url, ALEX.id)]
    assert stored and stored == lines[: len(stored)]  # in order (an answer may hold fewer)


async def test_updates_waiting_behind_their_chat_hold_none_of_the_places() -> None:
    """More updates of one chat than there are places wait behind its first; another chat's
    update still gets a place (the first of chat 1 cannot end before it has run)."""
    processor = InOrderPerChat(4)
    events: list[str] = []
    second_chat_ran = asyncio.Event()

    async def first_of_chat_1() -> None:
        await second_chat_ran.wait()
        events.append("1-0")

    async def next_of_chat_1(n: int) -> None:
        events.append(f"1-{n}")

    async def only_of_chat_2() -> None:
        events.append("2")
        second_chat_ran.set()

    async with processor:
        chat_1 = [processor.process_update(private_message(1, 1), first_of_chat_1())]
        chat_1 += [
            processor.process_update(private_message(1 + n, 1), next_of_chat_1(n))
            for n in range(1, 9)
        ]
        chat_2 = processor.process_update(private_message(100, 2), only_of_chat_2())
        await asyncio.wait_for(asyncio.gather(*chat_1, chat_2), timeout=10)

    assert events == ["2"] + [f"1-{n}" for n in range(9)]


def private_message(update_id: int, chat_id: int) -> Update:
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
