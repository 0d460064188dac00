"""The nudge library: enough of it, well shaped, varied, kind in tone, fair to couples apart."""

import itertools
import re
from collections import Counter

import pytest

from nudges.library import (
    Category,
    Kind,
    LibraryError,
    Nudge,
    Tag,
    load_library,
    nudges_by_id,
    parse_category,
)

MOST_OF = 0.5
NEAR_DUPLICATE = 0.7
FORBIDDEN = [
    "you should",
    "you must",
    "husband",
    "wife",
    "boyfriend",
    "girlfriend",
    "streak",
    "communicate",
    "intimacy",
    "trauma",
]


def in_category(category: Category) -> list[Nudge]:
    return [nudge for nudge in load_library() if nudge.category == category]


def entry(
    *, nudge_id: str = "care-001", kind: str = "question", text: str = "Hello?", tags: str = "[]"
) -> str:
    """One `[[nudge]]` table of a care.toml file."""
    return f'[[nudge]]\nid = "{nudge_id}"\nkind = "{kind}"\ntext = "{text}"\ntags = {tags}\n'


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9']+", text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


# --- Size and shape --------------------------------------------------------------------------


def test_the_library_holds_at_least_four_hundred_nudges() -> None:
    assert len(load_library()) >= 400


def test_ids_are_unique() -> None:
    ids = Counter(nudge.id for nudge in load_library())

    assert [nudge_id for nudge_id, count in ids.items() if count > 1] == []


def test_every_id_is_its_category_and_a_three_digit_number() -> None:
    misnamed = [
        (nudge.id, nudge.category.value)
        for nudge in load_library()
        if re.fullmatch(rf"{nudge.category.value}-\d{{3}}", nudge.id) is None
    ]

    assert misnamed == []


def test_every_kind_appears() -> None:
    assert {nudge.kind for nudge in load_library()} == set(Kind)


@pytest.mark.parametrize("category", list(Category))
def test_each_category_has_at_least_forty_nudges(category: Category) -> None:
    assert len(in_category(category)) >= 40


@pytest.mark.parametrize(
    ("category", "kind"),
    [
        (Category.CLOSENESS, Kind.ACTION),
        (Category.TOGETHER, Kind.PLAN),
        (Category.APPRECIATION, Kind.APPRECIATION),
    ],
)
def test_a_category_is_mostly_its_natural_kind(category: Category, kind: Kind) -> None:
    nudges = in_category(category)
    of_kind = [nudge for nudge in nudges if nudge.kind == kind]

    assert len(of_kind) > MOST_OF * len(nudges), f"{len(of_kind)} of {len(nudges)} are {kind}"


# --- Length and variety ----------------------------------------------------------------------


def test_no_nudge_is_longer_than_four_hundred_characters() -> None:
    too_long = [(nudge.id, len(nudge.text)) for nudge in load_library() if len(nudge.text) > 400]

    assert too_long == []


def test_nine_in_ten_nudges_are_under_two_hundred_characters() -> None:
    library = load_library()
    short = [nudge for nudge in library if len(nudge.text) < 200]

    assert len(short) >= 0.9 * len(library), f"only {len(short)} of {len(library)} are short"


def test_no_two_nudges_are_near_duplicates() -> None:
    word_sets = [(nudge.id, words(nudge.text)) for nudge in load_library()]

    too_similar = [
        f"{first_id} ~ {second_id}: {score:.2f}"
        for (first_id, first), (second_id, second) in itertools.combinations(word_sets, 2)
        if (score := jaccard(first, second)) > NEAR_DUPLICATE
    ]

    assert too_similar == [], "near-duplicates (Jaccard of word sets): " + "; ".join(too_similar)


def test_the_word_set_ignores_case_and_punctuation_but_keeps_apostrophes() -> None:
    assert words("Tell them: what's ONE thing, today?") == {
        "tell",
        "them",
        "what's",
        "one",
        "thing",
        "today",
    }
    assert jaccard(words("a b c"), words("b c d")) == 0.5


