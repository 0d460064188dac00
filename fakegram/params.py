"""Decoding of Bot API request fields the way python-telegram-bot encodes them.

PTB sends `str` values raw and JSON-encodes everything else (ints, bools, lists, dicts; see
`telegram.request.RequestParameter.json_value`). So a field value is ambiguous on the wire:
`"123"` is the int 123 for `chat_id` but the string "123" for `text`. Fields the Bot API
documents as strings stay strings; the rest is JSON-decoded when it parses to a non-string.
"""

import json
from collections.abc import Iterable
from typing import Any

STRING_FIELDS: frozenset[str] = frozenset(
    {
        "action",
        "address",
        "animation",
        "audio",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "currency",
        "custom_title",
        "description",
        "document",
        "emoji",
        "error_message",
        "explanation",
        "explanation_parse_mode",
        "file_id",
        "first_name",
        "foursquare_id",
        "foursquare_type",
        "inline_message_id",
        "inline_query_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "payload",
        "phone_number",
        "photo",
        "pre_checkout_query_id",
        "provider_token",
        "query",
        "question",
        "question_parse_mode",
        "result_id",
        "secret_token",
        "shipping_query_id",
        "short_description",
        "start_parameter",
        "sticker",
        "text",
        "text_parse_mode",
        "thumbnail",
        "title",
        "url",
        "vcard",
        "video",
        "video_note",
        "voice",
    }
)


def decode_value(name: str, raw: str) -> Any:
    """Decode one form field value sent by PTB."""
    if name in STRING_FIELDS:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return raw if isinstance(value, str) else value


def decode_fields(fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decode `(name, raw value)` pairs into a params dict."""
    return {name: decode_value(name, raw) for name, raw in fields}
