"""The nudge library: data files in `nudges/library/<category>.toml`, loaded and checked."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from importlib import resources


class Category(StrEnum):
    APPRECIATION = "appreciation"
    CLOSENESS = "closeness"
    TOGETHER = "together"
    FEELINGS = "feelings"
    CURIOSITY = "curiosity"
    DREAMS = "dreams"
    MEMORIES = "memories"
    CARE = "care"
    SPARK = "spark"  # flirty, never explicit: only while both partners opted in


MAIN_CATEGORIES: tuple[Category, ...] = tuple(c for c in Category if c != Category.SPARK)


class Kind(StrEnum):
    QUESTION = "question"
    APPRECIATION = "appreciation"
    ACTION = "action"
    PLAN = "plan"
    CHOICE = "choice"  # this or that: each taps one of the options
    GUESS = "guess"  # love maps: each answers about themselves, then guesses the other


class Tag(StrEnum):
    NEEDS_TOGETHER = "needs-together"  # both in one place that day: never long-distance
    SHARED_HOME = "shared-home"  # assumes one home: only for a pair living together
    APART_ONLY = "apart-only"  # only makes sense apart: never for a pair living together
    WEEKEND = "weekend"


MIN_OPTIONS = 2
MAX_OPTIONS = 4
MAX_OPTION_LENGTH = 24  # characters: an option is a button


_ID = re.compile(r"^(?P<category>[a-z]+)-(?P<number>\d{3})$")


@dataclass(frozen=True)
class Nudge:
    id: str
    category: Category
    kind: Kind
    text: str
    tags: frozenset[Tag] = frozenset()
    options: tuple[str, ...] = ()  # choice: the buttons; guess: optional buttons
    guess: str | None = None  # guess: the question about the partner
    retired: bool = False  # merged away: never chosen again, still shown in history

    @property
    def needs_together(self) -> bool:
        return Tag.NEEDS_TOGETHER in self.tags


class LibraryError(ValueError):
    """A library file breaks a rule; the message names the file and the nudge."""


def parse_category(category: Category, text: str) -> list[Nudge]:
    """The nudges of one category file, checked for shape (ids, kinds, tags, text)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LibraryError(f"{category}.toml: {error}") from error
    nudges: list[Nudge] = []
    for entry in data.get("nudge", []):
        nudge_id = str(entry.get("id", ""))
        match = _ID.match(nudge_id)
        if match is None or match["category"] != category:
            raise LibraryError(f"{category}.toml: bad id {nudge_id!r}")
        try:
            nudges.append(_nudge(category, nudge_id, entry))
        except (KeyError, ValueError, TypeError) as error:
            raise LibraryError(f"{category}.toml: {nudge_id}: {error}") from error
    return nudges


_FIELDS = frozenset({"id", "kind", "text", "tags", "options", "guess", "retired"})


def _nudge(category: Category, nudge_id: str, entry: dict[str, object]) -> Nudge:
    """One entry, checked; a ValueError says what is wrong with it."""
    unknown = sorted(entry.keys() - _FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}")
    kind = Kind(entry["kind"])
    tags = frozenset(Tag(tag) for tag in _strings(entry.get("tags", []), "tags"))
    text = _tidy(entry.get("text", ""))
    if not text:
        raise ValueError("empty text")
    options = tuple(_tidy(option) for option in _strings(entry.get("options", []), "options"))
    guess = _tidy(entry["guess"]) if "guess" in entry else None
    retired = entry.get("retired", False)
    if not isinstance(retired, bool):
        raise ValueError("retired is true or false")
    if kind is Kind.CHOICE and not options:
        raise ValueError("a choice needs options")
    if kind not in (Kind.CHOICE, Kind.GUESS) and options:
        raise ValueError(f"a {kind} has no options")
    if options:
        _check_options(options)
    if kind is Kind.GUESS and not guess:
        raise ValueError("a guess needs its guess text")
    if kind is not Kind.GUESS and guess is not None:
        raise ValueError(f"a {kind} has no guess text")
    return Nudge(nudge_id, category, kind, text, tags, options, guess, retired)


def _check_options(options: tuple[str, ...]) -> None:
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValueError(f"{len(options)} options (from {MIN_OPTIONS} to {MAX_OPTIONS})")
    for option in options:
        if not option or len(option) > MAX_OPTION_LENGTH:
            raise ValueError(f"option {option!r} is empty or over {MAX_OPTION_LENGTH} characters")
    if len(set(options)) != len(options):
        raise ValueError("two options are the same")


