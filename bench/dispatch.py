"""The daily wave: N users due at one instant, sent by the real bot against the fake Bot API.

    python -m bench.dispatch --users 3000 --limiter on
    python -m bench.dispatch --users 3000 --database postgresql --instances 3 --kill-one
    python -m bench.dispatch --users 20000 --limiter on --paid-broadcast
    python -m bench.dispatch --users 100000 --limiter off

N users (N/2 couples) in a fresh SQLite file or a throwaway PostgreSQL server; K bot
processes (`python -m bot`, `--instances`, PostgreSQL for more than one) poll the fake and
tick at their default interval. Once they are up, every user is made due "now" and the wave
runs until each user has a nudge (or nothing arrives for a while). Limiter on: the fake
enforces 30 sendMessage a second for the token (1,000 for sends with allow_paid_broadcast)
and the bot paces at its default (or `--rate`); off: MAX_MESSAGES_PER_SECOND=0 and the fake
takes all. `--kill-one` SIGKILLs the first instance once half the users have theirs and
prints the combined rate every 5 s after the kill (claims of a killed process are handed on
when their lease runs out, so such a run waits longer for the last ones).

Printed: the rate (first nudge to last) against the pace and the enforced rate, lateness
(p50/p95/max of each user's nudge arrival minus the due instant, the bot's tick included),
429 answers, duplicates, missed, the bots' CPU per nudge and peak RSS. Limiter off, the
guard: the bot's CPU per nudge against a bare `send_message` loop's CPU per message (the
wave's own texts and buttons, six in flight, no database, in a fresh process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.common import (
    couples,
    cpu_seconds_of,
    database,
    delivered,
    fake_api,
    fake_without_pauses,
    in_child,
    machine,
    make_due,
    peak_rss_mb_of,
    percentile,
    pid_of,
    start_bot,
)
from bot.dispatch import CLAIM_LEASE
from fakegram import FakeTelegram
from testbed.bot_process import TOKEN, BotProcess

ENFORCED = 30.0  # what the fake allows the token per second, limiter on
PAID_PACE = 500.0  # the bot's PAID_BROADCAST_RATE default
BARE_CHAT_BASE = 9_000_000_000  # the bare loop's chats: no user has one
BARE_IN_FLIGHT = 6  # the bot's own requests in flight
GUARD_CPU_RATIO = 0.75
GUARD_RSS_MB = 150.0
WINDOW = 5.0  # seconds per rate figure after a kill


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch", description=__doc__)
    parser.add_argument("--users", type=int, required=True, help="users (an even number)")
    parser.add_argument("--limiter", choices=("on", "off"), default="on")
    parser.add_argument("--rate", type=float, help="MAX_MESSAGES_PER_SECOND (default: the bot's)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--instances", type=int, default=1, help="bot processes (PostgreSQL)")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL one instance mid-wave")
    parser.add_argument("--paid-broadcast", action="store_true", help="PAID_BROADCAST=true")
    parser.add_argument("--bare-count", type=int, default=5000, help="messages of the bare loop")
    args = parser.parse_args(argv)
    if args.users <= 0 or args.users % 2:
        parser.error("--users must be a positive even number")
    if args.instances < 1 or (args.instances > 1 and args.database == "sqlite"):
        parser.error("SQLite serves one bot process: --instances above 1 needs PostgreSQL")
    if args.kill_one and args.instances < 2:
        parser.error("--kill-one needs --instances 2 or more")
    return args


def bot_env(args: argparse.Namespace) -> dict[str, str]:
    env = {"MAX_MESSAGES_PER_SECOND": "0"} if args.limiter == "off" else {}
    if args.limiter == "on" and args.rate:
        env["MAX_MESSAGES_PER_SECOND"] = f"{args.rate:g}"
    if args.paid_broadcast:
        env["PAID_BROADCAST"] = "true"
    return env


def pace(args: argparse.Namespace) -> float:
    from bot.config import DEFAULT_MAX_MESSAGES_PER_SECOND

    if args.paid_broadcast:
        return PAID_PACE
    return args.rate or DEFAULT_MAX_MESSAGES_PER_SECOND


def run_wave(
    args: argparse.Namespace, fake: FakeTelegram, url: str, ids: list[int], bots: list[BotProcess]
) -> dict[str, Any]:
    """Makes everyone due, waits for the wave (killing one instance halfway with
    `--kill-one`); returns when it was due, the kill, CPU and RSS of the bots."""
    users = set(ids)
    cpu_before = [cpu_seconds_of(pid_of(bot)) for bot in bots]
    cpu_used = [0.0] * len(bots)
    rss = [0.0] * len(bots)
    due_at, due = time.monotonic(), datetime.now(UTC)
    make_due(url, ids, due)
    killed_at: float | None = None
    last_count, last_change = 0, time.monotonic()
    # A killed process's claims wait for their lease to run out.
    quiet = 2 * CLAIM_LEASE.total_seconds() if args.kill_one else 15.0
    while True:
        time.sleep(1.0)
        count = len(delivered(fake, users))
        now = time.monotonic()
        if count != last_count:
            last_count, last_change = count, now
        if args.kill_one and killed_at is None and count >= len(users) // 2:
            cpu_used[0] = cpu_seconds_of(pid_of(bots[0])) - cpu_before[0]
            rss[0] = peak_rss_mb_of(pid_of(bots[0]))
            bots[0].kill()
            killed_at = time.monotonic()
            print(f"SIGKILLed instance 1 with {count:,} users nudged")
        if count == len(users) or now - last_change > quiet:
            break
        if not any(bot.running for bot in bots):
            raise SystemExit("every bot exited")
    for index, bot in enumerate(bots):
        if bot.running:
            cpu_used[index] = cpu_seconds_of(pid_of(bot)) - cpu_before[index]
            rss[index] = peak_rss_mb_of(pid_of(bot))
    return {"due_at": due_at, "killed_at": killed_at, "cpu": cpu_used, "rss": rss}


def _bare_loop(base_url: str, payloads: list[dict[str, Any]], count: int, result: Any) -> None:
    """Child-process entry: `count` bare sends of the wave's payloads, BARE_IN_FLIGHT at once."""
    from telegram import InlineKeyboardMarkup, LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.ext import Defaults, ExtBot

    from bench.common import cpu_seconds_of

    async def run() -> dict[str, float]:
        defaults = Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        )
        bot: ExtBot[None] = ExtBot(TOKEN, base_url=base_url, defaults=defaults)
        async with bot:
            messages = [
                (
                    str(payload["text"]),
                    InlineKeyboardMarkup.de_json(markup, bot)
                    if (markup := payload.get("reply_markup"))
                    else None,
                )
                for payload in payloads
            ]
            chats = iter(range(BARE_CHAT_BASE, BARE_CHAT_BASE + count))

            async def sender() -> None:
                for chat in chats:
                    text, markup = messages[chat % len(messages)]
                    await bot.send_message(chat, text, reply_markup=markup)

            cpu, started = cpu_seconds_of(os.getpid()), time.monotonic()
            await asyncio.gather(*(sender() for _ in range(BARE_IN_FLIGHT)))
            seconds, cpu = time.monotonic() - started, cpu_seconds_of(os.getpid()) - cpu
        return {"per_second": count / seconds, "cpu_ms": 1000 * cpu / count}

    result.send(asyncio.run(run()))


