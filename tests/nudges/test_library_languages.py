"""The library in other languages: overlays with the same ids (made here, small: the real
translations are checked in tests/i18n/test_complete.py)."""

from __future__ import annotations

import pytest

from nudges.library import (
    Category,
    Kind,
    LibraryError,
    Nudge,
    in_language,
    parse_overlay,
)

ENGLISH = {
    n.id: n
    for n in (
        Nudge("care-001", Category.CARE, Kind.QUESTION, "What helps you rest?"),
        Nudge(
            "care-002",
            Category.CARE,
            Kind.CHOICE,
            "Tea or coffee?",
            options=("Tea", "Coffee"),
        ),
        Nudge(
            "care-003",
            Category.CARE,
            Kind.GUESS,
            "Your comfort food?",
            options=("Soup", "Pasta", "Cake"),
            guess="And your partner's?",
            retired=True,
        ),
        Nudge("dreams-001", Category.DREAMS, Kind.QUESTION, "Where would you live?"),
    )
}

GERMAN = """
[[nudge]]
id = "care-001"
text = "Was hilft dir beim Ausruhen?"

[[nudge]]
id = "care-002"
text = "Tee oder Kaffee?"
options = ["Tee", "Kaffee"]

[[nudge]]
id = "care-003"
text = "Dein Wohlfühlessen?"
options = ["Suppe", "Pasta", "Kuchen"]
guess = "Und das deiner Person?"
"""


def test_a_complete_overlay_keeps_ids_kind_tags_and_retired_from_english() -> None:
    nudges = parse_overlay("de", Category.CARE, GERMAN, ENGLISH)
    assert [n.id for n in nudges] == ["care-001", "care-002", "care-003"]
    guess = nudges[2]
    assert guess.kind == Kind.GUESS and guess.retired
    assert guess.text == "Dein Wohlfühlessen?"
    assert guess.options == ("Suppe", "Pasta", "Kuchen")
    assert guess.guess == "Und das deiner Person?"


@pytest.mark.parametrize(
    ("broken", "says"),
    [
        (GERMAN.split('[[nudge]]\nid = "care-003"')[0], "missing care-003"),
        (GERMAN + '\n[[nudge]]\nid = "care-099"\ntext = "Neu"\n', "not an id of the English"),
        (GERMAN + '\n[[nudge]]\nid = "dreams-001"\ntext = "Wo?"\n', "not an id of the English"),
        (GERMAN.replace('options = ["Tee", "Kaffee"]', 'options = ["Tee"]'), "1 options"),
        (
            GERMAN.replace('options = ["Tee", "Kaffee"]', 'options = ["Tee", "Kaffee", "Saft"]'),
            "3 options where English has 2",
        ),
        (GERMAN.replace('guess = "Und das deiner Person?"\n', ""), "a guess text exactly"),
        (
            GERMAN.replace('Ausruhen?"', 'Ausruhen?"\nguess = "Und?"'),
            "a guess text exactly",
        ),
        (GERMAN.replace('text = "Tee oder Kaffee?"', 'text = "  "'), "empty text"),
        (GERMAN.replace('text = "Tee oder Kaffee?"', 'text = "Tee?"\nkind = "question"'), "kind"),
        (GERMAN + GERMAN.split('[[nudge]]\nid = "care-002"')[0], "appears twice"),
        ("[[nudge]\n", "de/care.toml"),
    ],
)
def test_an_overlay_that_lacks_adds_or_reshapes_a_nudge_is_refused(broken: str, says: str) -> None:
    with pytest.raises(LibraryError, match=says):
        parse_overlay("de", Category.CARE, broken, ENGLISH)


def test_english_is_the_library_itself_and_an_incomplete_language_is_not_used() -> None:
    """`in_language` never mixes: a language whose library is not complete gives the
    English nudge whole (and that language is not offered: bot/i18n.py)."""
    from nudges.library import nudges_by_id, translated

    nudge = nudges_by_id()["care-001"]
    assert in_language(nudge, "en") is nudge
    with pytest.raises(LibraryError, match="missing"):
        translated("xx")
    assert in_language(nudge, "xx") is nudge
