"""Every supported language is complete: its catalog translates every text of the bot
(placeholders and tags kept, every plural form) and its library every nudge (same ids,
retired ones too, the same options). These are the tests that fail while a language is
missing anything; the machinery itself is tested in test_machinery.py and
tests/nudges/test_library_languages.py on small made-up catalogs and libraries."""

from __future__ import annotations

import pytest

from bot import i18n
from nudges.languages import TRANSLATED, Language
from nudges.library import nudges_by_id, translated


@pytest.fixture(params=TRANSLATED, ids=str)
def language(request: pytest.FixtureRequest) -> Language:
    return request.param


def test_the_catalog_translates_every_text(language: Language) -> None:
    assert i18n.read_catalog(language) is not None, f"no {i18n.catalog_path(language)}"
    assert i18n.untranslated(language) == []


def test_no_translation_drops_or_adds_a_placeholder_or_a_tag(language: Language) -> None:
    assert i18n.mismatches(language) == []


def test_plural_forms_compile_and_fill_every_count(language: Language) -> None:
    catalog = i18n.read_catalog(language)
    assert catalog is not None
    said = i18n.translations(language)
    for entry in catalog:
        if entry.pluralizable and entry.id:
            singular, plural = entry.id
            for n in range(0, 122):
                assert said.ngettext(singular, plural, n).format(n=n), (entry.id, n)


def test_the_library_translates_every_nudge_with_the_same_ids(language: Language) -> None:
    nudges = translated(language.value)  # raises LibraryError, naming the file and nudge
    english = nudges_by_id()
    assert nudges.keys() == english.keys()
    for nudge_id, nudge in nudges.items():
        assert len(nudge.options) == len(english[nudge_id].options), nudge_id
        assert (nudge.guess is None) == (english[nudge_id].guess is None), nudge_id


def test_every_supported_language_is_offered() -> None:
    assert i18n.offered() == tuple(Language)
