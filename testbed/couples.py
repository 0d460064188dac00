"""Couples written straight into the bot's SQLite file, for end-to-end stories."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from pathlib import Path

from sqlalchemy import insert

from storage.db import Database
from storage.migrate import upgrade_to_head
from storage.models import Pair, PairDay, User

PAIRED_AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday; Berlin is UTC+1
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin


def populate(
    db_path: Path | str,
    pairs: int,
    *,
    first_id: int = 1000,
    names: tuple[str, str] | None = None,
    nudges: dict[date, str] | None = None,
    due: datetime = DUE,
) -> list[int]:
    """`pairs` couples in Berlin, nudge time 08:00, paired before it: all due at `due`.

    `names` names the first couple's partners (others are "U<id>"); `nudges` fixes the
    first couple's nudge for some dates, as if it had been chosen already."""

    async def build() -> list[int]:
        database = Database(f"sqlite:///{db_path}" if isinstance(db_path, Path) else db_path)

        await upgrade_to_head(database)
        user_rows, pair_rows = [], []
        for n in range(pairs):
            a, b = first_id + 2 * n, first_id + 2 * n + 1
            pair_rows.append(
                {
                    "id": n + 1,
                    "user_a_id": a,
                    "user_b_id": b,
                    "created_at": min(PAIRED_AT, due),
                    "seed": n,
                    "living": "together",
                }
            )
            for index, user_id in enumerate((a, b)):
                user_rows.append(
                    {
                        "id": user_id,
                        "first_name": names[index] if names and n == 0 else f"U{user_id}",
                        "timezone": "Europe/Berlin",
                        "nudge_time": time(8, 0),
                        "onboarding_step": "done",
                        "pair_id": n + 1,
                        "created_at": min(PAIRED_AT, due),
                        "next_due_at": due,
                    }
                )
        async with database.transaction() as session:
            for start in range(0, len(pair_rows), 1000):  # stay under bind-parameter limits
                await session.exec(insert(Pair).values(pair_rows[start : start + 1000]))
            for start in range(0, len(user_rows), 1000):
                await session.exec(insert(User).values(user_rows[start : start + 1000]))

            if nudges:
                await session.exec(
                    insert(PairDay).values(
                        [
                            {"pair_id": 1, "local_date": day, "nudge_id": nudge_id}
                            for day, nudge_id in nudges.items()
                        ]
                    )
                )
        await database.dispose()
        return [row["id"] for row in user_rows]

    return asyncio.run(build())
