"""Reply time of 20 users while one user floods the bot.

    python -m bench.flood
    python -m bench.flood --limit 0           # the per-user incoming limit off
    python -m bench.flood --database postgresql

`python -m bot` runs against the fake Bot API as in `bench/answers.py` (its set-up is reused:
polling, MAX_MESSAGES_PER_SECOND=0, the test clock standing still at the due instant, a
question nudge delivered to every user before the measurement). 21 pairs: the first user
of the first pair floods, the first user of each of the 20 others answers.

For `--seconds` S, each of the 20 sends one text a second (their sends spread evenly over
each second). Half a second in, the flooder's `--flood` texts (300) are queued for
getUpdates one after the other, as fast as the fake accepts them. The reply time of one
of the 20 users' texts: from its injection to the first bot message to that user's chat
recorded after it (as bench/answers.py measures it); none of them has a partner who
answers, so no reveal is mistaken for a reply. Printed: p50, p95 and max over all of the
20 users' texts, the same over those sent while the bot still worked on the flood (until
the last bot message to the flooder), and what the flooder got back.

`--limit` sets INCOMING_MESSAGES_PER_MINUTE for the bot (default: the bot's default).
With the clock standing still every text of a run counts in one minute, so S is at most
20 (the 20 users stay within the default limit). Target: p95 <= 300 ms over all texts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.answers import (
    BOT_PROGRAM,
    Injection,
    StepResult,
    database,
    free_port,
    idle_cpu_of,
    match_replies,
    populate_with_questions,
    start_bot,
    users_nudged,
    wait_until,
)
from fakegram import FakeBotApiServer, FakeTelegram, FakeUser
from testbed.bot_process import TOKEN

OTHERS = 20
TARGET_P95_MS = 300.0
FLOOD_AT = 0.5  # seconds into the run
SETTLE_SECONDS = 10.0  # after the last text: replies later than this are missing
MAX_SECONDS = 20  # with the clock standing still, more would run into the users' own limit


def schedule(others: list[FakeUser], seconds: int) -> list[tuple[float, FakeUser | None]]:
    """(offset, sender) for every text of the 20, and (FLOOD_AT, None) for the flood."""
    plan: list[tuple[float, FakeUser | None]] = [
        (second + index / len(others), user)
        for second in range(seconds)
        for index, user in enumerate(others)
    ]
    plan.append((FLOOD_AT, None))
    return sorted(plan, key=lambda entry: entry[0])


def run(
    fake: FakeTelegram, flooder: FakeUser, others: list[FakeUser], seconds: int, flood: int
) -> tuple[list[Injection], float]:
    """Sends the plan; returns the 20 users' injections and when the flood was queued."""
    injections: list[Injection] = []
    flood_at = 0.0
    start = time.monotonic() + 0.05
    for offset, user in schedule(others, seconds):
        delay = start + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if user is None:
            flood_at = time.monotonic()
            for k in range(flood):
                fake.send_text(flooder, f"and another thing, number {k}")
            continue
        fake.send_text(user, f"a few honest words, sent at {offset:.2f} s")
        injections.append(Injection(user.id, time.monotonic()))
    return injections, flood_at


def flooder_replies(
    fake: FakeTelegram, flooder: FakeUser, since: float
) -> tuple[Counter[str], float]:
    """Kinds of bot messages to the flooder after `since`, and when the last one came."""
    kinds: Counter[str] = Counter()
    last = since
    for call in fake.calls_for("sendMessage"):
        if call.status != 200 or call.chat_id != flooder.id or call.at < since:
            continue
        text = str(call.params.get("text", ""))
        kind = (
            "catching-breath"
            if text.startswith("I'm catching my breath")
            else "saved"
            if text.startswith("Saved")
            else "added"
            if text.startswith("Added to your answer")
            else "other"
        )
        kinds[kind] += 1
        last = max(last, call.at)
    return kinds, last


def summary(step: StepResult) -> dict[str, float]:
    return {
        "n": step.injected,
        "p50_ms": round(step.p50, 1),
        "p95_ms": round(step.p95, 1),
        "max_ms": round(max(step.latencies_ms, default=float("nan")), 1),
        "missing": step.missing,
    }


