"""Choice and guess nudges, in process on both databases: tapping a pick, the side-by-side
message once both picked, a guess with buttons and one in words, their reveals, /history and
/export; and every bad input (words on a choice, a second tap, forged or foreign buttons, a
tap after unpairing) changes nothing and gets a kind line.

The black-box version runs the real process in tests/e2e/test_choice_guess_e2e.py."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select

from bot import texts
from fakegram import FakeTelegram, FakeUser, SentMessage
from nudges.library import nudges_by_id
from storage.models import AnswerPart, Delivery
from tests.bot.app_harness import RunningApp, a_paired_couple, fix_nudges
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
LEE = FakeUser(654_321_987, "Lee")
MONDAY = date(2026, 11, 23)
MONDAY_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
CHOICE = "curiosity-053"  # Mountains 🏔 / Sea 🌊 / A city 🏙
GUESS_BUTTONS = "curiosity-055"  # Work / Family / Health / Money
GUESS_WORDS = "curiosity-056"


async def nudges_for(
    app: RunningApp, clock: FrozenClock, nudge_ids: list[str], *couple: FakeUser
) -> dict[int, SentMessage]:
    """The couple (Alex and Sam unless named), paired on Monday at 07:00 in Berlin, gets
    these nudges on Monday, Tuesday...; Monday's is sent. Returns each one's nudge message."""
    first, second = couple or (ALEX, SAM)
    pair = await a_paired_couple(app, first, second, now=MONDAY_7)
    assert pair.id is not None
    await fix_nudges(
        app, pair.id, {MONDAY + timedelta(n): n_id for n, n_id in enumerate(nudge_ids)}
    )
    clock.now = DUE
    await app.send_due_nudges()
    return {user.id: app.fake.sent_to(user.id)[-1] for user in (first, second)}


async def delivery_of(app: RunningApp, user: FakeUser) -> Delivery:
    async with app.stored() as session:
        result = await session.exec(
            select(Delivery)
            .where(Delivery.user_id == user.id)
            .order_by(col(Delivery.local_date).desc())
        )
        delivery = result.first()
        assert delivery is not None
        return delivery


def labels(fake: FakeTelegram, message: SentMessage) -> list[str]:
    return [label for label, _ in fake.buttons(message)]


LAST_ROW = [texts.NOT_TODAY_BUTTON, texts.PAUSE_BUTTON]


# --- choice -------------------------------------------------------------------------------


async def test_each_pick_shows_on_its_message_and_both_get_one_message_with_both_picks(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [CHOICE])
    alex_nudge, sam_nudge = sent[ALEX.id], sent[SAM.id]
    assert labels(fake, alex_nudge) == ["Mountains 🏔", "Sea 🌊", "A city 🏙", *LAST_ROW]

    assert await app.tap(ALEX, alex_nudge, "Mountains 🏔") == []  # the message itself changes
    shown = app.now_showing(ALEX, alex_nudge.message_id)
    assert shown.text.endswith(
        "You picked Mountains 🏔. You'll see Sam's once they've picked; until then you can "
        "still change yours."
    )
    assert labels(fake, shown) == ["✓ Mountains 🏔", "Sea 🌊", "A city 🏙", *LAST_ROW]
    assert fake.sent_to(SAM.id)[-1].message_id == sam_nudge.message_id  # Sam hears nothing

    question = nudges_by_id()[CHOICE].text
    (to_sam,) = await app.tap(SAM, sam_nudge, "Sea 🌊")
    assert to_sam.raw_text == texts.both_picked(question, "Sea 🌊", "Alex", "Mountains 🏔")
    assert to_sam.text == (
        f"💞 You've both picked.\n{question}\nYou: Sea 🌊\nAlex: Mountains 🏔\n"
        "Two different picks: something to chat about 🙂"
    )
    assert fake.texts_to(ALEX.id)[-1] == (
        f"💞 You've both picked.\n{question}\nYou: Mountains 🏔\nSam: Sea 🌊\n"
        "Two different picks: something to chat about 🙂"
    )
    assert len(fake.sent_to(ALEX.id)) == len(fake.sent_to(SAM.id)) == 2  # nudge + picks
    # Both nudge messages now name their own pick, with no buttons left to tap.
    for user, message, pick in ((ALEX, alex_nudge, "Mountains 🏔"), (SAM, sam_nudge, "Sea 🌊")):
        now = app.now_showing(user, message.message_id)
        assert now.text.endswith(f"You picked {pick} ✓")
        assert fake.buttons(now) == []
    alex, sam = await delivery_of(app, ALEX), await delivery_of(app, SAM)
    assert (alex.pick, sam.pick) == (0, 1)
    assert alex.answered_at == sam.answered_at == DUE
    assert alex.revealed_at == sam.revealed_at == DUE
    assert alex.follow_up_due_at is None and sam.follow_up_due_at is None


async def test_the_same_pick_says_you_both_chose_it(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [CHOICE])
    await app.tap(ALEX, sent[ALEX.id], "A city 🏙")
    (to_sam,) = await app.tap(SAM, sent[SAM.id], "A city 🏙")
    question = nudges_by_id()[CHOICE].text
    assert to_sam.text == f"💞 You both chose A city 🏙!\n{question}"
    assert fake.texts_to(ALEX.id)[-1] == to_sam.text


async def test_a_pick_may_change_until_the_partner_picked_and_then_it_stays(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [CHOICE])
    alex_nudge = sent[ALEX.id]
    await app.tap(ALEX, alex_nudge, "Mountains 🏔")
    await app.tap(ALEX, app.now_showing(ALEX, alex_nudge.message_id), "Sea 🌊")
    assert fake.callback_answers()[-1].get("text") == "Changed to Sea 🌊"
    shown = app.now_showing(ALEX, alex_nudge.message_id)
    assert labels(fake, shown)[:3] == ["Mountains 🏔", "✓ Sea 🌊", "A city 🏙"]
    await app.tap(ALEX, shown, "✓ Sea 🌊")
    assert fake.callback_answers()[-1].get("text") == texts.PICK_SAME
    assert (await delivery_of(app, ALEX)).pick == 1
    assert len(fake.sent_to(SAM.id)) == 1  # nothing of this reached Sam

    await app.tap(SAM, sent[SAM.id], "Mountains 🏔")
    revealed = len(fake.sent_to(ALEX.id))
    # The buttons are gone; an old press of them (or a forged one) changes nothing.
    delivery = await delivery_of(app, ALEX)
    answer = await app.press(ALEX, alex_nudge.message_id, f"opt:{delivery.id}:0")
    assert answer.get("text") == texts.PICKS_SHOWN
    assert (await delivery_of(app, ALEX)).pick == 1
    assert len(fake.sent_to(ALEX.id)) == revealed and len(fake.sent_to(SAM.id)) == 2


async def test_words_on_a_choice_point_to_the_buttons_and_change_nothing(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await nudges_for(app, clock, [CHOICE])
    (reply,) = await app.send(ALEX, "Mountains, obviously")
    assert reply.raw_text == texts.CHOICE_USE_BUTTONS
    delivery = await delivery_of(app, ALEX)
    assert (delivery.pick, delivery.answered_at) == (None, None)
    async with app.stored() as session:
        assert list(await session.exec(select(AnswerPart))) == []
    assert len(fake.sent_to(SAM.id)) == 1


async def test_forged_or_foreign_buttons_change_nothing_and_get_a_kind_line(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [CHOICE])
    others = await nudges_for(app, clock, [CHOICE], KIM, LEE)  # another pair, same day
    alex, sam, kim = [await delivery_of(app, user) for user in (ALEX, SAM, KIM)]
    forged = [
        "opt:",
        "opt:abc:0",
        f"opt:{alex.id}",
        f"opt:{alex.id}:3",  # three options: 0, 1, 2
        f"opt:{alex.id}:-1",
        f"opt:{alex.id}:²",
        f"opt:{alex.id}:0:0",
        f"opt:{alex.id}:99999999999999999999",
        f"opt:{sam.id}:0",  # the partner's delivery
        f"opt:{kim.id}:0",  # another pair's
        f"gue:{alex.id}:0",  # a guess button on a choice
        f"skip:{sam.id}",
        f"skip:{kim.id}",
        "skip:0",
    ]
    for data in forged:
        answer = await app.press(ALEX, sent[ALEX.id].message_id, data)
        assert (answer.get("text"), answer.get("show_alert")) == (texts.BUTTON_EXPIRED, True)
    # Kim, pressing on her own message with Alex's delivery, changes nothing either.
    answer = await app.press(KIM, others[KIM.id].message_id, f"opt:{alex.id}:0")
    assert answer.get("text") == texts.BUTTON_EXPIRED
    for user in (ALEX, SAM, KIM):
        delivery = await delivery_of(app, user)
        assert (delivery.pick, delivery.answered_at, delivery.skipped_at) == (None, None, None)
    for user in (ALEX, SAM, KIM, LEE):
        assert len(fake.sent_to(user.id)) == 1
        assert fake.sent_to(user.id)[0].edits == 0


async def test_a_tap_after_unpairing_changes_nothing(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [CHOICE])
    (confirm,) = await app.send(SAM, "/unpair")
    await app.tap(SAM, confirm, texts.UNPAIR_YES)
    for user in (ALEX, SAM):
        answer = await app.press(
            user,
            sent[user.id].message_id,
            f"opt:{(await delivery_of(app, user)).id}:0",
        )
        assert answer.get("text") == texts.BUTTON_EXPIRED
        assert (await delivery_of(app, user)).pick is None


# --- guess ------------------------------------------------------------------------------


async def test_a_guess_with_buttons_asks_yours_then_your_guess_and_reveals_both_to_both(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    nudge = nudges_by_id()[GUESS_BUTTONS]
    assert nudge.guess is not None
    sent = await nudges_for(app, clock, [GUESS_BUTTONS])
    alex_nudge = sent[ALEX.id]
    options = ["Work", "Family", "Health", "Money"]
    assert labels(fake, alex_nudge) == [*options, *LAST_ROW]

    # A guess before your own answer, and words instead of a tap: nothing changes.
    delivery = await delivery_of(app, ALEX)
    answer = await app.press(ALEX, alex_nudge.message_id, f"gue:{delivery.id}:0")
    assert answer.get("text") == texts.GUESS_ANSWER_FIRST
    (reply,) = await app.send(ALEX, "Work, mostly")
    assert reply.raw_text == texts.CHOICE_USE_BUTTONS

    await app.tap(ALEX, alex_nudge, "Work")
    shown = app.now_showing(ALEX, alex_nudge.message_id)
    assert shown.text.endswith(f"Your answer: Work ✓\n\n{nudge.guess}")
    assert fake.buttons(shown)[:4] == [(o, f"gue:{delivery.id}:{i}") for i, o in enumerate(options)]
    await app.tap(ALEX, shown, "Family")
    shown = app.now_showing(ALEX, alex_nudge.message_id)
    assert shown.text.endswith(
        "Your answer: Work · your guess for Sam: Family\n"
        "You'll see both once Sam has played too. 🔮"
    )
    assert fake.buttons(shown) == []
    answer = await app.press(ALEX, alex_nudge.message_id, f"gue:{delivery.id}:2")
    assert answer.get("text") == texts.ALREADY_GUESSED
    assert len(fake.sent_to(SAM.id)) == 1

    await app.tap(SAM, sent[SAM.id], "Family")
    (reveal,) = await app.tap(SAM, app.now_showing(SAM, sent[SAM.id].message_id), "Money")
    assert reveal.text == (
        f"💞 You've both answered and guessed.\n{nudge.text}\n\n"
        "Alex: Work. You guessed Money: now you know 🌱\n"
        "You: Family. Alex guessed Family: they knew you! 🎯"
    )
    assert fake.texts_to(ALEX.id)[-1] == (
        f"💞 You've both answered and guessed.\n{nudge.text}\n\n"
        "Sam: Family. You guessed Family: you knew! 🎯\n"
        "You: Work. Sam guessed Money: now they know 🌱"
    )
    now = app.now_showing(ALEX, alex_nudge.message_id)
    assert now.text.endswith("Your answer: Work · your guess: Family ✓")
    alex, sam = await delivery_of(app, ALEX), await delivery_of(app, SAM)
    assert (alex.pick, alex.guess_pick, sam.pick, sam.guess_pick) == (0, 1, 1, 3)
    assert alex.revealed_at == sam.revealed_at == DUE


async def test_a_guess_in_words_takes_the_answer_then_the_guess_and_reveals_both(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    nudge = nudges_by_id()[GUESS_WORDS]
    assert nudge.guess is not None and nudge.options == ()
    sent = await nudges_for(app, clock, [GUESS_WORDS])
    assert labels(fake, sent[ALEX.id]) == LAST_ROW
    assert "Then I'll ask for your guess about Sam" in sent[ALEX.id].text

    (reply,) = await app.send(ALEX, "A long walk")
    assert reply.raw_text == texts.now_your_guess(nudge.guess)
    (reply,) = await app.send(ALEX, "Tea and a blanket")
    assert reply.raw_text == texts.guess_saved("Sam")
    (reply,) = await app.send(ALEX, "And music")
    assert reply.raw_text == texts.ANSWER_ADDED
    assert len(fake.sent_to(SAM.id)) == 1  # nothing passed on before Sam played

    await app.send(SAM, "Tea, always")
    to_sam = await app.send(SAM, "A long walk")
    assert [m.text for m in to_sam] == [
        "💞 You've both answered and guessed. Here's Alex's answer:\n\nA long walk\n\nAnd music",
        "🔮 And Alex's guess about you (did they know?):\n\nTea and a blanket",
    ]
    assert fake.texts_to(ALEX.id)[-2:] == [
        "💞 You've both answered and guessed. Here's Sam's answer:\n\nTea, always",
        "🔮 And Sam's guess about you (did they know?):\n\nA long walk",
    ]
    async with app.stored() as session:
        parts = list(await session.exec(select(AnswerPart).order_by(col(AnswerPart.id))))
    assert [p.guess for p in parts] == [False, True, False, False, True]

    # After the reveal, more words are passed on as an addition.
    (reply,) = await app.send(SAM, "Also: a nap")
    assert reply.raw_text == texts.answer_added_shared("Alex")
    assert fake.texts_to(ALEX.id)[-1] == "💬 Sam added:\n\nAlso: a nap"


# --- the journal and the export -------------------------------------------------------------


async def test_history_and_export_show_picks_and_guesses_once_revealed(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    sent = await nudges_for(app, clock, [CHOICE, GUESS_BUTTONS, GUESS_WORDS])
    await app.tap(ALEX, sent[ALEX.id], "Sea 🌊")
    (history,) = await app.send(ALEX, "/history")
    assert "You: Sea 🌊\nSam: waiting for both 💞" in history.text
    (history,) = await app.send(SAM, "/history")
    assert "You: —\nAlex: waiting for both 💞" in history.text  # Alex's pick stays hidden
    await app.tap(SAM, sent[SAM.id], "Mountains 🏔")

    clock.now = DUE + timedelta(days=1)
    await app.send_due_nudges()
    for user, mine, guess in ((ALEX, "Health", "Work"), (SAM, "Work", "Health")):
        message = fake.sent_to(user.id)[-1]
        await app.tap(user, message, mine)
        await app.tap(user, app.now_showing(user, message.message_id), guess)

    clock.now = DUE + timedelta(days=2)
    await app.send_due_nudges()
    for user, words in ((ALEX, ["Sleep", "A hug"]), (SAM, ["A hug", "Sleep"])):
        for text in words:
            await app.send(user, text)

    (history,) = await app.send(ALEX, "/history")
    assert "You: Sea 🌊\nSam: Mountains 🏔" in history.text
    assert "You: Health · 🔮 guessed Work\nSam: Work · 🔮 guessed Health" in history.text
    assert "You: Sleep · 🔮 A hug\nSam: A hug · 🔮 Sleep" in history.text

    await app.send(ALEX, "/export")
    exported, readable = (m for m in fake.sent_to(ALEX.id) if m.kind == "document")
    entries = json.loads(exported.file_bytes or b"")["nudges"]
    assert [{k: e.get(k) for k in ("my_pick", "partner_pick")} for e in entries[:2]] == [
        {"my_pick": "Sea 🌊", "partner_pick": "Mountains 🏔"},
        {"my_pick": "Health", "partner_pick": "Work"},
    ]
    assert (entries[1]["my_guess"], entries[1]["partner_guess"]) == ("Work", "Health")
    assert [(p["text"], p.get("guess", False)) for p in entries[2]["my_answer"]] == [
        ("Sleep", False),
        ("A hug", True),
    ]
    journal = (readable.file_bytes or b"").decode("utf-8")
    assert "- **Me:** Health\n- **Me (🔮 guess):** Work\n" in journal
    assert "- **Me:** Sleep\n- **Me (🔮 guess):** A hug\n" in journal
