"""/settings and /topics, in process on both databases: every setting is a button that edits
the one settings message; shared settings tell the partner, private ones never do.

The black-box versions run the real process in tests/e2e/test_pause_settings_e2e.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot import texts
from fakegram import FakeTelegram, FakeUser, SentMessage
from nudges.choice import Living
from nudges.languages import Language
from nudges.library import MAIN_CATEGORIES, topics_from_text
from storage.models import Pair, User
from tests.bot.app_harness import RunningApp, a_paired_couple, onboard, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
MONDAY_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin


@pytest.fixture
async def app(database_url: str, fake: FakeTelegram) -> AsyncIterator[RunningApp]:
    """Alex and Sam, paired in Berlin with an 8:00 nudge, on a Monday at 07:00."""
    clock = FrozenClock(MONDAY_7)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as running:
        await a_paired_couple(running, ALEX, SAM, now=MONDAY_7)
        yield running
        assert running.errors == []


def labels(fake: FakeTelegram, message: SentMessage) -> list[str]:
    return [label for label, _ in fake.buttons(message)]


async def stored(app: RunningApp, user: FakeUser) -> tuple[User, Pair | None]:
    async with app.stored() as session:
        found = await session.get(User, user.id)
        assert found is not None
        pair = await session.get(Pair, found.pair_id) if found.pair_id is not None else None
        return found, pair


class Settings:
    """The one settings message on `user`'s phone; tapping its buttons edits it in place."""

    def __init__(self, app: RunningApp, user: FakeUser, message: SentMessage) -> None:
        self.app, self.user, self.message_id = app, user, message.message_id

    @property
    def now(self) -> SentMessage:
        return self.app.now_showing(self.user, self.message_id)

    @property
    def labels(self) -> list[str]:
        return labels(self.app.fake, self.now)

    async def tap(self, label: str) -> str:
        """Taps; returns the message's text after the edit (no new message is sent)."""
        assert await self.app.tap(self.user, self.now, label) == []
        return self.now.text


async def test_settings_show_what_is_stored_with_a_button_for_each(
    app: RunningApp, fake: FakeTelegram
) -> None:
    (settings,) = await app.send(ALEX, "/settings")
    assert settings.raw_text == texts.settings_view(
        time_text="08:00",
        zone="Europe/Berlin",
        partner_name="Sam",
        days=texts.DAYS_EVERY,
        topics=", ".join(texts.CATEGORY_TITLES[c] for c in MAIN_CATEGORIES),
        follow_ups=True,
        living=texts.LIVING_NAMES[Living.TOGETHER],
        spark=False,
        pause=None,
        recap_with_checkin=False,
        language=Language.EN,
    )
    assert labels(fake, settings) == [
        "⏰ Time",
        "🌍 Zone",
        "📅 Days",
        "🔔 Follow-up",
        "✨ Spark",
        "🗣 Language",
        "🗂 Topics",
        texts.LIVING_BUTTON,
        "🖼 Recap with check-in",
        "⏸ Pause or resume",
        "🫶 Weekly check-in",
    ]


async def test_private_settings_change_in_place_and_the_partner_hears_nothing(
    app: RunningApp, fake: FakeTelegram
) -> None:
    (message,) = await app.send(ALEX, "/settings")
    settings = Settings(app, ALEX, message)
    before = await stored(app, ALEX)

    assert await settings.tap("📅 Days") == texts.PICK_DAYS
    await settings.tap("Weekdays")
    assert "✅ Mon" in settings.labels and "▫️ Sat" in settings.labels
    assert "Nudge days: weekdays" in await settings.tap(texts.SETTINGS_BACK)
    assert "One gentle follow-up: off" in await settings.tap("🔔 Follow-up")
    assert "Pick your nudge time" in await settings.tap("⏰ Time")
    assert "Nudge time: 07:30" in await settings.tap("07:30")
    assert "(flirty, only if you both opt in): in" in await settings.tap("✨ Spark")
    assert "/timezone" in await settings.tap("🌍 Zone")

    alex, _ = await stored(app, ALEX)
    assert (alex.weekdays, alex.follow_ups, alex.spark) == (0b0011111, False, True)
    assert f"{alex.nudge_time:%H:%M}" == "07:30"
    assert before[0].next_due_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert alex.next_due_at == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # today, 07:30
    assert len(fake.sent_to(ALEX.id)) == 1  # all by editing the one message
    assert fake.sent_to(SAM.id) == []  # spark, days, time: nobody else's business


