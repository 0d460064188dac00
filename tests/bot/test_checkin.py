"""The weekly check-in, in process: the offer, both answering, the reveal, pauses, unpairing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select

from bot import checkin, texts
from bot.picture import render
from fakegram import FakeTelegram, FakeUser, SentMessage
from storage import checkins, recap
from storage.models import Checkin, CheckinStep, Pair, User
from tests.bot.app_harness import RunningApp, a_paired_couple, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(11, "Alex")
SAM = FakeUser(12, "Sam")
PAIRED = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday; Berlin is UTC+1
OFFER = datetime(2026, 12, 13, 18, 0, tzinfo=UTC)  # Sunday 19:00 after the second week
FIRST = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)  # the first Sunday 19:00 once switched on
WEEK = timedelta(weeks=1)


@pytest.fixture
async def app(database_url: str, fake: FakeTelegram) -> AsyncIterator[RunningApp]:
    clock = FrozenClock(PAIRED)
    key = Fernet.generate_key().decode()
    async with running_app(
        fake,
        database_url=database_url,
        clock=clock,
        token=TOKEN,
        settings={"ANSWER_ENCRYPTION_KEY": key},
    ) as running:
        await a_paired_couple(running, ALEX, SAM, now=PAIRED)
        yield running
        assert running.errors == []


async def at(app: RunningApp, when: datetime) -> int:
    """The tick's check-in step at `when`."""
    clock = app.services.clock
    assert isinstance(clock, FrozenClock)
    clock.now = when
    return await checkin.send_due_now(app.application.bot, app.services)


def last(fake: FakeTelegram, user: FakeUser) -> SentMessage:
    return fake.sent_to(user.id)[-1]


async def switch_on(app: RunningApp) -> None:
    async with app.stored() as session:
        pair = (await session.exec(select(Pair))).one()
        pair.checkin_on = True
        await checkins.plan(session=session, pair=pair, now=app.services.clock())


async def answer(
    app: RunningApp, user: FakeUser, feeling: str, appreciated: str | None, more: str | None
) -> list[SentMessage]:
    """`user` answers the check-in in their chat: a feeling, then two texts (None: Skip)."""
    question = next(m for m in reversed(app.fake.sent_to(user.id)) if "connected" in m.text)
    replies = await app.tap(user, question, texts.FEELING_LABELS[feeling])  # type: ignore[index]
    for text in (appreciated, more):
        if text is None:
            replies += await app.tap(user, replies[-1], texts.CHECKIN_SKIP_BUTTON)
        else:
            replies += await app.send(user, text)
    return replies


async def test_the_offer_comes_once_after_the_second_week_and_yes_is_for_the_pair(
    app: RunningApp, fake: FakeTelegram
) -> None:
    assert await at(app, OFFER - timedelta(minutes=1)) == 0
    assert await at(app, OFFER) == 2
    for user in (ALEX, SAM):
        assert last(fake, user).raw_text == texts.CHECKIN_OFFER
    assert await at(app, OFFER + WEEK) == 0  # offered once, never again

    await app.tap(SAM, last(fake, SAM), texts.CHECKIN_NOT_NOW_BUTTON)
    assert last(fake, SAM).raw_text == texts.CHECKIN_NOT_NOW
    await app.tap(ALEX, fake.sent_to(ALEX.id)[-1], texts.CHECKIN_YES_BUTTON)
    assert "Sundays at 19:00" in last(fake, ALEX).text
    assert "Alex set your weekly check-in: Sundays at 19:00" in last(fake, SAM).text

    assert await at(app, OFFER + 2 * WEEK) == 2
    assert "How connected did you feel to Sam" in last(fake, ALEX).text
    assert "How connected did you feel to Alex" in last(fake, SAM).text


