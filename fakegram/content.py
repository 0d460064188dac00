"""Message content: text limits, Telegram HTML, reply markups, media JSON, id parsing."""

import json
import re
import time
import zlib
from collections.abc import Iterable
from typing import Any

from fakegram.htmltext import HtmlError, parse_html, utf16_len
from fakegram.models import UploadedFile, bad_request

Params = dict[str, Any]
JsonDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_INTEGER = re.compile(r"-?\d+")
_URL = re.compile(r"(https?|tg|ton)://\S+", re.IGNORECASE)
_BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "callback_game",
        "pay",
        "web_app",
        "copy_text",
    }
)
NOT_COPIED = frozenset(
    {
        "message_id",
        "from",
        "sender_chat",
        "chat",
        "date",
        "edit_date",
        "reply_to_message",
        "reply_markup",
        "forward_origin",
        "author_signature",
    }
)
MEDIA_EXTRAS: dict[str, JsonDict] = {
    "photo": {"width": 1280, "height": 960},
    "voice": {"duration": 1, "mime_type": "audio/ogg"},
    "video": {"width": 640, "height": 360, "duration": 1},
    "video_note": {"length": 240, "duration": 1},
    "audio": {"duration": 1},
    "animation": {"width": 320, "height": 240, "duration": 1},
    "sticker": {
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
    "document": {},
}


def buttons_of(markup: JsonDict | None) -> list[tuple[str, str]]:
    """Flatten a reply markup into `(text, action)` pairs."""
    if not markup:
        return []
    if "inline_keyboard" in markup:
        return [_inline_button(button) for row in markup["inline_keyboard"] for button in row]
    rows: Iterable[list[Any]] = markup.get("keyboard", [])
    labels = [
        button if isinstance(button, str) else button["text"] for row in rows for button in row
    ]
    return [(label, label) for label in labels]


def _inline_button(button: JsonDict) -> tuple[str, str]:
    action = button.get("callback_data", button.get("url", ""))
    return button["text"], str(action)


def require_button(message: JsonDict, callback_data: str) -> None:
    """Fail the test unless the message has an inline button with that callback_data."""
    pairs = buttons_of(message.get("reply_markup"))
    if not any(data == callback_data for _, data in pairs):
        raise AssertionError(
            f"message {message['message_id']} has no button with callback_data "
            f"{callback_data!r}; buttons: {pairs} (pass forged=True to send it anyway)"
        )


def user_text_content(text: str) -> JsonDict:
    """Text of a user message, with the `bot_command` entity Telegram adds for "/cmd"."""
    content: JsonDict = {"text": text}
    match = _COMMAND.match(text)
    if match is not None:
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": match.end()}]
    return content


def without_reply(message: JsonDict) -> JsonDict:
    """The message without its own `reply_to_message` (Telegram does not nest them)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def unix_now() -> int:
    """Telegram's `date`: Unix time in whole seconds."""
    return int(time.time())


def parse_chat_id(value: Any) -> int | None:
    """A numeric chat id from an int or a numeric string; None for "@name" or junk."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    return None


def parse_int(value: Any) -> int | None:
    """The int value, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def str_param(params: Params, name: str) -> str:
    """A parameter as a string ("" when missing)."""
    value = params.get(name)
    return "" if value is None else str(value)


def format_text(raw: str, parse_mode: Any, entities: Any) -> tuple[str, list[JsonDict]]:
    """Visible text and entities; HTML is parsed, other parse modes are kept verbatim."""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        try:
            return parse_html(raw)
        except HtmlError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    return raw, list(entities or [])


def format_caption(raw: str, params: Params) -> tuple[str, list[JsonDict]]:
    """Visible caption and entities, checking the caption length."""
    caption, entities = format_text(raw, params.get("parse_mode"), params.get("caption_entities"))
    if utf16_len(caption) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    return caption, entities


def check_text(text: str) -> None:
    """Telegram's checks for a message text (non-blank, at most 4096 UTF-16 units)."""
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")


def with_entities(content: JsonDict, key: str, entities: list[JsonDict]) -> JsonDict:
    """Add the entities under `key` when there are any."""
    if entities:
        content[key] = entities
    return content


def checked_markup(params: Params) -> JsonDict | None:
    """The `reply_markup` parameter, validated like Telegram does for inline keyboards."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            _check_inline_button(button)
    return markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not _BUTTON_ACTIONS.intersection(button):
        raise bad_request("text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not _URL.match(str(url)):
        raise bad_request(
            f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        )


def inline_markup(markup: JsonDict | None) -> JsonDict | None:
    """The markup if it is an inline keyboard (the only kind echoed in a Message)."""
    return markup if markup is not None and "inline_keyboard" in markup else None


def check_command(command: Any) -> None:
    """Validate one BotCommand of setMyCommands."""
    name = command.get("command", "") if isinstance(command, dict) else ""
    if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(str(command.get("description", ""))) <= 256:
        raise bad_request("command description must be 1-256 characters long")


DEFAULT_SCOPE_KEY = json.dumps({"type": "default"}) + "|"


def scope_key(params: Params) -> str:
    """Key of a command list: scope JSON and language code."""
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + str(params.get("language_code") or "")


def unique_file_id(file_id: str) -> str:
    """A stable `file_unique_id` for a file id."""
    return f"AgAD{zlib.crc32(file_id.encode()):08x}"


def media_json(
    kind: str, file_id: str, upload: UploadedFile | None, params: Params
) -> JsonDict | list[JsonDict]:
    """The media object of a sent message (a PhotoSize list for photos)."""
    media: JsonDict = {"file_id": file_id, "file_unique_id": unique_file_id(file_id)}
    media.update(MEDIA_EXTRAS[kind])
    for key in ("duration", "width", "height", "length"):
        if key in media and isinstance(params.get(key), int):
            media[key] = params[key]
    if upload is not None:
        media["file_size"] = len(upload.content)
        if kind == "document" and upload.filename:
            media["file_name"] = upload.filename
        if kind == "document" and upload.mime_type:
            media["mime_type"] = upload.mime_type
    return [media] if kind == "photo" else media


def file_id_of(content: JsonDict) -> str | None:
    """The file id of the media in a message, if any."""
    for kind in MEDIA_EXTRAS:
        media = content.get(kind)
        if isinstance(media, list) and media:
            media = media[-1]
        if isinstance(media, dict):
            return media.get("file_id")
    return None