async def test_shared_settings_tell_the_partner(app: RunningApp, fake: FakeTelegram) -> None:
    (message,) = await app.send(ALEX, "/settings")
    settings = Settings(app, ALEX, message)
    assert await settings.tap(texts.LIVING_BUTTON) == texts.PICK_LIVING
    assert "Where you live (shared): long-distance" in await settings.tap("▫️ ✈️ Long-distance")
    assert fake.texts_to(SAM.id) == [texts.partner_changed_living("Alex", Living.LONG_DISTANCE)]

    await settings.tap("🗂 Topics")
    assert settings.now.raw_text == texts.PICK_TOPICS
    await settings.tap("✅ 💭 Feelings")
    assert "▫️ 💭 Feelings" in settings.labels
    _, pair = await stored(app, ALEX)
    assert pair is not None and pair.living == Living.LONG_DISTANCE
    topics = topics_from_text(pair.topics)
    assert len(topics) == len(MAIN_CATEGORIES) - 1
    assert all(c.value != "feelings" for c in topics)
    news = fake.texts_to(SAM.id)[-1]
    assert news.startswith("Alex changed your shared topics") and "Feelings" not in news


async def test_the_last_topic_and_the_last_day_stay_on(app: RunningApp, fake: FakeTelegram) -> None:
    (message,) = await app.send(SAM, "/topics")
    topics = Settings(app, SAM, message)
    for label in [label for label in topics.labels if label.startswith("✅")]:
        await topics.tap(label)
    _, pair = await stored(app, SAM)
    assert pair is not None and len(topics_from_text(pair.topics)) == 1
    assert sum(label.startswith("✅") for label in topics.labels) == 1

    (message,) = await app.send(SAM, "/settings")
    settings = Settings(app, SAM, message)
    await settings.tap("📅 Days")
    for name in texts.WEEKDAY_NAMES:
        await settings.tap(f"✅ {name}")
    sam, _ = await stored(app, SAM)
    assert sam.weekdays == 0b1000000  # Sunday, the last one tapped, stays on
    assert sam.next_due_at == datetime(2026, 11, 29, 7, 0, tzinfo=UTC)  # Sunday 08:00


async def test_someone_unpaired_has_their_own_settings_but_no_shared_ones(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, KIM)
    (refused,) = await app.send(KIM, "/topics")
    assert refused.raw_text == texts.TOPICS_NOT_PAIRED
    (message,) = await app.send(KIM, "/settings")
    assert "Partner: not paired yet (/invite)" in message.text
    assert "Topics" not in message.text and "Where you live" not in message.text
    assert "Recap picture" not in message.text
    assert labels(fake, message) == [
        "⏰ Time",
        "🌍 Zone",
        "📅 Days",
        "🔔 Follow-up",
        "✨ Spark",
        "🗣 Language",
    ]
    settings = Settings(app, KIM, message)
    assert "One gentle follow-up: off" in await settings.tap("🔔 Follow-up")

    for data in (
        "set:ld",
        "set:recap",
        "set:topics",
        "set:tp:feelings",
        "set:t:25:00",
        "set:d:9",
        "set:x",
    ):
        answer = await app.press(KIM, message.message_id, data)
        assert answer.get("show_alert") is True, data
        assert answer.get("text") == texts.BUTTON_EXPIRED
    kim, pair = await stored(app, KIM)
    assert pair is None and kim.weekdays == 0b1111111 and not kim.follow_ups
    assert fake.sent_to(ALEX.id) == fake.sent_to(SAM.id) == []


async def test_the_recap_with_the_check_in_is_off_at_first_shared_and_toggled_in_settings(
    app: RunningApp, fake: FakeTelegram
) -> None:
    _, pair = await stored(app, ALEX)
    assert pair is not None and pair.recap_with_checkin is False
    (message,) = await app.send(ALEX, "/settings")
    assert "Recap picture with the weekly check-in (shared): off" in message.text
    settings = Settings(app, ALEX, message)

    on = await settings.tap("🖼 Recap with check-in")
    assert "Recap picture with the weekly check-in (shared): on" in on
    _, pair = await stored(app, ALEX)
    assert pair is not None and pair.recap_with_checkin is True
    assert fake.texts_to(SAM.id) == [texts.partner_changed_recap("Alex", True)]
    (seen_by_sam,) = await app.send(SAM, "/settings")
    assert "Recap picture with the weekly check-in (shared): on" in seen_by_sam.text

    off = await settings.tap("🖼 Recap with check-in")
    assert "Recap picture with the weekly check-in (shared): off" in off
    _, pair = await stored(app, ALEX)
    assert pair is not None and pair.recap_with_checkin is False
