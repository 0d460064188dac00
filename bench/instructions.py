"""The dispatch ratio counted in instructions, which repeat where seconds do not.

    python -m bench.instructions
    python -m bench.instructions --messages 1000

`bench.dispatch` compares nudges per second with bare sends per second, measured minutes
apart; on these machines the speed drifts by a third within minutes, and so does that
ratio. This benchmark runs each side under `valgrind --tool=callgrind` (which counts the
instructions the process executes) twice: for M and for 2M messages, so start-up cancels
out in the difference. The dispatcher sends a wave of M users due in one minute of a
SQLite file (2M: two minutes' waves), through a real PTB `ExtBot` to `FakeBotApiServer`
in another process (not counted); the bare loop sends as many messages with texts and
buttons the bot's own code renders, four in flight. Prints instructions per message for
each and their ratio (bare over dispatched: the dispatch ratio with the machine's speed
taken out).

Needs valgrind (`apt install valgrind`); takes a few minutes, each process running about
fifty times slower than natively.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.dispatch import (
    CEILING_CHAT_BASE,
    DUE_AT,
    REPO,
    TOKEN,
    ProcessFake,
    bot_defaults,
    measure_ceiling,
    populate_in_child,
    rendered_payloads,
)

COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


async def _stagger(url: str, per_minute: int, users: int) -> None:
    """Users 1..per_minute due at DUE_AT, the next per_minute a minute later, and so on
    (pairs stay together: per_minute is even)."""
    from sqlalchemy import update

    from storage.db import Database
    from storage.models import User

    users_table = User.__table__  # type: ignore[attr-defined]
    database = Database(url)
    for first in range(1, users + 1, per_minute):
        due = DUE_AT + timedelta(minutes=(first - 1) // per_minute)
        statement = (
            update(users_table)
            .where(users_table.c.id.between(first, first + per_minute - 1))
            .values(next_due_at=due)
        )
        async with database.transaction() as session:
            await session.exec(statement)
    await database.dispose()


async def _dispatch(url: str, base_url: str, waves: int, expected: int) -> None:
    from telegram.ext import ExtBot

    from bot.dispatch import Dispatcher
    from storage.db import Database

    database = Database(url)
    now = DUE_AT + timedelta(minutes=waves - 1, seconds=1)
    bot: ExtBot[None] = ExtBot(TOKEN, base_url=base_url, defaults=bot_defaults())
    async with bot:
        report = await Dispatcher(
            database=database, bot=bot, clock=lambda: now, catch_up=timedelta(hours=3)
        ).run()
    await database.dispose()
    if report.sent != expected:
        raise SystemExit(f"the dispatcher sent {report.sent}, not {expected}")


def child(argv: list[str]) -> None:
    """Runs under valgrind: `dispatch URL BASE_URL WAVES COUNT` or `bare BASE_URL COUNT`."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if argv[0] == "dispatch":
        url, base_url, waves, count = argv[1], argv[2], int(argv[3]), int(argv[4])
        asyncio.run(_dispatch(url, base_url, waves, count))
    else:
        base_url, count = argv[1], int(argv[2])
        asyncio.run(
            measure_ceiling(
                base_url=base_url,
                count=count,
                in_flight=4,
                payloads=rendered_payloads(64),
                chat_base=CEILING_CHAT_BASE,
            )
        )


def instructions(arguments: list[str]) -> int:
    """Instructions the child process with `arguments` executed (callgrind's count)."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--child",
        *arguments,
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--messages", type=int, default=500, help="M (even): users a minute")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt install valgrind)")
    per_minute = args.messages
    if per_minute <= 0 or per_minute % 2:
        parser.error("--messages must be a positive even number")

    with tempfile.TemporaryDirectory(prefix="couplet-instructions-") as directory:
        prepared = Path(directory) / "prepared.sqlite3"
        url = f"sqlite+aiosqlite:///{prepared}"
        populate_in_child(url, 2 * per_minute)
        asyncio.run(_stagger(url, per_minute, 2 * per_minute))
        fake = ProcessFake()
        try:
            counted: dict[str, list[int]] = {"dispatch": [], "bare": []}
            for waves in (1, 2):
                copy = Path(directory) / f"wave-{waves}.sqlite3"
                shutil.copy(prepared, copy)
                counted["dispatch"].append(
                    instructions(
                        [
                            "dispatch",
                            f"sqlite+aiosqlite:///{copy}",
                            fake.base_url,
                            str(waves),
                            str(waves * per_minute),
                        ]
                    )
                )
                counted["bare"].append(
                    instructions(["bare", fake.base_url, str(waves * per_minute)])
                )
                print(
                    f"{waves * per_minute} messages: dispatcher {counted['dispatch'][-1]:,} "
                    f"instructions, bare loop {counted['bare'][-1]:,}",
                    flush=True,
                )
        finally:
            fake.close()
    per_message = {name: (second - first) / per_minute for name, (first, second) in counted.items()}
    ratio = per_message["bare"] / per_message["dispatch"]
    print(
        f"per message: dispatched nudge {per_message['dispatch'] / 1e6:.2f} M instructions, "
        f"bare send {per_message['bare'] / 1e6:.2f} M; ratio {ratio:.3f}"
    )
    result = {
        "messages": per_minute,
        "dispatch_instructions_per_message": round(per_message["dispatch"]),
        "bare_instructions_per_message": round(per_message["bare"]),
        "ratio": round(ratio, 3),
        "python": sys.version.split()[0],
        "cores": os.cpu_count(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
