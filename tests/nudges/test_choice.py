"""Choosing the day's nudge, told as years in the life of a pair.

Each simulation starts from an empty history and asks `choose_nudge` for every day in a
row, recording what came, as the bot does. Simulations are cached: several tests read the
same three years.
"""

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

import pytest

from nudges.choice import Living, PastDay, choose_nudge, eligible
from nudges.library import (
    MAIN_CATEGORIES,
    Category,
    Kind,
    Nudge,
    Tag,
    load_library,
    nudges_by_id,
)

SEED = 7
START = date(2026, 1, 1)
THREE_YEARS = 3 * 365 + 1
ALL_CATEGORIES = frozenset(MAIN_CATEGORIES)  # spark is opt-in, never a topic
CURIOSITY_AND_DREAMS = frozenset({Category.CURIOSITY, Category.DREAMS})
CLOSENESS_AND_CURIOSITY = frozenset({Category.CLOSENESS, Category.CURIOSITY})
THURSDAY_TO_SATURDAY = frozenset({3, 4, 5})  # Monday = 0


def candidates_for(categories: frozenset[Category], *, living: Living) -> list[Nudge]:
    return eligible(load_library(), categories=categories, living=living)


def live(
    candidates: Sequence[Nudge], *, days: int, seed: int, start: date = START
) -> list[PastDay]:
    """`days` consecutive days of nudges, each chosen from the history so far."""
    history: list[PastDay] = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        nudge = choose_nudge(candidates=candidates, history=history, day=day, seed=seed)
        history.append(PastDay(day, nudge.id, nudge.category))
    return history


def years(
    categories: frozenset[Category] = ALL_CATEGORIES,
    living: Living = Living.TOGETHER,
    seed: int = SEED,
    *,
    even: bool = False,
) -> tuple[PastDay, ...]:
    """Three years (or two whole cycles, if longer) of a pair's nudges (cached, whichever way the arguments are passed).

    `even`: from the same number of nudges in each category (the first of each, by id), for
    the rotation's own rules, which the library's category sizes would otherwise blur."""
    return _years(categories, living, seed, even)


@cache
def _years(
    categories: frozenset[Category], living: Living, seed: int, even: bool
) -> tuple[PastDay, ...]:
    candidates = candidates_for(categories, living=living)
    if even:
        candidates = evened(candidates)
    # At least two whole cycles, however large the library grows.
    days = max(THREE_YEARS, 2 * len(candidates) + 30)
    return tuple(live(candidates, days=days, seed=seed))


def evened(nudges: Sequence[Nudge]) -> list[Nudge]:
    """The first nudges of each category by id, as many of each as the smallest has."""
    by_category: dict[Category, list[Nudge]] = {}
    for nudge in sorted(nudges, key=lambda nudge: nudge.id):
        by_category.setdefault(nudge.category, []).append(nudge)
    size = min(len(group) for group in by_category.values())
    return [nudge for group in by_category.values() for nudge in group[:size]]


def repeated_categories(history: Sequence[PastDay]) -> list[tuple[date, Category]]:
    """The days whose category is the same as the day before's."""
    return [
        (today.day, today.category)
        for yesterday, today in pairwise(history)
        if today.category == yesterday.category
    ]


def first_repeat(nudge_ids: Sequence[str]) -> tuple[int, str] | None:
    """The first (day number, id) of a nudge already seen, to name it when a test fails."""
    seen: set[str] = set()
    for number, nudge_id in enumerate(nudge_ids):
        if nudge_id in seen:
            return number, nudge_id
        seen.add(nudge_id)
    return None


def most_of_one_category_in_a_week(history: Sequence[PastDay]) -> int:
    return max(
        max(Counter(past.category for past in history[start : start + 7]).values())
        for start in range(len(history) - 6)
    )


# --- No repeats until the library is used up ------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "living"),
    [
        pytest.param(ALL_CATEGORIES, Living.TOGETHER, id="every-category"),
        pytest.param(ALL_CATEGORIES, Living.LONG_DISTANCE, id="long-distance"),
        pytest.param(CURIOSITY_AND_DREAMS, Living.TOGETHER, id="curiosity-and-dreams"),
        # Unequal categories apart: 23 closeness nudges work apart, 52 curiosity ones.
        pytest.param(
            CLOSENESS_AND_CURIOSITY,
            Living.LONG_DISTANCE,
            id="long-distance-closeness-and-curiosity",
        ),
    ],
)
def test_no_nudge_repeats_until_every_eligible_nudge_has_been_used(
    categories: frozenset[Category], living: Living
) -> None:
    candidates = candidates_for(categories, living=living)
    everything = {nudge.id for nudge in candidates}
    size = len(everything)
    history = years(categories, living)
    assert len(history) >= 2 * size, "the simulation must cover two full cycles"

    first_cycle = [past.nudge_id for past in history[:size]]
    second_cycle = [past.nudge_id for past in history[size : 2 * size]]

    assert first_repeat(first_cycle) is None
    assert len(set(first_cycle)) == size
    assert set(first_cycle) == everything
    assert len(set(second_cycle)) == size
    assert set(second_cycle) == everything


# --- Category rotation -----------------------------------------------------------------------


def test_never_the_same_category_two_days_in_a_row() -> None:
    assert repeated_categories(years(even=True)) == []


def test_no_category_comes_twice_within_a_week() -> None:
    # The rotation picks a category absent from the last 7 days (the fewest recent uses
    # first). With 8 categories one is always absent from any 7 days, and as every category
    # holds 52 nudges they are drained in lockstep, so an absent one always has a fresh
    # nudge: every 8 consecutive days bring 8 different categories. The SPEC asks only that
    # no category dominates a week; the design gives at most once.
    assert most_of_one_category_in_a_week(years(even=True)) <= 1


