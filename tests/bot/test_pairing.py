"""Pairing, in process on both databases: /invite, /join, the deep link, and /unpair.

The black-box versions of these stories run the real process in tests/e2e/test_pairing_e2e.py;
these run in seconds and say what is stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import col, select

from bot import texts
from fakegram import FakeTelegram, FakeUser
from nudges.invites import WRONG_CODE_LIMIT
from storage.models import Invite, OnboardingStep, Pair, User
from tests.bot.app_harness import RunningApp, onboard
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
ROBIN = FakeUser(654_321_987, "Robin")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
CODE = re.compile(r"/join ([A-Za-z0-9_-]{24})")


async def invite_code(app: RunningApp, user: FakeUser) -> str:
    (invite,) = await app.send(user, "/invite")
    found = CODE.search(invite.text)
    assert found is not None, invite.text
    return found[1]


async def partner_id(app: RunningApp, user: FakeUser) -> int | None:
    """The id of `user`'s partner in an ongoing pair, as stored."""
    async with app.stored() as session:
        stored = await session.get(User, user.id)
        assert stored is not None
        if stored.pair_id is None:
            return None
        pair = await session.get(Pair, stored.pair_id)
        assert pair is not None and pair.ended_at is None
        return pair.user_b_id if pair.user_a_id == user.id else pair.user_a_id


async def ongoing_pairs(app: RunningApp) -> int:
    async with app.stored() as session:
        return len((await session.exec(select(Pair).where(col(Pair.ended_at).is_(None)))).all())


async def test_b_joins_with_as_code_both_are_told_and_the_code_no_longer_works(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, ALEX)
    offer = fake.last_to(ALEX.id)
    assert offer is not None and offer.raw_text == texts.OFFER_INVITE
    (invite,) = await app.tap(ALEX, offer, texts.INVITE_BUTTON)  # the button after onboarding
    code = CODE.search(invite.text)
    assert code is not None
    assert f"https://t.me/couplet_test_bot?start={code[1]}" in invite.text
    ((label, share_url),) = fake.buttons(invite)
    assert label == texts.INVITE_SHARE_BUTTON
    assert share_url.startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fcouplet_test_bot")

    await onboard(app, SAM, city="New York")
    joined, where = await app.send(SAM, f"/join {code[1]}")
    assert joined.raw_text == texts.paired_with("Alex")
    assert where.raw_text == texts.ASK_LIVING  # one tap, for the two of them
    assert fake.texts_to(ALEX.id)[-1] == texts.paired_with("Sam")
    assert await partner_id(app, SAM) == ALEX.id
    assert await partner_id(app, ALEX) == SAM.id

    await onboard(app, KIM)
    (refused,) = await app.send(KIM, f"/join {code[1]}")
    assert refused.raw_text == texts.JOIN_USED
    assert await partner_id(app, KIM) is None
    async with app.stored() as session:  # the code is kept only as its hash
        stored = (await session.exec(select(Invite))).all()
    assert [invite.inviter_id for invite in stored] == [ALEX.id]
    assert code[1] not in stored[0].code_hash and stored[0].used_at is not None


async def test_a_deep_link_pairs_a_newcomer_and_then_onboarding_goes_on(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, ALEX)
    code = await invite_code(app, ALEX)

    joined, ask_zone = await app.send(SAM, f"/start {code}")  # Sam's very first message
    assert joined.raw_text == texts.paired_with("Alex")
    assert ask_zone.raw_text == texts.ASK_TIMEZONE
    # Sam is still setting up: Alex, set up already, gets the one tap for where they live.
    told, where = fake.sent_to(ALEX.id)[-2:]
    assert told.raw_text == texts.paired_with("Sam")
    assert where.raw_text == texts.ASK_LIVING
    assert [label for label, _ in fake.buttons(where)] == [
        str(label) for label in texts.LIVING_BUTTONS.values()
    ]

    before = len(fake.sent_to(SAM.id))
    await app.feed(fake.send_location(SAM, 40.71, -74.0))
    zone_set, ask_time = fake.sent_to(SAM.id)[before:]
    assert "America/New_York" in zone_set.text
    assert ask_time.raw_text == texts.ASK_TIME
    time_set, all_set = await app.send(SAM, "7:30am")
    assert "07:30" in time_set.text
    assert all_set.raw_text == texts.ALL_SET_PAIRED  # paired already: no invite offered
    async with app.stored() as session:
        sam = await session.get(User, SAM.id)
    assert sam is not None
    assert (sam.timezone, f"{sam.nudge_time:%H:%M}") == ("America/New_York", "07:30")
    assert sam.onboarding_step == OnboardingStep.DONE
    assert await partner_id(app, SAM) == ALEX.id


