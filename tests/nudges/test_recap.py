"""The recap's pure parts: the eight-week window and grid, each day's mark, text cut to fit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from nudges.recap import (
    WEEKS,
    DayAnswers,
    DayMark,
    drawable,
    ellipsised,
    grid,
    mark_days,
    window,
    wrapped,
)

THURSDAY = date(2026, 11, 26)
BERLIN = ZoneInfo("Europe/Berlin")


def test_the_window_is_eight_weeks_from_a_monday_through_today() -> None:
    first, last = window(THURSDAY)
    assert first == date(2026, 10, 5) and first.weekday() == 0
    assert last == THURSDAY
    assert window(date(2026, 11, 23)) == (date(2026, 10, 5), date(2026, 11, 23))  # a Monday
    assert window(date(2026, 11, 29))[0] == date(2026, 10, 5)  # its Sunday


def test_the_grid_has_weeks_as_rows_monday_first_and_nothing_after_today() -> None:
    rows = grid(THURSDAY, {THURSDAY: DayMark.BOTH})
    assert len(rows) == WEEKS and all(len(row) == 7 for row in rows)
    first = rows[0][0]
    assert first is not None and first.day == date(2026, 10, 5)
    for row in rows:
        days = [cell.day for cell in row if cell is not None]
        assert days[0].weekday() == 0
    last_week = rows[-1]
    assert [cell is None for cell in last_week] == [False] * 4 + [True] * 3
    today = last_week[3]
    assert today is not None and today.day == THURSDAY and today.mark == DayMark.BOTH
    yesterday = last_week[2]
    assert yesterday is not None and yesterday.mark == DayMark.NONE  # not in the marks


def test_each_day_is_marked_by_who_answered_then_by_pauses() -> None:
    both, one, quiet = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)
    paused, after = date(2026, 11, 10), date(2026, 11, 12)
    pause = (
        datetime(2026, 11, 9, 14, 0, tzinfo=UTC),  # Monday afternoon
        datetime(2026, 11, 11, 23, 0, tzinfo=UTC),  # Thursday 00:00 in Berlin
    )
    marks = mark_days(
        today=THURSDAY,
        days={
            both: DayAnswers(reached=True, answered=2),
            one: DayAnswers(reached=True, answered=1),
            quiet: DayAnswers(reached=True, answered=0),
            date(2026, 11, 9): DayAnswers(reached=True, answered=2),  # before the pause began
        },
        pauses=[pause],
        tz=BERLIN,
    )
    assert marks[both] == DayMark.BOTH
    assert marks[one] == DayMark.ONE
    assert marks[quiet] == DayMark.QUIET
    assert marks[date(2026, 11, 9)] == DayMark.BOTH  # a nudge came: it counts as it went
    assert marks[paused] == marks[date(2026, 11, 11)] == DayMark.PAUSED
    assert marks[after] == DayMark.NONE  # the pause ended at its midnight
    assert marks[date(2026, 10, 5)] == DayMark.NONE
    assert len(marks) == (THURSDAY - date(2026, 10, 5)).days + 1


def test_a_pause_is_read_in_the_viewers_zone() -> None:
    # Ends at 23:30 UTC on the 10th: still the 10th in London, already the 11th in Tokyo.
    pause = (datetime(2026, 11, 10, 0, 0, tzinfo=UTC), datetime(2026, 11, 10, 23, 30, tzinfo=UTC))
    london = mark_days(today=THURSDAY, days={}, pauses=[pause], tz=ZoneInfo("Europe/London"))
    tokyo = mark_days(today=THURSDAY, days={}, pauses=[pause], tz=ZoneInfo("Asia/Tokyo"))
    assert london[date(2026, 11, 11)] == DayMark.NONE
    assert tokyo[date(2026, 11, 11)] == DayMark.PAUSED


def test_drawable_drops_what_the_font_cannot_draw_and_tidies_the_spaces() -> None:
    no_emoji = lambda char: ord(char) < 0x2600  # noqa: E731 (a font without emoji)
    assert drawable("Thank you 💛 for the soup 🍲, really!", no_emoji) == (
        "Thank you for the soup, really!"
    )
    assert drawable("Саша — Zoë\n\nsaid\thi", no_emoji) == "Саша — Zoë said hi"
    assert drawable("👩\u200d❤️\u200d👨", no_emoji) == ""
    assert drawable("a\u200bb\x07c", lambda char: True) == "abc"  # no invisible characters


def test_ellipsised_keeps_what_fits_and_ends_at_a_word() -> None:
    fits = lambda text: len(text) <= 20  # noqa: E731
    assert ellipsised("short enough", fits) == "short enough"
    cut = ellipsised("thank you for the lovely dinner last night", fits)
    assert cut == "thank you for the…" and fits(cut)
    assert (
        ellipsised("Supercalifragilisticexpialidocious", fits) == "Supercalifragilistic…"[:19] + "…"
    )
    assert ellipsised("anything", lambda text: False) == ""


def test_wrapped_fills_lines_and_cuts_the_last_one() -> None:
    fits = lambda text: len(text) <= 12  # noqa: E731
    assert wrapped("one two three four", fits, 3) == ["one two", "three four"]
    lines = wrapped("one two three four five six seven eight", fits, 2)
    assert lines == ["one two", "three four…"]
    assert all(fits(line) for line in lines)
    assert wrapped("", fits, 2) == []
