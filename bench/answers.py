"""Reply latency of the real bot under a steady stream of answers.

    python -m bench.answers --rate 25 --seconds 10 [--mode webhook] [--database postgresql]
    python -m bench.answers --rate 25 --seconds 10 --floor      (bench/echo_bot.py instead)
    python -m bench.answers --rate 20 --seconds 10 --flood 300  (one user floods meanwhile)
    python -m bench.answers --during-wave --users 20000 --rate 5 --seconds 20

`--users` users in couples, each couple with a question for today, get their nudge first
(limiter off). Then R answers a second for S seconds come from random users as plain texts,
queued for getUpdates (`--mode polling`) or POSTed to the bot's webhook with the secret
header (`--mode webhook`). An answer's latency: from its injection to the first message to
the sender's chat after it (a partner's shared answer, "💬 …", is not a reply); none within
10 s is an error. Printed: p50/p95/p99 and the bot's CPU per answer (its idle use taken out).

`--floor` runs bench/echo_bot.py in the bot's place (the same python-telegram-bot set-up,
no database, one reply per text): the CPU per answer of any bot built this way.
`--flood N`: half a second in, one other user's N texts are queued at once; printed beside
the others' latency is what the flooder got back (the bot's per-user incoming limit).
`--during-wave`: the fake enforces 30/s and the bot keeps its pace; the answering users get
their nudge first, then everyone else is made due (a wave that saturates the pace), and
the answers come while it runs: their p95 and the wave's rate as a fraction of the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (
    SECRET,
    couples,
    cpu_seconds_of,
    database,
    delivered,
    fake_api,
    fake_without_pauses,
    free_port,
    machine,
    make_due,
    percentile,
    pid_of,
    start_bot,
    wait_until,
)
from fakegram import FakeTelegram, FakeUser
from testbed.bot_process import BotProcess

REPLY_TIMEOUT = 10.0
WEBHOOK_CONNECTIONS = 40  # Telegram's default max_connections for a webhook
PARTNER_SHARE = "💬 "
FLOOR_USERS = 7_000_000_000  # --floor: chats no database holds
FLOODER = FakeUser(6_999_999_999, "Flooder")
ANSWERING = 100  # --during-wave: users who answer (the first of 100 couples)
TARGET_P95_MS = 50.0
WAVE_TARGET_P95_MS = 300.0


def fix_questions(url: str, pairs: int) -> None:
    """Every couple's nudge for today (in Berlin, their zone) is a question."""
    from sqlalchemy import insert

    from nudges.library import MAIN_CATEGORIES, Kind, load_library
    from storage.db import Database
    from storage.models import PairDay

    day = datetime.now(ZoneInfo("Europe/Berlin")).date()
    questions = sorted(
        n.id for n in load_library() if n.kind == Kind.QUESTION and n.category in MAIN_CATEGORIES
    )
    rows = [
        {"pair_id": pair, "local_date": day, "nudge_id": questions[pair % len(questions)]}
        for pair in range(1, pairs + 1)
    ]

    async def run() -> None:
        db = Database(url)
        async with db.transaction() as session:
            for start in range(0, len(rows), 1000):
                await session.exec(insert(PairDay).values(rows[start : start + 1000]))
        await db.dispose()

    asyncio.run(run())