def test_a_long_distance_pair_with_every_category_never_gets_a_category_twice_in_a_row() -> None:
    # Long distance leaves closeness (23) and together (35) smaller than the other six
    # categories (52 each). Those six can still be interleaved to the end of every cycle;
    # the smaller ones must not leave one category's leftovers to be served day after day.
    repeats = repeated_categories(years(ALL_CATEGORIES, Living.LONG_DISTANCE))

    assert repeats == [], "same category as the day before on " + ", ".join(
        f"{day} ({category})" for day, category in repeats
    )


def test_for_a_long_distance_pair_no_category_dominates_a_week() -> None:
    # With closeness and together smaller, the lockstep argument above does not hold;
    # the SPEC's bound (no category more than twice in any 7 days) still must.
    assert most_of_one_category_in_a_week(years(ALL_CATEGORIES, Living.LONG_DISTANCE)) <= 2


# --- Plan nudges lean to the end of the week -------------------------------------------------


def test_plan_nudges_lean_to_thursday_friday_and_saturday() -> None:
    library = nudges_by_id()
    plans: Counter[bool] = Counter()
    days: Counter[bool] = Counter()
    for past in years():
        late_week = past.day.weekday() in THURSDAY_TO_SATURDAY
        days[late_week] += 1
        plans[late_week] += library[past.nudge_id].kind == Kind.PLAN

    thursday_to_saturday = plans[True] / days[True]
    sunday_to_wednesday = plans[False] / days[False]

    assert thursday_to_saturday >= 2 * sunday_to_wednesday, (
        f"plan share Thu-Sat {thursday_to_saturday:.3f}, Sun-Wed {sunday_to_wednesday:.3f}"
    )


# --- Determinism and the pair's shared nudge -------------------------------------------------


def test_the_same_seed_and_history_give_the_same_sequence() -> None:
    candidates = candidates_for(ALL_CATEGORIES, living=Living.TOGETHER)

    first = live(candidates, days=30, seed=SEED)
    again = live(list(reversed(candidates)), days=30, seed=SEED)

    assert first == again
    assert first == list(years()[:30])


def test_a_different_seed_gives_a_different_sequence() -> None:
    candidates = candidates_for(ALL_CATEGORIES, living=Living.TOGETHER)

    ours = [past.nudge_id for past in years()[:30]]
    theirs = [past.nudge_id for past in live(candidates, days=30, seed=SEED + 1)]

    assert ours != theirs


@pytest.mark.parametrize("day_index", [0, 1, 100, 416, 700])
def test_both_partners_get_the_same_nudge_for_the_day(day_index: int) -> None:
    simulated = years()
    candidates = candidates_for(ALL_CATEGORIES, living=Living.TOGETHER)
    history = list(simulated[:day_index])
    day = simulated[day_index].day

    # Each partner's delivery chooses on its own, possibly hours apart.
    for_one = choose_nudge(candidates=candidates, history=history, day=day, seed=SEED)
    for_other = choose_nudge(candidates=candidates, history=tuple(history), day=day, seed=SEED)

    assert for_one == for_other
    assert for_one.id == simulated[day_index].nudge_id


@pytest.mark.parametrize("day_index", [10, 300, 900])
def test_history_dated_on_or_after_the_day_is_ignored(day_index: int) -> None:
    simulated = years()
    candidates = candidates_for(ALL_CATEGORIES, living=Living.TOGETHER)
    day = simulated[day_index].day

    # The first partner's delivery chose at the time; the second asks later, when the
    # pair's history already holds this day and the ones after it.
    later_history = list(simulated[: day_index + 30])
    chosen_later = choose_nudge(candidates=candidates, history=later_history, day=day, seed=SEED)

    assert chosen_later.id == simulated[day_index].nudge_id


# --- Long distance and reduced category sets -------------------------------------------------


def test_long_distance_excludes_every_nudge_that_needs_the_pair_together() -> None:
    library = load_library()
    candidates = candidates_for(ALL_CATEGORIES, living=Living.LONG_DISTANCE)

    assert set(candidates) == {
        nudge
        for nudge in library
        if not nudge.needs_together
        and Tag.SHARED_HOME not in nudge.tags
        and not nudge.retired
        and nudge.category in ALL_CATEGORIES
    }

    assert any(nudge.needs_together for nudge in library), "the test needs such nudges"


def test_a_long_distance_pair_is_never_sent_a_nudge_that_needs_them_together() -> None:
    library = nudges_by_id()
    sent_together_only = {
        past.nudge_id
        for past in years(ALL_CATEGORIES, Living.LONG_DISTANCE)
        if library[past.nudge_id].needs_together
    }

    assert sent_together_only == set()


def test_a_pair_at_home_does_get_nudges_that_need_them_together() -> None:
    library = nudges_by_id()

    assert any(library[past.nudge_id].needs_together for past in years())


def test_a_reduced_category_set_alternates_and_stays_inside_it() -> None:
    history = years(CURIOSITY_AND_DREAMS, even=True)

    assert {past.category for past in history} == CURIOSITY_AND_DREAMS
    assert repeated_categories(history) == []


def test_with_one_category_the_no_twice_in_a_row_rule_yields() -> None:
    candidates = candidates_for(frozenset({Category.CARE}), living=Living.TOGETHER)
    size = len(candidates)

    history = live(candidates, days=size + 10, seed=SEED)

    assert len(history) == size + 10
    assert {past.category for past in history} == {Category.CARE}
    assert len({past.nudge_id for past in history[:size]}) == size


def test_choosing_from_no_candidates_is_an_error() -> None:
    with pytest.raises(ValueError, match="no nudge is eligible"):
        choose_nudge(candidates=[], history=[], day=START, seed=SEED)
