"""Choosing the pair's nudge for a day: fair, varied, and the same for both partners.

Rules (SPEC, Nudges): no repeat within a pair until every enabled nudge was used; no
category twice in a row, and categories rotate so none dominates a week; `plan` nudges
lean to Thursday-Saturday; nudges that need both in one place never go to a
long-distance pair. Deterministic given the history and the pair's seed.

When the enabled categories differ in size (a long-distance pair has fewer closeness
nudges), the rules can collide at the end of a cycle; then "no repeat" wins, and fuller
categories are preferred all along so that this happens as late and as rarely as possible.

"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from nudges.library import Category, Kind, Nudge

PLAN_DAYS = frozenset({3, 4, 5})  # Thursday, Friday, Saturday
ROTATION_WINDOW = 7


@dataclass(frozen=True)
class PastDay:
    """A nudge the pair already had, on its date."""

    day: date
    nudge_id: str
    category: Category


def eligible(
    library: Iterable[Nudge], *, categories: frozenset[Category], long_distance: bool
) -> list[Nudge]:
    """The nudges this pair can get at all."""
    return [
        nudge
        for nudge in library
        if nudge.category in categories and not (long_distance and nudge.needs_together)
    ]


def choose_nudge(
    *,
    candidates: Sequence[Nudge],
    history: Sequence[PastDay],
    day: date,
    seed: int,
) -> Nudge:
    """The nudge for `day`. `history` is the pair's earlier days, oldest first.

    `candidates` are the eligible nudges (see `eligible`); it must not be empty.
    """
    if not candidates:
        raise ValueError("no nudge is eligible")
    earlier = [past for past in history if past.day < day]
    uses = Counter(past.nudge_id for past in earlier)
    # Fewer nudges used than there are candidates: some candidate was never used.
    fewest = 0 if len(uses) < len(candidates) else min(uses[nudge.id] for nudge in candidates)
    yesterday = earlier[-1].category if earlier else None
    by_category = _by_category(candidates, uses, fewest)
    # Never a repeat before the cycle is used up, even if that means the same category
    # again (only when the last unused nudges are all in yesterday's category).
    categories = [c for c in by_category if c != yesterday] or list(by_category)

    recent = Counter(past.category for past in earlier[-ROTATION_WINDOW:])
    plan_day = day.weekday() in PLAN_DAYS

    def category_rank(category: Category) -> tuple[int, int, int, int]:
        has_plan = any(nudge.kind == Kind.PLAN for nudge in by_category[category])
        leaning = 0 if has_plan == plan_day else 1
        # Fuller categories first, so all of them run out together at the end of a cycle.
        remaining = -len(by_category[category])
        return (recent[category], leaning, remaining, _draw(seed, day, category))

    category = min(categories, key=category_rank)
    pool = by_category[category]
    preferred = [nudge for nudge in pool if (nudge.kind == Kind.PLAN) == plan_day] or pool
    return min(preferred, key=lambda nudge: _draw(seed, day, nudge.id))


def _by_category(
    candidates: Sequence[Nudge], uses: Counter[str], level: int
) -> dict[Category, list[Nudge]]:
    """The candidates used exactly `level` times so far, by category."""
    grouped: dict[Category, list[Nudge]] = {}
    used = uses.get  # not uses[...]: a Counter's __missing__ is slow, and this is hot
    for nudge in candidates:
        if used(nudge.id, 0) == level:
            grouped.setdefault(nudge.category, []).append(nudge)
    return grouped


def _draw(seed: int, day: date, salt: str) -> int:
    """A stable pseudo-random number for (seed, day, salt); not Python's salted hash()."""
    digest = hashlib.blake2b(f"{seed}:{day.isoformat()}:{salt}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")
