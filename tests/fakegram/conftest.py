"""Fixtures of the fake Telegram's own tests: the fake, its HTTP server, and a PTB `Bot` that
talks to it over HTTP or in-process (each test runs both ways)."""

import datetime as dtm
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from fakegram import (
    FakeBotApiServer,
    FakeTelegram,
    FakeTelegramRequest,
    FakeUser,
)

TOKEN = "7000001:TEST-fake-token"
ALICE = FakeUser(1001, "Alice", username="alice")
BOB = FakeUser(1002, "Bob", last_name="Stone", language_code="de")
GROUP_ID = -100500
AN_HOUR = 3600.0  # a delay or a long poll no test waits out
GUARD_SECONDS = 30.0  # ends a test whose waiting never ends, instead of hanging for the hour

BotFactory = Callable[..., Bot]
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Yes", callback_data="pair:yes")],
        [InlineKeyboardButton("Docs", url="https://example.org/help")],
    ]
)


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN)


@pytest.fixture
def server(fake: FakeTelegram) -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(fake) as running:
        yield running
    assert not any(thread.name == "fake-bot-api" for thread in threading.enumerate())


@pytest.fixture(params=["http", "in-process"])
def new_bot(request: pytest.FixtureRequest, fake: FakeTelegram) -> BotFactory:
    """Builds a `Bot` talking to the fake through one of the two transports."""
    if request.param == "http":
        server: FakeBotApiServer = request.getfixturevalue("server")

        def over_http(token: str = TOKEN, read_timeout: float = 5.0) -> Bot:
            return Bot(
                token,
                base_url=server.base_url,
                base_file_url=server.base_file_url,
                request=HTTPXRequest(read_timeout=read_timeout),
            )

        return over_http

    def in_process(token: str = TOKEN, read_timeout: float = 5.0) -> Bot:
        return Bot(token, request=FakeTelegramRequest(fake, read_timeout=read_timeout))

    return in_process


@pytest.fixture
async def bot(new_bot: BotFactory) -> AsyncIterator[Bot]:
    async with new_bot() as started:
        yield started


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
