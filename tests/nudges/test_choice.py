"""Choosing the day's nudge, told as years in the life of a pair.

Each simulation starts from an empty history and asks `choose_nudge` for every day in a
row, recording what came, as the bot does. Simulations are cached: several tests read the
same three years. The rotation's rules are checked on the real library, whose categories
differ in size, and on made-up libraries skewed on purpose, over two whole cycles each.
"""

import math
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
WITH_SPARK = frozenset(Category)  # both partners opted in
# Four topics, the fewest for which the weekly bound is asked; apart, closeness and together
# shrink, and curiosity can be more than 2/7 of what is left.
FOUR_TOPICS = frozenset({Category.CLOSENESS, Category.TOGETHER, Category.CURIOSITY, Category.CARE})
THURSDAY_TO_SATURDAY = frozenset({3, 4, 5})  # Monday = 0
LIVING = {
    "together": Living.TOGETHER,
    "nearby": Living.NEARBY,
    "long-distance": Living.LONG_DISTANCE,
    "not-told-yet": None,
}


def candidates_for(categories: frozenset[Category], *, living: Living | None) -> list[Nudge]:
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
) -> tuple[PastDay, ...]:
    """Three years of a pair's nudges (cached, whichever way the arguments are passed)."""
    return _years(categories, living, seed)


@cache
def _years(categories: frozenset[Category], living: Living, seed: int) -> tuple[PastDay, ...]:
    return tuple(live(candidates_for(categories, living=living), days=THREE_YEARS, seed=seed))


@cache
def two_cycles(candidates: tuple[Nudge, ...]) -> tuple[PastDay, ...]:
    """Two whole cycles of a pair's nudges: twice as many days as there are candidates."""
    return tuple(live(candidates, days=2 * len(candidates), seed=SEED))


def made_up(sizes: dict[Category, int]) -> tuple[Nudge, ...]:
    """A library with this many nudges in each category (questions, and in `together`
    every fourth a plan, as the real one leans plans there)."""
    return tuple(
        Nudge(
            f"{category}-{number:03d}",
            category,
            Kind.PLAN if category is Category.TOGETHER and number % 4 == 0 else Kind.QUESTION,
            f"Made-up nudge {number} about {category}.",
        )
        for category, size in sizes.items()
        for number in range(1, size + 1)
    )


def main_categories(size: int, **sizes: int) -> dict[Category, int]:
    """`size` nudges in every main category, but the ones named in `sizes`."""
    return {category: sizes.get(category.value, size) for category in MAIN_CATEGORIES}


# Candidates for the rotation's rules: the real library's for each way of living, with
# every main category, with spark too, and with four topics; then made-up skewed ones.
ROTATION_CASES = [
    *(
        pytest.param(tuple(candidates_for(categories, living=living)), id=f"{name}-{living_id}")
        for name, categories in (
            ("main", ALL_CATEGORIES),
            ("with-spark", WITH_SPARK),
            ("four-topics", FOUR_TOPICS),
        )
        for living_id, living in LIVING.items()
    ),
    pytest.param(made_up(main_categories(60, appreciation=90, closeness=30)), id="one-3x-another"),
    pytest.param(
        made_up(
            {Category.CURIOSITY: 30, Category.CARE: 10, Category.DREAMS: 10, Category.TOGETHER: 10}
        ),
        id="one-3x-each-of-three-others",
    ),
    pytest.param(made_up(main_categories(60, memories=2)), id="a-category-of-two"),
    pytest.param(
        made_up(
            {
                Category.MEMORIES: 2,
                Category.CARE: 10,
                Category.DREAMS: 10,
                Category.FEELINGS: 10,
                Category.TOGETHER: 10,
            }
        ),
        id="a-category-of-two-among-five",
    ),
]


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
    return max(most_in_a_week(history).values())


def most_in_a_week(history: Sequence[PastDay]) -> dict[Category, int]:
    """For each category, the most times it came in any 7 days running."""
    most: Counter[Category] = Counter()
    for start in range(len(history) - 6):
        most |= Counter(past.category for past in history[start : start + 7])
    return dict(most)


def shares(candidates: Sequence[Nudge]) -> dict[Category, float]:
    """Each category's share of the candidates: of a cycle's days, the share it must fill."""
    return {
        category: count / len(candidates)
        for category, count in Counter(nudge.category for nudge in candidates).items()
    }


def cycles(history: Sequence[PastDay], size: int) -> list[Sequence[PastDay]]:
    return [history[start : start + size] for start in range(0, len(history), size)]


def same_category_as_yesterday(
    history: Sequence[PastDay], candidates: Sequence[Nudge]
) -> tuple[int, list[tuple[date, Category]]]:
    """The days that brought yesterday's category again: how many the one exception
    allows (every nudge left unused in the cycle is in that category), and the others."""
    category_of = {nudge.id: nudge.category for nudge in candidates}
    left = set(category_of) - {history[0].nudge_id}
    allowed = 0
    others: list[tuple[date, Category]] = []
    for yesterday, today in pairwise(history):
        if not left:  # a new cycle
            left = set(category_of)
        if today.category == yesterday.category:
            if {category_of[nudge_id] for nudge_id in left} == {today.category}:
                allowed += 1
            else:
                others.append((today.day, today.category))
        left.discard(today.nudge_id)
    return allowed, others


# --- No repeats until the library is used up ------------------------------------------------


