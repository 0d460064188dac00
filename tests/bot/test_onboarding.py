"""Onboarding, in process on both databases: /start, the time zone, the nudge time, the
invite offer; and /time, /timezone and a shared location afterwards.

The black-box versions run the real process in tests/e2e/test_pairing_e2e.py."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import texts
from fakegram import FakeTelegram, FakeUser
from storage.models import OnboardingStep, User
from tests.bot.app_harness import RunningApp, onboard, pair_up, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, 15:00 in Tokyo


async def stored(app: RunningApp, user: FakeUser) -> User | None:
    async with app.stored() as session:
        return await session.get(User, user.id)


def labels(fake: FakeTelegram, message: object) -> list[str]:
    return [label for label, _ in fake.buttons(message)]  # type: ignore[arg-type]


async def test_a_newcomer_is_asked_their_zone_then_their_time_then_offered_an_invite(
    app: RunningApp, fake: FakeTelegram
) -> None:
    welcome, ask_zone = await app.send(ALEX, "/start")
    assert welcome.raw_text == texts.welcome("Alex")
    assert ask_zone.raw_text == texts.ASK_TIMEZONE
    assert labels(fake, ask_zone) == [texts.SHARE_LOCATION_BUTTON]  # a reply keyboard
    user = await stored(app, ALEX)
    assert user is not None and user.onboarding_step == OnboardingStep.TIMEZONE

    zone_set, ask_time = await app.send(ALEX, "Berlin")
    assert zone_set.raw_text == texts.timezone_set("Berlin, DE", "Europe/Berlin", "07:00")
    assert ask_time.raw_text == texts.ASK_TIME
    assert labels(fake, ask_time) == ["07:00", "08:00", "09:00"]

    time_set, offer = await app.tap(ALEX, ask_time, "08:00")
    assert time_set.raw_text == texts.time_set("08:00", "Europe/Berlin")
    assert offer.raw_text == texts.OFFER_INVITE
    assert labels(fake, offer) == [texts.INVITE_BUTTON]
    assert labels(fake, app.now_showing(ALEX, ask_time.message_id)) == []  # buttons used up
    user = await stored(app, ALEX)
    assert user is not None
    assert (user.timezone, f"{user.nudge_time:%H:%M}") == ("Europe/Berlin", "08:00")
    assert user.onboarding_step == OnboardingStep.DONE
    assert user.next_due_at is None  # nudges wait for a partner


async def test_a_place_or_time_not_understood_is_explained_and_the_question_stays(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await app.send(ALEX, "/start")
    (unknown,) = await app.send(ALEX, "Narnia")
    assert unknown.raw_text == texts.timezone_unknown("Narnia")
    before = len(fake.sent_to(ALEX.id))
    await app.feed(fake.send_location(ALEX, 100.0, 500.0))  # no place on Earth
    assert [m.raw_text for m in fake.sent_to(ALEX.id)[before:]] == [texts.LOCATION_NO_ZONE]
    user = await stored(app, ALEX)
    assert user is not None
    assert (user.timezone, user.onboarding_step) == (None, OnboardingStep.TIMEZONE)

    await app.send(ALEX, "Tokyo")
    (unknown,) = await app.send(ALEX, "half past never")
    assert unknown.raw_text == texts.time_unknown("half past never")
    (unknown,) = await app.send(ALEX, "25:00")
    assert unknown.raw_text == texts.time_unknown("25:00")
    user = await stored(app, ALEX)
    assert user is not None
    assert (user.timezone, user.nudge_time) == ("Asia/Tokyo", None)
    assert user.onboarding_step == OnboardingStep.TIME

    time_set, _ = await app.send(ALEX, "7:30pm")
    assert time_set.raw_text == texts.time_set("19:30", "Asia/Tokyo")


async def test_a_first_plain_message_starts_onboarding_like_start_does(
    app: RunningApp, fake: FakeTelegram
) -> None:
    welcome, ask_zone = await app.send(SAM, "hello?")
    assert welcome.raw_text == texts.welcome("Sam")
    assert ask_zone.raw_text == texts.ASK_TIMEZONE
    user = await stored(app, SAM)
    assert user is not None and user.onboarding_step == OnboardingStep.TIMEZONE
    assert user.timezone is None  # "hello?" was a greeting, not a place


async def test_start_again_midway_welcomes_back_and_asks_the_same_question(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await app.send(ALEX, "/start")
    await app.send(ALEX, "Berlin")
    welcome_back, ask_time = await app.send(ALEX, "/start")
    assert welcome_back.raw_text == texts.welcome_back("Alex")
    assert ask_time.raw_text == texts.ASK_TIME


async def test_start_when_set_up_offers_the_invite_or_says_all_is_set(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, ALEX)
    (offer,) = await app.send(ALEX, "/start")
    assert offer.raw_text == texts.OFFER_INVITE
    assert labels(fake, offer) == [texts.INVITE_BUTTON]
    await pair_up(app, fake, SAM, FakeUser(222, "Robin"))
    (all_set,) = await app.send(SAM, "/start")
    assert all_set.raw_text == texts.ALL_SET_PAIRED


async def test_half_done_onboarding_survives_a_restart(
    database_url: str, fake: FakeTelegram, clock: FrozenClock
) -> None:
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await app.send(ALEX, "/start")
        await app.send(ALEX, "Tokyo")  # now asked for a time
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        time_set, offer = await app.send(ALEX, "19:05")
        assert time_set.raw_text == texts.time_set("19:05", "Asia/Tokyo")
        assert offer.raw_text == texts.OFFER_INVITE
        assert app.errors == []


async def test_time_and_timezone_change_later_and_bad_ones_change_nothing(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, ALEX)
    (time_set,) = await app.send(ALEX, "/time 7:30")
    assert time_set.raw_text == texts.time_set("07:30", "Europe/Berlin")
    (unknown,) = await app.send(ALEX, "/time 25:00")
    assert unknown.raw_text == texts.time_unknown("25:00")
    (usage,) = await app.send(ALEX, "/time")
    assert usage.raw_text == texts.time_usage("07:30")
    assert labels(fake, usage) == ["07:00", "08:00", "09:00"]

    (zone_set,) = await app.send(ALEX, "/timezone Kathmandu")
    assert "Asia/Kathmandu" in zone_set.text
    (unknown,) = await app.send(ALEX, "/timezone Narnia")
    assert unknown.raw_text == texts.timezone_unknown("Narnia")
    (usage,) = await app.send(ALEX, "/timezone")
    assert usage.raw_text == texts.timezone_usage("Asia/Kathmandu")
    assert labels(fake, usage) == [texts.SHARE_LOCATION_BUTTON]
    user = await stored(app, ALEX)
    assert user is not None
    assert (user.timezone, f"{user.nudge_time:%H:%M}") == ("Asia/Kathmandu", "07:30")

    before = len(fake.sent_to(ALEX.id))
    await app.feed(fake.send_location(ALEX, 40.71, -74.0))  # a location, any time later
    (zone_set,) = fake.sent_to(ALEX.id)[before:]
    assert "America/New_York" in zone_set.text
    user = await stored(app, ALEX)
    assert user is not None and user.timezone == "America/New_York"
    assert user.onboarding_step == OnboardingStep.DONE  # no question asked again