# --- Tone ------------------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", FORBIDDEN)
def test_no_nudge_uses_a_word_that_breaks_the_calm_tone(phrase: str) -> None:
    pattern = re.compile(rf"\b{re.escape(phrase)}\b", re.IGNORECASE)

    offending = [nudge.id for nudge in load_library() if pattern.search(nudge.text)]

    assert offending == []


# --- Fair to long-distance couples -----------------------------------------------------------


@pytest.mark.parametrize("category", [Category.CLOSENESS, Category.TOGETHER])
def test_at_least_a_third_of_closeness_and_together_work_apart(category: Category) -> None:
    nudges = in_category(category)
    apart = [nudge for nudge in nudges if not nudge.needs_together]

    assert 3 * len(apart) >= len(nudges), f"{len(apart)} of {len(nudges)} work apart"


def test_no_question_needs_the_pair_in_one_place() -> None:
    together_questions = [
        nudge.id for nudge in load_library() if nudge.kind == Kind.QUESTION and nudge.needs_together
    ]

    assert together_questions == []


# --- Parsing a category file -----------------------------------------------------------------


def test_a_well_formed_entry_is_parsed_with_its_text_tidied() -> None:
    text = '''
[[nudge]]
id = "closeness-001"
kind = "action"
text = """
  Hold hands
  for a minute.
"""
tags = ["needs-together", "weekend"]

[[nudge]]
id = "closeness-002"
kind = "question"
text = "Where would you like a hug right now?"
'''

    assert parse_category(Category.CLOSENESS, text) == [
        Nudge(
            "closeness-001",
            Category.CLOSENESS,
            Kind.ACTION,
            "Hold hands for a minute.",
            frozenset({Tag.NEEDS_TOGETHER, Tag.WEEKEND}),
        ),
        Nudge(
            "closeness-002",
            Category.CLOSENESS,
            Kind.QUESTION,
            "Where would you like a hug right now?",
        ),
    ]


def test_a_file_without_nudges_gives_none() -> None:
    assert parse_category(Category.CARE, "# nothing yet\n") == []


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        pytest.param(entry(nudge_id="care-1"), "bad id 'care-1'", id="short-number"),
        pytest.param(entry(nudge_id="care001"), "bad id 'care001'", id="no-dash"),
        pytest.param(entry(nudge_id="Care-001"), "bad id 'Care-001'", id="capitalised"),
        pytest.param(entry(nudge_id="together-001"), "bad id 'together-001'", id="other-category"),
        pytest.param('[[nudge]]\nkind = "question"\ntext = "Hi?"\n', "bad id ''", id="missing-id"),
        pytest.param(entry(kind="poem"), "care-001", id="unknown-kind"),
        pytest.param('[[nudge]]\nid = "care-001"\ntext = "Hi?"\n', "care-001", id="missing-kind"),
        pytest.param(entry(tags='["rainy-day"]'), "rainy-day", id="unknown-tag"),
        pytest.param(entry(text=""), "care-001: empty text", id="empty-text"),
        pytest.param(entry(text="   "), "care-001: empty text", id="blank-text"),
        pytest.param('[[nudge]]\nid = "care-001"\nkind = "question"\n', "empty text", id="no-text"),
        pytest.param('[[nudge]\nid = "care-001"\n', "care.toml", id="invalid-toml"),
        pytest.param('[[nudge]]\nid = "care-001\n', "care.toml", id="unclosed-string"),
    ],
)
def test_a_broken_entry_is_rejected_with_a_message_naming_it(toml: str, message: str) -> None:
    with pytest.raises(LibraryError, match=re.escape(message)) as raised:
        parse_category(Category.CARE, toml)

    assert str(raised.value).startswith("care.toml: ")


def test_nudges_by_id_maps_every_id_to_its_nudge() -> None:
    library = load_library()
    by_id = nudges_by_id()

    assert len(by_id) == len(library)
    assert all(by_id[nudge.id] is nudge for nudge in library)
