from datetime import time

import pytest

from nudges.times import format_time_of_day, parse_time_of_day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("7:30am", time(7, 30)),
        ("7:30 AM", time(7, 30)),
        ("7:30 a.m.", time(7, 30)),
        ("19:05", time(19, 5)),
        ("7pm", time(19, 0)),
        ("7:15 pm", time(19, 15)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("12:30am", time(0, 30)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("7.30", time(7, 30)),
        ("7h30", time(7, 30)),
        (" 8 : 05 ", time(8, 5)),
        ("7", time(7, 0)),
        ("٧:٣٠", time(7, 30)),  # Arabic-Indic digits are digits too
    ],
)
def test_times_people_type_are_understood(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "24:00",
        "7:60",
        "13pm",
        "0am",
        "7:3",
        "7:300",
        "-1:00",
        "7:30xm",
        "tomorrow",
        "7:30:00",
        "1e3",
    ],
)
def test_anything_else_is_not_a_time(text: str) -> None:
    assert parse_time_of_day(text) is None


def test_times_are_shown_with_two_digits() -> None:
    assert format_time_of_day(time(7, 5)) == "07:05"
