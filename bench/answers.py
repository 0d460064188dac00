"""Answer latency of the real bot process under a steady stream of answers.

    python -m bench.answers --rate 100 --seconds 20
    python -m bench.answers --rate 100 --seconds 20 --database postgresql
    python -m bench.answers --rate 100 --seconds 20 --mode webhook
    python -m bench.answers --find-max --seconds 10
    python -m bench.answers --find-max --seconds 10 --floor

`python -m bot` (through the e2e `BotProcess`, MAX_MESSAGES_PER_SECOND=0,
INCOMING_MESSAGES_PER_MINUTE=0, DISPATCH_INTERVAL_SECONDS=1, LOG_LEVEL=WARNING) runs against
the fake Bot API (`FakeBotApiServer`, on 127.0.0.1 in a thread of this process). `--users`
users in pairs are written to its database, every pair with a question nudge fixed for the
day; the test clock is set to the due instant and the bot delivers every nudge before the
measurement. Then R answers a second, for S seconds, come from random users as plain texts:
queued for getUpdates (`--mode polling`) or POSTed to the webhook port with the secret
header (`--mode webhook`, at most 40 requests in flight, Telegram's default
`max_connections`).

Latency of one answer: from its injection to the first bot message to the sender's chat the
fake recorded after it (the reply to the sender goes out before anything to the partner;
partners' additions shared into a chat, "💬 … added:", are never a reply and are skipped).
Errors: answers with no reply within 10 s, and webhook POSTs not answered 200.

`--find-max` raises R step by step, each for S seconds, until p95 > 100 ms or errors
appear, and compares the highest rate sustained with p95 <= 100 ms against the bare-send
ceiling: PTB `Bot.send_message` against the same fake, 8 in flight, no database (in a child
process, as the bot is one; the best of three runs). Targets: at R=100 on SQLite and
PostgreSQL, p95 <= 50 ms and no errors; the highest sustained rate >= 40 % of the ceiling.

`--floor` runs `bench/echo_bot.py` in the bot's place: the same PTB set-up, polling or the
same webhook server, no database, one reply per text. What it sustains bounds any answer
path built on python-telegram-bot set up this way, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SECRET = "bench-answers-secret"
WEBHOOK_URL = "https://couplet.bench.invalid/telegram"
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin, as testbed/couples
DAY = date(2026, 11, 23)
REPLY_TIMEOUT = 10.0  # an answer without a reply this long after it is an error
WEBHOOK_CONNECTIONS = 40  # Telegram's default max_connections for a webhook
P95_LIMIT_MS = 100.0  # --find-max: the highest rate with p95 at most this
TARGET_P95_MS = 50.0
TARGET_RATIO = 0.4
DEFAULT_STEPS = (25, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1200)
CEILING_CHAT_BASE = 8_000_000_000  # ceiling messages go to chats no user has
CEILING_CONCURRENCY = 8
MAX_INJECTIONS = 200_000  # per step, whatever R and S say
BOT_PROGRAM = ("-m", "bot")
FLOOR_PROGRAM = ("-m", "bench.echo_bot")
FLOOR_USER_BASE = 7_000_000_000  # --floor: chats of users no database holds
PARTNER_SHARE_PREFIX = "💬 "  # "💬 <partner> added:" is the partner's answer, not a reply


def _ensure_repo_on_path() -> None:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


_ensure_repo_on_path()

from bench.processes import in_child  # noqa: E402
from fakegram import FakeBotApiServer, FakeTelegram, FakeUser  # noqa: E402
from testbed.bot_process import TOKEN, BotProcess  # noqa: E402

# ----------------------------------------------------------------------------- set-up


def populate_with_questions(database_url: str, users: int) -> list[int]:
    """`users // 2` pairs due at DUE (testbed/couples.populate), each with a question
    nudge fixed for DAY; returns the user ids."""
    from sqlalchemy import insert

    from nudges.library import MAIN_CATEGORIES, Kind, load_library
    from storage.db import Database
    from storage.models import PairDay
    from testbed.couples import populate

    pairs = users // 2
    user_ids = populate(database_url, pairs)
    questions = sorted(
        nudge.id
        for nudge in load_library()
        if nudge.kind == Kind.QUESTION and nudge.category in MAIN_CATEGORIES
    )

    async def fix_nudges() -> None:
        database = Database(database_url)
        rows = [
            {"pair_id": pair_id, "local_date": DAY, "nudge_id": questions[pair_id % len(questions)]}
            for pair_id in range(1, pairs + 1)
        ]
        async with database.transaction() as session:
            for start in range(0, len(rows), 1000):
                await session.exec(insert(PairDay).values(rows[start : start + 1000]))
        await database.dispose()

    asyncio.run(fix_nudges())
    return user_ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(url: str) -> int:
    """Status of a GET to 127.0.0.1; 0 while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