def measure(
    injections: list[Injection], matched: dict[int, float], which: list[int], seconds: float
) -> StepResult:
    latencies = [
        (matched[i] - injections[i].at) * 1000
        for i in which
        if i in matched and matched[i] - injections[i].at <= SETTLE_SECONDS
    ]
    return StepResult(
        target_rate=OTHERS,
        seconds=seconds,
        injected=len(which),
        achieved_rate=0.0,
        latencies_ms=latencies,
        missing=len(which) - len(latencies),
        bad_posts=0,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help=f"at most {MAX_SECONDS}")
    parser.add_argument("--flood", type=int, default=300, help="the flooder's texts")
    parser.add_argument("--limit", type=int, help="INCOMING_MESSAGES_PER_MINUTE for the bot")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    arguments = parser.parse_args(argv)
    arguments.seconds = max(1, min(arguments.seconds, MAX_SECONDS))
    arguments.flood = max(1, min(arguments.flood, 100_000))
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="couplet-bench-flood-"))
    # (empty: the bot's own default, not what bench/answers.py sets)
    limit = "" if arguments.limit is None else str(arguments.limit)
    extra_env = {"INCOMING_MESSAGES_PER_MINUTE": limit}
    bot = None
    try:
        with (
            database(arguments.database, workdir) as url,
            FakeBotApiServer(FakeTelegram(TOKEN)) as api,
        ):
            fake = api.fake
            user_ids = populate_with_questions(url, 2 * (OTHERS + 1))
            flooder = FakeUser(user_ids[0], "Flooder")
            others = [FakeUser(user_id, f"U{user_id}") for user_id in user_ids[2::2]]
            bot = start_bot(fake, api, url, "polling", workdir, free_port(), BOT_PROGRAM, extra_env)
            everyone = set(user_ids)
            wait_until(
                lambda: users_nudged(fake, everyone) == len(everyone), 120, "the nudges", bot
            )
            time.sleep(1.0)  # let the last dispatcher tick settle
            idle = idle_cpu_of(bot, 2.0)
            print(
                f"bot up (polling, {arguments.database}, INCOMING_MESSAGES_PER_MINUTE="
                f"{arguments.limit if arguments.limit is not None else 'default'}); idle "
                f"{idle:.1%} of a core; load average {os.getloadavg()[0]:.1f} on "
                f"{os.cpu_count()} cores"
            )
            started = time.monotonic()
            injections, flood_at = run(fake, flooder, others, arguments.seconds, arguments.flood)
            deadline = injections[-1].at + SETTLE_SECONDS
            while True:
                matched, _ = match_replies(fake, injections, started)
                if len(matched) == len(injections) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            time.sleep(1.0)  # the flooder's last replies
            kinds, flood_done = flooder_replies(fake, flooder, flood_at)
            code = bot.stop()
            if code != 0:
                print(f"the bot exited with {code}; log tail:\n{bot.log()[-2000:]}")
    finally:
        if bot is not None:
            bot.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    everything = measure(injections, matched, list(range(len(injections))), arguments.seconds)
    during = [i for i, injection in enumerate(injections) if flood_at <= injection.at <= flood_done]
    while_flooding = measure(injections, matched, during, arguments.seconds)
    print(
        f"{OTHERS} users, one text a second each for {arguments.seconds} s; "
        f"{arguments.flood} texts from one user queued at {FLOOD_AT} s"
    )
    for label, step in (("all texts", everything), ("during the flood", while_flooding)):
        print(
            f"  {label:<17} n={step.injected:>4}  p50 {step.p50:7.1f} ms  p95 {step.p95:7.1f} ms"
            f"  max {max(step.latencies_ms, default=float('nan')):7.1f} ms  "
            f"no reply {step.missing}"
        )
    print(
        f"  the flooder got {dict(kinds)}; the last {flood_done - flood_at:.2f} s after the "
        "flood was queued"
    )
    met = everything.p95 <= TARGET_P95_MS and everything.missing == 0
    print(
        f"target: p95 <= {TARGET_P95_MS:.0f} ms over all texts, every text answered: "
        f"{'met' if met else 'MISSED'}"
    )
    result: dict[str, Any] = {
        "database": arguments.database,
        "limit": arguments.limit,
        "flood": arguments.flood,
        "seconds": arguments.seconds,
        "all": summary(everything),
        "during_flood": summary(while_flooding),
        "flooder_replies": dict(kinds),
        "flood_seconds": round(flood_done - flood_at, 2),
    }
    print(json.dumps(result))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