@pytest.mark.parametrize(
    ("categories", "living"),
    [
        pytest.param(ALL_CATEGORIES, Living.TOGETHER, id="every-category"),
        pytest.param(ALL_CATEGORIES, Living.LONG_DISTANCE, id="long-distance"),
        pytest.param(CURIOSITY_AND_DREAMS, Living.TOGETHER, id="curiosity-and-dreams"),
        # Unequal categories apart: far fewer closeness nudges work apart than curiosity ones.
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
    history = two_cycles(tuple(candidates))

    first_cycle = [past.nudge_id for past in history[:size]]
    second_cycle = [past.nudge_id for past in history[size : 2 * size]]

    assert first_repeat(first_cycle) is None
    assert len(set(first_cycle)) == size
    assert set(first_cycle) == everything
    assert len(set(second_cycle)) == size
    assert set(second_cycle) == everything


# --- Category rotation -----------------------------------------------------------------------
# Over two whole cycles of the real library (whose categories differ in size) for each way
# of living and a topics subset, and of made-up libraries skewed on purpose.


@pytest.mark.parametrize("candidates", ROTATION_CASES)
def test_no_nudge_repeats_within_a_cycle(candidates: tuple[Nudge, ...]) -> None:
    everything = {nudge.id for nudge in candidates}

    for cycle in cycles(two_cycles(candidates), len(candidates)):
        assert first_repeat([past.nudge_id for past in cycle]) is None
        assert {past.nudge_id for past in cycle} == everything


@pytest.mark.parametrize("candidates", ROTATION_CASES)
def test_never_the_same_category_two_days_running(candidates: tuple[Nudge, ...]) -> None:
    # The one exception, when every nudge left in the cycle is in yesterday's category
    # (no repeat wins), cannot be needed while no category is more than half the nudges;
    # draining the categories in step, it never comes to it.
    assert max(shares(candidates).values()) <= 1 / 2

    allowed, others = same_category_as_yesterday(two_cycles(candidates), candidates)

    assert others == [], "same category as the day before on " + ", ".join(
        f"{day} ({category})" for day, category in others
    )
    assert allowed == 0


@pytest.mark.parametrize("candidates", ROTATION_CASES)
def test_no_category_more_than_twice_in_any_seven_days(candidates: tuple[Nudge, ...]) -> None:
    # Asked with four categories or more, of every category that can keep to it: one that
    # is more than 2/7 of the nudges fills more than 2/7 of each cycle's days, so some weeks
    # must bring it three times; it still comes no more often than its share demands.
    assert len(shares(candidates)) >= 4
    allowed = {
        category: 2 if share <= 2 / 7 else math.ceil(7 * share)
        for category, share in shares(candidates).items()
    }

    most = most_in_a_week(two_cycles(candidates))

    assert {c: n for c, n in most.items() if n > allowed[c]} == {}


@pytest.mark.parametrize("living", LIVING.values(), ids=LIVING.keys())
@pytest.mark.parametrize("categories", [ALL_CATEGORIES, WITH_SPARK], ids=["main", "with-spark"])
def test_with_every_category_each_keeps_to_twice_a_week(
    categories: frozenset[Category], living: Living | None
) -> None:
    # So the bound above is the plain "at most twice in any 7 days" for such pairs.
    candidates = candidates_for(categories, living=living)

    assert max(shares(candidates).values()) <= 2 / 7


@pytest.mark.parametrize("candidates", ROTATION_CASES)
def test_categories_drain_in_step(candidates: tuple[Nudge, ...]) -> None:
    # After each day of a cycle, every category has come as often as its share of the
    # days so far, give or take one: the fullest is not left to fill the cycle's end.
    share = shares(candidates)
    for cycle in cycles(two_cycles(candidates), len(candidates)):
        came: Counter[Category] = Counter()
        for days, past in enumerate(cycle, start=1):
            came[past.category] += 1
            for category, part in share.items():
                assert abs(came[category] - part * days) <= 1, (past.day, category)


def test_equal_categories_come_round_in_turn() -> None:
    candidates = made_up(main_categories(20))

    history = two_cycles(candidates)

    assert repeated_categories(history) == []
    assert most_of_one_category_in_a_week(history) == 1


@pytest.mark.parametrize(
    "candidates",
    [
        pytest.param(
            tuple(candidates_for(CURIOSITY_AND_DREAMS, living=Living.TOGETHER)),
            id="curiosity-and-dreams",
        ),
        pytest.param(made_up({Category.CURIOSITY: 30, Category.DREAMS: 10}), id="30-and-10"),
    ],
)
def test_two_categories_alternate_while_both_have_nudges_left(
    candidates: tuple[Nudge, ...],
) -> None:
    # When one is more than half (n of N), the other runs out first: its leftovers come
    # day after day at each cycle's end, as few as can be (2n - N a cycle: n of them and
    # N - n of the other fit in at most 2(N - n) + 1 alternating days, one fewer when the
    # cycle cannot start with it, after the last cycle ended with it).
    history = two_cycles(candidates)
    largest = max(Counter(nudge.category for nudge in candidates).values())

    allowed, others = same_category_as_yesterday(history, candidates)

    assert {past.category for past in history} == {nudge.category for nudge in candidates}
    assert others == []
    assert allowed <= 2 * max(0, 2 * largest - len(candidates))


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