def wave_payloads(fake: FakeTelegram, users: set[int], count: int = 64) -> list[dict[str, Any]]:
    payloads = []
    for call in fake.calls_for("sendMessage"):
        if call.status == 200 and call.chat_id in users:
            markup = call.params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            payloads.append({"text": call.params["text"], "reply_markup": markup})
            if len(payloads) == count:
                break
    return payloads


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with database(args.database) as url, fake_api() as api, TemporaryDirectory() as tmp:
        fake = api.fake
        ids = couples(url, args.users)
        if args.limiter == "on":
            fake.rate_limit(ENFORCED)
        env = bot_env(args)
        bots = [start_bot(api, url, Path(tmp) / f"bot-{n}", env=env) for n in range(args.instances)]
        print(f"{args.instances} bot(s) up ({env or 'defaults'}); {machine()}")
        try:
            with fake_without_pauses():
                wave = run_wave(args, fake, url, ids, bots)
        finally:
            for bot in bots:
                bot.stop()
        times = delivered(fake, set(ids))
        http_429 = fake.http_429
        bare = (
            in_child(
                _bare_loop,
                api.base_url,
                wave_payloads(fake, set(ids)),
                args.bare_count,
                timeout=300,
            )
            if args.limiter == "off"
            else None
        )
    return report(args, wave, times, http_429, bare)


