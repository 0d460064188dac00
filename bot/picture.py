"""Draws the /recap picture (PNG) from one viewer's facts, with Pillow and Noto Sans.

An opaque cream card with its own dark ink, so it reads the same in Telegram's light and
dark themes. Every text is cut to what the font has glyphs for (no emoji boxes) and measured
into its box: it shrinks, then ends in "…", but never spills out. `draw` also returns where
each text and each day went, for the tests; `render` is what the bot calls (in a worker
thread: it is CPU work).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot import texts
from bot.i18n import day_month, day_month_year, month_short, say
from nudges.languages import DEFAULT, Language
from nudges.recap import DayMark, RecapFacts, drawable, ellipsised, grid, window, wrapped

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]  # left, top, right, bottom

WIDTH = 1080
PAD = 60
BACKGROUND: RGB = (255, 248, 240)
FRAME: RGB = (232, 214, 200)
INK: RGB = (46, 34, 48)
MUTED: RGB = (110, 94, 106)
PANEL: RGB = (255, 255, 255)
MARK_COLOURS: dict[DayMark, RGB] = {
    DayMark.BOTH: (206, 61, 104),
    DayMark.ONE: (244, 166, 186),
    DayMark.QUIET: (232, 221, 208),
    DayMark.PAUSED: (150, 182, 222),
    DayMark.NONE: BACKGROUND,
}
OUTLINE: RGB = (214, 200, 190)  # around "no nudge" days, which are the card's colour
DAY_NUMBER_ON = {DayMark.BOTH: (255, 255, 255)}  # the rest take MUTED
CELL = 84
PITCH = 96
NOTE_HEIGHT = 200
MONTH_COLUMN = 100

_drawing = threading.Lock()  # FreeType faces are shared between renders: one at a time


@dataclass(frozen=True)
class Placed:
    """A text as drawn: the words, where their ink went, and the box they had to stay in."""

    text: str
    ink: Box
    box: Box


@dataclass
class Picture:
    png: bytes
    size: tuple[int, int]
    texts: list[Placed] = field(default_factory=list)
    cells: dict[date, Box] = field(default_factory=dict)


def render(facts: RecapFacts, language: Language = DEFAULT) -> bytes:
    """The PNG for these facts, its words in `language`."""
    return draw(facts, language).png


@cache
def _font_file(italic: bool) -> Path:
    import fontpkg  # only the first picture pays for finding the font

    return Path(fontpkg.path("Noto Sans", style="italic" if italic else "normal"))


@cache
def font(size: int, weight: int = 400, *, italic: bool = False) -> ImageFont.FreeTypeFont:
    face = ImageFont.truetype(str(_font_file(italic)), size, layout_engine=ImageFont.Layout.BASIC)
    face.set_variation_by_axes([weight, 100])  # Noto Sans's axes: weight, width
    return face


@cache
def _missing_glyph() -> tuple[tuple[int, int], bytes]:
    """How the font draws a character it has no glyph for (a code point never assigned)."""
    mask = font(40).getmask("\U0010fffd")
    return mask.size, bytes(mask)


@cache
def has_glyph(char: str) -> bool:
    """Whether Noto Sans draws this character (not its "missing" box, not nothing at all)."""
    mask = font(40).getmask(char)
    if (mask.size, bytes(mask)) == _missing_glyph():
        return False
    return char.isspace() or mask.getbbox() is not None


def sanitised(text: str) -> str:
    return drawable(text, has_glyph)


def draw(facts: RecapFacts, language: Language = DEFAULT) -> Picture:
    with _drawing:
        return _Canvas(facts, language).paint()


class _Canvas:
    def __init__(self, facts: RecapFacts, language: Language) -> None:
        self.facts = facts
        self.language = language
        self.rows = grid(facts.today, facts.marks)
        self.image = Image.new("RGB", (WIDTH, 2000), BACKGROUND)  # cut to size at the end
        self.pen = ImageDraw.Draw(self.image)
        self.placed: list[Placed] = []
        self.cells: dict[date, Box] = {}

    def paint(self) -> Picture:
        y = self._title(56)
        y = self._grid(y + 36)
        y = self._legend(y + 28)
        y = self._counts(y + 36)
        y = self._note(y + 32)
        self.image = self.image.crop((0, 0, WIDTH, y + 48))
        ImageDraw.Draw(self.image).rectangle(
            (0, 0, WIDTH - 1, self.image.height - 1), outline=FRAME, width=8
        )
        out = io.BytesIO()
        self.image.save(out, format="PNG", optimize=False, compress_level=6)
        return Picture(out.getvalue(), self.image.size, self.placed, self.cells)

    def say(self, text: str) -> str:
        return say(text, self.language)

    # ------------------------------------------------------------------ parts

    def _title(self, top: int) -> int:
        box = (PAD, top, WIDTH - PAD, top + 72)
        self._line(self.say(texts.RECAP_TITLE), box, size=54, weight=700, least=32)
        first, last = window(self.facts.today)
        span = f"{self.say(day_month(first))} – {self.say(day_month_year(last))}"
        box = (PAD, top + 78, WIDTH - PAD, top + 118)
        self._line(span, box, size=30, colour=MUTED, least=20)
        return top + 118

    def _grid(self, top: int) -> int:
        left = (WIDTH - MONTH_COLUMN - 7 * PITCH) // 2 + MONTH_COLUMN
        for column, letter in enumerate(texts.RECAP_WEEKDAYS):
            x = left + column * PITCH
            box = (x, top, x + CELL, top + 36)
            self._line(self.say(letter), box, size=26, colour=MUTED, centre=True)
        top += 46
        shown_month: tuple[int, int] | None = None
        for number, row in enumerate(self.rows):
            y = top + number * PITCH
            days = [cell.day for cell in row if cell is not None]
            starts = next((d for d in days if d.day == 1), days[0] if number == 0 else None)
            if starts is not None and (starts.year, starts.month) != shown_month:
                shown_month = (starts.year, starts.month)
                box = (left - MONTH_COLUMN, y + 28, left - 14, y + 64)
                month = self.say(month_short(starts))
                self._line(month, box, size=28, weight=600, colour=MUTED, least=16)
            for column, cell in enumerate(row):
                if cell is None:
                    continue
                x = left + column * PITCH
                box = (x, y, x + CELL, y + CELL)
                self.cells[cell.day] = box
                colour = MARK_COLOURS[cell.mark]
                outline = OUTLINE if cell.mark == DayMark.NONE else None
                self.pen.rounded_rectangle(box, radius=18, fill=colour, outline=outline, width=3)
                if cell.day == self.facts.today:
                    ring = (x - 5, y - 5, x + CELL + 5, y + CELL + 5)
                    self.pen.rounded_rectangle(ring, radius=22, outline=INK, width=3)
                number_box = (x + 10, y + 6, x + CELL - 10, y + 32)
                self._line(
                    str(cell.day.day),
                    number_box,
                    size=20,
                    weight=600,
                    colour=DAY_NUMBER_ON.get(cell.mark, MUTED),
                )
        return top + len(self.rows) * PITCH

    def _legend(self, top: int) -> int:
        column_width = (WIDTH - 2 * PAD) // 3
        for index, mark in enumerate(DayMark):
            row, column = divmod(index, 3)
            x = PAD + column * column_width
            y = top + row * 50
            swatch = (x, y + 4, x + 30, y + 34)
            outline = OUTLINE if mark == DayMark.NONE else None
            self.pen.rounded_rectangle(
                swatch, radius=8, fill=MARK_COLOURS[mark], outline=outline, width=3
            )
            box = (x + 42, y, x + column_width - 12, y + 38)
            self._line(self.say(texts.RECAP_LEGEND[mark.value]), box, size=26, least=16)
        rows = (len(DayMark) + 2) // 3
        return top + rows * 50

    def _counts(self, top: int) -> int:
        gap, height = 24, 164
        width = (WIDTH - 2 * PAD - 2 * gap) // 3
        counts = self.facts.counts
        values = (counts.both_showed_up, counts.notes, counts.plans)
        for index, (value, label) in enumerate(zip(values, texts.RECAP_COUNT_LABELS, strict=True)):
            x = PAD + index * (width + gap)
            panel = (x, top, x + width, top + height)
            self.pen.rounded_rectangle(panel, radius=24, fill=PANEL, outline=FRAME, width=2)
            number_box = (x + 20, top + 12, x + width - 20, top + 88)
            self._line(f"{value:,}", number_box, size=64, weight=700, colour=INK, least=24)
            label_box = (x + 20, top + 90, x + width - 20, top + height - 10)
            self._lines(self.say(label), label_box, size=24, colour=MUTED, lines=2, least=16)
        return top + height

    def _note(self, top: int) -> int:
        bottom = top + NOTE_HEIGHT
        panel = (PAD, top, WIDTH - PAD, bottom)
        self.pen.rounded_rectangle(panel, radius=24, fill=PANEL, outline=FRAME, width=2)
        inner = (PAD + 32, top + 24, WIDTH - PAD - 32, bottom - 20)
        note = sanitised(self.facts.note or "")
        if not note:
            no_note = self.say(texts.RECAP_NO_NOTE)
            self._lines(no_note, inner, size=30, colour=MUTED, lines=3, least=20)
            return bottom
        words_box = (inner[0], inner[1], inner[2], inner[3] - 44)
        self._lines(f"“{note}”", words_box, size=34, italic=True, lines=3, least=24)
        author = sanitised(self.facts.note_from or "")
        if author:
            box = (inner[0], inner[3] - 38, inner[2], inner[3])
            from_author = self.say(texts.recap_note_from(author))
            self._line(from_author, box, size=26, colour=MUTED, least=16)
        return bottom

    # ------------------------------------------------------------------ text in boxes

    def _line(
        self,
        text: str,
        box: Box,
        *,
        size: int,
        weight: int = 400,
        colour: RGB = INK,
        least: int | None = None,
        centre: bool = False,
        italic: bool = False,
    ) -> None:
        """One line in `box`: the size shrinks down to `least`, then the text is cut."""
        text = sanitised(text)
        face = self._fitting_size(text, box, size, least or size, weight, italic, lines=1)
        shown = ellipsised(text, lambda t: self._fits(t, face, box))
        self._put(shown, face, box, colour, centre=centre, row=0)

    def _lines(
        self,
        text: str,
        box: Box,
        *,
        size: int,
        lines: int,
        weight: int = 400,
        colour: RGB = INK,
        least: int | None = None,
        italic: bool = False,
    ) -> None:
        """Up to `lines` lines in `box`, wrapped by words; the last one cut if need be."""
        text = sanitised(text)
        face = self._fitting_size(text, box, size, least or size, weight, italic, lines=lines)
        height = (box[3] - box[1]) // lines
        for row, line in enumerate(wrapped(text, lambda t: self._fits(t, face, box), lines)):
            top = box[1] + row * height
            self._put(line, face, (box[0], top, box[2], top + height), colour, row=row, frame=box)

    def _fitting_size(
        self, text: str, box: Box, size: int, least: int, weight: int, italic: bool, lines: int
    ) -> ImageFont.FreeTypeFont:
        """The largest size from `size` down to `least` at which the text fits whole."""
        line_height = (box[3] - box[1]) // lines
        for tried in range(size, least - 1, -2):
            face = font(tried, weight, italic=italic)
            if self._line_height(face) > line_height:
                continue
            fits = lambda t, face=face: self._fits(t, face, box)  # noqa: E731
            if " ".join(wrapped(text, fits, lines)) == " ".join(text.split()):
                return face
        return font(least, weight, italic=italic)

    def _fits(self, text: str, face: ImageFont.FreeTypeFont, box: Box) -> bool:
        left, _, right, _ = face.getbbox(text)
        return right - min(left, 0) <= box[2] - box[0]

    @staticmethod
    def _line_height(face: ImageFont.FreeTypeFont) -> int:
        ascent, descent = face.getmetrics()
        return ascent + descent

    def _put(
        self,
        text: str,
        face: ImageFont.FreeTypeFont,
        box: Box,
        colour: RGB,
        *,
        row: int,
        centre: bool = False,
        frame: Box | None = None,
    ) -> None:
        if not text:
            return
        ascent, descent = face.getmetrics()
        y = box[1] + max(0, (box[3] - box[1] - ascent - descent) // 2)
        left, _, right, _ = face.getbbox(text)
        width = right - min(left, 0)
        x = box[0] - min(left, 0) + ((box[2] - box[0] - width) // 2 if centre else 0)
        self.pen.text((x, y), text, font=face, fill=colour)
        ink = self.pen.textbbox((x, y), text, font=face)
        self.placed.append(Placed(text, tuple(round(v) for v in ink), frame or box))  # type: ignore[arg-type]
