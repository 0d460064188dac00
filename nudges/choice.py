"""Choosing the pair's nudge for a day: fair, varied, and the same for both partners.

Rules (SPEC, Nudges): no repeat within a pair until every enabled nudge was used; no
category twice in a row, and categories rotate so none dominates a week; `plan` nudges
lean to Thursday-Saturday; where the pair lives decides which tagged nudges fit (see
`fits`); retired nudges are never chosen. Deterministic given the history and the pair's
seed.

Categories are drained in step with their sizes, so that unequal ones (80 feelings
nudges, 60 spark, fewer closeness ones for a long-distance pair) run out together at the
end of a cycle. Each day brings the category furthest behind: the one whose share of its
nudges had in this cycle would be smallest after one more, (used + 1) / size. A category of
80 thus comes twice as often as one of 40, evenly through the cycle; and every category's
last nudge ranks 1, so a cycle ends with one nudge of each, not with a run of the largest
one's leftovers. Two rules come before that:
- never yesterday's category, unless every nudge left in the cycle is in it ("no repeat"
  wins; tested to happen only when one category is more than half the nudges, as with
  two topics of unequal size);
- at most twice in any ROTATION_WINDOW days; a category that is more than 2/7 of the
  pair's nudges (with fewer than four categories, some always is) must come more often
  some weeks, and then at most as often as its share demands, ceil(7 * share).
Categories equally far behind: the least seen in the last days first, then plans on plan
days, then a draw.

"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from nudges.library import Category, Kind, Nudge, Tag

PLAN_DAYS = frozenset({3, 4, 5})  # Thursday, Friday, Saturday
ROTATION_WINDOW = 7  # days
MOST_IN_A_WINDOW = 2  # times a category comes in ROTATION_WINDOW days, when it can


@dataclass(frozen=True)
class PastDay:
    """A nudge the pair already had, on its date."""

    day: date
    nudge_id: str
    category: Category


class Living(StrEnum):
    """Where a pair lives (a pair setting, asked once after pairing)."""

    TOGETHER = "together"  # one home
    NEARBY = "nearby"  # apart, but close enough to meet on a given day
    LONG_DISTANCE = "long-distance"


def fits(nudge: Nudge, living: Living | None) -> bool:
    """Whether a nudge's tags suit a pair living so (None: not told yet, so nothing that
    assumes one home, two homes or one place that day)."""
    if Tag.NEEDS_TOGETHER in nudge.tags and living in (Living.LONG_DISTANCE, None):
        return False
    if Tag.SHARED_HOME in nudge.tags and living != Living.TOGETHER:
        return False
    return not (Tag.APART_ONLY in nudge.tags and living in (Living.TOGETHER, None))


def eligible(
    library: Iterable[Nudge], *, categories: frozenset[Category], living: Living | None
) -> list[Nudge]:
    """The nudges this pair can get at all: in its categories, fitting where it lives, and
    not retired."""
    return [
        nudge
        for nudge in library
        if nudge.category in categories and not nudge.retired and fits(nudge, living)
    ]


class Candidates:
    """Eligible nudges grouped by category once, for the many choices made from them (a
    wave chooses for every pair; the grouping would otherwise be redone each time)."""

    def __init__(self, nudges: Iterable[Nudge]) -> None:
        self.nudges = tuple(nudges)
        groups: dict[Category, list[Nudge]] = {}
        # In id order, so that what is chosen never depends on the order they came in.
        for nudge in sorted(self.nudges, key=lambda nudge: nudge.id):
            groups.setdefault(nudge.category, []).append(nudge)
        self.by_category: dict[Category, list[Nudge]] = groups
        self.with_plans = frozenset(
            category
            for category, group in groups.items()
            if any(nudge.kind is Kind.PLAN for nudge in group)
        )
        # How often each category may come in ROTATION_WINDOW days: MOST_IN_A_WINDOW, or
        # as often as its share of the nudges demands when that is more.
        self.most_in_a_window = {
            category: max(
                MOST_IN_A_WINDOW, math.ceil(ROTATION_WINDOW * len(group) / len(self.nudges))
            )
            for category, group in groups.items()
        }
        # While nothing is used yet (every new pair, every cycle's start): each pool's
        # preferred nudges on plan days and on the others.
        self.preferred: dict[tuple[Category, bool], list[Nudge]] = {
            (category, plan_day): _preferred(group, plan_day)
            for category, group in groups.items()
            for plan_day in (False, True)
        }

    def __len__(self) -> int:
        return len(self.nudges)


def choose_nudge(
    *,
    candidates: Sequence[Nudge] | Candidates,
    history: Sequence[PastDay],
    day: date,
    seed: int,
) -> Nudge:
    """The nudge for `day`. `history` is the pair's earlier days, oldest first.

    `candidates` are the eligible nudges (see `eligible`), grouped or not; it must not be
    empty.
    """
    if not candidates:
        raise ValueError("no nudge is eligible")
    if not isinstance(candidates, Candidates):
        candidates = Candidates(candidates)
    earlier = [past for past in history if past.day < day]
    uses = Counter(past.nudge_id for past in earlier)
    # Fewer nudges used than there are candidates: some candidate was never used.
    fewest = (
        0 if len(uses) < len(candidates) else min(uses[nudge.id] for nudge in candidates.nudges)
    )
    yesterday = earlier[-1].category if earlier else None
    by_category, with_plans = _by_category(candidates, uses, fewest)
    # Never a repeat before the cycle is used up, even if that means the same category
    # again (only when the last unused nudges are all in yesterday's category).
    categories = [c for c in by_category if c != yesterday] or list(by_category)

    # With today, the last ROTATION_WINDOW days.
    recent = Counter(past.category for past in earlier[-(ROTATION_WINDOW - 1) :])
    plan_day = day.weekday() in PLAN_DAYS
    draw = _drawing(seed, day)

    def category_rank(category: Category) -> tuple[bool, float, int, int]:
        crowded = recent[category] >= candidates.most_in_a_window[category]
        size = len(candidates.by_category[category])
        used = size - len(by_category[category])  # in this cycle
        behind = (used + 1) / size  # int / int rounds correctly: equal fractions tie
        leaning = 0 if (category in with_plans) == plan_day else 1
        return (crowded, behind, recent[category], leaning)

    # The best rank; a draw settles ties (only they need one: a draw is a hash).
    ranks = [category_rank(category) for category in categories]
    best = min(ranks)
    tied = [category for category, rank in zip(categories, ranks, strict=True) if rank == best]
    category = tied[0] if len(tied) == 1 else min(tied, key=draw)
    pool = by_category[category]
    if pool is candidates.by_category.get(category):
        preferred = candidates.preferred[(category, plan_day)]
    else:
        preferred = _preferred(pool, plan_day)
    # One draw picks among them: a draw per nudge would cost a hash each, for every pair.
    return preferred[int.from_bytes(draw(":pick"), "big") % len(preferred)]


def _preferred(pool: list[Nudge], plan_day: bool) -> list[Nudge]:
    """Plans on plan days, the others on the other days (the whole pool when it has none)."""
    return [nudge for nudge in pool if (nudge.kind is Kind.PLAN) == plan_day] or pool


def _by_category(
    candidates: Candidates, uses: Counter[str], level: int
) -> tuple[dict[Category, list[Nudge]], frozenset[Category]]:
    """The candidates used exactly `level` times so far, by category; and the categories
    among them that hold a plan."""
    if not uses:  # nothing used yet: every candidate is at level 0
        return candidates.by_category, candidates.with_plans
    used = uses.get  # not uses[...]: a Counter's __missing__ is slow, and this is hot
    grouped: dict[Category, list[Nudge]] = {}
    for category, group in candidates.by_category.items():
        at_level = [nudge for nudge in group if used(nudge.id, 0) == level]
        if at_level:
            grouped[category] = at_level
    with_plans = frozenset(
        category
        for category in grouped.keys() & candidates.with_plans
        if any(nudge.kind is Kind.PLAN for nudge in grouped[category])
    )
    return grouped, with_plans


def _drawing(seed: int, day: date) -> Callable[[str], bytes]:
    """Stable pseudo-random draws for (seed, day, salt); not Python's salted hash().

    Each draw is the 8-byte BLAKE2b digest of "seed:day:salt"; compared as bytes, digests
    of one length order exactly as the big-endian numbers they spell."""
    prefix = f"{seed}:{day.isoformat()}:".encode()
    blake2b = hashlib.blake2b

    def draw(salt: str) -> bytes:
        return blake2b(prefix + salt.encode(), digest_size=8).digest()

    return draw