def wait_until(predicate: Any, timeout: float, what: str, bot: BotProcess) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if not bot.running:
            raise SystemExit(f"the bot exited while waiting for {what}; log:\n{bot.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def users_nudged(fake: FakeTelegram, user_ids: set[int]) -> int:
    return len(
        {
            call.chat_id
            for call in fake.calls_for("sendMessage")
            if call.status == 200 and call.chat_id in user_ids
        }
    )


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(stolen, all) CPU ticks of the machine so far, from /proc/stat ((0, 0) elsewhere).

    Stolen ticks are time the hypervisor gave our virtual CPUs to someone else: on a shared
    machine they slow every figure down, so each step prints its share."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks[:8])


def idle_cpu_of(bot: BotProcess, seconds: float) -> float:
    """The fraction of a core the bot uses with nothing to do (polling, dispatcher ticks)."""
    pid = bot.process.pid if bot.process is not None else 0
    before, started = cpu_seconds_of(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds_of(pid) - before) / (time.monotonic() - started)


# ----------------------------------------------------------------------------- one step


@dataclass
class Injection:
    user_id: int
    at: float  # time.monotonic() when it was handed over
    status: int = 200  # webhook: the POST's status (0 when it failed outright)
    post_seconds: float = 0.0  # webhook: until the POST was answered


@dataclass
class StepResult:
    target_rate: float
    seconds: float
    injected: int
    achieved_rate: float
    latencies_ms: list[float]
    missing: int
    bad_posts: int
    replies: Counter[str] = field(default_factory=Counter)
    post_ms: list[float] = field(default_factory=list)
    bot_cpu: float = 0.0  # fraction of one core the bot process used during the step
    cpu_ms_per_answer: float = 0.0  # the bot's CPU per answer, its idle use subtracted
    load: float = 0.0  # the machine's 1-minute load average after the step
    steal: float = 0.0  # the share of the machine's CPU time stolen by the hypervisor

    @property
    def errors(self) -> int:
        return self.missing + self.bad_posts

    def percentile(self, fraction: float, values: list[float] | None = None) -> float:
        data = sorted(self.latencies_ms if values is None else values)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, max(0, round(fraction * len(data) + 0.5) - 1))]

    @property
    def p50(self) -> float:
        return self.percentile(0.50)

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    @property
    def p99(self) -> float:
        return self.percentile(0.99)


def reply_kind(text: str) -> str:
    if text.startswith("Saved"):
        return "saved"
    if text.startswith("Added to your answer"):
        return "added"
    if text.startswith("Added ✨"):
        return "added-shared"
    if text.startswith("💞"):
        return "reveal"
    return "other"


def match_replies(
    fake: FakeTelegram, injections: list[Injection], since: float
) -> tuple[dict[int, float], Counter[str]]:
    """Index of each answered injection -> its reply's `at`, and the kinds of replies.

    Per chat, in time order, each injection takes the first not yet taken bot message to
    the sender's chat recorded at or after it."""
    senders = {injection.user_id for injection in injections}
    by_chat: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for call in fake.calls_for("sendMessage"):
        if call.status != 200 or call.at < since or call.chat_id not in senders:
            continue
        text = str(call.params.get("text", ""))
        if text.startswith(PARTNER_SHARE_PREFIX):
            continue
        by_chat[call.chat_id].append((call.at, text))
    mine: dict[int, list[int]] = defaultdict(list)
    for index, injection in enumerate(injections):
        mine[injection.user_id].append(index)
    matched: dict[int, float] = {}
    kinds: Counter[str] = Counter()
    for user_id, indexes in mine.items():
        messages = sorted(by_chat.get(user_id, []))
        position = 0
        for index in sorted(indexes, key=lambda i: injections[i].at):
            while position < len(messages) and messages[position][0] < injections[index].at:
                position += 1
            if position == len(messages):
                break
            matched[index] = messages[position][0]
            kinds[reply_kind(messages[position][1])] += 1
            position += 1
    return matched, kinds


