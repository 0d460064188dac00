"""Plain data types of the fake Telegram Bot API."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FakeUser:
    """A Telegram user talking to the bot; their private chat id equals their user id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        """Telegram `User` JSON."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        _put_optional(data, last_name=self.last_name, username=self.username)
        _put_optional(data, language_code=self.language_code)
        return data

    def private_chat(self) -> dict[str, Any]:
        """Telegram `Chat` JSON of the private chat with this user."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        _put_optional(data, last_name=self.last_name, username=self.username)
        return data


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One Bot API call as the fake received and answered it."""

    method: str
    params: dict[str, Any]
    chat_id: int | None
    at: float
    status: int = 200
    description: str | None = None


@dataclass(slots=True)
class SentMessage:
    """A message the bot has in a chat, as it currently is (after edits).

    `text` is the visible text (HTML tags already turned into `entities`), or the caption of
    media messages; `raw_text` is what the bot passed before parsing.
    """

    message_id: int
    chat_id: int
    kind: str
    text: str
    reply_markup: dict[str, Any] | None = None
    edits: int = 0
    parse_mode: str | None = None
    raw_text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    file_id: str | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    mime_type: str | None = None
    copied_from: tuple[int, int] | None = None
    message: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request (e.g. the `document` of sendDocument)."""

    filename: str | None
    content: bytes
    mime_type: str | None = None


@dataclass(frozen=True, slots=True)
class FakeResponse:
    """What the fake answers to one call: HTTP status, JSON body, delay before answering."""

    status: int
    body: dict[str, Any]
    delay: float = 0.0


class ApiError(Exception):
    """A Bot API error answer (`{"ok": false, ...}`)."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """Telegram's error body."""
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad_request(reason: str) -> ApiError:
    """A 400 error with Telegram's `Bad Request: ` prefix."""
    return ApiError(400, f"Bad Request: {reason}")


def _put_optional(data: dict[str, Any], **values: Any) -> None:
    for key, value in values.items():
        if value is not None:
            data[key] = value
