"""When a nudge falls due: local time in an IANA zone, across DST changes, pauses and moves.

Every expected instant below is worked out by hand from the zone's offset that day and
written as a UTC literal, with the local reading in a comment. Nothing is recomputed with
the code under test.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nudges.schedule import is_too_late, local_date, local_instant, next_due

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
LORD_HOWE = "Australia/Lord_Howe"
KATHMANDU = "Asia/Kathmandu"
AUCKLAND = "Pacific/Auckland"
LOS_ANGELES = "America/Los_Angeles"

WEEKDAYS_ONLY = frozenset({0, 1, 2, 3, 4})


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall_clock(instant: datetime, zone_name: str) -> tuple[date, time]:
    """What a clock on the wall in `zone_name` reads at `instant`."""
    local = instant.astimezone(ZoneInfo(zone_name))
    return local.date(), local.time()


# --- An ordinary morning around each DST change of 2026 ---------------------------------


@pytest.mark.parametrize(
    ("zone_name", "day", "expected"),
    [
        # Berlin springs forward on 2026-03-29 (CET +01:00 -> CEST +02:00).
        (BERLIN, date(2026, 3, 28), utc(2026, 3, 28, 7, 0)),  # 08:00 CET
        (BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 6, 0)),  # 08:00 CEST
        (BERLIN, date(2026, 3, 30), utc(2026, 3, 30, 6, 0)),  # 08:00 CEST
        # Berlin falls back on 2026-10-25 (CEST +02:00 -> CET +01:00).
        (BERLIN, date(2026, 10, 24), utc(2026, 10, 24, 6, 0)),  # 08:00 CEST
        (BERLIN, date(2026, 10, 25), utc(2026, 10, 25, 7, 0)),  # 08:00 CET
        (BERLIN, date(2026, 10, 26), utc(2026, 10, 26, 7, 0)),  # 08:00 CET
        # New York springs forward on 2026-03-08 (EST -05:00 -> EDT -04:00).
        (NEW_YORK, date(2026, 3, 7), utc(2026, 3, 7, 13, 0)),  # 08:00 EST
        (NEW_YORK, date(2026, 3, 8), utc(2026, 3, 8, 12, 0)),  # 08:00 EDT
        (NEW_YORK, date(2026, 3, 9), utc(2026, 3, 9, 12, 0)),  # 08:00 EDT
        # New York falls back on 2026-11-01 (EDT -04:00 -> EST -05:00).
        (NEW_YORK, date(2026, 10, 31), utc(2026, 10, 31, 12, 0)),  # 08:00 EDT
        (NEW_YORK, date(2026, 11, 1), utc(2026, 11, 1, 13, 0)),  # 08:00 EST
        (NEW_YORK, date(2026, 11, 2), utc(2026, 11, 2, 13, 0)),  # 08:00 EST
    ],
)
def test_eight_in_the_morning_stays_eight_in_the_morning_across_a_dst_change(
    zone_name: str, day: date, expected: datetime
) -> None:
    assert local_instant(day, time(8, 0), ZoneInfo(zone_name)) == expected
    # The scheduler, asked half a day ahead, lands on the same instant.
    assert next_due(after=expected - timedelta(hours=12), at=time(8, 0), zone_name=zone_name) == (
        expected
    )
    assert local_date(expected, zone_name) == day


# --- Spring forward: a time that does not exist that day ---------------------------------


@pytest.mark.parametrize(
    ("zone_name", "day", "at", "expected"),
    [
        (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
        (BERLIN, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
        (BERLIN, date(2026, 3, 29), time(2, 59), utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
        (NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
        (NEW_YORK, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
    ],
)
def test_a_time_skipped_by_spring_forward_comes_at_the_first_valid_minute(
    zone_name: str, day: date, at: time, expected: datetime
) -> None:
    instant = local_instant(day, at, ZoneInfo(zone_name))

    assert instant == expected
    assert wall_clock(instant, zone_name) == (day, time(3, 0))


def test_the_scheduler_sends_a_skipped_time_at_the_jump_and_the_usual_time_the_next_day() -> None:
    # Saturday evening in Berlin, 2026-03-28 20:00 CET.
    saturday_evening = utc(2026, 3, 28, 19, 0)

    sunday = next_due(
        after=saturday_evening,
        at=time(2, 30),
        zone_name=BERLIN,
        last_local_date=date(2026, 3, 28),
    )
    assert sunday == utc(2026, 3, 29, 1, 0)  # 03:00 CEST, the moment the clocks jump

    monday = next_due(
        after=sunday, at=time(2, 30), zone_name=BERLIN, last_local_date=date(2026, 3, 29)
    )
    assert monday == utc(2026, 3, 30, 0, 30)  # 02:30 CEST


# --- Fall back: a time that happens twice --------------------------------------------------


@pytest.mark.parametrize(
    ("zone_name", "day", "at", "first", "second"),
    [
        # 02:30 CEST (+02:00) = 00:30 UTC; the repeat, 02:30 CET (+01:00), = 01:30 UTC.
        (
            BERLIN,
            date(2026, 10, 25),
            time(2, 30),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 30),
        ),
        # 01:30 EDT (-04:00) = 05:30 UTC; the repeat, 01:30 EST (-05:00), = 06:30 UTC.
        (
            NEW_YORK,
            date(2026, 11, 1),
            time(1, 30),
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 1, 6, 30),
        ),
    ],
)
def test_a_time_that_occurs_twice_is_sent_once_at_its_first_occurrence(
    zone_name: str, day: date, at: time, first: datetime, second: datetime
) -> None:
    assert local_instant(day, at, ZoneInfo(zone_name)) == first
    # Both instants read the same on the wall; only the first one is ours.
    assert wall_clock(first, zone_name) == wall_clock(second, zone_name) == (day, at)
    day_before = datetime.combine(day - timedelta(days=1), time(12, 0), tzinfo=UTC)
    assert next_due(after=day_before, at=at, zone_name=zone_name) == first


FALL_BACK_CASES = [
    pytest.param(
        BERLIN,
        date(2026, 10, 25),
        time(2, 30),
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first occurrence
        utc(2026, 10, 25, 1, 30),  # 02:30 CET, the repeat
        utc(2026, 10, 26, 1, 30),  # 02:30 CET on Monday
        id="berlin",
    ),
    pytest.param(
        NEW_YORK,
        date(2026, 11, 1),
        time(1, 30),
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT, the first occurrence
        utc(2026, 11, 1, 6, 30),  # 01:30 EST, the repeat
        utc(2026, 11, 2, 6, 30),  # 01:30 EST on Monday
        id="new-york",
    ),
]


@pytest.mark.parametrize(("zone_name", "day", "at", "first", "second", "tomorrow"), FALL_BACK_CASES)
@pytest.mark.parametrize(
    ("sent_after", "recorded"),
    [
        pytest.param(timedelta(0), True, id="recorded-at-once"),
        pytest.param(timedelta(seconds=5), True, id="recorded-seconds-later"),
        pytest.param(timedelta(0), False, id="no-date-recorded"),
        pytest.param(timedelta(minutes=59), False, id="just-before-the-repeat"),
    ],
)
def test_after_the_first_occurrence_the_repeat_is_skipped_and_tomorrow_comes_next(
    zone_name: str,
    day: date,
    at: time,
    first: datetime,
    second: datetime,
    tomorrow: datetime,
    sent_after: timedelta,
    recorded: bool,
) -> None:
    due = next_due(
        after=first + sent_after,
        at=at,
        zone_name=zone_name,
        last_local_date=day if recorded else None,
    )

    assert due != second
    assert due == tomorrow
    assert local_date(due, zone_name) == day + timedelta(days=1)


# --- Lord Howe Island: a half-hour DST shift -------------------------------------------------


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        # DST starts 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11:00).
        (date(2026, 10, 3), time(8, 0), utc(2026, 10, 2, 21, 30)),  # 08:00 +10:30
        (date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 30)),  # gap -> 02:30 +11:00
        (date(2026, 10, 4), time(8, 0), utc(2026, 10, 3, 21, 0)),  # 08:00 +11:00
        (date(2026, 10, 5), time(8, 0), utc(2026, 10, 4, 21, 0)),  # 08:00 +11:00
        # DST ends 2026-04-05: 02:00 (+11:00) falls back to 01:30 (+10:30).
        (date(2026, 4, 4), time(8, 0), utc(2026, 4, 3, 21, 0)),  # 08:00 +11:00
        (date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),  # first 01:45, at +11:00
        (date(2026, 4, 6), time(8, 0), utc(2026, 4, 5, 21, 30)),  # 08:00 +10:30
    ],
)
def test_lord_howe_half_hour_shift_is_honoured(day: date, at: time, expected: datetime) -> None:
    assert local_instant(day, at, ZoneInfo(LORD_HOWE)) == expected


def test_on_lord_howe_a_quarter_past_two_on_the_jump_day_comes_at_half_past_two() -> None:
    instant = local_instant(date(2026, 10, 4), time(2, 15), ZoneInfo(LORD_HOWE))

    assert wall_clock(instant, LORD_HOWE) == (date(2026, 10, 4), time(2, 30))


# --- Kathmandu: a quarter-hour offset and no DST ---------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 1, 15), date(2026, 7, 15)])
def test_kathmandu_seven_in_the_morning_is_a_quarter_past_one_utc(day: date) -> None:
    expected = datetime.combine(day, time(1, 15), tzinfo=UTC)  # 07:00 +05:45, all year

    assert local_instant(day, time(7, 0), ZoneInfo(KATHMANDU)) == expected
    assert next_due(after=expected - timedelta(hours=1), at=time(7, 0), zone_name=KATHMANDU) == (
        expected
    )


# --- A pair on opposite sides of the date line -----------------------------------------------


def test_partners_in_auckland_and_los_angeles_each_get_date_d_at_their_own_eight_oclock() -> None:
    d = date(2026, 11, 16)
    auckland = local_instant(d, time(8, 0), ZoneInfo(AUCKLAND))
    los_angeles = local_instant(d, time(8, 0), ZoneInfo(LOS_ANGELES))

    assert auckland == utc(2026, 11, 15, 19, 0)  # 08:00 NZDT (+13:00) on the 16th
    assert los_angeles == utc(2026, 11, 16, 16, 0)  # 08:00 PST (-08:00) on the 16th
    assert auckland < los_angeles
    assert los_angeles - auckland == timedelta(hours=21)
    assert local_date(auckland, AUCKLAND) == d
    assert local_date(los_angeles, LOS_ANGELES) == d
    # The Auckland nudge for the 16th goes out while it is still the 15th in UTC.
    assert auckland.date() == date(2026, 11, 15)


def test_from_one_shared_moment_each_partner_is_scheduled_for_their_own_next_date() -> None:
    # 2026-11-15 12:00 UTC: 01:00 on the 16th in Auckland, 04:00 on the 15th in Los Angeles.
    now = utc(2026, 11, 15, 12, 0)

    auckland = next_due(
        after=now, at=time(8, 0), zone_name=AUCKLAND, last_local_date=date(2026, 11, 15)
    )
    los_angeles = next_due(
        after=now, at=time(8, 0), zone_name=LOS_ANGELES, last_local_date=date(2026, 11, 14)
    )

    assert auckland == utc(2026, 11, 15, 19, 0)  # 08:00 NZDT on the 16th
    assert los_angeles == utc(2026, 11, 15, 16, 0)  # 08:00 PST on the 15th
    assert local_date(auckland, AUCKLAND) == date(2026, 11, 16)
    assert local_date(los_angeles, LOS_ANGELES) == date(2026, 11, 15)


# --- next_due: the rules ---------------------------------------------------------------------
# Berlin in June (CEST, +02:00), far from any DST change. 2026-06-10 is a Wednesday.


def test_a_due_instant_equal_to_after_is_not_returned_the_next_days_is() -> None:
    wednesday_eight = utc(2026, 6, 10, 6, 0)  # 08:00 CEST

    assert next_due(after=wednesday_eight, at=time(8, 0), zone_name=BERLIN) == utc(
        2026, 6, 11, 6, 0
    )  # Thursday 08:00 CEST
    one_second_before = wednesday_eight - timedelta(seconds=1)
    assert next_due(after=one_second_before, at=time(8, 0), zone_name=BERLIN) == wednesday_eight


def test_the_first_nudge_after_pairing_is_the_next_occurrence_never_the_pairing_moment() -> None:
    paired_at = utc(2026, 6, 10, 10, 0)  # 12:00 CEST, chosen time 08:00 already gone

    assert next_due(after=paired_at, at=time(8, 0), zone_name=BERLIN) == utc(2026, 6, 11, 6, 0)


def test_once_todays_nudge_went_the_next_is_tomorrow_even_if_todays_time_is_still_ahead() -> None:
    ten_in_the_morning = utc(2026, 6, 10, 8, 0)  # 10:00 CEST

    due = next_due(
        after=ten_in_the_morning,
        at=time(20, 0),
        zone_name=BERLIN,
        last_local_date=date(2026, 6, 10),
    )

    assert due == utc(2026, 6, 11, 18, 0)  # Thursday 20:00 CEST


def test_moving_the_time_later_after_todays_nudge_went_gives_nothing_more_today() -> None:
    # Today's 08:00 went out; at 09:00 the user moves their time to 21:00.
    nine = utc(2026, 6, 10, 7, 0)  # 09:00 CEST

    due = next_due(after=nine, at=time(21, 0), zone_name=BERLIN, last_local_date=date(2026, 6, 10))

    assert due == utc(2026, 6, 11, 19, 0)  # Thursday 21:00 CEST


def test_moving_the_time_later_before_todays_nudge_went_sends_it_today_at_the_new_time() -> None:
    # Yesterday's went; at 07:00 today the user moves 08:00 to 21:00.
    seven = utc(2026, 6, 10, 5, 0)  # 07:00 CEST

    due = next_due(after=seven, at=time(21, 0), zone_name=BERLIN, last_local_date=date(2026, 6, 9))

    assert due == utc(2026, 6, 10, 19, 0)  # Wednesday 21:00 CEST


def test_moving_the_time_earlier_than_now_on_an_unserved_day_waits_for_tomorrow() -> None:
    # At 10:00, with today's 12:00 nudge not sent yet, the user moves it to 09:00.
    ten = utc(2026, 6, 10, 8, 0)  # 10:00 CEST

    due = next_due(after=ten, at=time(9, 0), zone_name=BERLIN, last_local_date=date(2026, 6, 9))

    assert due == utc(2026, 6, 11, 7, 0)  # Thursday 09:00 CEST


@pytest.mark.parametrize("last_local_date", [date(2026, 6, 12), None])
def test_weekdays_only_a_friday_evening_call_returns_monday(last_local_date: date | None) -> None:
    friday_evening = utc(2026, 6, 12, 17, 0)  # Friday 19:00 CEST

    due = next_due(
        after=friday_evening,
        at=time(8, 0),
        zone_name=BERLIN,
        last_local_date=last_local_date,
        weekdays=WEEKDAYS_ONLY,
    )

    assert due == utc(2026, 6, 15, 6, 0)  # Monday 08:00 CEST
    assert local_date(due, BERLIN).weekday() == 0


def test_weekends_only_a_monday_call_returns_saturday() -> None:
    monday_noon = utc(2026, 6, 15, 10, 0)  # Monday 12:00 CEST

    due = next_due(after=monday_noon, at=time(9, 30), zone_name=BERLIN, weekdays=frozenset({5, 6}))

    assert due == utc(2026, 6, 20, 7, 30)  # Saturday 09:30 CEST


def test_an_empty_set_of_nudge_days_means_no_nudge_at_all() -> None:
    assert (
        next_due(
            after=utc(2026, 6, 10, 6, 0), at=time(8, 0), zone_name=BERLIN, weekdays=frozenset()
        )
        is None
    )


def test_a_pause_skips_every_nudge_inside_it() -> None:
    # Paused on Wednesday until Saturday 14:00 CEST: Saturday's 08:00 is inside the pause.
    due = next_due(
        after=utc(2026, 6, 10, 10, 0),
        at=time(8, 0),
        zone_name=BERLIN,
        last_local_date=date(2026, 6, 10),
        paused_until=utc(2026, 6, 20, 12, 0),
    )

    assert due == utc(2026, 6, 21, 6, 0)  # Sunday 08:00 CEST


def test_a_pause_ending_exactly_at_a_due_instant_lets_that_nudge_through() -> None:
    saturday_eight = utc(2026, 6, 20, 6, 0)  # 08:00 CEST

    due = next_due(
        after=utc(2026, 6, 10, 10, 0),
        at=time(8, 0),
        zone_name=BERLIN,
        paused_until=saturday_eight,
    )

    assert due == saturday_eight


def test_a_pause_already_over_changes_nothing() -> None:
    due = next_due(
        after=utc(2026, 6, 10, 10, 0),
        at=time(8, 0),
        zone_name=BERLIN,
        paused_until=utc(2026, 6, 1, 0, 0),
    )

    assert due == utc(2026, 6, 11, 6, 0)  # Thursday 08:00 CEST


def test_a_pause_and_weekdays_together_give_the_first_allowed_day_after_the_pause() -> None:
    # Paused until Friday 12:00; nudges on weekdays only: Friday's 08:00 is inside the pause.
    due = next_due(
        after=utc(2026, 6, 10, 10, 0),
        at=time(8, 0),
        zone_name=BERLIN,
        paused_until=utc(2026, 6, 12, 10, 0),
        weekdays=WEEKDAYS_ONLY,
    )

    assert due == utc(2026, 6, 15, 6, 0)  # Monday 08:00 CEST


def test_a_naive_after_is_refused() -> None:
    naive = utc(2026, 6, 10, 6, 0).replace(tzinfo=None)

    with pytest.raises(ValueError, match="aware"):
        next_due(after=naive, at=time(8, 0), zone_name=BERLIN)


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        next_due(after=utc(2026, 6, 10, 6, 0), at=time(8, 0), zone_name="Mars/Olympus_Mons")


def test_a_user_who_moved_west_never_gets_a_second_nudge_for_a_date_already_served() -> None:
    # Saturday 2026-06-13 08:00 NZST (+12:00) in Auckland = Friday 20:00 UTC: served.
    served = utc(2026, 6, 12, 20, 0)
    assert local_date(served, AUCKLAND) == date(2026, 6, 13)
    # Minutes later they move to Los Angeles, where it is still Friday the 12th (13:05 PDT).
    now = served + timedelta(minutes=5)
    assert local_date(now, LOS_ANGELES) == date(2026, 6, 12)

    due = next_due(
        after=now, at=time(8, 0), zone_name=LOS_ANGELES, last_local_date=date(2026, 6, 13)
    )

    # Not Saturday 08:00 PDT (2026-06-13 15:00 UTC): the 13th was already served.
    assert due != utc(2026, 6, 13, 15, 0)
    assert due == utc(2026, 6, 14, 15, 0)  # Sunday 08:00 PDT (-07:00)
    assert local_date(due, LOS_ANGELES) == date(2026, 6, 14)


def test_a_user_who_moved_east_gets_the_next_date_in_the_new_zone() -> None:
    # Friday 2026-06-12 08:00 PDT in Los Angeles = 15:00 UTC: served.
    now = utc(2026, 6, 12, 15, 5)
    # They land in Berlin, where it is already 17:05 on the 12th; no second nudge for it.

    due = next_due(after=now, at=time(8, 0), zone_name=BERLIN, last_local_date=date(2026, 6, 12))

    assert due == utc(2026, 6, 13, 6, 0)  # Saturday 08:00 CEST


# --- Catch-up after downtime ----------------------------------------------------------------


DUE = utc(2026, 6, 10, 6, 0)


@pytest.mark.parametrize(
    ("now", "too_late"),
    [
        pytest.param(DUE - timedelta(minutes=1), False, id="not-due-yet"),
        pytest.param(DUE, False, id="on-time"),
        pytest.param(DUE + timedelta(hours=3), False, id="exactly-three-hours"),
        pytest.param(DUE + timedelta(hours=3, minutes=1), True, id="three-hours-one-minute"),
        pytest.param(DUE + timedelta(days=1), True, id="a-day-late"),
    ],
)
def test_a_nudge_up_to_three_hours_late_is_still_sent(now: datetime, too_late: bool) -> None:
    assert is_too_late(DUE, now) is too_late


@pytest.mark.parametrize(
    ("late_by", "too_late"),
    [
        (timedelta(minutes=30), False),
        (timedelta(minutes=31), True),
    ],
)
def test_a_custom_catch_up_window_is_respected(late_by: timedelta, too_late: bool) -> None:
    assert is_too_late(DUE, DUE + late_by, catch_up=timedelta(minutes=30)) is too_late
