"""Which nudge a message answers, what counts as an answer, and how long answers travel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import Message

from bot.answers import content_of
from bot.sharing import split_for_telegram, utf16_length
from storage import answers, claiming, outcomes
from storage.db import Database
from storage.models import Delivery
from tests.storage.factories import a_couple, a_user

MONDAY_8 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


async def _claim_and_send(database: Database, at: datetime, message_ids: dict[int, int]) -> None:
    async with database.transaction() as session:
        claimed = await claiming.claim_due(
            session=session,
            now=at,
            limit=50,
            lease=timedelta(minutes=2),
            catch_up=timedelta(hours=3),
        )
        await outcomes.record_sent(
            session=session,
            sent=[(c.delivery_id, message_ids[c.user_id] + c.local_date.day) for c in claimed],
            now=at,
        )


async def test_a_plain_message_answers_the_latest_nudge_and_a_reply_an_older_one(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY_8 - timedelta(hours=1))
        await a_couple(session, 3, 4, now=MONDAY_8 - timedelta(hours=1))
    for day in range(9):
        await _claim_and_send(
            database, MONDAY_8 + timedelta(days=day), {1: 100, 2: 200, 3: 300, 4: 400}
        )
    now = MONDAY_8 + timedelta(days=8, hours=1)
    async with database.transaction() as session:

        async def answered(message_id: int | None) -> Delivery | None:
            found = await answers.answering(
                session=session, user_id=1, replied_message_id=message_id, now=now
            )
            assert found is not None
            return found.mine

        latest = await answered(None)
        assert latest is not None
        assert latest.local_date.day == 23 + 8 - 30  # 1 December
        # Monday's is 8 days old: beyond the 7-day window, so the latest is answered.
        assert await answered(100 + 23) == latest
        tuesday = await answered(100 + 25)
        assert tuesday is not None
        assert tuesday.local_date.day == 25
        # Someone else's message id never routes to them, nor to another user's nudge.
        assert await answered(300 + 25) == latest
        found = await answers.answering(
            session=session, user_id=1, replied_message_id=100 + 25, now=now
        )
        assert found is not None and found.partner is not None and found.partner.id == 2
        theirs = found.theirs
        assert theirs is not None
        assert (theirs.user_id, theirs.local_date) == (2, tuesday.local_date)
        assert theirs.nudge_id == tuesday.nudge_id


async def test_only_the_author_and_their_partner_after_sharing_can_view_a_part(
    database: Database,
) -> None:
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY_8 - timedelta(hours=1))
        await a_user(session, 9, name="Kim")
    await _claim_and_send(database, MONDAY_8, {1: 100, 2: 200})
    async with database.transaction() as session:
        found = await answers.answering(
            session=session, user_id=1, replied_message_id=None, now=MONDAY_8
        )
        assert found is not None
        mine = found.mine
        assert isinstance(mine, Delivery)
        part = await answers.add_part(
            session=session,
            delivery=mine,
            message_id=5,
            content_type="voice",
            text=None,
            file_id="F",
            now=MONDAY_8,
        )
        pair_id = mine.pair_id
    async with database.transaction() as session:
        assert await answers.part_for_viewer(
            session=session, part_id=part.id or 0, viewer_id=1, viewer_pair_id=pair_id
        )
        assert (
            await answers.part_for_viewer(
                session=session, part_id=part.id or 0, viewer_id=2, viewer_pair_id=pair_id
            )
            is None
        )  # not revealed yet
        assert (
            await answers.part_for_viewer(
                session=session, part_id=part.id or 0, viewer_id=9, viewer_pair_id=None
            )
            is None
        )
        delivery = await answers.delivery_by_id(session=session, delivery_id=part.delivery_id)
        assert delivery is not None
        delivery.revealed_at = MONDAY_8
    async with database.transaction() as session:
        assert await answers.part_for_viewer(
            session=session, part_id=part.id or 0, viewer_id=2, viewer_pair_id=pair_id
        )
        assert (
            await answers.part_for_viewer(
                session=session, part_id=part.id or 0, viewer_id=9, viewer_pair_id=pair_id + 1
            )
            is None
        )


def _message(**fields: object) -> Message:
    data = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}} | fields
    message = Message.de_json(data, None)
    assert message is not None
    return message


def test_what_counts_as_an_answer() -> None:
    assert content_of(_message(text="❤️")).content_type == "text"  # type: ignore[union-attr]
    voice = content_of(_message(voice={"file_id": "V", "file_unique_id": "v", "duration": 1}))
    assert voice is not None
    assert (voice.content_type, voice.file_id, voice.text) == ("voice", "V", None)
    photo = content_of(
        _message(
            photo=[
                {"file_id": "small", "file_unique_id": "s", "width": 9, "height": 9},
                {"file_id": "big", "file_unique_id": "b", "width": 99, "height": 99},
            ],
            caption="us",
        )
    )
    assert photo is not None
    assert (photo.content_type, photo.file_id, photo.text) == ("photo", "big", "us")
    note = content_of(
        _message(video_note={"file_id": "N", "file_unique_id": "n", "length": 1, "duration": 1})
    )
    assert note is not None
    assert note.content_type == "video_note"
    sticker = {
        "file_id": "S",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    assert content_of(_message(sticker=sticker)) is None
    assert content_of(_message(dice={"emoji": "🎲", "value": 3})) is None


def test_long_answers_are_split_within_telegrams_limit_and_escaped() -> None:
    body = "😀" * 3000 + "<&>"
    chunks = split_for_telegram("<b>Header</b>", body)
    assert len(chunks) == 2
    assert all(utf16_length(chunk) <= 4096 for chunk in chunks)
    assert chunks[0].startswith("<b>Header</b>\n\n")
    assert chunks[-1].endswith("&lt;&amp;&gt;")
    assert split_for_telegram("<b>H</b>", "") == ["<b>H</b>"]