def inject(
    fake: FakeTelegram, people: list[FakeUser], args: argparse.Namespace, port: int | None
) -> list[tuple[int, float, int]]:
    """Sends the answers (and the flood); returns (user id, injected at, POST status)."""
    import aiohttp

    rng = random.Random(7)
    count = max(1, round(args.rate * args.seconds))
    injections: list[tuple[int, float, int]] = []

    async def post(session: aiohttp.ClientSession, update: dict[str, Any], index: int) -> None:
        try:
            url = f"http://127.0.0.1:{port}/telegram"
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with session.post(url, json=update, headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        user, at, _ = injections[index]
        injections[index] = (user, at, status)

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=WEBHOOK_CONNECTIONS)
        async with aiohttp.ClientSession(connector=connector) as session:
            tasks = []
            start = time.monotonic() + 0.05
            flooded = args.flood == 0
            for k in range(count):
                if not flooded and time.monotonic() >= start + 0.5:
                    flooded = True
                    for n in range(args.flood):
                        fake.send_text(FLOODER, f"and another thing, number {n}")
                await asyncio.sleep(max(0.0, start + k / args.rate - time.monotonic()))
                person = rng.choice(people)
                update = fake.send_text(person, f"answer {k}: a few honest words about my week")
                injections.append((person.id, time.monotonic(), 200))
                if port is not None:
                    tasks.append(asyncio.create_task(post(session, update, len(injections) - 1)))
            await asyncio.gather(*tasks)

    asyncio.run(run())
    return injections


def latencies(
    fake: FakeTelegram, injections: list[tuple[int, float, int]]
) -> tuple[list[float], Counter[str]]:
    """Per injection (in order per chat), the first unused message to its chat after it."""
    senders = {user for user, _, _ in injections}
    replies: dict[int, list[tuple[float, str]]] = {}
    for call in fake.calls_for("sendMessage"):
        text = str(call.params.get("text", ""))
        if call.status == 200 and call.chat_id in senders and not text.startswith(PARTNER_SHARE):
            replies.setdefault(call.chat_id, []).append((call.at, text))
    used: dict[int, int] = {}  # per chat, how many of its messages earlier answers took
    found, kinds = [], Counter[str]()
    for user, at, _ in sorted(injections, key=lambda injection: injection[1]):
        messages = replies.get(user, [])
        index = used.get(user, 0)
        while index < len(messages) and messages[index][0] < at:
            index += 1
        if index < len(messages) and messages[index][0] - at <= REPLY_TIMEOUT:
            found.append(1000 * (messages[index][0] - at))
            kinds[messages[index][1].split(" ")[0]] += 1
            index += 1
        used[user] = index
    return found, kinds


