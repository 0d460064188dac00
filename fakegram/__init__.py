"""A fake Telegram Bot API for tests: python-telegram-bot talks to it over HTTP
(`FakeBotApiServer`) or in-process (`FakeTelegramRequest`)."""

from fakegram.content import buttons_of
from fakegram.core import FakeTelegram
from fakegram.models import FakeUser, RecordedCall, SentMessage, UploadedFile
from fakegram.request import FakeTelegramRequest
from fakegram.server import FakeBotApiServer

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
