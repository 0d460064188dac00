"""The languages Couplet speaks, and which one a person gets from Telegram's language code.

The list is fixed: a language is offered only when its UI catalog and its nudge library are
complete (tests/i18n/test_complete.py fails while anything is missing), so a person never
sees a half-translated bot or nudge.
"""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    EN = "en"
    RU = "ru"
    ES = "es"
    DE = "de"
    PT_BR = "pt_BR"


DEFAULT = Language.EN
TRANSLATED: tuple[Language, ...] = tuple(language for language in Language if language != DEFAULT)


def from_telegram(code: str | None) -> Language:
    """Telegram's `language_code` (an IETF tag: "de", "de-AT", "pt-BR") as a language:
    a regional code falls back to its language, anything unsupported to English."""
    if not code:
        return DEFAULT
    base = code.replace("_", "-").split("-", 1)[0].lower()
    if base == "pt":
        return Language.PT_BR
    try:
        language = Language(base)
    except ValueError:
        return DEFAULT
    return language


def stored(value: str | None) -> Language:
    """A stored language (users.language) as a language; anything unknown is English."""
    try:
        return Language(value) if value else DEFAULT
    except ValueError:
        return DEFAULT


def telegram_code(language: Language) -> str:
    """The two-letter code Telegram's setMyCommands takes for a language ("pt" for pt_BR)."""
    return language.value.split("_", 1)[0]