def measure(
    fake: FakeTelegram,
    bot: BotProcess,
    people: list[FakeUser],
    args: argparse.Namespace,
    port: int | None,
) -> dict[str, Any]:
    pid = pid_of(bot)
    idle_before, idle_started = cpu_seconds_of(pid), time.monotonic()
    time.sleep(3.0)
    idle = (cpu_seconds_of(pid) - idle_before) / (time.monotonic() - idle_started)
    cpu_before, started = cpu_seconds_of(pid), time.monotonic()
    injections = inject(fake, people, args, port)
    deadline = injections[-1][1] + REPLY_TIMEOUT
    while time.monotonic() < deadline and len(latencies(fake, injections)[0]) < len(injections):
        time.sleep(0.5)
    cpu = cpu_seconds_of(pid) - cpu_before - idle * (time.monotonic() - started)
    found, kinds = latencies(fake, injections)
    span = injections[-1][1] - injections[0][1]
    return {
        "answers": len(injections),
        "achieved_rate": round((len(injections) - 1) / span, 1) if span > 0 else None,
        "p50_ms": round(percentile(found, 0.5), 1),
        "p95_ms": round(percentile(found, 0.95), 1),
        "p99_ms": round(percentile(found, 0.99), 1),
        "errors": len(injections) - len(found) + sum(1 for i in injections if i[2] != 200),
        "cpu_ms_per_answer": round(1000 * max(0.0, cpu) / len(injections), 2),
        "replies": dict(kinds),
        "first_at": injections[0][1],
        "last_at": injections[-1][1],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    parser.add_argument("--rate", type=float, default=25.0, help="answers a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mode", choices=("polling", "webhook"), default="polling")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--users", type=int, help="users (default 2,000; 20,000 during a wave)")
    parser.add_argument("--floor", action="store_true", help="bench/echo_bot.py, no database")
    parser.add_argument("--flood", type=int, default=0, help="texts one user queues at once")
    parser.add_argument("--during-wave", action="store_true")
    args = parser.parse_args(argv)
    args.users = args.users or (20_000 if args.during_wave else 2_000)
    if args.rate <= 0 or args.seconds <= 0 or args.users < 2 * ANSWERING:
        parser.error(f"--rate and --seconds must be positive, --users at least {2 * ANSWERING}")
    if args.floor and (args.during_wave or args.flood):
        parser.error("--floor measures the echo bot alone")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    port = free_port() if args.mode == "webhook" else None
    with database(args.database) as url, fake_api() as api, TemporaryDirectory() as tmp:
        fake = api.fake
        if args.floor:
            bot = start_bot(api, "", Path(tmp), webhook_port=port, program=("-m", "bench.echo_bot"))
            people = [FakeUser(FLOOR_USERS + k, f"U{k}") for k in range(args.users)]
            wave_users: set[int] = set()
        else:
            due = datetime.now(UTC) - timedelta(minutes=1)
            ids = couples(url, args.users, due=due)
            fix_questions(url, len(ids) // 2)
            answering = ids[: 2 * ANSWERING : 2] if args.during_wave else ids
            people = [FakeUser(user, f"U{user}") for user in answering]
            wave_users = set(ids) - set(answering) if args.during_wave else set()
            if args.during_wave:
                make_due(url, sorted(wave_users), due + timedelta(days=1))
                fake.rate_limit(30.0)
            env = {} if args.during_wave else {"MAX_MESSAGES_PER_SECOND": "0"}
            bot = start_bot(api, url, Path(tmp), env=env, webhook_port=port)
            wait = set(answering) if args.during_wave else set(ids)
            wait_until(lambda: len(delivered(fake, wait)) == len(wait), 300, "the nudges", bot)
            if args.during_wave:
                make_due(url, sorted(wave_users), datetime.now(UTC))
                wait_until(lambda: len(delivered(fake, wave_users)) >= 100, 60, "the wave", bot)
        print(f"bot up ({args.mode}, {'echo' if args.floor else args.database}); {machine()}")
        try:
            with fake_without_pauses():
                result = measure(fake, bot, people, args, port)
            if wave_users:
                arrivals = [t[0] for t in delivered(fake, wave_users).values()]
                during = [at for at in arrivals if result["first_at"] <= at <= result["last_at"]]
                span = result["last_at"] - result["first_at"]
                from bot.config import DEFAULT_MAX_MESSAGES_PER_SECOND as PACE

                result["wave_of_pace"] = round(len(during) / span / PACE, 3)
                sends = [
                    call.at
                    for call in fake.calls_for("sendMessage")
                    if call.status == 200 and result["first_at"] <= call.at <= result["last_at"]
                ]
                result["all_sends_of_pace"] = round(len(sends) / span / PACE, 3)
            flooded = Counter(
                str(call.params.get("text", "")).split(" ")[0]
                for call in fake.calls_for("sendMessage")
                if call.chat_id == FLOODER.id
            )
        finally:
            bot.stop()
    del result["first_at"], result["last_at"]
    result = {
        "bot": "echo" if args.floor else "couplet",
        "mode": args.mode,
        "database": None if args.floor else args.database,
        "rate": args.rate,
        "users": args.users,
    } | result
    if args.flood:
        result |= {"flood": args.flood, "flooder_replies": dict(flooded)}
    target = WAVE_TARGET_P95_MS if args.during_wave else TARGET_P95_MS
    print(
        f"{result['answers']} answers at {result['achieved_rate']}/s: p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, {result['errors']} errors; "
        f"bot CPU {result['cpu_ms_per_answer']} ms an answer; target p95 <= {target:g} ms: "
        f"{'met' if result['p95_ms'] <= target and not result['errors'] else 'MISSED'}"
    )
    if "wave_of_pace" in result:
        print(
            f"the wave meanwhile: {result['wave_of_pace']} of the pace (target >= 0.9); every "
            f"send (the wave's and the replies): {result['all_sends_of_pace']} of the pace"
        )
    if args.flood:
        print(f"the flooder ({args.flood} texts) got: {result['flooder_replies']}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
