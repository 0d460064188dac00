"""The translation machinery on small catalogs made here (never fake translations in the
repository): the checks that keep a language out until it is complete, and plural forms."""

from __future__ import annotations

import gettext
from io import BytesIO

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot import i18n, texts
from bot.i18n import composed, message, plural, say
from nudges.languages import Language, from_telegram, stored, telegram_code

TEMPLATE = """
msgid "Hi {name} 👋"
msgstr ""

msgid "<b>Your settings</b>"
msgstr ""

msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] ""
msgstr[1] ""
"""

GERMAN = """
msgid ""
msgstr ""
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Hi {name} 👋"
msgstr "Hallo {name} 👋"

msgid "<b>Your settings</b>"
msgstr "<b>Deine Einstellungen</b>"

msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] "{n} Tag"
msgstr[1] "{n} Tage"
"""

RUSSIAN = """
msgid ""
msgstr ""
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
"(n%100<10 || n%100>=20) ? 1 : 2);\\n"

msgid "{n} day"
msgid_plural "{n} days"
msgstr[0] "{n} день"
msgstr[1] "{n} дня"
msgstr[2] "{n} дней"
"""


def po(text: str, locale: str = "de"):
    return read_po(BytesIO(text.encode()), locale=locale)


def compiled(text: str, locale: str) -> gettext.GNUTranslations:
    out = BytesIO()
    write_mo(out, po(text, locale), use_fuzzy=False)
    out.seek(0)
    return gettext.GNUTranslations(out)


def test_a_complete_catalog_lacks_nothing_and_keeps_every_placeholder() -> None:
    assert i18n.untranslated_in(po(GERMAN), po(TEMPLATE)) == []
    assert i18n.mismatches_in(po(GERMAN)) == []


def test_a_catalog_without_a_message_or_with_an_empty_or_fuzzy_one_lacks_it() -> None:
    missing = GERMAN.replace('msgstr "<b>Deine Einstellungen</b>"', 'msgstr ""')
    assert i18n.untranslated_in(po(missing), po(TEMPLATE)) == ["<b>Your settings</b>"]
    dropped = GERMAN.replace('msgid "Hi {name} 👋"\nmsgstr "Hallo {name} 👋"\n', "")
    assert i18n.untranslated_in(po(dropped), po(TEMPLATE)) == ["Hi {name} 👋"]
    fuzzy = GERMAN.replace('msgid "Hi {name} 👋"', '#, fuzzy\nmsgid "Hi {name} 👋"')
    assert i18n.untranslated_in(po(fuzzy), po(TEMPLATE)) == ["Hi {name} 👋"]
    one_form = GERMAN.replace('msgstr[1] "{n} Tage"', 'msgstr[1] ""')
    assert i18n.untranslated_in(po(one_form), po(TEMPLATE)) == ["{n} day"]
    assert i18n.untranslated_in(None, po(TEMPLATE)) == [
        "Hi {name} 👋",
        "<b>Your settings</b>",
        "{n} day",
    ]


@pytest.mark.parametrize(
    ("translation", "why"),
    [
        ("Hallo 👋", "drops {name}"),
        ("Hallo {name} und {partner} 👋", "adds {partner}"),
        ("Hallo {nmae} 👋", "misspells {name}"),
    ],
)
def test_a_translation_that_drops_or_adds_a_placeholder_fails(translation: str, why: str) -> None:
    broken = GERMAN.replace('msgstr "Hallo {name} 👋"', f'msgstr "{translation}"')
    assert len(i18n.mismatches_in(po(broken))) == 1, why


def test_a_translation_that_loses_an_html_tag_fails() -> None:
    broken = GERMAN.replace("<b>Deine Einstellungen</b>", "Deine Einstellungen")
    assert len(i18n.mismatches_in(po(broken))) == 1


def test_plural_forms_compile_and_choose_the_language_s_form() -> None:
    russian = compiled(RUSSIAN, "ru")
    said = {n: russian.ngettext("{n} day", "{n} days", n).format(n=n) for n in (1, 3, 5, 21, 111)}
    assert said == {1: "1 день", 3: "3 дня", 5: "5 дней", 21: "21 день", 111: "111 дней"}
    german = compiled(GERMAN, "de")
    assert german.ngettext("{n} day", "{n} days", 1) == "{n} Tag"
    assert german.ngettext("{n} day", "{n} days", 2) == "{n} Tage"


def test_a_text_is_its_english_wording_and_nests_other_texts() -> None:
    inner = plural("{n} day", "{n} days", 3)
    outer = message("Paused for {how_long}", how_long=inner)
    assert outer == "Paused for 3 days"
    assert say(outer, Language.EN) == "Paused for 3 days"
    assert say("an answer as written", Language.DE) == "an answer as written"
    assert say(composed(lambda language: f"<{language}>"), Language.EN) == "<en>"


def test_a_language_not_offered_reads_english_never_half_translated() -> None:
    """Until a language's catalog and library are complete it is not offered, and
    someone who has it reads English (every text, every nudge)."""
    for language in Language:
        if language not in i18n.offered():
            assert i18n.spoken(language) == Language.EN
            assert say(texts.NOT_PAUSED, language) == texts.NOT_PAUSED


def test_dates_are_said_the_reader_s_way() -> None:
    from datetime import date

    monday = date(2026, 11, 30)
    assert i18n.day_long(monday) == "Monday 30 November"
    assert i18n.locale_of(Language.RU).language == "ru"
    russian = i18n.day_long(monday).render(Language.RU)
    assert "ноября" in russian and "понедельник" in russian
    assert i18n.day_long(monday).render(Language.DE).startswith("Montag")


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("de", Language.DE),
        ("de-AT", Language.DE),
        ("pt-BR", Language.PT_BR),
        ("pt", Language.PT_BR),
        ("pt-PT", Language.PT_BR),
        ("es-419", Language.ES),
        ("ru", Language.RU),
        ("en-GB", Language.EN),
        ("fr", Language.EN),
        ("", Language.EN),
        (None, Language.EN),
    ],
)
def test_telegram_s_language_code_gives_the_language(code: str | None, language: Language) -> None:
    assert from_telegram(code) == language


def test_a_stored_language_and_the_menu_s_code() -> None:
    assert stored("pt_BR") == Language.PT_BR
    assert stored(None) == stored("xx") == Language.EN
    assert [telegram_code(language) for language in Language] == ["en", "ru", "es", "de", "pt"]


def test_the_template_holds_every_text_of_the_code() -> None:
    """`make translations` was run after the last change to a text: every `_`/`_n` of bot/
    is in bot/locale/couplet.pot (else its translations could never be written)."""
    keywords = {"_": None, "_n": (1, 2)}
    in_code = set()
    for _file, _line, msgid, _comments, _context in extract_from_dir(
        "bot", method_map=[("**.py", "python")], keywords=keywords
    ):
        in_code.add(msgid if isinstance(msgid, str) else msgid[0])
    in_template = {
        entry.id if isinstance(entry.id, str) else entry.id[0]
        for entry in i18n.read_template()
        if entry.id
    }
    assert in_code - in_template == set()
    assert in_template - in_code == set()
