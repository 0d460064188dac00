"""A picture of the pair's weeks: what each day was, for one viewer, over the last eight weeks.

Pure: the facts come in (the days' answers, the pauses, the counts, the note), the grid and
the marks go out. Drawing it is the bot's business (bot/picture.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEKS = 8
_SPACE_BEFORE_MARK = re.compile(r" ([,.;:!?…)”»])")  # left by a dropped emoji: "soup 🍲, and"


class DayMark(StrEnum):
    """What one day was for the pair, as the viewer may know it."""

    BOTH = "both"  # you both answered
    ONE = "one"  # one of you answered
    QUIET = "quiet"  # a nudge came, nobody answered (never a reproach: just a quiet day)
    PAUSED = "paused"  # no nudge: the pair had paused
    NONE = "none"  # no nudge (not paired yet, a day off, nothing sent)


@dataclass(frozen=True)
class DayAnswers:
    """One local date of the pair: whether a nudge reached either of them, who answered."""

    reached: bool = False
    answered: int = 0  # how many of the two answered (0, 1 or 2)


@dataclass(frozen=True)
class Counts:
    """Counts that only grow, since pairing."""

    both_showed_up: int = 0
    notes: int = 0
    plans: int = 0


@dataclass(frozen=True)
class RecapFacts:
    """Everything one viewer's picture shows, and nothing else."""

    today: date
    marks: Mapping[date, DayMark] = field(default_factory=dict)
    counts: Counts = Counts()
    note: str | None = None  # the latest appreciation note the viewer received, in the window
    note_from: str | None = None  # who wrote it (the partner's first name)


@dataclass(frozen=True)
class Cell:
    day: date
    mark: DayMark


def window(today: date) -> tuple[date, date]:
    """The first and last day shown: Monday seven weeks before this week's, through today."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=WEEKS - 1), today


def grid(today: date, marks: Mapping[date, DayMark]) -> list[list[Cell | None]]:
    """Eight weeks as rows, Monday to Sunday, oldest first; days after today are None."""
    first, _ = window(today)
    rows: list[list[Cell | None]] = []
    for week in range(WEEKS):
        row: list[Cell | None] = []
        for weekday in range(7):
            day = first + timedelta(days=week * 7 + weekday)
            row.append(None if day > today else Cell(day, marks.get(day, DayMark.NONE)))
        rows.append(row)
    return rows


def mark_days(
    *,
    today: date,
    days: Mapping[date, DayAnswers],
    pauses: Iterable[tuple[datetime, datetime]],
    tz: ZoneInfo,
) -> dict[date, DayMark]:
    """The mark of every day in the window.

    A day a nudge reached either partner is marked by how many answered. A day none did is
    `PAUSED` if a pause (start, end: aware instants) covered any of it in the viewer's zone,
    else `NONE`.
    """
    first, last = window(today)
    spans = list(pauses)
    marks: dict[date, DayMark] = {}
    day = first
    while day <= last:
        facts = days.get(day)
        if facts is not None and facts.answered >= 2:
            marks[day] = DayMark.BOTH
        elif facts is not None and facts.answered == 1:
            marks[day] = DayMark.ONE
        elif facts is not None and facts.reached:
            marks[day] = DayMark.QUIET
        elif _covered(day, spans, tz):
            marks[day] = DayMark.PAUSED
        else:
            marks[day] = DayMark.NONE
        day += timedelta(days=1)
    return marks


def _covered(day: date, spans: list[tuple[datetime, datetime]], tz: ZoneInfo) -> bool:
    starts = datetime.combine(day, time(0), tzinfo=tz)
    ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return any(start < ends and end > starts for start, end in spans)


def drawable(text: str, has_glyph: Callable[[str], bool]) -> str:
    """`text` with only what the font can draw (emoji and other missing glyphs dropped),
    white space (line breaks too) collapsed to single spaces."""
    kept = "".join(
        char for char in text if char.isspace() or (char.isprintable() and has_glyph(char))
    )
    return _SPACE_BEFORE_MARK.sub(r"\1", " ".join(kept.split()))


def ellipsised(text: str, fits: Callable[[str], bool]) -> str:
    """The longest start of `text` that fits, cut at a word where it can, ending in "…";
    `text` itself if it fits. Empty if not even "…" fits."""
    if fits(text):
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose ellipsised form fits
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + "…"):
            low = middle
        else:
            high = middle - 1
    if low == 0:
        return "…" if fits("…") else ""
    cut = text[:low]
    space = cut.rfind(" ")
    if space > low // 2:  # end at a word, unless that throws away more than half
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def wrapped(text: str, fits: Callable[[str], bool], lines: int) -> list[str]:
    """`text` in at most `lines` lines that each fit, greedily by words; the last one
    ellipsised when the text is longer (a word longer than a line is cut)."""
    words = text.split()
    out: list[str] = []
    while words and len(out) < lines:
        if len(out) == lines - 1:
            out.append(ellipsised(" ".join(words), fits))
            break
        line = words.pop(0)
        if not fits(line):
            out.append(ellipsised(line + " " + " ".join(words), fits))
            break
        while words and fits(f"{line} {words[0]}"):
            line = f"{line} {words.pop(0)}"
        out.append(line)
    return [line for line in out if line]