def inject_polling(
    fake: FakeTelegram, people: list[FakeUser], rate: float, count: int, rng: random.Random
) -> list[Injection]:
    injections: list[Injection] = []
    start = time.monotonic() + 0.05
    hard_stop = start + count / rate + 30
    for k in range(count):
        delay = start + k / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = time.monotonic()
        if now > hard_stop:
            break
        person = rng.choice(people)
        fake.send_text(person, f"bench answer {k}: a few honest words about my week")
        injections.append(Injection(person.id, now))
    return injections


def inject_webhook(
    fake: FakeTelegram,
    people: list[FakeUser],
    rate: float,
    count: int,
    rng: random.Random,
    port: int,
) -> list[Injection]:
    import aiohttp

    url = f"http://127.0.0.1:{port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def post(session: aiohttp.ClientSession, update: dict[str, Any], into: Injection) -> None:
        try:
            async with session.post(url, json=update, headers=headers) as response:
                await response.read()
                into.status = response.status
        except (aiohttp.ClientError, TimeoutError):
            into.status = 0
        into.post_seconds = time.monotonic() - into.at

    async def run() -> list[Injection]:
        injections: list[Injection] = []
        tasks = []
        connector = aiohttp.TCPConnector(limit=WEBHOOK_CONNECTIONS)
        timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT + 20)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            start = time.monotonic() + 0.05
            hard_stop = start + count / rate + 30
            for k in range(count):
                delay = start + k / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if time.monotonic() > hard_stop:
                    break
                person = rng.choice(people)
                update = fake.send_text(person, f"bench answer {k}: a few honest words")
                injection = Injection(person.id, time.monotonic())
                injections.append(injection)
                tasks.append(asyncio.create_task(post(session, update, injection)))
            await asyncio.wait_for(asyncio.gather(*tasks), REPLY_TIMEOUT + 30)
        return injections

    return asyncio.run(run())


def run_step(
    fake: FakeTelegram,
    bot: BotProcess,
    people: list[FakeUser],
    rate: float,
    seconds: float,
    rng: random.Random,
    mode: str,
    port: int,
    idle_cpu: float,
) -> StepResult:
    count = max(1, min(MAX_INJECTIONS, round(rate * seconds)))
    pid = bot.process.pid if bot.process is not None else 0
    cpu_before, wall_before = cpu_seconds_of(pid), time.monotonic()
    stolen_before, ticks_before = machine_ticks()
    if mode == "webhook":
        injections = inject_webhook(fake, people, rate, count, rng, port)
    else:
        injections = inject_polling(fake, people, rate, count, rng)
    first, last = injections[0].at, injections[-1].at
    # Wait (bounded) until every answer has its reply, or 10 s after the last one.
    deadline = last + REPLY_TIMEOUT
    while True:
        matched, kinds = match_replies(fake, injections, first)
        if len(matched) == len(injections) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    cpu_used = cpu_seconds_of(pid) - cpu_before
    stolen, ticks = (
        now - before
        for now, before in zip(machine_ticks(), (stolen_before, ticks_before), strict=True)
    )
    wall = time.monotonic() - wall_before
    latencies = []
    missing = 0
    for index, injection in enumerate(injections):
        reply_at = matched.get(index)
        if reply_at is None or reply_at - injection.at > REPLY_TIMEOUT:
            missing += 1
        else:
            latencies.append((reply_at - injection.at) * 1000)
    span = last - first + 1 / rate
    return StepResult(
        target_rate=rate,
        seconds=seconds,
        injected=len(injections),
        achieved_rate=len(injections) / span,
        latencies_ms=latencies,
        missing=missing,
        bad_posts=sum(1 for injection in injections if injection.status != 200),
        replies=kinds,
        post_ms=[i.post_seconds * 1000 for i in injections] if mode == "webhook" else [],
        bot_cpu=cpu_used / wall if wall > 0 else 0.0,
        cpu_ms_per_answer=max(0.0, cpu_used - idle_cpu * wall) * 1000 / len(injections),
        load=os.getloadavg()[0],
        steal=stolen / ticks if ticks > 0 else 0.0,
    )