async def test_both_answer_and_each_sees_the_others_check_in_in_one_message(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    assert await at(app, FIRST) == 2
    replies = await answer(app, ALEX, "close", "the soup you made", None)
    assert replies[-1].raw_text == texts.checkin_saved("Sam")
    before = len(fake.sent_to(ALEX.id))
    replies = await answer(app, SAM, "okay", "our walk", "more walks <3")
    to_sam, to_alex = replies[-1], fake.sent_to(ALEX.id)[before:]
    assert "Alex's check-in" in to_sam.text
    assert "🤗 Close" in to_sam.text and "the soup you made" in to_sam.text
    assert "A little more of: skipped" in to_sam.text
    (only,) = to_alex
    assert "Sam's check-in" in only.text and "more walks <3" in only.text
    async with app.stored() as session:
        rows = list(await session.exec(select(Checkin)))
    assert {row.step for row in rows} == {CheckinStep.DONE}
    assert all(row.revealed_at is not None for row in rows)
    # Sealed at rest like answer texts.
    assert all((row.appreciated or "").startswith("enc1:") for row in rows)
    # After the check-in, a text answers the daily nudge again (nothing more is asked).
    assert (await app.send(ALEX, "hello"))[-1].raw_text != texts.ASK_MORE_OF


async def test_with_the_recap_chosen_each_partner_also_gets_their_own_picture(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    async with app.stored() as session:
        pair = (await session.exec(select(Pair))).one()
        pair.recap_with_checkin = True
    assert await at(app, FIRST) == 2
    await answer(app, ALEX, "close", "the soup you made", None)
    assert all(m.kind != "photo" for m in fake.sent_to(ALEX.id))  # not before both answered
    await answer(app, SAM, "okay", "our walk", None)
    for user, partner in ((ALEX, "Sam"), (SAM, "Alex")):
        reveal, photo = fake.sent_to(user.id)[-2:]
        assert f"{partner}'s check-in" in reveal.text
        assert photo.kind == "photo" and photo.text == texts.RECAP_CAPTION
        assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG")
    # Each picture is its viewer's own: what /recap draws for them.
    async with app.stored() as session:
        for user in (ALEX, SAM):
            viewer = await session.get(User, user.id)
            assert viewer is not None
            now = app.services.clock()
            facts = await recap.recap_facts(session=session, viewer=viewer, now=now)
            assert facts is not None
            assert fake.sent_to(user.id)[-1].file_bytes == render(facts)


async def test_without_the_recap_chosen_the_reveal_comes_alone(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    assert await at(app, FIRST) == 2
    await answer(app, ALEX, "close", None, None)
    await answer(app, SAM, "okay", None, None)
    assert all(m.kind != "photo" for m in fake.sent_to(ALEX.id) + fake.sent_to(SAM.id))


async def test_no_check_in_inside_a_pause_and_the_next_one_comes_after_it(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    app.services.clock.now = FIRST - timedelta(days=2)  # type: ignore[attr-defined]
    await app.send(ALEX, "/pause 1w")
    assert await at(app, FIRST) == 0
    assert await at(app, FIRST + WEEK) == 2


async def test_a_missed_check_in_closes_at_the_next_one_without_a_reminder(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    await at(app, FIRST)
    first = last(fake, ALEX)
    assert await at(app, FIRST + timedelta(days=3)) == 0  # nothing in between: no nagging
    await at(app, FIRST + WEEK)
    (_, very_close), *_ = fake.buttons(first)
    answer_to_old = await app.press(ALEX, first.message_id, very_close)
    assert answer_to_old["text"] == texts.CHECKIN_CLOSED
    async with app.stored() as session:
        steps = [row.step for row in await session.exec(select(Checkin).order_by(Checkin.id))]
    assert steps.count(CheckinStep.CLOSED) == 2 and steps.count(CheckinStep.FEELING) == 2


async def test_unpairing_closes_the_check_in_and_nothing_more_comes(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    await at(app, FIRST)
    await app.tap(ALEX, last(fake, ALEX), texts.FEELING_LABELS["close"])  # type: ignore[index]
    (confirm,) = await app.send(SAM, "/unpair")
    await app.tap(SAM, confirm, texts.UNPAIR_YES)
    async with app.stored() as session:
        rows = list(await session.exec(select(Checkin)))
        alex = await session.get(User, ALEX.id)
    assert {row.step for row in rows} == {CheckinStep.CLOSED}
    assert alex is not None and alex.checkin_due_at is None and alex.awaiting is None
    replies = await app.send(ALEX, "something I appreciated")
    assert all("more of" not in m.text for m in replies)
    assert await at(app, FIRST + WEEK) == 0


async def test_far_twice_in_a_row_adds_a_gentle_line_and_both_far_for_four_the_counsellor_once(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    seen: list[str] = []
    for week in range(6):
        await at(app, FIRST + week * WEEK)
        await answer(app, ALEX, "a_bit_far", None, None)
        replies = await answer(app, SAM, "far_apart", None, None)
        seen.append(replies[-1].raw_text)
    assert texts.CHECKIN_GENTLE not in seen[0]  # once is not a row
    assert texts.CHECKIN_GENTLE in seen[1] and texts.CHECKIN_GENTLE in seen[2]
    assert texts.CHECKIN_COUNSELLOR in seen[3]
    assert all(texts.CHECKIN_COUNSELLOR not in text for text in seen[4:])  # once per pair
    assert texts.CHECKIN_GENTLE in seen[5]
    assert all("Alex" not in line for line in (texts.CHECKIN_GENTLE, texts.CHECKIN_COUNSELLOR))


async def test_the_pair_picks_day_and_time_in_settings_and_the_partner_is_told(
    app: RunningApp, fake: FakeTelegram
) -> None:
    (settings,) = await app.send(ALEX, "/settings")
    await app.tap(ALEX, settings, texts.CHECKIN_SETTINGS_BUTTON)
    screen = app.now_showing(ALEX, settings.message_id)
    assert "Off." in screen.text
    await app.tap(ALEX, screen, "Wed")
    await app.tap(ALEX, app.now_showing(ALEX, settings.message_id), "20:00")
    assert "On: Wednesdays at 20:00" in app.now_showing(ALEX, settings.message_id).text
    assert "Alex set your weekly check-in: Wednesdays at 20:00" in last(fake, SAM).text
    wednesday = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)  # 20:00 in Berlin
    assert await at(app, wednesday - timedelta(minutes=1)) == 0
    assert await at(app, wednesday) == 2
    forged = await app.press(ALEX, settings.message_id, "ci:d:9")
    assert forged["text"] == texts.BUTTON_EXPIRED


async def test_a_forged_or_foreign_check_in_button_changes_nothing(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    await at(app, FIRST)
    async with app.stored() as session:
        sams = (await session.exec(select(Checkin).where(Checkin.user_id == SAM.id))).one()
    message = last(fake, ALEX)
    for data in (f"ci:f:{sams.id}:0", "ci:f:99999:0", f"ci:f:{sams.id}:x", "ci:s:abc", "ci:zz"):
        result = await app.press(ALEX, message.message_id, data)
        assert result["show_alert"] is True
    async with app.stored() as session:
        rows = list(await session.exec(select(Checkin)))
    assert all(row.feeling is None for row in rows)


async def test_export_holds_every_check_in_in_the_json_and_the_journal(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await switch_on(app)
    await at(app, FIRST)
    await answer(app, ALEX, "very_close", "you listened", "dancing")
    await answer(app, SAM, "close", "breakfast", None)
    await at(app, FIRST + WEEK)  # missed by both
    await app.send(ALEX, "/export")
    exported, journal = [m for m in fake.sent_to(ALEX.id) if m.kind == "document"]
    data = json.loads(exported.file_bytes or b"")
    assert [entry["status"] for entry in data["checkins"]] == ["answered", "open"]
    first = data["checkins"][0]
    assert first["mine"]["appreciated"] == "you listened"
    assert first["partner_shared_with_me"]["appreciated"] == "breakfast"
    markdown = (journal.file_bytes or b"").decode()
    assert "## Weekly check-ins" in markdown
    assert "you listened" in markdown and "breakfast" in markdown and "dancing" in markdown