def report(
    args: argparse.Namespace,
    wave: dict[str, Any],
    times: dict[int, list[float]],
    http_429: int,
    bare: dict[str, float] | None,
) -> int:
    firsts = sorted(arrivals[0] for arrivals in times.values())
    sent = len(firsts)
    seconds = firsts[-1] - firsts[0] if sent > 1 else float("nan")
    rate = (sent - 1) / seconds if sent > 1 else 0.0
    lateness = [at - wave["due_at"] for at in firsts]
    result: dict[str, Any] = {
        "users": args.users,
        "limiter": args.limiter,
        "database": args.database,
        "instances": args.instances,
        "paid_broadcast": args.paid_broadcast,
        "sent": sent,
        "seconds": round(seconds, 2),
        "per_second": round(rate, 1),
        "lateness_s": {
            name: round(percentile(lateness, fraction), 2)
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("max", 1.0))
        },
        "http_429": http_429,
        "duplicates": sum(1 for arrivals in times.values() if len(arrivals) > 1),
        "missed": args.users - sent,
        "cpu_ms_per_nudge": round(1000 * sum(wave["cpu"]) / sent, 3) if sent else None,
        "peak_rss_mb": round(max(wave["rss"]), 1),
    }
    print(
        f"{sent:,} of {args.users:,} nudged in {seconds:.1f} s = {rate:.1f}/s; lateness p50 "
        f"{result['lateness_s']['p50']} s, p95 {result['lateness_s']['p95']} s, max "
        f"{result['lateness_s']['max']} s; {http_429} × 429, {result['duplicates']} duplicates, "
        f"{result['missed']} missed"
    )
    print(
        f"bots: {result['cpu_ms_per_nudge']} ms of CPU a nudge, peak RSS "
        f"{result['peak_rss_mb']} MB (the largest of {args.instances})"
    )
    if args.limiter == "on":
        enforced = 1000.0 if args.paid_broadcast else ENFORCED
        result |= {"of_pace": round(rate / pace(args), 3), "of_enforced": round(rate / enforced, 3)}
        print(
            f"{result['of_pace']} of the pace ({pace(args):g}/s), {result['of_enforced']} of "
            f"the enforced {enforced:g}/s"
        )
    if wave["killed_at"] is not None:
        killed = wave["killed_at"]
        windows = [0] * int((firsts[-1] - killed) // WINDOW + 1) if firsts[-1] > killed else []
        for at in firsts:
            if at >= killed:
                windows[int((at - killed) // WINDOW)] += 1
        rates = [round(count / WINDOW, 1) for count in windows]
        floor = 0.9 * ENFORCED
        back = next((WINDOW * (i + 1) for i, r in enumerate(rates) if r >= floor), None)
        result |= {"after_kill_per_second": rates, "back_to_0_9_within_s": back}
        print(f"after the kill, every {WINDOW:g} s: {rates}; >= {floor:g}/s within {back} s")
    if bare is not None:
        ratio = bare["cpu_ms"] / result["cpu_ms_per_nudge"] if sent else 0.0
        result |= {"bare_cpu_ms": round(bare["cpu_ms"], 3), "cpu_ratio": round(ratio, 3)}
        print(
            f"bare send loop: {bare['per_second']:.1f}/s, {bare['cpu_ms']:.3f} ms of CPU a "
            f"message; CPU ratio {ratio:.3f} (guard >= {GUARD_CPU_RATIO} at 100,000 users: "
            f"{'met' if ratio >= GUARD_CPU_RATIO else 'MISSED'}); peak RSS <= {GUARD_RSS_MB:g} "
            f"MB: {'met' if result['peak_rss_mb'] <= GUARD_RSS_MB else 'MISSED'}"
        )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
