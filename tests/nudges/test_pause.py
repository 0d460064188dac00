"""Reading `/pause` lengths and when a pause ends.

Examples use a fixed today, Monday 23 November 2026; every expected date is worked out by
hand and written as a literal. The properties after them check the same rules for any day.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nudges.pause import (
    MAX_PAUSE_DAYS,
    PauseError,
    PauseProblem,
    last_paused_day,
    parse_pause,
    pause_ends_at,
)

MONDAY = date(2026, 11, 23)
FRIDAY = date(2026, 11, 27)


def problem_with(text: str, today: date = MONDAY) -> PauseProblem:
    with pytest.raises(PauseError) as caught:
        parse_pause(text, today=today)
    return caught.value.problem


# --- Accepted forms -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # N days: back N days later; "1d" pauses today only.
        ("1d", date(2026, 11, 24)),
        ("3d", date(2026, 11, 26)),
        ("3D", date(2026, 11, 26)),
        ("3 d", date(2026, 11, 26)),
        ("1 day", date(2026, 11, 24)),
        ("10 days", date(2026, 12, 3)),
        ("  10   DAYS  ", date(2026, 12, 3)),
        ("03d", date(2026, 11, 26)),
        # N weeks.
        ("1w", date(2026, 11, 30)),
        ("2W", date(2026, 12, 7)),
        ("1 week", date(2026, 11, 30)),
        (" 2  weeks ", date(2026, 12, 7)),
        ("12 weeks", date(2027, 2, 15)),
        # ISO dates, with or without until/till.
        ("until 2026-12-24", date(2026, 12, 24)),
        ("till 2026-12-24", date(2026, 12, 24)),
        ("2026-12-24", date(2026, 12, 24)),
        ("UNTIL 2026-12-24", date(2026, 12, 24)),
        ("until 2026-11-24", date(2026, 11, 24)),
        # Dotted dates, with and without a year and the closing dot.
        ("until 24.12.", date(2026, 12, 24)),
        ("until 24.12", date(2026, 12, 24)),
        ("until 24.12.2026", date(2026, 12, 24)),
        ("till 24.12.", date(2026, 12, 24)),
        ("24.12.", date(2026, 12, 24)),
        ("24.12", date(2026, 12, 24)),
        ("until 2.1.", date(2027, 1, 2)),
        ("until 02.01.2027", date(2027, 1, 2)),
        ("until 24.11.", date(2026, 11, 24)),
        # Weekdays: the next one strictly after today.
        ("until friday", date(2026, 11, 27)),
        ("Until   Friday", date(2026, 11, 27)),
        ("till fri", date(2026, 11, 27)),
        ("friday", date(2026, 11, 27)),
        ("FRI", date(2026, 11, 27)),
        ("until tuesday", date(2026, 11, 24)),
        ("until tue", date(2026, 11, 24)),
        ("until wed", date(2026, 11, 25)),
        ("until thursday", date(2026, 11, 26)),
        ("until thu", date(2026, 11, 26)),
        ("until saturday", date(2026, 11, 28)),
        ("until sat", date(2026, 11, 28)),
        ("until sunday", date(2026, 11, 29)),
        ("sun", date(2026, 11, 29)),
        ("until monday", date(2026, 11, 30)),  # today is Monday: a week later
        ("until mon", date(2026, 11, 30)),
        # Tomorrow.
        ("until tomorrow", date(2026, 11, 24)),
        ("till Tomorrow", date(2026, 11, 24)),
        ("tomorrow", date(2026, 11, 24)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_pause(text, today=MONDAY) == expected


def test_a_day_without_a_year_in_december_is_next_january() -> None:
    assert parse_pause("until 02.01.", today=date(2026, 12, 20)) == date(2027, 1, 2)
    assert parse_pause("until 02.01", today=date(2026, 12, 31)) == date(2027, 1, 2)


def test_a_day_without_a_year_that_is_today_means_next_year() -> None:
    # 23.11.2027 is a year away: understood, but too long.
    assert problem_with("until 23.11.") is PauseProblem.TOO_LONG
    assert parse_pause("until 24.11.", today=date(2026, 11, 23)) == date(2026, 11, 24)


def test_29_february_without_a_year_waits_for_a_leap_year() -> None:
    assert parse_pause("until 29.02.", today=date(2028, 1, 15)) == date(2028, 2, 29)
    assert parse_pause("until 29.2", today=date(2027, 12, 15)) == date(2028, 2, 29)
    assert problem_with("until 29.02.", today=date(2026, 12, 15)) is PauseProblem.TOO_LONG


def test_until_friday_on_a_friday_is_a_week_later() -> None:
    assert parse_pause("until friday", today=FRIDAY) == date(2026, 12, 4)
    assert parse_pause("until thursday", today=FRIDAY) == date(2026, 12, 3)
    assert parse_pause("until saturday", today=FRIDAY) == date(2026, 11, 28)


def test_exactly_90_days_is_allowed_and_91_is_too_long() -> None:
    assert MAX_PAUSE_DAYS == 90
    assert parse_pause("90d", today=MONDAY) == date(2027, 2, 21)
    assert parse_pause("until 2027-02-21", today=MONDAY) == date(2027, 2, 21)
    assert parse_pause("until 21.02.", today=MONDAY) == date(2027, 2, 21)
    assert problem_with("91d") is PauseProblem.TOO_LONG
    assert problem_with("until 2027-02-22") is PauseProblem.TOO_LONG
    assert problem_with("until 22.02.2027") is PauseProblem.TOO_LONG
    assert problem_with("13w") is PauseProblem.TOO_LONG


def test_last_paused_day_is_the_day_before_nudges_come_back() -> None:
    assert last_paused_day(date(2026, 12, 25)) == date(2026, 12, 24)
    assert last_paused_day(date(2027, 1, 1)) == date(2026, 12, 31)
    assert last_paused_day(date(2028, 3, 1)) == date(2028, 2, 29)


# --- Refused ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "0d",
        "0 days",
        "0w",
        "-3d",
        "-1 week",
        "3",
        "d",
        "3 months",
        "3dd",
        "3 d s",
        "3d 2w",
        "until",
        "until 3d",
        "until next friday",
        "until fridays",
        "until 31.02.",
        "until 31.02.2027",
        "until 29.02.2027",
        "until 2027-02-30",
        "until 2026-13-01",
        "until 00.12.",
        "until 24.00.",
        "until 24.12.26",
        "until 2026/12/24",
        "until 20261224",
        "until 2026-W52-4",
        "until today",
        "untilfriday",
        "until, friday",
        "３d",  # fullwidth digit
        "٣d",  # Arabic-Indic digit
        "99999999999999999999d",
        "999999999 weeks",
        "9" * 5000 + "d",
    ],
)
def test_not_understood(text: str) -> None:
    assert problem_with(text) is PauseProblem.NOT_UNDERSTOOD


@pytest.mark.parametrize(
    "text",
    [
        "until 2026-11-23",  # today
        "until 2026-11-22",
        "2020-01-01",
        "until 23.11.2026",
        "until 01.01.2026",
    ],
)
def test_in_the_past(text: str) -> None:
    assert problem_with(text) is PauseProblem.IN_THE_PAST


@pytest.mark.parametrize(
    "text",
    ["91d", "1000 days", "13 weeks", "until 2027-06-01", "until 01.06.2027", "until 22.11."],
)
def test_too_long(text: str) -> None:
    assert problem_with(text) is PauseProblem.TOO_LONG


def test_pause_error_is_a_value_error_naming_its_problem() -> None:
    with pytest.raises(ValueError, match="not_understood"):
        parse_pause("soon", today=MONDAY)
    assert PauseError(PauseProblem.TOO_LONG).problem is PauseProblem.TOO_LONG


# --- Properties ---------------------------------------------------------------------------

TODAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
SPACE = st.text(alphabet=" ", max_size=3)
INNER_SPACE = st.text(alphabet=" ", max_size=2)


def random_case(text: str, data: st.DataObject) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c for c, flip in zip(text, flips, strict=True))


@given(today=TODAYS, n=st.integers(1, MAX_PAUSE_DAYS), data=st.data())
def test_n_days_is_today_plus_n(today: date, n: int, data: st.DataObject) -> None:
    unit = data.draw(st.sampled_from(["d", "day", "days"]))
    text = f"{data.draw(SPACE)}{n}{data.draw(INNER_SPACE)}{random_case(unit, data)}"
    text += data.draw(SPACE)
    assert parse_pause(text, today=today) == today + timedelta(days=n)


@given(today=TODAYS, n=st.integers(1, 12), data=st.data())
def test_n_weeks_is_today_plus_7n(today: date, n: int, data: st.DataObject) -> None:
    unit = data.draw(st.sampled_from(["w", "week", "weeks"]))
    text = f"{data.draw(SPACE)}{n}{data.draw(INNER_SPACE)}{random_case(unit, data)}"
    text += data.draw(SPACE)
    assert parse_pause(text, today=today) == today + timedelta(weeks=n)


@given(today=TODAYS, n=st.integers(91, 10_000), weeks=st.integers(13, 1_000))
def test_longer_than_90_days_is_too_long(today: date, n: int, weeks: int) -> None:
    assert problem_with(f"{n}d", today) is PauseProblem.TOO_LONG
    assert problem_with(f"{weeks}w", today) is PauseProblem.TOO_LONG


def iso(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def dotted(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year:04d}"


@given(
    today=TODAYS,
    ahead=st.integers(1, MAX_PAUSE_DAYS),
    style=st.sampled_from([iso, dotted]),
    prefix=st.sampled_from(["", "until ", "till ", "UNTIL  ", "Till "]),
)
def test_a_date_within_90_days_round_trips(
    today: date, ahead: int, style: Callable[[date], str], prefix: str
) -> None:
    resume_on = today + timedelta(days=ahead)
    assert parse_pause(prefix + style(resume_on), today=today) == resume_on


@given(today=TODAYS, ahead=st.integers(1, MAX_PAUSE_DAYS))
def test_a_date_without_a_year_within_90_days_round_trips(today: date, ahead: int) -> None:
    resume_on = today + timedelta(days=ahead)
    assert parse_pause(f"until {resume_on:%d.%m.}", today=today) == resume_on
    assert parse_pause(f"{resume_on.day}.{resume_on.month}", today=today) == resume_on


@given(today=TODAYS, data=st.data(), style=st.sampled_from([iso, dotted]))
def test_a_date_not_after_today_is_in_the_past(
    today: date, data: st.DataObject, style: Callable[[date], str]
) -> None:
    day = data.draw(st.dates(max_value=today))
    assert problem_with(f"until {style(day)}", today) is PauseProblem.IN_THE_PAST


@given(
    today=TODAYS,
    name=st.sampled_from(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    ),
    short=st.booleans(),
)
def test_a_weekday_is_the_next_one_strictly_after_today(
    today: date, name: str, short: bool
) -> None:
    resume_on = parse_pause(f"until {name[:3] if short else name}", today=today)
    assert 1 <= (resume_on - today).days <= 7
    assert resume_on.strftime("%A").lower() == name


# Pieces of real inputs, so that random text often gets close to something valid.
TOKENS = st.sampled_from(
    [
        "until",
        "till",
        " ",
        "  ",
        "\t",
        "\u00a0",
        "d",
        "day",
        "days",
        "w",
        "weeks",
        "tomorrow",
        "friday",
        "sun",
        ".",
        "-",
        "0",
        "00",
        "1",
        "2",
        "29",
        "31",
        "12",
        "02",
        "2026",
        "2027",
        "9999",
        "99999999999",
        "３",
    ]
)
MESSY_TEXT = st.one_of(st.text(), st.lists(TOKENS, max_size=8).map("".join))


@given(today=TODAYS, text=MESSY_TEXT)
@example(today=MONDAY, text="until 29.02.")
@example(today=date(2100, 12, 31), text="29.02.")
@example(today=MONDAY, text="99999999999 weeks")
def test_any_text_is_a_date_within_90_days_or_a_pause_error(today: date, text: str) -> None:
    try:
        resume_on = parse_pause(text, today=today)
    except PauseError as error:
        assert isinstance(error.problem, PauseProblem)
    else:
        assert type(resume_on) is date
        assert today < resume_on <= today + timedelta(days=MAX_PAUSE_DAYS)


def test_the_far_ends_of_the_calendar_are_refused_not_crashed() -> None:
    assert problem_with("1d", date.max) is PauseProblem.NOT_UNDERSTOOD
    assert problem_with("until 01.01.", date.max) is PauseProblem.NOT_UNDERSTOOD
    assert problem_with("until 9999-12-31", date.max) is PauseProblem.IN_THE_PAST
    assert problem_with("until 0001-01-01", date.min) is PauseProblem.IN_THE_PAST


# --- When the pause ends ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resume_on", "zone_name", "expected"),
    [
        (date(2026, 12, 24), "Europe/Berlin", datetime(2026, 12, 23, 23, 0, tzinfo=UTC)),  # +01
        (date(2026, 7, 1), "Europe/Berlin", datetime(2026, 6, 30, 22, 0, tzinfo=UTC)),  # +02
        (date(2026, 12, 24), "America/New_York", datetime(2026, 12, 24, 5, 0, tzinfo=UTC)),
        (date(2026, 12, 24), "Asia/Kathmandu", datetime(2026, 12, 23, 18, 15, tzinfo=UTC)),
        (date(2026, 12, 24), "UTC", datetime(2026, 12, 24, 0, 0, tzinfo=UTC)),
        # Havana springs forward at midnight (00:00 -05 -> 01:00 -04): no 00:00 that day,
        # the day starts at 01:00 -04.
        (date(2026, 3, 8), "America/Havana", datetime(2026, 3, 8, 5, 0, tzinfo=UTC)),
        # Havana falls back 01:00 -04 -> 00:00 -05: midnight comes twice, the first counts.
        (date(2026, 11, 1), "America/Havana", datetime(2026, 11, 1, 4, 0, tzinfo=UTC)),
        # Santiago springs forward at midnight (00:00 -04 -> 01:00 -03).
        (date(2026, 9, 6), "America/Santiago", datetime(2026, 9, 6, 4, 0, tzinfo=UTC)),
        # Santiago falls back at midnight (00:00 -03 -> 23:00 -04 the day before).
        (date(2026, 4, 5), "America/Santiago", datetime(2026, 4, 5, 4, 0, tzinfo=UTC)),
    ],
)
def test_pause_ends_at_the_start_of_the_local_day(
    resume_on: date, zone_name: str, expected: datetime
) -> None:
    assert pause_ends_at(resume_on, zone_name) == expected


def test_pause_ends_at_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        pause_ends_at(date(2026, 12, 24), "Mars/Olympus_Mons")


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "UTC",
]


def check_start_of_day(resume_on: date, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    instant = pause_ends_at(resume_on, zone_name)
    assert instant.tzinfo is UTC
    local = instant.astimezone(zone)
    assert local.date() == resume_on
    # 00:00, or where midnight is skipped, the moment the clocks jump (01:00 in Havana and
    # Santiago, whose one-hour gaps start at midnight).
    assert local.time() <= time(1, 0)
    assert local.second == local.microsecond == 0
    assert (instant - timedelta(minutes=1)).astimezone(zone).date() == resume_on - timedelta(days=1)


@settings(max_examples=300)
@given(
    resume_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    zone_name=st.sampled_from(ZONES),
)
@example(resume_on=date(2026, 3, 8), zone_name="America/Havana")
@example(resume_on=date(2030, 3, 10), zone_name="America/Havana")
@example(resume_on=date(2026, 9, 6), zone_name="America/Santiago")
@example(resume_on=date(2026, 4, 5), zone_name="America/Santiago")
@example(resume_on=date(2026, 10, 4), zone_name="Australia/Lord_Howe")
@example(resume_on=date(2026, 3, 29), zone_name="Europe/Berlin")
def test_pause_ends_at_is_the_first_minute_of_resume_on(resume_on: date, zone_name: str) -> None:
    check_start_of_day(resume_on, zone_name)


@pytest.mark.parametrize("zone_name", ZONES)
def test_pause_ends_at_every_day_2026_to_2030(zone_name: str) -> None:
    """Every day, so the few where midnight is skipped or repeated are surely covered."""
    day = date(2026, 1, 1)
    skipped = 0
    while day.year <= 2030:
        check_start_of_day(day, zone_name)
        skipped += pause_ends_at(day, zone_name).astimezone(ZoneInfo(zone_name)).time() != time()
        day += timedelta(days=1)
    assert skipped == (5 if zone_name in ("America/Havana", "America/Santiago") else 0)
