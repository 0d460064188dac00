"""A message's text and entities as safe HTML, the way a Telegram app shows them.

Built from the fake's parsed `entities`, never from what the bot sent: every character of
text is escaped, only a fixed set of tags comes out, and a link keeps only a web or t.me
address. An answer like `<img src=x onerror=...>` shows as those characters."""

from __future__ import annotations

import html
import itertools
import re
from typing import Any

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
}
_SAFE_URL = re.compile(r"(https?://|tg://)[^\s\"'<>`]+", re.IGNORECASE)
_PLAIN_URL = re.compile(r"https?://[^\s\"'<>`]+[^\s\"'<>`.,;:!?)]", re.IGNORECASE)


def link(url: str, text_html: str) -> str:
    """An `<a>` for a safe address (the page opens t.me links inside the playground)."""
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{text_html}</a>"
    )


def message_html(text: str, entities: list[dict[str, Any]] | None = None) -> str:
    """`text` with its Telegram entities (UTF-16 offsets) as HTML; newlines kept as they are
    (the page shows text with `white-space: pre-wrap`)."""
    units = text.encode("utf-16-le")
    size = len(units) // 2
    spans = [
        entity
        for entity in entities or []
        if _opening(entity) is not None
        and isinstance(entity.get("offset"), int)
        and isinstance(entity.get("length"), int)
        and entity["length"] > 0
        and 0 <= entity["offset"] < size
    ]
    spans.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    cuts = sorted(
        {0, size}
        | {entity["offset"] for entity in spans}
        | {min(entity["offset"] + entity["length"], size) for entity in spans}
    )
    out: list[str] = []
    stack: list[dict[str, Any]] = []
    for start, end in itertools.pairwise(cuts):
        # Close what ends here (and what was opened inside it, to be reopened).
        if any(_end(entity, size) <= start for entity in stack):
            reopen: list[dict[str, Any]] = []
            while any(_end(entity, size) <= start for entity in stack):
                entity = stack.pop()
                out.append(_closing(entity))
                if _end(entity, size) > start:
                    reopen.append(entity)
            for entity in reversed(reopen):
                out.append(_opening(entity) or "")
                stack.append(entity)
        for entity in spans:
            if entity["offset"] == start:
                out.append(_opening(entity) or "")
                stack.append(entity)
        chunk = units[start * 2 : end * 2].decode("utf-16-le", errors="replace")
        in_link = any(entity["type"] == "text_link" for entity in stack)
        out.append(html.escape(chunk, quote=True) if in_link else _linkified(chunk))
    out.extend(_closing(entity) for entity in reversed(stack))
    return "".join(out)


def _end(entity: dict[str, Any], size: int) -> int:
    return min(entity["offset"] + entity["length"], size)


def _opening(entity: dict[str, Any]) -> str | None:
    kind = entity.get("type")
    if kind == "text_link":
        url = str(entity.get("url", ""))
        if not _SAFE_URL.fullmatch(url):
            return None
        return (
            f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
        )
    tags = _TAGS.get(str(kind))
    return tags[0] if tags else None


def _closing(entity: dict[str, Any]) -> str:
    if entity["type"] == "text_link":
        return "</a>"
    return _TAGS[entity["type"]][1]


def _linkified(text: str) -> str:
    """Escaped text with its plain web addresses made links, as Telegram apps do."""
    out: list[str] = []
    position = 0
    for match in _PLAIN_URL.finditer(text):
        out.append(html.escape(text[position : match.start()], quote=True))
        out.append(link(match.group(), html.escape(match.group(), quote=True)))
        position = match.end()
    out.append(html.escape(text[position:], quote=True))
    return "".join(out)
