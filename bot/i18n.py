"""Every text in the reader's language: gettext catalogs (Babel) and Babel's dates.

A text of the bot (bot/texts.py) is a `Text`: a `str` holding its English wording (so it can
be compared, logged in tests, sent where no language is known), which `say(text, language)`
renders in any supported language. It is made by

- `message("… {name} …", name=…)`: one catalog message with named placeholders;
- `plural("one day", "{n} days", n)`: a message with plural forms (ngettext);
- `composed(render)`: a text built from others (a function of the language), for the few
  texts made of parts (the nudge message, the settings view, dates).

Placeholders given as `Text` are rendered in the same language, so texts nest. Names and
other values are escaped by bot/texts.py before they go in, as before.

The catalogs are `bot/locale/<language>/LC_MESSAGES/couplet.po`, made from the template
`bot/locale/couplet.pot` (`make translations`: pybabel extract, then update). They are
compiled in memory when first needed (no .mo files in the repository); a fuzzy or empty
entry is not used, and tests/i18n fails while any supported language lacks one.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from importlib import resources
from io import BytesIO

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from nudges.languages import DEFAULT, Language
from nudges.library import LibraryError
from nudges.library import translated as library_in

DOMAIN = "couplet"

# Babel's locale for each language: English dates read the British way ("Monday 30 November").
_LOCALES: Mapping[Language, str] = {
    Language.EN: "en_GB",
    Language.RU: "ru",
    Language.ES: "es",
    Language.DE: "de",
    Language.PT_BR: "pt_BR",
}


def locale_of(language: Language) -> Locale:
    return Locale.parse(_LOCALES[language])


def catalog_path(language: Language) -> str:
    return f"locale/{language.value}/LC_MESSAGES/{DOMAIN}.po"


def read_catalog(language: Language) -> Catalog | None:
    """The language's catalog as written (None if there is no file yet)."""
    source = resources.files("bot").joinpath(catalog_path(language))
    if not source.is_file():
        return None
    with source.open("rb") as po:
        return read_po(po, locale=_LOCALES[language], domain=DOMAIN)


def read_template() -> Catalog:
    """The template every catalog follows (bot/locale/couplet.pot, `make translations`)."""
    with resources.files("bot").joinpath(f"locale/{DOMAIN}.pot").open("rb") as pot:
        return read_po(pot, domain=DOMAIN)


def untranslated(language: Language) -> list[str]:
    """The template's messages the language's catalog does not translate (missing, empty,
    fuzzy, or a plural form left empty): all of them if there is no catalog."""
    return untranslated_in(read_catalog(language), read_template())


def untranslated_in(catalog: Catalog | None, template: Catalog) -> list[str]:
    missing = []
    for entry in template:
        if not entry.id:
            continue
        done = catalog.get(entry.id) if catalog is not None else None
        if done is None or done.fuzzy or not all(_forms(done.string)):
            missing.append(_singular(entry.id))
    return missing


_PLACEHOLDER = re.compile(r"{(\w*)}")
_TAG = re.compile(r"</?\w+>")


def mismatches(language: Language) -> list[str]:
    """The catalog's translations whose placeholders or HTML tags differ from the English."""
    catalog = read_catalog(language)
    return mismatches_in(catalog) if catalog is not None else []


def mismatches_in(catalog: Catalog) -> list[str]:
    """A translation must keep every `{name}` of its message and add none (a missing one
    loses a name, an unknown one fails when the text is said), and keep its HTML tags. A
    plural form may leave out `{n}` (a language says "one" as a word), nothing else."""
    problems = []
    for entry in catalog:
        if not entry.id or not entry.string or entry.fuzzy:  # a fuzzy entry is never used
            continue
        ids = _forms(entry.id)
        expected = _markers(ids[0]) | (_markers(ids[1]) if len(ids) > 1 else set())
        for form in _forms(entry.string):
            if not form:
                continue
            found = _markers(form)
            allowed = {"{n}"} if len(ids) > 1 else set()
            if found - expected or (expected - found) - allowed:
                problems.append(f"{_singular(entry.id)!r}: {form!r}")
    return problems


def _markers(text: str) -> set[str]:
    return {f"{{{name}}}" for name in _PLACEHOLDER.findall(text)} | set(_TAG.findall(text))


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if isinstance(value, tuple | list):
        return tuple(value)
    return (value or "",)