def print_step(step: StepResult) -> None:
    line = (
        f"R={step.target_rate:>6.0f}/s  achieved {step.achieved_rate:7.1f}/s  "
        f"n={step.injected:>6}  p50 {step.p50:7.1f} ms  p95 {step.p95:7.1f} ms  "
        f"p99 {step.p99:7.1f} ms  errors {step.errors} "
        f"(no reply {step.missing}, bad POSTs {step.bad_posts})  "
        f"bot CPU {step.bot_cpu:.0%} ({step.cpu_ms_per_answer:.1f} ms/answer)  "
        f"load {step.load:.1f}  steal {step.steal:.0%}"
    )
    if step.post_ms:
        line += (
            f"  POST p50 {step.percentile(0.5, step.post_ms):.1f} ms "
            f"p95 {step.percentile(0.95, step.post_ms):.1f} ms"
        )
    print(line)
    print(f"    replies: {dict(step.replies)}")


# ----------------------------------------------------------------------------- ceiling


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _ceiling_child(base_url: str, seconds: float, result: Any) -> None:
    from telegram import Bot
    from telegram.constants import ParseMode
    from telegram.request import HTTPXRequest

    async def measure() -> dict[str, float]:
        request = HTTPXRequest(connection_pool_size=CEILING_CONCURRENCY)
        bot = Bot(TOKEN, base_url=base_url, request=request)
        sent = 0
        async with bot:
            for k in range(20):  # warm-up: connections opened
                await bot.send_message(CEILING_CHAT_BASE + k, "warm-up")
            started = time.monotonic()
            cpu_before = _own_cpu_seconds()
            stop_at = started + seconds
            limit = 200_000

            async def worker(index: int) -> None:
                nonlocal sent
                k = 0
                while time.monotonic() < stop_at and sent < limit:
                    chat = CEILING_CHAT_BASE + 1000 + index * 100_000 + k
                    await bot.send_message(
                        chat, "Saved 💛 You'll see Sam's answer when they reply.", ParseMode.HTML
                    )
                    sent += 1
                    k += 1

            await asyncio.gather(*(worker(i) for i in range(CEILING_CONCURRENCY)))
            elapsed = time.monotonic() - started
            cpu = _own_cpu_seconds() - cpu_before
        return {
            "sent": sent,
            "seconds": elapsed,
            "per_second": sent / elapsed,
            "client_cpu": cpu / elapsed,
        }

    result.send(asyncio.run(measure()))


def measure_ceiling(base_url: str, seconds: float) -> dict[str, Any]:
    """The best of three runs (one run alone moved by up to a third between runs on a shared
    machine); `runs_per_second` keeps all three."""
    runs = [in_child(_ceiling_child, base_url, seconds, timeout=seconds + 60) for _ in range(3)]
    best = max(runs, key=lambda run: run["per_second"])
    return best | {"runs_per_second": [round(run["per_second"], 1) for run in runs]}


# ----------------------------------------------------------------------------- main


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'answers.sqlite3'}"
        return
    from testbed.postgres import running_postgres

    with running_postgres() as server:
        yield server.create_database()


