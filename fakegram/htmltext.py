"""Telegram's `parse_mode="HTML"`: validation and conversion to plain text plus entities."""

import html
import re
from dataclasses import dataclass, field
from typing import Any

_SPECIAL = re.compile(r"[<&]")
_TAG_NAME = re.compile(r"/?\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'", "nbsp": "\u00a0"}
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; the message mirrors Telegram's wording."""


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int
    attrs: dict[str, str]
    language: str | None = None


@dataclass(slots=True)
class _Parser:
    source: str
    parts: list[str] = field(default_factory=list)
    position: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, chunk: str) -> None:
        self.parts.append(chunk)
        self.position += utf16_len(chunk)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets and limits."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the visible text and its entities, or raise `HtmlError` like Telegram."""
    parser = _Parser(source)
    index = 0
    while (match := _SPECIAL.search(source, index)) is not None:
        parser.emit(source[index : match.start()])
        if match.group() == "&":
            index = _char_ref(parser, match.start())
        else:
            index = _tag(parser, match.start())
    parser.emit(source[index:])
    if parser.stack:
        name = parser.stack[-1].name
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{name}"')
    parser.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(parser.parts), parser.entities


def _char_ref(parser: _Parser, index: int) -> int:
    match = _CHAR_REF.match(parser.source, index)
    if match is None:
        offset = parser.byte_offset(index)
        raise HtmlError(f"Can't find end of the entity starting at byte offset {offset}")
    ref = match.group(1)
    if ref.startswith("#"):
        is_hex = ref[1:2] in ("x", "X")
        parser.emit(chr(int(ref[2:], 16) if is_hex else int(ref[1:])))
    elif ref in _NAMED_REFS:
        parser.emit(_NAMED_REFS[ref])
    else:
        offset = parser.byte_offset(index)
        raise HtmlError(f'Unsupported HTML entity "&{ref};" at byte offset {offset}')
    return match.end()


def _tag(parser: _Parser, index: int) -> int:
    end = parser.source.find(">", index)
    if end == -1:
        raise HtmlError(f"Unclosed start tag at byte offset {parser.byte_offset(index)}")
    body = parser.source[index + 1 : end]
    if body.startswith("/"):
        _close_tag(parser, body, index)
    else:
        _open_tag(parser, body, index)
    return end + 1


def _open_tag(parser: _Parser, body: str, index: int) -> None:
    match = _TAG_NAME.match(body)
    name = match.group(1).lower() if match else ""
    attrs = _attributes(body[match.end() :]) if match else {}
    if name not in _ENTITY_TYPES or (name == "span" and attrs.get("class") != "tg-spoiler"):
        offset = parser.byte_offset(index)
        raise HtmlError(f'Unsupported start tag "{name}" at byte offset {offset}')
    parser.stack.append(_OpenTag(name, parser.position, attrs))


def _close_tag(parser: _Parser, body: str, index: int) -> None:
    match = _TAG_NAME.match(body)
    name = match.group(1).lower() if match else ""
    offset = parser.byte_offset(index)
    if not parser.stack:
        raise HtmlError(f'Unexpected end tag "{name}" at byte offset {offset}')
    tag = parser.stack.pop()
    if tag.name != name:
        raise HtmlError(
            f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
            f'found "</{name}>"'
        )
    _add_entity(parser, tag)


def _add_entity(parser: _Parser, tag: _OpenTag) -> None:
    if tag.name == "code" and parser.stack and parser.stack[-1].name == "pre":
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            parser.stack[-1].language = language.removeprefix("language-")
        return
    length = parser.position - tag.start
    if length == 0 or (tag.name == "a" and "href" not in tag.attrs):
        return
    entity: dict[str, Any] = {"type": _ENTITY_TYPES[tag.name], "offset": tag.start}
    entity["length"] = length
    if tag.name == "a":
        entity["url"] = tag.attrs["href"]
    if tag.name == "pre" and tag.language:
        entity["language"] = tag.language
    if tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    if tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    parser.entities.append(entity)


def _attributes(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        value = next(group for group in match.groups()[1:] if group is not None)
        attrs[match.group(1).lower()] = html.unescape(value)
    for word in text.split():
        if "=" not in word and word.isalpha():
            attrs.setdefault(word.lower(), "")
    return attrs