def _strings(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{name} is a list of strings")
    return value


def _tidy(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    return " ".join(value.split())


@cache
def load_library() -> tuple[Nudge, ...]:
    """Every nudge of every category, in file order. Ids are unique across the library."""
    folder = resources.files("nudges").joinpath("library")
    nudges: list[Nudge] = []
    for category in Category:
        text = folder.joinpath(f"{category}.toml").read_text(encoding="utf-8")
        nudges.extend(parse_category(category, text))
    seen: set[str] = set()
    for nudge in nudges:
        if nudge.id in seen:
            raise LibraryError(f"duplicate id {nudge.id}")
        seen.add(nudge.id)
    return tuple(nudges)


@cache
def nudges_by_id() -> dict[str, Nudge]:
    """Every nudge by id, retired ones included (history and exports still show them)."""
    return {nudge.id: nudge for nudge in load_library()}


@cache
def active_library() -> tuple[Nudge, ...]:
    """The nudges that can still be chosen: all but the retired."""
    return tuple(nudge for nudge in load_library() if not nudge.retired)


def topics_from_text(text: str) -> frozenset[Category]:
    """A pair's stored topics ("care,dreams") as categories; unknown names are ignored."""
    known = {category.value: category for category in MAIN_CATEGORIES}
    return frozenset(known[name] for name in text.split(",") if name in known)


def topics_to_text(topics: frozenset[Category]) -> str:
    return ",".join(c.value for c in MAIN_CATEGORIES if c in topics)


def enabled_categories(
    topics: frozenset[Category], *, both_want_spark: bool
) -> frozenset[Category]:
    """The categories a pair's nudges come from: its topics, plus spark while both opted in."""
    return topics | {Category.SPARK} if both_want_spark else topics


# --- other languages: overlays with the same ids ----------------------------------------
#
# `nudges/library/<language>/<category>.toml` holds, for every id of the English file
# (retired ones included), the nudge's `text`, and its `options` and `guess` where English
# has them; kind, tags and retired come from English. A language's library is used only
# when it is complete (`translated` raises LibraryError otherwise): a nudge is never shown
# half-translated.

_OVERLAY_FIELDS = frozenset({"id", "text", "options", "guess"})


def parse_overlay(
    language: str, category: Category, text: str, english: Mapping[str, Nudge]
) -> list[Nudge]:
    """One translated category file over the English nudges of that category: the same ids,
    every one of them, the same number of options, a guess text where English has one."""
    where = f"{language}/{category}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LibraryError(f"{where}: {error}") from error
    originals = {n.id: n for n in english.values() if n.category == category}
    nudges: dict[str, Nudge] = {}
    for entry in data.get("nudge", []):
        nudge_id = str(entry.get("id", ""))
        original = originals.get(nudge_id)
        if original is None:
            raise LibraryError(f"{where}: {nudge_id!r} is not an id of the English library")
        if nudge_id in nudges:
            raise LibraryError(f"{where}: {nudge_id} appears twice")
        try:
            nudges[nudge_id] = _overlaid(original, entry)
        except (KeyError, ValueError, TypeError) as error:
            raise LibraryError(f"{where}: {nudge_id}: {error}") from error
    missing = [nudge_id for nudge_id in originals if nudge_id not in nudges]
    if missing:
        raise LibraryError(f"{where}: missing {', '.join(missing)}")
    return [nudges[nudge_id] for nudge_id in originals]


def _overlaid(original: Nudge, entry: dict[str, object]) -> Nudge:
    unknown = sorted(entry.keys() - _OVERLAY_FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r} (kind, tags and retired come from English)")
    text = _tidy(entry.get("text", ""))
    if not text:
        raise ValueError("empty text")
    options = tuple(_tidy(option) for option in _strings(entry.get("options", []), "options"))
    if len(options) != len(original.options):
        raise ValueError(f"{len(options)} options where English has {len(original.options)}")
    if options:
        _check_options(options)
    guess = _tidy(entry["guess"]) if "guess" in entry else None
    if (guess is None) != (original.guess is None) or guess == "":
        raise ValueError("a guess text exactly where English has one")
    return replace(original, text=text, options=options, guess=guess)


@cache
def translated(language: str) -> dict[str, Nudge]:
    """Every nudge by id in `language` (English: the library itself). Raises LibraryError
    when the language's library is missing a file or breaks a rule."""
    english = nudges_by_id()
    if language == "en":
        return english
    folder = resources.files("nudges").joinpath("library", language)
    nudges: dict[str, Nudge] = {}
    for category in Category:
        source = folder.joinpath(f"{category}.toml")
        if not source.is_file():
            raise LibraryError(f"{language}/{category}.toml is missing")
        text = source.read_text(encoding="utf-8")
        nudges.update((n.id, n) for n in parse_overlay(language, category, text, english))
    return nudges


def in_language(nudge: Nudge, language: str) -> Nudge:
    """The nudge in `language` (same id, kind, tags; its text, options and guess translated),
    or as it is where that language's library is not complete."""
    try:
        return translated(language)[nudge.id]
    except LibraryError:
        return nudge
