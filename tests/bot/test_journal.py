"""/history, the couple's journal, in process on both databases: newest first, five days a
page, paged by editing the one message; a question's answers only once both answered;
voice notes and photos viewed again only by the two of them.

The black-box version runs the real process in tests/e2e/test_replies_e2e.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot import texts
from fakegram import FakeTelegram, FakeUser, SentMessage
from tests.bot.app_harness import RunningApp, a_paired_couple, fix_nudges, onboard
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
MONDAY = date(2026, 11, 23)
MONDAY_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


async def days_of(app: RunningApp, clock: FrozenClock, nudges: list[str]) -> None:
    """Alex and Sam, paired in Berlin; day n's nudge is `nudges[n]`, from Monday."""
    pair = await a_paired_couple(app, ALEX, SAM, now=MONDAY_7)
    assert pair.id is not None
    await fix_nudges(app, pair.id, {MONDAY + timedelta(n): nudge for n, nudge in enumerate(nudges)})


async def next_day(app: RunningApp, clock: FrozenClock, n: int) -> None:
    """Day n's nudge goes out at 08:00."""
    clock.now = DUE + timedelta(days=n)
    await app.send_due_nudges()


def labels(fake: FakeTelegram, message: SentMessage) -> list[str]:
    return [label for label, _ in fake.buttons(message)]


async def test_the_journal_pages_through_the_couples_days_in_place_newest_first(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await days_of(app, clock, [f"curiosity-{n + 1:03d}" for n in range(7)])
    for n in range(7):
        await next_day(app, clock, n)
        await app.send(ALEX, f"Alex on day {n}")
        await app.send(SAM, f"Sam on day {n}")

    (journal,) = await app.send(ALEX, "/history")
    assert journal.raw_text.startswith(texts.journal_counts(7, 0, 0))
    assert journal.text.count("Alex on day") == 5  # five days a page
    assert journal.text.index("Sam on day 6") < journal.text.index("Sam on day 2")
    assert "Sam on day 1" not in journal.text
    assert "Mon 23 Nov" not in journal.text and "Sun 29 Nov" in journal.text
    assert labels(fake, journal) == [texts.OLDER_BUTTON]

    assert await app.tap(ALEX, journal, texts.OLDER_BUTTON) == []  # edited, not sent again
    older = app.now_showing(ALEX, journal.message_id)
    assert "Sam on day 1" in older.text and "Sam on day 0" in older.text
    assert "Sam on day 2" not in older.text
    assert labels(fake, older) == [texts.NEWER_BUTTON]
    await app.tap(ALEX, older, texts.NEWER_BUTTON)
    assert app.now_showing(ALEX, journal.message_id).text == journal.text

    (sams,) = await app.send(SAM, "/history")  # the same days, from Sam's side
    assert "<b>You:</b> Sam on day 6" in sams.raw_text
    assert "<b>Alex:</b> Alex on day 6" in sams.raw_text


async def test_a_questions_answers_show_only_once_both_have_answered(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await days_of(app, clock, ["feelings-001", "appreciation-001"])
    await next_day(app, clock, 0)
    await app.send(SAM, "Sam's secret answer")
    (journal,) = await app.send(ALEX, "/history")
    assert "Sam's secret answer" not in journal.text
    assert f"<b>Sam:</b> {texts.WAITING_FOR_BOTH}" in journal.raw_text
    assert f"<b>You:</b> {texts.NOTHING_YET}" in journal.raw_text

    await app.send(ALEX, "Alex's answer")
    (journal,) = await app.send(ALEX, "/history")
    assert "Sam: Sam's secret answer" in journal.text
    assert "You: Alex's answer" in journal.text

    await next_day(app, clock, 1)  # a note is shared at once: it shows at once
    await app.send(SAM, "thank you for the tea")
    (journal,) = await app.send(ALEX, "/history")
    assert "Sam: thank you for the tea" in journal.text
    assert journal.raw_text.startswith(texts.journal_counts(1, 1, 0))
    assert journal.text.index("thank you for the tea") < journal.text.index("secret answer")


async def test_a_voice_note_is_viewed_again_by_the_two_of_them_and_no_one_else(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await days_of(app, clock, ["appreciation-001"])
    await next_day(app, clock, 0)
    voice = {"file_id": "SAM-VOICE", "file_unique_id": "v1", "duration": 2}
    spoken = fake.send_message_json(SAM, voice=voice)
    await app.feed(spoken)

    (journal,) = await app.send(ALEX, "/history")
    assert texts.MEDIA_LABELS["voice"] in journal.text
    ((label, data),) = fake.buttons(journal)
    assert label == texts.view_button(texts.MEDIA_LABELS["voice"], "Mon 23 Nov")
    before = len(fake.sent_to(ALEX.id))
    answer = await app.press(ALEX, journal.message_id, data)
    assert not answer.get("show_alert")
    (copy,) = fake.sent_to(ALEX.id)[before:]
    assert copy.copied_from == (SAM.id, spoken["message"]["message_id"])

    await onboard(app, KIM)
    kims = fake.last_to(KIM.id)
    assert kims is not None
    before = len(fake.sent_to(KIM.id))
    answer = await app.press(KIM, kims.message_id, data)  # the same button, forged by Kim
    assert answer.get("show_alert") is True and answer.get("text") == texts.BUTTON_EXPIRED
    assert len(fake.sent_to(KIM.id)) == before
    for forged in ("view:abc", "view:0", "view:99999999999", "hist:-1", "hist:x"):
        answer = await app.press(ALEX, journal.message_id, forged)
        assert answer.get("show_alert") is True, forged


async def test_an_empty_journal_says_it_fills_up_and_a_stranger_sees_none_of_the_pairs(
    app: RunningApp, fake: FakeTelegram, clock: FrozenClock
) -> None:
    await a_paired_couple(app, ALEX, SAM, now=MONDAY_7)  # no nudge chosen yet
    (empty,) = await app.send(ALEX, "/history")
    assert empty.raw_text == texts.JOURNAL_EMPTY and fake.buttons(empty) == []

    await next_day(app, clock, 0)  # the first nudge goes out (chosen by the dispatcher)
    await app.send(SAM, "a note for Alex only")
    await onboard(app, KIM)
    (kims,) = await app.send(KIM, "/history")
    assert kims.raw_text == texts.JOURNAL_EMPTY
    assert not any("a note for Alex" in text for text in fake.texts_to(KIM.id))