async def test_every_wrong_code_gets_its_own_kind_reason_and_pairs_nobody(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await onboard(app, ALEX)
    await onboard(app, SAM)
    code = await invite_code(app, ALEX)

    async def sam_joins(text: str) -> str:
        (reply,) = await app.send(SAM, text)
        return reply.raw_text

    assert (await app.send(ALEX, f"/join {code}"))[0].raw_text == texts.JOIN_OWN_CODE
    assert await sam_joins("/join") == texts.JOIN_USAGE
    assert await sam_joins("/join hello") == texts.JOIN_MALFORMED
    assert await sam_joins("/join " + "A" * 24) == texts.JOIN_UNKNOWN

    clock.advance(hours=48, minutes=1)
    assert await sam_joins(f"/join {code}") == texts.JOIN_EXPIRED
    replaced = await invite_code(app, ALEX)
    await invite_code(app, ALEX)  # a newer invite cancels the one before
    assert await sam_joins(f"/join {replaced}") == texts.JOIN_USED
    assert await partner_id(app, SAM) is None
    assert await ongoing_pairs(app) == 0


async def test_a_paired_persons_invites_die_and_they_can_neither_invite_nor_join(
    app: RunningApp, fake: FakeTelegram
) -> None:
    for user in (ALEX, SAM, KIM, ROBIN):
        await onboard(app, user)
    kims = await invite_code(app, KIM)
    await app.send(KIM, f"/join {await invite_code(app, ALEX)}")  # Kim joins Alex

    (refused,) = await app.send(ROBIN, f"/join {kims}")  # Kim's open invite died with it
    assert refused.raw_text == texts.JOIN_USED
    (already,) = await app.send(KIM, f"/join {await invite_code(app, SAM)}")
    assert already.raw_text == texts.already_paired("Alex")
    (no_invite,) = await app.send(ALEX, "/invite")
    assert no_invite.raw_text == texts.already_paired("Kim")
    assert fake.buttons(no_invite) == []
    assert await partner_id(app, ROBIN) is None
    assert await partner_id(app, SAM) is None
    assert await partner_id(app, KIM) == ALEX.id
    assert await ongoing_pairs(app) == 1


async def test_guessing_codes_is_refused_for_an_hour_even_with_the_right_one(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await onboard(app, ALEX)
    code = await invite_code(app, ALEX)
    await onboard(app, SAM)
    for guess in range(WRONG_CODE_LIMIT):
        (reply,) = await app.send(SAM, f"/join {'B' * 23}{guess}")
        assert reply.raw_text == texts.JOIN_UNKNOWN
    (refused,) = await app.send(SAM, f"/join {code}")
    assert refused.raw_text == texts.JOIN_RATE_LIMITED
    assert await partner_id(app, SAM) is None

    clock.advance(hours=1, minutes=1)
    joined, _ = await app.send(SAM, f"/join {code}")
    assert joined.raw_text == texts.paired_with("Alex")


async def test_unpairing_asks_first_then_ends_the_pair_for_both_and_tells_the_partner(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, ALEX)
    await onboard(app, SAM)
    await app.send(SAM, f"/join {await invite_code(app, ALEX)}")

    (confirm,) = await app.send(SAM, "/unpair")
    assert confirm.raw_text == texts.unpair_confirm("Alex")
    assert [label for label, _ in fake.buttons(confirm)] == [texts.UNPAIR_YES, texts.UNPAIR_NO]
    assert await app.tap(SAM, confirm, texts.UNPAIR_NO) == []  # the question is edited in place
    kept = app.now_showing(SAM, confirm.message_id)
    assert kept.raw_text == texts.UNPAIR_KEPT and fake.buttons(kept) == []
    assert await partner_id(app, SAM) == ALEX.id

    (confirm,) = await app.send(SAM, "/unpair")
    (yes,) = [data for label, data in fake.buttons(confirm) if label == texts.UNPAIR_YES]
    alex_before = len(fake.sent_to(ALEX.id))
    await app.tap(SAM, confirm, texts.UNPAIR_YES)
    assert app.now_showing(SAM, confirm.message_id).raw_text == texts.unpaired("Alex")
    assert [m.raw_text for m in fake.sent_to(ALEX.id)[alex_before:]] == [
        texts.partner_unpaired("Sam")
    ]
    assert await partner_id(app, SAM) is None
    assert await partner_id(app, ALEX) is None
    assert await ongoing_pairs(app) == 0

    stale = await app.press(SAM, confirm.message_id, yes)  # the same button, again
    assert stale.get("show_alert") is True and stale.get("text") == texts.BUTTON_EXPIRED
    (not_paired,) = await app.send(SAM, "/unpair")
    assert not_paired.raw_text == texts.UNPAIR_NOT_PAIRED


async def test_a_stranger_forging_unpair_buttons_changes_nothing_and_no_one_hears_of_it(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, ALEX)
    await onboard(app, SAM)
    await app.send(SAM, f"/join {await invite_code(app, ALEX)}")
    await onboard(app, KIM)
    async with app.stored() as session:
        (pair,) = (await session.exec(select(Pair))).all()
    told = len(fake.sent_to(ALEX.id)), len(fake.sent_to(SAM.id))
    kims_last = fake.last_to(KIM.id)
    assert kims_last is not None
    for data in (f"unpair:yes:{pair.id}", "unpair:yes:abc", "unpair:yes:", "unpair:yes:-1"):
        answer = await app.press(KIM, kims_last.message_id, data)
        assert answer.get("show_alert") is True, data
    assert await partner_id(app, ALEX) == SAM.id
    assert (len(fake.sent_to(ALEX.id)), len(fake.sent_to(SAM.id))) == told
