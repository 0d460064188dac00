"""/history reads only what a page shows: however long a couple's journal and however many
messages an answer holds, one page fetches the same few rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event

from nudges.library import Kind, load_library
from storage import journal
from storage.db import Database
from tests.storage.factories import FIRST_DAY, a_long_journal

SHOWN = 3  # parts of one answer a page shows (bot/journal.py's MAX_PARTS_SHOWN)
PER_PAGE = 5


@contextmanager
def statements_run(database: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement sent to the database meanwhile, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def rows_fetched(database: Database, seen: list[tuple[str, Any]]) -> int:
    """How many rows the SELECTs among `seen` return, each run again as it was sent."""
    selects = [(s, p) for s, p in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: sum(len(sync.exec_driver_sql(s, p).fetchall()) for s, p in selects)
        )


async def test_a_page_of_history_fetches_the_same_few_rows_however_long_the_journal(
    database: Database,
) -> None:
    alex = await a_long_journal(database, days=60, parts_each=25)
    note_ids = {n.id for n in load_library() if n.kind == Kind.APPRECIATION}
    with statements_run(database) as seen:
        async with database.transaction() as session:
            days, more = await journal.page(
                session=session, user=alex, number=1, per_page=PER_PAGE, parts_shown=SHOWN
            )
            counts = await journal.counts(
                session=session, pair_id=alex.pair_id or 0, appreciation_ids=note_ids
            )
    assert more
    assert [d.day for d in days] == [FIRST_DAY + timedelta(54 - n) for n in range(PER_PAGE)]
    for day in days:
        assert [p.message_id for p in day.my_parts] == [0, 1, 2]
        assert [p.message_id for p in day.their_parts] == [0, 1, 2]
        assert (day.my_total, day.their_total) == (25, 25)
    assert counts == journal.JournalCounts(both_showed_up=60, notes_exchanged=120, plans_made=0)

    # The page's days (and one more, to know older ones exist), both partners' deliveries
    # of the page, three parts of each, and the counts: nothing of the other 55 days and no
    # part a page does not show.
    page_rows = (PER_PAGE + 1) + 2 * PER_PAGE + 2 * PER_PAGE * SHOWN
    assert await rows_fetched(database, seen) <= page_rows + 5
