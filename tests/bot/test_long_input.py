"""Texts meant for a parser (a time, a zone, a pause date, an invite code) longer than 200
characters are refused before parsing, with the usual kind reply, and change nothing: a
thousand characters must not cost the event loop, nor slip through as a valid time."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from bot import texts
from bot.chat import MAX_PARSED_TEXT
from fakegram import FakeTelegram, FakeUser
from fakegram.htmltext import parse_html
from storage.db import Database
from tests.bot.app_harness import RunningApp, pair_up, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
SOLO = FakeUser(765_432_198, "Solo")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
PADDING = " " * MAX_PARSED_TEXT  # whitespace every parser skips: the text alone is valid


def shown(html: str) -> str:
    """What Telegram shows for a text the bot sends as HTML."""
    return parse_html(html)[0]


async def stored(database_url: str, query: str, **params: Any) -> list[tuple[Any, ...]]:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(query), params)]
    finally:
        await database.dispose()


async def user_row(database_url: str, user: FakeUser) -> list[tuple[Any, ...]]:
    return await stored(
        database_url,
        "SELECT timezone, nudge_time, onboarding_step, awaiting FROM users WHERE id = :id",
        id=user.id,
    )


async def pause_row(database_url: str) -> list[tuple[Any, ...]]:
    return await stored(database_url, "SELECT paused_until, paused_by FROM pairs")


@pytest.fixture
async def app(database_url: str, fake: FakeTelegram) -> Any:
    async with running_app(
        fake, database_url=database_url, clock=FrozenClock(START), token=TOKEN
    ) as running:
        yield running
        assert running.errors == []


async def test_a_padded_zone_while_onboarding_is_refused_unread(
    app: RunningApp, fake: FakeTelegram, database_url: str
) -> None:
    await app.feed(fake.send_text(SOLO, "/start"))
    before = await user_row(database_url, SOLO)
    await app.feed(fake.send_text(SOLO, "Berlin" + PADDING))
    assert fake.texts_to(SOLO.id)[-1] == shown(texts.timezone_unknown("Berlin" + PADDING))
    assert await user_row(database_url, SOLO) == before


async def test_a_padded_time_while_onboarding_is_refused_unread(
    app: RunningApp, fake: FakeTelegram, database_url: str
) -> None:
    await app.feed(fake.send_text(SOLO, "/start"))
    await app.feed(fake.send_text(SOLO, "Berlin"))
    before = await user_row(database_url, SOLO)
    await app.feed(fake.send_text(SOLO, "8:00" + PADDING))
    assert fake.texts_to(SOLO.id)[-1] == shown(texts.time_unknown("8:00" + PADDING))
    assert await user_row(database_url, SOLO) == before


async def test_a_padded_pause_date_is_refused_unread(
    app: RunningApp, fake: FakeTelegram, database_url: str
) -> None:
    await pair_up(app, fake, ALEX, SAM)
    await app.feed(fake.send_text(ALEX, "/pause"))
    menu = fake.last_to(ALEX.id)
    assert menu is not None
    await app.feed(fake.press_button(ALEX, menu.message_id, "pause:date"))
    assert fake.texts_to(ALEX.id)[-1] == shown(texts.ASK_PAUSE_DATE)
    told_sam = len(fake.texts_to(SAM.id))
    await app.feed(fake.send_text(ALEX, "until" + PADDING + "2026-12-24"))
    assert fake.texts_to(ALEX.id)[-1] == shown(texts.PAUSE_NOT_UNDERSTOOD)
    assert await pause_row(database_url) == [(None, None)]
    assert len(fake.texts_to(SAM.id)) == told_sam


async def test_an_over_long_invite_code_is_refused_and_not_counted_as_a_guess(
    app: RunningApp, fake: FakeTelegram, database_url: str
) -> None:
    await app.feed(fake.send_text(SOLO, "/start"))
    await app.feed(fake.send_text(SOLO, "/join " + "A" * (MAX_PARSED_TEXT + 1)))
    assert fake.texts_to(SOLO.id)[-1] == shown(texts.JOIN_MALFORMED)
    assert await stored(database_url, "SELECT count(*) FROM wrong_codes") == [(0,)]


LONG = "x" * (MAX_PARSED_TEXT + 1)


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (f"/time 7:30 {LONG}", texts.time_unknown(f"7:30 {LONG}")),
        (f"/timezone Berlin {LONG}", texts.timezone_unknown(f"Berlin {LONG}")),
        (f"/pause 2w {LONG}", texts.PAUSE_NOT_UNDERSTOOD),
    ],
)
async def test_an_over_long_command_argument_gets_the_usual_reply_and_changes_nothing(
    app: RunningApp, fake: FakeTelegram, database_url: str, command: str, reply: str
) -> None:
    await pair_up(app, fake, ALEX, SAM)
    before = (await user_row(database_url, ALEX), await pause_row(database_url))
    await app.feed(fake.send_text(ALEX, command))
    assert fake.texts_to(ALEX.id)[-1] == shown(reply)
    assert (await user_row(database_url, ALEX), await pause_row(database_url)) == before


async def test_a_text_of_exactly_the_limit_is_still_read(
    app: RunningApp, fake: FakeTelegram, database_url: str
) -> None:
    await app.feed(fake.send_text(SOLO, "/start"))
    padded = "Berlin".ljust(MAX_PARSED_TEXT)
    await app.feed(fake.send_text(SOLO, padded))
    assert re.search(r"Europe/Berlin", fake.texts_to(SOLO.id)[-2])
    assert (await user_row(database_url, SOLO))[0][0] == "Europe/Berlin"
