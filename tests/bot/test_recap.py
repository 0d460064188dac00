"""/recap in process, on both databases: the picture arrives as a photo (a real PNG), drawn
from what this viewer may see of their own pair, and nothing of anyone else's."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import insert
from sqlmodel import select

from bot import texts
from bot.picture import MARK_COLOURS, draw, render
from fakegram import FakeTelegram, FakeUser
from nudges.library import Kind, nudges_by_id
from nudges.recap import DayMark, RecapFacts
from storage import recap
from storage.models import AnswerPart, Delivery, DeliveryStatus, PairPause, User
from tests.bot.app_harness import RunningApp, a_paired_couple, onboard, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
KIM = FakeUser(765_432_198, "Kim")
JO = FakeUser(654_321_987, "Jo")
LEE = FakeUser(543_219_876, "Lee")
PAIRED = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
THURSDAY_10 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday 10:00 in Berlin


def first_of(kind: Kind) -> str:
    return next(n.id for n in nudges_by_id().values() if n.kind == kind)


QUESTION, NOTE = first_of(Kind.QUESTION), first_of(Kind.APPRECIATION)


@pytest.fixture
async def app(database_url: str, fake: FakeTelegram) -> AsyncIterator[RunningApp]:
    """Two couples, Alex and Sam, Kim and Jo, paired since October, on a Thursday morning."""
    clock = FrozenClock(THURSDAY_10)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as running:
        await a_paired_couple(running, ALEX, SAM, now=PAIRED)
        await a_paired_couple(running, KIM, JO, now=PAIRED)
        yield running
        assert running.errors == []


async def a_day(
    app: RunningApp,
    user: FakeUser,
    day: date,
    nudge_id: str,
    *,
    answer: str | None = None,
    shared: bool = False,
    revealed: bool = False,
) -> None:
    """`user`'s nudge of `day` reached them; with `answer`, they answered it."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7)
    async with app.stored() as session:
        owner = await session.get(User, user.id)
        assert owner is not None
        result = await session.exec(
            insert(Delivery)
            .values(
                user_id=user.id,
                pair_id=owner.pair_id,
                local_date=day,
                nudge_id=nudge_id,
                due_at=at,
                status=DeliveryStatus.SENT,
                sent_at=at,
                answered_at=at if answer is not None else None,
                shared_at=at if shared else None,
                revealed_at=at if revealed else None,
            )
            .returning(Delivery.id)  # type: ignore[arg-type]
        )
        delivery_id = result.scalar_one()
        if answer is not None:
            session.add(
                AnswerPart(
                    delivery_id=delivery_id,
                    message_id=delivery_id * 10,
                    content_type="text",
                    text=answer,
                    created_at=at,
                )
            )


async def weeks_of_alex_and_sam(app: RunningApp) -> None:
    monday = date(2026, 11, 23)
    for who in (ALEX, SAM):  # Monday: both answered the question
        await a_day(app, who, monday, QUESTION, answer=f"{who.first_name}'s answer", revealed=True)
    # Tuesday: Sam's note to Alex; Alex wrote none.
    await a_day(
        app, SAM, monday + timedelta(1), NOTE, answer="Thank you for the soup 💛", shared=True
    )
    await a_day(app, ALEX, monday + timedelta(1), NOTE)
    # Wednesday: Sam answered the question, Alex not yet (so nothing is revealed).
    await a_day(app, SAM, monday + timedelta(2), QUESTION, answer="a secret until both answer")
    await a_day(app, ALEX, monday + timedelta(2), QUESTION)
    # Sunday before: a quiet day. And Alex's own note to Sam, the Saturday.
    await a_day(app, ALEX, monday - timedelta(1), QUESTION)
    await a_day(app, SAM, monday - timedelta(1), QUESTION)
    await a_day(app, ALEX, monday - timedelta(2), NOTE, answer="Alex's note to Sam", shared=True)


async def facts_of(app: RunningApp, user: FakeUser) -> RecapFacts | None:
    async with app.stored() as session:
        viewer = await session.get(User, user.id)
        assert viewer is not None
        return await recap.recap_facts(session=session, viewer=viewer, now=THURSDAY_10)


