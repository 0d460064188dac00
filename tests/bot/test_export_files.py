"""/export streams: written piece by piece to a file, split into several documents when it
would go beyond what Telegram takes from a bot, and the same file as before otherwise."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot import exports
from bot.context import Services
from fakegram import FakeTelegram, FakeUser, SentMessage
from storage.models import AnswerPart
from tests.bot.app_harness import RunningApp, pair_up_with_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock
from tests.storage.factories import a_long_journal
from tests.storage.test_journal_pages import statements_run

ALEX = FakeUser(987_654_321, "Alex")
SAM = FakeUser(876_543_219, "Sam")
START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday, 07:00 in Berlin
MONDAY = date(2026, 11, 23)
NUDGES = ["feelings-001", "appreciation-001", "closeness-001", "together-001"]
BEFORE = Path(__file__).parent / "data" / "export-before.json"


def documents(fake: FakeTelegram, user_id: int) -> list[SentMessage]:
    return [m for m in fake.sent_to(user_id) if m.kind == "document"]


async def four_days_together(app: RunningApp, fake: FakeTelegram, clock: FrozenClock) -> None:
    """A question, a note, a closeness nudge and a plan, answered in words and a voice note."""
    days = {MONDAY + timedelta(n): nudge_id for n, nudge_id in enumerate(NUDGES)}
    await pair_up_with_nudges(app, fake, ALEX, SAM, days)
    services: Services = app.application.bot_data.services
    for n in range(len(NUDGES)):
        clock.now = START + timedelta(days=n, hours=1)
        await services.dispatcher.run()
        await app.feed(fake.send_text(ALEX, f"Alex on day {n} ✨ “quoted” and\nnew line"))
        await app.feed(fake.send_text(SAM, f"Sam on day {n}"))
        if n % 2 == 0:
            voice = {"file_id": f"SAM-VOICE-{n}", "file_unique_id": f"v{n}", "duration": 2}
            await app.feed(fake.send_message_json(SAM, voice=voice))


async def test_an_ordinary_export_is_one_file_with_the_same_content_as_before(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        await four_days_together(app, fake, clock)
        await app.feed(fake.send_text(ALEX, "/export"))
    exported, readable = documents(fake, ALEX.id)
    assert exported.file_name == "couplet-export-2026-11-26.json"
    assert readable.file_name == "couplet-journal-2026-11-26.md"
    assert exported.file_bytes is not None
    # Byte for byte what the export gave before it streamed (recorded from that code).
    assert exported.file_bytes.decode("utf-8") == BEFORE.read_text("utf-8")
    journal = (readable.file_bytes or b"").decode("utf-8")
    assert journal == (BEFORE.with_suffix(".md")).read_text("utf-8")
    assert app.errors == []


async def test_a_large_export_comes_in_several_json_files_holding_every_answer_once(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(START)
    alex_user = FakeUser(1, "Alex")  # the builder's Alex
    async with running_app(fake, database_url=database_url, clock=clock, token=TOKEN) as app:
        services: Services = app.application.bot_data.services
        await a_long_journal(services.database, days=40, parts_each=3)
        async with services.database.transaction() as session:
            stored = {
                text: delivery_id
                for text, delivery_id in await session.exec(
                    select(AnswerPart.text, AnswerPart.delivery_id)
                )
            }
        services.export_file_limit = 6_000
        with statements_run(services.database) as seen:
            await app.feed(fake.send_text(alex_user, "/export"))
    # Read in batches: a few queries for 40 days, not two more for every day.
    assert len(seen) <= 20
    sent = documents(fake, alex_user.id)
    exports = [d for d in sent if (d.file_name or "").startswith("couplet-export-")]
    count = len(exports)
    assert count >= 3
    assert [d.file_name for d in exports] == [
        f"couplet-export-2026-11-23-part-{k}-of-{count}.json" for k in range(1, count + 1)
    ]
    assert all(d.text == f"Part {k} of {count} of your data. 🔐" for k, d in enumerate(exports, 1))
    assert all(len(d.file_bytes or b"") <= 6_000 for d in exports)
    parts: list[dict[str, Any]] = [json.loads(d.file_bytes or b"") for d in exports]
    assert parts[0]["profile"]["telegram_user_id"] == 1
    assert all("profile" not in part for part in parts[1:])
    days = [entry for part in parts for entry in part["nudges"]]
    assert [entry["date"] for entry in days] == [
        (date(2026, 1, 1) + timedelta(n)).isoformat() for n in range(40)
    ]
    mine = [p["text"] for entry in days for p in entry["my_answer"]]
    theirs = [p["text"] for entry in days for p in entry["partner_shared_with_me"]]
    assert sorted(mine + theirs) == sorted(stored)  # every answer, each exactly once
    assert len(set(mine + theirs)) == len(mine + theirs) == 240
    journals = [d for d in sent if (d.file_name or "").startswith("couplet-journal-")]
    assert len(journals) >= 2
    assert all(len(d.file_bytes or b"") <= 6_000 for d in journals)
    words = "".join((d.file_bytes or b"").decode("utf-8") for d in journals)
    assert all(text in words for text in stored)
    assert app.errors == []


def test_an_export_file_is_what_json_dumps_writes_and_a_big_nudge_gets_a_file_of_its_own(
    tmp_path: Path,
) -> None:
    head = {"profile": {"first_name": "Zoë", "weekdays": [0, 6]}, "pairs": [], "invites": []}
    tail = {"exported_at": "2026-11-26T07:00:00+00:00"}
    (tmp_path / "empty").mkdir()
    (tmp_path / "split").mkdir()
    empty = exports.JsonExport(tmp_path / "empty", head, tail, limit=10_000)
    (path,) = empty.finish()
    everything = head | {"nudges": []} | tail
    assert path.read_text("utf-8") == json.dumps(everything, ensure_ascii=False, indent=2)

    small, big = {"text": "a\nb “c”"}, {"text": "x" * 5_000}
    split = exports.JsonExport(tmp_path / "split", head, tail, limit=1_000)
    for entry in (small, big, small):
        split.add(entry)
    documents = [json.loads(p.read_text("utf-8")) for p in split.finish()]
    assert [d["nudges"] for d in documents] == [[small], [big], [small]]
    assert [d["part"] for d in documents] == [1, 2, 3]
    assert all(d["exported_at"] == tail["exported_at"] for d in documents)
