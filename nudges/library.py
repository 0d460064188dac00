"""The nudge library: data files in `nudges/library/<category>.toml`, loaded and checked."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
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


class Tag(StrEnum):
    NEEDS_TOGETHER = "needs-together"
    WEEKEND = "weekend"
    LONG_DISTANCE_OK = "long-distance-ok"


_ID = re.compile(r"^(?P<category>[a-z]+)-(?P<number>\d{3})$")


@dataclass(frozen=True)
class Nudge:
    id: str
    category: Category
    kind: Kind
    text: str
    tags: frozenset[Tag] = frozenset()

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
            kind = Kind(entry["kind"])
            tags = frozenset(Tag(tag) for tag in entry.get("tags", []))
        except (KeyError, ValueError) as error:
            raise LibraryError(f"{category}.toml: {nudge_id}: {error}") from error
        text_value = " ".join(str(entry.get("text", "")).split())
        if not text_value:
            raise LibraryError(f"{category}.toml: {nudge_id}: empty text")
        nudges.append(Nudge(nudge_id, category, kind, text_value, tags))
    return nudges


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
    return {nudge.id: nudge for nudge in load_library()}


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