def start_bot(
    fake: FakeTelegram,
    api: FakeBotApiServer,
    url: str,
    mode: str,
    workdir: Path,
    port: int,
    program: tuple[str, ...],
    extra_env: dict[str, str] | None = None,
) -> BotProcess:
    clock = workdir / "clock"
    clock.write_text(DUE.isoformat(), encoding="utf-8")
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_URL": url,
        "COUPLET_TEST_CLOCK_FILE": str(clock),
        "DISPATCH_INTERVAL_SECONDS": "1",
        "MAX_MESSAGES_PER_SECOND": "0",
        # The clock stands still at DUE, so every answer of a run would count towards its
        # sender's per-minute limit: off here (bench/flood.py measures it).
        "INCOMING_MESSAGES_PER_MINUTE": "0",
        "LOG_LEVEL": "WARNING",
    } | (extra_env or {})
    if mode == "webhook":
        env |= {"WEBHOOK_URL": WEBHOOK_URL, "WEBHOOK_SECRET": SECRET, "PORT": str(port)}
    bot = BotProcess(env=env, workdir=workdir, program=program)
    bot.start()
    if mode == "webhook":
        wait_until(lambda: bool(fake.calls_for("setWebhook")), 60, "setWebhook", bot)
        healthz = f"http://127.0.0.1:{port}/healthz"
        wait_until(lambda: http_status(healthz) == 200, 60, "the webhook port", bot)
    else:
        wait_until(lambda: bool(fake.calls_for("deleteWebhook")), 60, "polling to start", bot)
    return bot


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    parser.add_argument("--rate", type=float, default=100.0, help="answers per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per rate")
    parser.add_argument("--mode", choices=("polling", "webhook"), default="polling")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--find-max", action="store_true", help="raise R stepwise")
    parser.add_argument("--users", type=int, default=2000, help="users (pairs of two)")
    parser.add_argument(
        "--steps",
        default=",".join(str(step) for step in DEFAULT_STEPS),
        help="--find-max: comma-separated rates",
    )
    parser.add_argument("--ceiling-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--profile", type=Path, help="run the bot under cProfile and write its stats here"
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="measure bench/echo_bot.py (no database, one reply per text) instead of Couplet",
    )
    arguments = parser.parse_args(argv)
    arguments.users = max(2, min(arguments.users, 200_000))
    arguments.rate = max(0.1, min(arguments.rate, 5000.0))
    arguments.seconds = max(0.5, min(arguments.seconds, 600.0))
    arguments.ceiling_seconds = max(1.0, min(arguments.ceiling_seconds, 60.0))
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    rng = random.Random(arguments.seed)
    workdir = Path(tempfile.mkdtemp(prefix="couplet-bench-answers-"))
    port = free_port()
    steps: list[StepResult] = []
    ceiling: dict[str, Any] | None = None
    bot: BotProcess | None = None
    try:
        with (
            (
                database(arguments.database, workdir) if not arguments.floor else nullcontext("")
            ) as url,
            FakeBotApiServer(FakeTelegram(TOKEN)) as api,
        ):
            fake = api.fake
            if arguments.floor:
                user_ids = [FLOOR_USER_BASE + k for k in range(arguments.users)]
                print("the floor: bench/echo_bot.py, no database, one reply per text")
                bot = start_bot(fake, api, url, arguments.mode, workdir, port, FLOOR_PROGRAM)
            else:
                started = time.monotonic()
                user_ids = populate_with_questions(url, arguments.users)
                print(
                    f"{len(user_ids):,} users in {len(user_ids) // 2:,} pairs, a question "
                    f"each, in {arguments.database} ({time.monotonic() - started:.1f} s)"
                )
                program = BOT_PROGRAM
                if arguments.profile:
                    program = ("-m", "cProfile", "-o", str(arguments.profile.resolve()), *program)
                bot = start_bot(fake, api, url, arguments.mode, workdir, port, program)
                everyone = set(user_ids)
                started = time.monotonic()
                wait_until(
                    lambda: users_nudged(fake, everyone) == len(everyone),
                    180,
                    "every user's nudge",
                    bot,
                )
                print(
                    f"bot up ({arguments.mode}); all {len(everyone):,} nudges delivered in "
                    f"{time.monotonic() - started:.1f} s"
                )
            time.sleep(1.0)  # let the last dispatcher tick settle
            idle_cpu = idle_cpu_of(bot, 3.0)
            print(
                f"bot idle: {idle_cpu:.1%} of a core; load average {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} cores"
            )
            people = [FakeUser(user_id, f"U{user_id}") for user_id in user_ids]
            rates = (
                [float(step) for step in arguments.steps.split(",") if step.strip()]
                if arguments.find_max
                else [arguments.rate]
            )
            for rate in rates:
                step = run_step(
                    fake, bot, people, rate, arguments.seconds, rng, arguments.mode, port, idle_cpu
                )
                steps.append(step)
                print_step(step)
                if not bot.running:
                    print("the bot exited:\n" + bot.log()[-3000:])
                    break
                if arguments.find_max and (step.p95 > P95_LIMIT_MS or step.errors):
                    break
                time.sleep(1.0)
            code = bot.stop()
            if code != 0:
                print(f"the bot exited with {code}; log tail:\n{bot.log()[-2000:]}")
            warnings = [line for line in bot.log().splitlines() if " WARNING " in line]
            skipped = [line for line in warnings if "maximum number of running instances" in line]
            if skipped:
                print(
                    f"{len(skipped)} dispatcher ticks skipped while a tick was still running "
                    "(the 1 s tick during the initial wave of nudges)"
                )
            others = [line for line in warnings if line not in skipped]
            if others:
                print(f"{len(others)} other warnings in the bot log, e.g.: {others[0][:200]}")
            if arguments.find_max:
                ceiling = measure_ceiling(api.base_url, arguments.ceiling_seconds)
    finally:
        if bot is not None:
            bot.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    return report(arguments, steps, ceiling)


