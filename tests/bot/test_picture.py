"""The /recap picture as drawn: a real PNG of the right size, each day's mark in its cell
(read back from the pixels), no text out of its box, nothing the font cannot draw."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.picture import MARK_COLOURS, WIDTH, Picture, draw, has_glyph, sanitised
from nudges.recap import Counts, DayMark, RecapFacts, window

THURSDAY = date(2026, 11, 26)
FIRST, _ = window(THURSDAY)
MARKS_IN_TURN = [DayMark.BOTH, DayMark.ONE, DayMark.QUIET, DayMark.PAUSED, DayMark.NONE]


def facts(**changes: object) -> RecapFacts:
    """Eight weeks whose marks go round every kind, some counts, a note from Sam."""
    marks = {
        FIRST + timedelta(days=n): MARKS_IN_TURN[n % len(MARKS_IN_TURN)]
        for n in range((THURSDAY - FIRST).days + 1)
    }
    values: dict[str, object] = {
        "today": THURSDAY,
        "marks": marks,
        "counts": Counts(both_showed_up=42, notes=17, plans=5),
        "note": "Thank you for the soup when I was ill, it was exactly what I needed.",
        "note_from": "Sam",
    }
    return RecapFacts(**(values | changes))  # type: ignore[arg-type]


def pixels(picture: Picture) -> Image.Image:
    image = Image.open(io.BytesIO(picture.png))
    image.load()
    return image


def test_the_picture_is_a_png_a_phone_shows_whole() -> None:
    picture = draw(facts())
    assert picture.png.startswith(b"\x89PNG\r\n\x1a\n")
    image = pixels(picture)
    assert image.format == "PNG" and image.mode == "RGB"  # opaque: no theme shows through
    assert image.size == picture.size
    width, height = image.size
    assert width == WIDTH and 1.2 < height / width < 1.8
    assert 20_000 < len(picture.png) < 400_000


def test_each_day_is_drawn_in_its_cell_in_its_marks_colour() -> None:
    picture = draw(facts())
    image = pixels(picture)
    shown = facts().marks
    assert set(picture.cells) == set(shown)  # every day of the window, none after today
    for day, mark in shown.items():
        left, top, right, bottom = picture.cells[day]
        centre = ((left + right) // 2, (top + bottom) // 2)
        assert image.getpixel(centre) == MARK_COLOURS[mark], (day, mark)


def test_a_known_day_sits_in_its_weekday_column_and_week_row() -> None:
    picture = draw(facts(marks={date(2026, 11, 11): DayMark.BOTH}))
    image = pixels(picture)
    wednesday = picture.cells[date(2026, 11, 11)]  # the 6th week, third column
    monday = picture.cells[FIRST]
    assert wednesday[0] > monday[0] and wednesday[1] > monday[1]
    pitch = picture.cells[FIRST + timedelta(days=1)][0] - monday[0]
    assert (wednesday[0] - monday[0]) == 2 * pitch
    assert (wednesday[1] - monday[1]) == 5 * pitch
    centre = ((wednesday[0] + wednesday[2]) // 2, (wednesday[1] + wednesday[3]) // 2)
    assert image.getpixel(centre) == MARK_COLOURS[DayMark.BOTH]
    tuesday = picture.cells[date(2026, 11, 10)]
    assert (
        image.getpixel(((tuesday[0] + tuesday[2]) // 2, (tuesday[1] + tuesday[3]) // 2))
        == (MARK_COLOURS[DayMark.NONE])
    )


def inside(placed_ink: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> bool:
    left, top, right, bottom = placed_ink
    return left >= box[0] and top >= box[1] and right <= box[2] and bottom <= box[3]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {
            "note": "Ты самый заботливый человек на свете. " * 20,
            "note_from": "Maximiliane-Wilhelmina Oberhollenzer-Castelnuovo " * 3,
            "counts": Counts(both_showed_up=123_456_789, notes=987_654_321, plans=10**12),
        },
        {"note": "W" * 400, "note_from": "W" * 200},
        {"note": None, "note_from": None},
    ],
    ids=["usual", "long words and huge counts", "one endless word", "no note"],
)
def test_no_text_spills_out_of_its_box(changes: dict[str, object]) -> None:
    picture = draw(facts(**changes))
    assert picture.texts
    for placed in picture.texts:
        assert inside(placed.ink, placed.box), placed
        assert placed.box[2] <= picture.size[0] and placed.box[3] <= picture.size[1]
    if changes.get("note"):
        assert any(p.text.endswith("…”") or p.text.endswith("…") for p in picture.texts)


def test_emoji_and_other_missing_glyphs_never_reach_the_picture() -> None:
    assert has_glyph("a") and has_glyph("Ж") and has_glyph("é") and has_glyph("—")
    for missing in ("💛", "😀", "🍲", "❤", "中", "\ufe0f", "\u200d"):
        assert not has_glyph(missing), missing
    assert sanitised("Merci 💛 pour la soupe 🍲, Саша!") == "Merci pour la soupe, Саша!"

    picture = draw(facts(note="You are my favourite person 😍❤️✨ always", note_from="Zoë 🌸"))
    drawn = " ".join(p.text for p in picture.texts)
    assert "You are my favourite person always" in drawn
    assert "from Zoë" in drawn
    assert all(has_glyph(char) for char in drawn if not char.isspace())


def test_different_facts_make_different_pictures() -> None:
    alex = draw(facts())
    kim = draw(
        facts(
            marks={THURSDAY: DayMark.QUIET},
            counts=Counts(3, 1, 0),
            note="Coffee in bed, what a start",
            note_from="Jo",
        )
    )
    assert alex.png != kim.png
    alex_words = {p.text for p in alex.texts}
    kim_words = {p.text for p in kim.texts}
    assert "from Sam" in alex_words and "from Sam" not in kim_words
    assert "from Jo" in kim_words and "from Jo" not in alex_words
