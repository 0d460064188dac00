"""Not today, in process on both databases: every nudge carries it; a tap sets the nudge
aside for that user (one kind line in place of the nudge, no follow-up, nothing to the
partner, nothing counted); an answer already given stays and still waits for the partner;
/today says it kindly.

The black-box version runs the real process in tests/e2e/test_choice_guess_e2e.py."""

from __future__ import annotations

from datetime import timedelta

from bot import texts
from fakegram import FakeTelegram
from tests.bot.app_harness import RunningApp
from tests.bot.test_choice_and_guess import ALEX, DUE, SAM, delivery_of, labels, nudges_for
from tests.conftest import FrozenClock

QUESTION = "feelings-001"
NOTE = "appreciation-001"
ACTION = "together-001"


async def test_not_today_sets_the_nudge_aside_quietly_with_no_follow_up(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [QUESTION])
    assert (await delivery_of(app, ALEX)).follow_up_due_at is not None
    assert await app.tap(ALEX, sent[ALEX.id], texts.NOT_TODAY_BUTTON) == []
    shown = app.now_showing(ALEX, sent[ALEX.id].message_id)
    assert (shown.raw_text, fake.buttons(shown)) == (texts.SET_ASIDE, [])
    alex = await delivery_of(app, ALEX)
    assert alex.skipped_at == DUE
    assert (alex.answered_at, alex.follow_up_due_at) == (None, None)

    answer = await app.press(ALEX, sent[ALEX.id].message_id, f"skip:{alex.id}")
    assert answer.get("text") == texts.ALREADY_SET_ASIDE
    (today,) = await app.send(ALEX, "/today")
    assert today.raw_text == texts.today_set_aside(
        texts.next_nudge_at("08:00", "Europe/Berlin", "tomorrow")
    )

    clock.now = DUE + timedelta(hours=8)  # the follow-up's time: Sam's comes, Alex's not
    await app.send_due_nudges()
    assert fake.texts_to(ALEX.id)[-1] == today.text
    assert fake.texts_to(SAM.id)[-1] == texts.FOLLOW_UP
    assert len(fake.sent_to(SAM.id)) == 2  # the nudge and the follow-up: no word of a skip

    # Sam's answer waits, as for anyone who has not answered: nothing is revealed to Alex.
    (reply,) = await app.send(SAM, "Honestly, the move.")
    assert reply.raw_text == texts.answer_saved("Alex")
    assert fake.texts_to(ALEX.id)[-1] == today.text
    # The next day's nudge comes as usual.
    clock.now = DUE + timedelta(days=1)
    await app.send_due_nudges()
    assert texts.NOT_TODAY_BUTTON in labels(fake, fake.sent_to(ALEX.id)[-1])


async def test_an_answer_given_before_not_today_stays_and_still_waits_for_the_partner(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [QUESTION])
    await app.send(ALEX, "The move, mostly.")
    await app.tap(ALEX, sent[ALEX.id], texts.NOT_TODAY_BUTTON)
    assert app.now_showing(ALEX, sent[ALEX.id].message_id).raw_text == texts.SET_ASIDE
    assert len(fake.sent_to(SAM.id)) == 1
    (reveal,) = await app.send(SAM, "Work.")
    assert reveal.text == "💞 You've both answered. Here's Alex's:\n\nThe move, mostly."
    assert fake.texts_to(ALEX.id)[-1] == "💞 You've both answered. Here's Sam's:\n\nWork."
    # Answered before, so /today shows the nudge again rather than the set-aside line.
    (today,) = await app.send(ALEX, "/today")
    assert today.raw_text == sent[ALEX.id].raw_text


async def test_every_kind_can_be_set_aside(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await nudges_for(app, clock, [NOTE, ACTION, "curiosity-053", "curiosity-055"])
    for day in range(4):
        clock.now = DUE + timedelta(days=day)
        await app.send_due_nudges()
        message = fake.sent_to(SAM.id)[-1]
        assert labels(fake, message)[-2:] == [texts.NOT_TODAY_BUTTON, texts.PAUSE_BUTTON]
        await app.tap(SAM, message, texts.NOT_TODAY_BUTTON)
        assert app.now_showing(SAM, message.message_id).raw_text == texts.SET_ASIDE
        assert (await delivery_of(app, SAM)).skipped_at == clock.now
    assert all(texts.NOT_TODAY_BUTTON not in text for text in fake.texts_to(ALEX.id))
    assert not any("aside" in text for text in fake.texts_to(ALEX.id))
