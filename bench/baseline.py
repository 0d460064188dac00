"""Start-up cost: the naive one-job-per-user design versus Couplet's start-up path.

    python -m bench.baseline --users 100000

The naive design most reminder bots use is one python-telegram-bot `JobQueue.run_daily` job
per user, each at the user's local time in the user's zone, all scheduled at start-up. In a
fresh child process this measures how long scheduling N such jobs and starting the
application (and with it the JobQueue) takes, and the child's peak RSS.

Beside it, in another fresh child, Couplet's real start-up with N users (N/2 pairs) in its
SQLite file: `build_application(settings)`, `async with application`, `post_init`
(migrations, the key check, the command menu), `application.start()` and one
`Dispatcher.run()` tick that finds nothing due (the clock is set before everyone's due
time), and that child's peak RSS. The file is populated beforehand in a third child, so
population never counts.

Both applications talk only to a `FakeBotApiServer` on 127.0.0.1 run by this (parent)
process, so its memory belongs to neither measurement. Times exclude the interpreter start
and module imports (reported separately, for both). Targets for Couplet at 100,000 users:
start-up <= 3 s and peak RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:" + "A" * 35
CHILD_TIMEOUT = 240.0  # seconds any one child may take before it is killed
STARTUP_TARGET_SECONDS = 3.0
RSS_TARGET_MB = 150.0
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Toronto",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Dubai",
    "Asia/Jakarta",
    "Australia/Sydney",
    "Africa/Lagos",
    "Pacific/Auckland",
)


def _ensure_repo_on_path() -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- children


def _populate_child(db_path: str, users: int, result: Any) -> None:
    _ensure_repo_on_path()
    from testbed.couples import populate

    started = perf_counter()
    populate(Path(db_path), users // 2)
    result.send({"seconds": perf_counter() - started})


async def _naive_reminder(context: Any) -> None:  # what each user's job would run
    await context.bot.send_message(context.job.chat_id, "Your daily nudge")


def _naive_child(users: int, base_url: str, seed: int, result: Any) -> None:
    """N `run_daily` jobs, one per user at a random local time in one of 20 zones."""
    imports_started = perf_counter()
    import asyncio
    import random
    from datetime import time
    from zoneinfo import ZoneInfo

    from telegram.ext import ApplicationBuilder

    import_seconds = perf_counter() - imports_started

    async def measure() -> dict[str, float]:
        started = perf_counter()
        application = ApplicationBuilder().token(TOKEN).base_url(base_url).updater(None).build()
        job_queue = application.job_queue
        assert job_queue is not None
        rng = random.Random(seed)
        zones = [ZoneInfo(name) for name in ZONES]
        for index in range(users):
            user_id = 1000 + index
            at = time(rng.randrange(24), rng.randrange(60), tzinfo=zones[index % len(zones)])
            job_queue.run_daily(
                _naive_reminder, at, chat_id=user_id, user_id=user_id, name=f"nudge-{user_id}"
            )
        scheduled = perf_counter()
        async with application:
            await application.start()  # starts the JobQueue: every job gets its next run
            ready = perf_counter()
            jobs = len(job_queue.jobs())
            await application.stop()
        return {
            "schedule_seconds": scheduled - started,
            "start_seconds": ready - scheduled,
            "setup_seconds": ready - started,
            "jobs": jobs,
        }

    outcome = asyncio.run(measure())
    outcome |= {"import_seconds": import_seconds, "peak_rss_mb": peak_rss_mb()}
    result.send(outcome)


def _couplet_child(db_path: str, base_url: str, result: Any) -> None:
    """Couplet's start-up path up to "ready to dispatch", with nothing due yet."""
    imports_started = perf_counter()
    _ensure_repo_on_path()
    import asyncio

    from bot.app import build_application
    from bot.config import Settings
    from testbed.couples import DUE

    import_seconds = perf_counter() - imports_started
    before_everyone = DUE - timedelta(hours=1)

    async def measure() -> dict[str, float]:
        started = perf_counter()
        settings = Settings.from_values(
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": base_url,
                "DATABASE_URL": f"sqlite:///{db_path}",
                "LOG_LEVEL": "WARNING",
            }
        )
        application = build_application(settings, clock=lambda: before_everyone)
        built = perf_counter()
        async with application:
            initialized = perf_counter()
            assert application.post_init is not None
            await application.post_init(application)
            post_init = perf_counter()
            await application.start()
            started_app = perf_counter()
            report = await application.bot_data.services.dispatcher.run()
            ready = perf_counter()
            await application.stop()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)
        if report.sent or report.failed or report.retried:
            raise RuntimeError(f"the first tick was meant to find nothing due: {report}")
        return {
            "build_seconds": built - started,
            "initialize_seconds": initialized - built,
            "post_init_seconds": post_init - initialized,
            "start_seconds": started_app - post_init,
            "tick_seconds": ready - started_app,
            "startup_seconds": ready - started,
        }

    outcome = asyncio.run(measure())
    outcome |= {"import_seconds": import_seconds, "peak_rss_mb": peak_rss_mb()}
    result.send(outcome)


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--users", type=int, default=100_000, help="users (N/2 pairs)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the naive job times")
    arguments = parser.parse_args(argv)
    users = max(2, min(arguments.users, 2_000_000))
    _ensure_repo_on_path()
    from bench.common import in_child
    from fakegram import FakeBotApiServer, FakeTelegram

    workdir = Path(tempfile.mkdtemp(prefix="couplet-bench-baseline-"))
    try:
        db_path = workdir / "baseline.sqlite3"
        print(f"populating {users:,} users ({users // 2:,} pairs) in a child process ...")
        populated = in_child(_populate_child, str(db_path), users, timeout=CHILD_TIMEOUT)
        print(f"  done in {populated['seconds']:.1f} s")
        with FakeBotApiServer(FakeTelegram(TOKEN)) as server:
            print("naive: one run_daily job per user, in a fresh child process ...")
            naive = in_child(
                _naive_child, users, server.base_url, arguments.seed, timeout=CHILD_TIMEOUT
            )
            print("couplet: start-up to ready-to-dispatch, in a fresh child process ...")
            couplet = in_child(_couplet_child, str(db_path), server.base_url, timeout=CHILD_TIMEOUT)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    cores = os.cpu_count() or 1
    rows = [
        ("set-up / start-up (s)", naive["setup_seconds"], couplet["startup_seconds"]),
        ("peak RSS (MB)", naive["peak_rss_mb"], couplet["peak_rss_mb"]),
        ("module imports (s, not counted)", naive["import_seconds"], couplet["import_seconds"]),
    ]
    print()
    print(f"{users:,} users, {cores} cores, Python {platform.python_version()}")
    print(f"{'':34} {'naive run_daily':>16} {'Couplet':>12}")
    for label, left, right in rows:
        print(f"{label:34} {left:16.2f} {right:12.2f}")
    print(
        f"naive: scheduling {naive['schedule_seconds']:.2f} s + starting "
        f"{naive['start_seconds']:.2f} s ({naive['jobs']:,} jobs)"
    )
    print(
        "couplet: build {build_seconds:.2f} s, initialize {initialize_seconds:.2f} s, "
        "post_init {post_init_seconds:.2f} s, start {start_seconds:.2f} s, "
        "first tick {tick_seconds:.3f} s".format(**couplet)
    )
    startup_ok = couplet["startup_seconds"] <= STARTUP_TARGET_SECONDS
    rss_ok = couplet["peak_rss_mb"] <= RSS_TARGET_MB
    print(
        f"targets: start-up <= {STARTUP_TARGET_SECONDS:.0f} s "
        f"{'met' if startup_ok else 'MISSED'}; "
        f"peak RSS <= {RSS_TARGET_MB:.0f} MB {'met' if rss_ok else 'MISSED'}"
    )
    print(
        json.dumps(
            {
                "users": users,
                "naive_setup_seconds": round(naive["setup_seconds"], 3),
                "naive_peak_rss_mb": round(naive["peak_rss_mb"], 1),
                "couplet_startup_seconds": round(couplet["startup_seconds"], 3),
                "couplet_peak_rss_mb": round(couplet["peak_rss_mb"], 1),
                "cores": cores,
            }
        )
    )
    return 0 if startup_ok and rss_ok else 1


if __name__ == "__main__":
    sys.exit(main())
