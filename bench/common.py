"""What every benchmark does: a database full of couples, the fake Bot API, the real bot
(`python -m bot`) started against it and waited for, and the figures read from /proc."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from fakegram import FakeBotApiServer, FakeTelegram
from storage.db import Database
from storage.models import User
from testbed.bot_process import TOKEN, BotProcess
from testbed.couples import populate
from testbed.postgres import running_postgres

SECRET = "bench-webhook-secret"
WEBHOOK_URL = "https://couplet.bench.invalid/telegram"
NOT_YET = datetime.now(UTC) + timedelta(days=1)  # due date of couples the bot must not nudge yet


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh SQLite file or a database in a throwaway PostgreSQL server; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="couplet-bench-") as directory:
        if kind == "sqlite":
            yield f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
            return
        with running_postgres() as server:
            yield server.create_database()


def couples(url: str, users: int, *, due: datetime = NOT_YET) -> list[int]:
    """`users // 2` couples in Berlin, due at `due` (by default not today); their user ids."""
    started = time.monotonic()
    ids = populate(url, users // 2, due=due)
    print(f"{len(ids):,} users in {url.split(':', 1)[0]} ({time.monotonic() - started:.1f} s)")
    return ids


def make_due(url: str, user_ids: list[int], at: datetime) -> None:
    """Sets these users' next nudge to `at` (what the bot's clock reaching it would do)."""

    async def run() -> None:
        db = Database(url)
        async with db.transaction() as session:
            for start in range(0, len(user_ids), 5000):
                chunk = user_ids[start : start + 5000]
                statement = update(User).where(User.id.in_(chunk))  # type: ignore[attr-defined]
                await session.exec(statement.values(next_due_at=at))
        await db.dispose()

    asyncio.run(run())


@contextmanager
def fake_api() -> Iterator[FakeBotApiServer]:
    """The fake Bot API on 127.0.0.1, in a thread of this process (the bot is another)."""
    with FakeBotApiServer(FakeTelegram(TOKEN)) as server:
        yield server


@contextmanager
def fake_without_pauses() -> Iterator[None]:
    """No cyclic garbage collection in this process while it measures. The fake serves from a
    thread here and times each request when it handles it: a full collection (over 100 ms
    once a wave's calls pile up) would hold the requests that arrive meanwhile and then count
    them together, as a burst the bots never sent (a 429 against the token's rate)."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bot(
    api: FakeBotApiServer,
    url: str,
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    webhook_port: int | None = None,
    program: tuple[str, ...] = ("-m", "bot"),
) -> BotProcess:
    """Starts the bot (or `program`) against the fake and returns once it polls or its
    webhook answers /healthz."""
    workdir.mkdir(parents=True, exist_ok=True)
    settings = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    } | dict(env or {})
    if webhook_port is not None:
        settings |= {"WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": SECRET}
        settings |= {"PORT": str(webhook_port)}
    bot = BotProcess(env=settings, workdir=workdir, program=program)
    fake = api.fake
    method = "setWebhook" if webhook_port is not None else "deleteWebhook"
    starts = len(fake.calls_for(method))
    bot.start()
    wait_until(lambda: len(fake.calls_for(method)) > starts, 60, "the bot to start", bot)
    if webhook_port is not None:
        healthz = f"http://127.0.0.1:{webhook_port}/healthz"
        wait_until(lambda: http_status(healthz) == 200, 60, "the webhook port", bot)
    return bot


def wait_until(predicate: Callable[[], bool], timeout: float, what: str, bot: BotProcess) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if not bot.running:
            raise SystemExit(f"the bot exited waiting for {what}; log:\n{bot.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def http_status(url: str) -> int:
    """Status of a GET; 0 while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def delivered(fake: FakeTelegram, user_ids: set[int]) -> dict[int, list[float]]:
    """For each user who got one, the arrival times (fake's monotonic clock) of the
    successful sendMessage calls to their chat."""
    times: dict[int, list[float]] = {}
    for call in fake.calls_for("sendMessage"):
        if call.status == 200 and call.chat_id in user_ids:
            times.setdefault(call.chat_id, []).append(call.at)
    return times


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (nan for no values)."""
    data = sorted(values)
    if not data:
        return float("nan")
    return data[min(len(data) - 1, max(0, round(fraction * len(data) + 0.5) - 1))]


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb_of(pid: int) -> float:
    """A process's peak resident set size so far (VmHWM), in MB; NaN if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            lines = status.readlines()
    except OSError:
        return float("nan")
    peaks = [line for line in lines if line.startswith("VmHWM:")]
    return int(peaks[0].split()[1]) / 1024 if peaks else float("nan")


def pid_of(bot: BotProcess) -> int:
    assert bot.process is not None
    return bot.process.pid


def machine() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def in_child(target: Any, *args: Any, timeout: float) -> dict[str, Any]:
    """Runs `target(*args, connection)` in a fresh interpreter (so its CPU and memory are
    its own); returns the dict it sent."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, sender))
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise RuntimeError(f"{target.__name__} gave no result within {timeout:.0f} s")
        outcome: dict[str, Any] = receiver.recv()
    except EOFError:
        raise RuntimeError(f"{target.__name__} died (exit code {process.exitcode})") from None
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
    return outcome
