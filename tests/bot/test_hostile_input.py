"""Each bug the fuzz test found, pinned as its own story (on both databases), so a change
that brings one back fails here by name, not only somewhere among ten thousand updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from bot.context import Services
from fakegram import FakeTelegram, FakeUser
from tests.bot.app_harness import RunningApp, pair_up, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
SOLO = FakeUser(765_432_198, "Solo")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin (nudges at 8:00)


@asynccontextmanager
async def alex_and_sam(
    fake: FakeTelegram, database_url: str, clock: FrozenClock | None = None
) -> AsyncIterator[RunningApp]:
    """The bot, with Alex and Sam paired (Berlin, nudges at 8:00)."""
    async with running_app(
        fake, database_url=database_url, clock=clock or FrozenClock(START), token=TOKEN
    ) as app:
        await pair_up(app, fake, ALEX, SAM)
        yield app


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def nudge_day(app: RunningApp, clock: FrozenClock, day: int) -> None:
    clock.now = START + timedelta(days=day, hours=1)
    services: Services = app.application.bot_data.services
    await services.dispatcher.run()


def failed_calls(fake: FakeTelegram) -> list[str]:
    return [
        f"{call.method}: {call.description}"
        for method in ("editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")
        for call in fake.calls_for(method)
        if call.status != 200
    ]


async def test_a_long_journal_page_is_shortened_to_fit_one_message(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with alex_and_sam(fake, database_url, clock) as app:
        for day in range(5):
            await nudge_day(app, clock, day)
            for user in (ALEX, SAM):
                for part in range(4):
                    await app.feed(fake.send_text(user, f"{user.first_name} {part} " + "ö" * 900))
        await app.feed(fake.send_text(ALEX, "/history"))
        page = fake.last_to(ALEX.id)
        assert app.errors == []
    assert page is not None
    assert utf16_length(page.text) <= 4096
    assert texts.more_parts(1) in page.text  # four messages a day: three shown, one counted
    assert "Alex 0 " in page.text


async def test_topics_before_pairing_says_why_instead_of_nothing(
    database_url: str, fake: FakeTelegram
) -> None:
    async with running_app(
        fake, database_url=database_url, clock=FrozenClock(START), token=TOKEN
    ) as app:
        await app.feed(fake.send_text(SOLO, "/start"))
        await app.feed(fake.send_text(SOLO, "/topics"))
        assert app.errors == []
    assert fake.texts_to(SOLO.id)[-1] == texts.TOPICS_NOT_PAIRED


async def test_tapping_a_button_twice_redraws_nothing_and_fails_nothing(
    database_url: str, fake: FakeTelegram
) -> None:
    async with alex_and_sam(fake, database_url) as app:
        await app.feed(fake.send_text(ALEX, "/settings"))
        settings = fake.last_to(ALEX.id)
        assert settings is not None
        await app.feed(fake.press_button(ALEX, settings.message_id, "set:days"))
        for _ in range(2):  # a double tap: the second asks for what is already shown
            await app.feed(fake.press_button(ALEX, settings.message_id, "set:days:all"))
        await app.feed(fake.press_button(ALEX, settings.message_id, "set:main"))
        await app.feed(fake.press_button(ALEX, settings.message_id, "set:topics"))
        for topic in ("appreciation", "closeness", "together", "feelings", "curiosity"):
            await app.feed(fake.press_button(ALEX, settings.message_id, f"set:tp:{topic}"))
        for topic in ("dreams", "memories"):
            await app.feed(fake.press_button(ALEX, settings.message_id, f"set:tp:{topic}"))
        for _ in range(2):  # the last topic on stays on: the view does not change
            await app.feed(fake.press_button(ALEX, settings.message_id, "set:tp:care"))
        assert app.errors == []
    assert failed_calls(fake) == []
    assert len(fake.callback_answers()) == 3 + 2 + 7 + 2


@pytest.mark.parametrize(
    "data",
    [
        "heart:²",
        "done:٣",
        "plan:in:99999999999999999999999",
        "plan:out:2147483648",
        "view:9223372036854775808",
        "hist:²",
        "hist:10001",
        "unpair:yes:¹",
        "done:0",
    ],
)
async def test_forged_button_data_gets_a_kind_no(
    database_url: str, fake: FakeTelegram, data: str
) -> None:
    clock = FrozenClock(START)
    async with alex_and_sam(fake, database_url, clock) as app:
        await nudge_day(app, clock, 0)
        nudge = fake.last_to(ALEX.id)
        assert nudge is not None
        await app.feed(fake.press_button(ALEX, nudge.message_id, data, forged=True))
        assert app.errors == []
    assert fake.callback_answers()[-1]["text"] == texts.BUTTON_EXPIRED
    assert failed_calls(fake) == []


async def test_a_message_edited_into_a_command_runs_nothing(
    database_url: str, fake: FakeTelegram
) -> None:
    async with alex_and_sam(fake, database_url) as app:
        sent = fake.send_text(ALEX, "see you tonight")
        await app.feed(sent)
        before = len(fake.texts_to(ALEX.id))
        await app.feed(fake.edit_text(ALEX, sent["message"]["message_id"], "/unpair"))
        await app.feed(fake.send_text(ALEX, "/settings"))
        assert app.errors == []
    after = fake.texts_to(ALEX.id)
    assert len(after) == before + 1  # only /settings was answered
    assert "Sam" in after[-1]  # still paired


async def test_a_button_under_a_file_answers_with_a_new_message(
    database_url: str, fake: FakeTelegram
) -> None:
    async with alex_and_sam(fake, database_url) as app:
        await app.feed(fake.send_text(ALEX, "/export"))
        document = fake.last_to(ALEX.id)
        assert document is not None and document.kind == "document"
        await app.feed(fake.press_button(ALEX, document.message_id, "hist:0", forged=True))
        assert app.errors == []
    assert fake.texts_to(ALEX.id)[-1] == texts.JOURNAL_EMPTY
    assert failed_calls(fake) == []


async def test_an_error_after_a_button_was_answered_is_still_told_to_the_user(
    database_url: str, fake: FakeTelegram
) -> None:
    async with alex_and_sam(fake, database_url) as app:
        await app.feed(fake.send_text(ALEX, "/settings"))
        settings = fake.last_to(ALEX.id)
        assert settings is not None
        fake.fail_next("editMessageText", status=500)  # after the button was answered
        await app.feed(fake.press_button(ALEX, settings.message_id, "set:days"))
        assert len(app.errors) == 1
    assert fake.texts_to(ALEX.id)[-1] == texts.SOMETHING_WENT_WRONG