def _singular(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


@cache
def offered() -> tuple[Language, ...]:
    """The languages a person can have: English, and each one whose catalog translates every
    text and whose nudge library is complete. The list of languages is fixed and
    tests/i18n/test_complete.py fails while one is incomplete; this check keeps an
    incomplete one (a deployment between a new text and its translations) out, so that no
    one ever reads a half-translated bot."""
    return tuple(
        language
        for language in Language
        if language == DEFAULT
        or (not untranslated(language) and not mismatches(language) and library_complete(language))
    )


def library_complete(language: Language) -> bool:
    try:
        library_in(language.value)
    except LibraryError:
        return False
    return True


def spoken(language: Language) -> Language:
    """The language a text is said in for someone who has `language`."""
    return language if language in offered() else DEFAULT


@cache
def translations(language: Language) -> gettext.NullTranslations:
    """The language's catalog, compiled in memory (English: the texts as written)."""
    catalog = read_catalog(language) if language != DEFAULT else None
    if catalog is None:
        return gettext.NullTranslations()
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Text(str):
    """A text of the bot: its English wording (the string itself), and how to say it in
    another language (`render`)."""

    __slots__ = ("_render",)

    _render: Callable[[Language], str]

    def __new__(cls, render: Callable[[Language], str]) -> Text:
        self = super().__new__(cls, render(DEFAULT))
        self._render = render
        return self

    def render(self, language: Language) -> str:
        return self._render(language)


def say(text: str, language: Language) -> str:
    """`text` in `language` (English if that language is not offered); a plain `str`, such
    as a person's answer, stays as it is."""
    return text.render(spoken(language)) if isinstance(text, Text) else text


def _filled(template: str, values: Mapping[str, object], language: Language) -> str:
    if not values:
        return template
    return template.format_map(
        {
            key: say(value, language) if isinstance(value, str) else value
            for key, value in values.items()
        }
    )


def message(msgid: str, **values: object) -> Text:
    """One catalog message; `{name}` placeholders filled from `values` (a `Text` value is
    said in the same language)."""

    def render(language: Language) -> str:
        return _filled(translations(language).gettext(msgid), values, language)

    return Text(render)


def plural(singular: str, plural_: str, n: int, **values: object) -> Text:
    """A catalog message with plural forms; `{n}` is the count."""
    filled = {"n": n, **values}

    def render(language: Language) -> str:
        template = translations(language).ngettext(singular, plural_, n)
        return _filled(template, filled, language)

    return Text(render)


def composed(render: Callable[[Language], str]) -> Text:
    """A text made of other texts: `render` says it in a language."""
    return Text(render)


# --- dates and times, the reader's way -------------------------------------------------


# A whole day, written out: each language's own way (Babel's skeletons for these fall back to
# a short weekday in some languages).
_DAY_LONG: Mapping[Language, str] = {
    Language.EN: "EEEE d MMMM",
    Language.RU: "EEEE, d MMMM",
    Language.ES: "EEEE, d 'de' MMMM",
    Language.DE: "EEEE, d. MMMM",
    Language.PT_BR: "EEEE, d 'de' MMMM",
}
_DAY_WITH_YEAR: Mapping[Language, str] = {
    Language.EN: "EEEE d MMMM y",
    Language.RU: "EEEE, d MMMM y",
    Language.ES: "EEEE, d 'de' MMMM 'de' y",
    Language.DE: "EEEE, d. MMMM y",
    Language.PT_BR: "EEEE, d 'de' MMMM 'de' y",
}


def day_long(day: date) -> Text:
    """A date: "Monday 30 November" / "понедельник, 30 ноября"."""
    return composed(
        lambda language: format_date(day, _DAY_LONG[language], locale=locale_of(language))
    )


def day_with_year(day: date) -> Text:
    """A date: "Monday 30 November 2026"."""
    return composed(
        lambda language: format_date(day, _DAY_WITH_YEAR[language], locale=locale_of(language))
    )


def day_short(day: date) -> Text:
    """A day, short: "Mon 30 Nov" / "пн, 30 нояб."."""
    return composed(lambda language: format_skeleton("MMMEd", day, locale=locale_of(language)))


def day_month(day: date) -> Text:
    """A date: "30 Nov" (the picture's span)."""
    return composed(lambda language: format_skeleton("dMMM", day, locale=locale_of(language)))


def day_month_year(day: date) -> Text:
    """A date: "30 Nov 2026"."""
    return composed(lambda language: format_skeleton("yMMMd", day, locale=locale_of(language)))


def month_short(day: date) -> Text:
    """A date: "Nov" (standalone)."""
    return composed(lambda language: format_date(day, "LLL", locale=locale_of(language)))


def weekday_name(weekday: int, width: str = "wide") -> Text:
    """Monday = 0, as the reader's language names it ("wide": "Monday"; "abbreviated": "Mon";
    "narrow": "M"), standalone form."""

    def render(language: Language) -> str:
        names = locale_of(language).days["stand-alone"][width]
        return str(names[weekday])

    return composed(render)
