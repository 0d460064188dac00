"""The weekly check-in's and "on this day"'s rules: due instants, far weeks, past days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from nudges.checkin import (
    Ago,
    Feeling,
    ago_of,
    both_far_for,
    far_in_a_row,
    feeling_of,
    first_offer,
    may_offer_memory,
    memory_days,
    months_before,
    next_checkin,
)

FAR, BIT, CLOSE = Feeling.FAR_APART, Feeling.A_BIT_FAR, Feeling.CLOSE


def test_the_next_check_in_is_the_chosen_weekday_and_time_in_each_zone() -> None:
    monday = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    berlin = next_checkin(after=monday, weekday=6, at=time(19, 0), zone_name="Europe/Berlin")
    tokyo = next_checkin(after=monday, weekday=6, at=time(19, 0), zone_name="Asia/Tokyo")
    assert berlin == datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # Sunday 19:00, UTC+1
    assert tokyo == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # Sunday 19:00, UTC+9


def test_at_the_very_instant_the_next_one_is_a_week_later() -> None:
    sunday = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    later = next_checkin(after=sunday, weekday=6, at=time(19, 0), zone_name="Europe/Berlin")
    assert later == datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    earlier = next_checkin(
        after=sunday.replace(minute=0, hour=17),
        weekday=6,
        at=time(19, 0),
        zone_name="Europe/Berlin",
    )
    assert earlier == sunday


def test_a_check_in_keeps_its_local_time_across_a_clock_change() -> None:
    # Europe/Berlin moves to summer time on Sunday 29 March 2026.
    before = next_checkin(
        after=datetime(2026, 3, 20, tzinfo=UTC),
        weekday=6,
        at=time(19, 0),
        zone_name="Europe/Berlin",
    )
    after = next_checkin(after=before, weekday=6, at=time(19, 0), zone_name="Europe/Berlin")
    assert (before.hour, after.hour) == (18, 17)  # 19:00 local both times


def test_naive_instants_and_impossible_weekdays_are_refused() -> None:
    with pytest.raises(ValueError):
        next_checkin(after=datetime(2026, 1, 1), weekday=6, at=time(19), zone_name="UTC")  # noqa: DTZ001
    with pytest.raises(ValueError):
        next_checkin(
            after=datetime(2026, 1, 1, tzinfo=UTC), weekday=7, at=time(19), zone_name="UTC"
        )


def test_the_offer_comes_at_the_first_sunday_evening_after_two_weeks() -> None:
    paired = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday
    offer = first_offer(paired_at=paired, now=paired, zone_name="Europe/Berlin")
    assert offer == datetime(2026, 12, 13, 18, 0, tzinfo=UTC)  # Sunday of the third week
    late = datetime(2027, 1, 5, tzinfo=UTC)  # planned long after: the next Sunday from now
    assert first_offer(paired_at=paired, now=late, zone_name="Europe/Berlin") == datetime(
        2027, 1, 10, 18, 0, tzinfo=UTC
    )


def test_a_bit_far_twice_in_a_row_counts_and_a_missed_week_breaks_the_row() -> None:
    assert far_in_a_row([BIT, FAR, CLOSE])
    assert not far_in_a_row([BIT, CLOSE, FAR])
    assert not far_in_a_row([BIT, None, BIT])
    assert not far_in_a_row([BIT])
    assert not far_in_a_row([])


def test_the_counsellor_line_needs_both_far_for_four_weeks() -> None:
    four = [BIT, FAR, BIT, BIT]
    assert both_far_for(four, [FAR, FAR, FAR, BIT])
    assert not both_far_for(four, [FAR, FAR, FAR, CLOSE])
    assert not both_far_for(four, [FAR, FAR, FAR])
    assert not both_far_for([BIT, FAR, BIT, Feeling.OKAY], four)


def test_only_known_feelings_are_read() -> None:
    assert feeling_of("a_bit_far") is BIT
    assert feeling_of("score:5") is None
    assert feeling_of(None) is None


def test_on_this_day_looks_a_year_six_months_and_a_month_back() -> None:
    assert memory_days(date(2026, 11, 23)) == [
        (Ago.YEAR, date(2025, 11, 23)),
        (Ago.SIX_MONTHS, date(2026, 5, 23)),
        (Ago.MONTH, date(2026, 10, 23)),
    ]
    # 31 March: no 31 February or 31 September; a year ago exists.
    assert memory_days(date(2026, 3, 31)) == [(Ago.YEAR, date(2025, 3, 31))]
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
    assert ago_of(date(2026, 11, 23), date(2026, 10, 23)) is Ago.MONTH
    assert ago_of(date(2026, 11, 23), date(2026, 10, 22)) is None


def test_at_most_one_memory_a_week_and_the_same_one_all_that_day() -> None:
    today = date(2026, 11, 23)
    assert may_offer_memory(None, today)
    assert may_offer_memory(today, today)
    assert not may_offer_memory(date(2026, 11, 17), today)
    assert may_offer_memory(date(2026, 11, 16), today)
