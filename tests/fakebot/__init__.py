"""A fake Telegram Bot API for tests: python-telegram-bot talks to it over HTTP
(`FakeBotApiServer`) or in-process (`FakeTelegramRequest`)."""

from tests.fakebot.content import buttons_of
from tests.fakebot.core import FakeTelegram
from tests.fakebot.models import FakeUser, RecordedCall, SentMessage, UploadedFile
from tests.fakebot.request import FakeTelegramRequest
from tests.fakebot.server import FakeBotApiServer

__all__ = [
    "FakeBotApiServer",
    "FakeTelegram",
    "FakeTelegramRequest",
    "FakeUser",
    "RecordedCall",
    "SentMessage",
    "UploadedFile",
    "buttons_of",
]