def report(
    arguments: argparse.Namespace, steps: list[StepResult], ceiling: dict[str, Any] | None
) -> int:
    result: dict[str, Any] = {
        "bot": "echo" if arguments.floor else "couplet",
        "mode": arguments.mode,
        "database": None if arguments.floor else arguments.database,
    }
    if not steps:
        print(json.dumps(result | {"error": "no step ran"}))
        return 1
    if not arguments.find_max:
        step = steps[0]
        met = step.p95 <= TARGET_P95_MS and step.errors == 0
        print(
            f"target (set for R=100, this is R={step.target_rate:g}): p95 <= "
            f"{TARGET_P95_MS:.0f} ms and no errors: {'met' if met else 'MISSED'} "
            f"(p95 {step.p95:.1f} ms, {step.errors} errors)"
        )
        result |= {
            "rate": step.target_rate,
            "achieved_rate": round(step.achieved_rate, 1),
            "answers": step.injected,
            "p50_ms": round(step.p50, 1),
            "p95_ms": round(step.p95, 1),
            "p99_ms": round(step.p99, 1),
            "errors": step.errors,
        }
        print(json.dumps(result))
        return 0 if met else 1
    passing = [s for s in steps if s.p95 <= P95_LIMIT_MS and s.errors == 0]
    best = max(passing, key=lambda s: s.achieved_rate) if passing else None
    max_rate = best.achieved_rate if best is not None else 0.0
    per_second = ceiling["per_second"] if ceiling else float("nan")
    ratio = max_rate / per_second if ceiling else float("nan")
    shown = best or steps[0]
    print(
        f"ceiling: bare Bot.send_message, {CEILING_CONCURRENCY} in flight, no database: "
        f"{per_second:.1f}/s, the best of {ceiling['runs_per_second'] if ceiling else []}"
    )
    verdict = (
        f"the floor: no database, one reply per text; Couplet's target is >= {TARGET_RATIO:.0%}"
        if arguments.floor
        else f"target >= {TARGET_RATIO:.0%}: {'met' if ratio >= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"highest sustained answer rate with p95 <= {P95_LIMIT_MS:.0f} ms: {max_rate:.1f}/s "
        f"(step R={shown.target_rate:.0f}); max_rate / ceiling = {ratio:.2f} ({verdict})"
    )
    result |= {
        "rates": [s.target_rate for s in steps],
        "achieved_rates": [round(s.achieved_rate, 1) for s in steps],
        "p95_by_rate_ms": [round(s.p95, 1) for s in steps],
        "errors_by_rate": [s.errors for s in steps],
        "p50_ms": round(shown.p50, 1),
        "p95_ms": round(shown.p95, 1),
        "p99_ms": round(shown.p99, 1),
        "errors": shown.errors,
        "max_sustained_rate": round(max_rate, 1),
        "ceiling_per_second": round(per_second, 1),
        "ceiling_runs_per_second": ceiling["runs_per_second"] if ceiling else [],
        "ratio": round(ratio, 3),
    }
    print(json.dumps(result))
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