async def test_recap_sends_a_png_photo_of_the_viewers_weeks(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await weeks_of_alex_and_sam(app)
    (photo,) = await app.send(ALEX, "/recap")
    assert photo.kind == "photo"
    assert photo.text == texts.RECAP_CAPTION
    assert photo.file_bytes is not None and photo.file_bytes.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(photo.file_bytes))
    image.load()
    assert image.format == "PNG" and image.width == 1080

    facts = await facts_of(app, ALEX)
    assert facts is not None
    assert render(facts) == photo.file_bytes  # the photo is this viewer's facts, drawn
    cells = draw(facts).cells
    for day, mark in {
        date(2026, 11, 23): DayMark.BOTH,
        date(2026, 11, 24): DayMark.ONE,
        date(2026, 11, 25): DayMark.ONE,
        date(2026, 11, 22): DayMark.QUIET,
        date(2026, 11, 26): DayMark.NONE,  # today's nudge has not come yet
    }.items():
        left, top, right, bottom = cells[day]
        assert image.getpixel(((left + right) // 2, (top + bottom) // 2)) == MARK_COLOURS[mark]
    assert fake.sent_to(SAM.id) == []  # Alex's recap is Alex's


async def test_the_line_is_a_note_the_viewer_received_never_an_unrevealed_answer(
    app: RunningApp,
) -> None:
    await weeks_of_alex_and_sam(app)
    alex = await facts_of(app, ALEX)
    sam = await facts_of(app, SAM)
    assert alex is not None and sam is not None
    assert (alex.note, alex.note_from) == ("Thank you for the soup 💛", "Sam")
    assert (sam.note, sam.note_from) == ("Alex's note to Sam", "Alex")
    for facts in (alex, sam):
        assert "secret" not in f"{facts.note}"
    assert alex.counts.both_showed_up == sam.counts.both_showed_up == 1
    assert alex.counts.notes == sam.counts.notes == 2


async def test_two_pairs_pictures_never_share_content(app: RunningApp, fake: FakeTelegram) -> None:
    await weeks_of_alex_and_sam(app)
    tuesday = date(2026, 11, 24)
    await a_day(app, JO, tuesday, NOTE, answer="Coffee in bed, what a start", shared=True)
    await a_day(app, KIM, tuesday, NOTE)
    for day in (date(2026, 11, 2), date(2026, 11, 3)):
        for who in (KIM, JO):
            await a_day(app, who, day, QUESTION, answer="ours", revealed=True)

    alex, kim = await facts_of(app, ALEX), await facts_of(app, KIM)
    assert alex is not None and kim is not None
    assert kim.note == "Coffee in bed, what a start" and kim.note_from == "Jo"
    assert "soup" not in f"{kim.note}" and "Coffee" not in f"{alex.note}"
    assert kim.marks[date(2026, 11, 23)] == DayMark.NONE  # Alex and Sam's day is not theirs
    assert alex.marks[date(2026, 11, 2)] == DayMark.NONE
    assert kim.marks[date(2026, 11, 2)] == DayMark.BOTH
    assert (kim.counts.both_showed_up, kim.counts.notes) == (2, 1)

    (alex_photo,) = await app.send(ALEX, "/recap")
    (kim_photo,) = await app.send(KIM, "/recap")
    assert alex_photo.file_bytes != kim_photo.file_bytes
    assert fake.sent_to(JO.id) == [] and fake.sent_to(SAM.id) == []


async def test_a_pause_marks_its_days_and_resume_ends_it(app: RunningApp) -> None:
    await app.send(ALEX, "/pause 2d")  # Thursday and Friday
    async with app.stored() as session:
        (pause,) = await session.exec(select(PairPause))
        assert pause.started_at == THURSDAY_10
    facts = await facts_of(app, SAM)
    assert facts is not None and facts.marks[date(2026, 11, 26)] == DayMark.PAUSED
    await app.send(SAM, "/resume")
    async with app.stored() as session:
        (pause,) = await session.exec(select(PairPause))
        assert pause.ends_at == THURSDAY_10  # ended at once: nothing after it is "paused"
    await app.send(ALEX, "/pause 1w")
    async with app.stored() as session:
        assert len(list(await session.exec(select(PairPause)))) == 2  # a new pause, remembered


async def test_someone_unpaired_gets_a_kind_word_and_no_picture(
    app: RunningApp, fake: FakeTelegram
) -> None:
    await onboard(app, LEE)
    (reply,) = await app.send(LEE, "/recap")
    assert reply.kind == "text" and reply.raw_text == texts.RECAP_NOT_PAIRED
    (confirm,) = await app.send(SAM, "/unpair")
    await app.tap(SAM, confirm, texts.UNPAIR_YES)
    (after,) = await app.send(ALEX, "/recap")
    assert after.raw_text == texts.RECAP_NOT_PAIRED
    assert all(m.kind != "photo" for m in fake.sent_to(ALEX.id) + fake.sent_to(LEE.id))


async def test_recap_is_in_the_command_menu_and_help() -> None:
    assert "recap" in dict(texts.COMMAND_MENU) and "/recap" in texts.HELP
