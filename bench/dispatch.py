"""Benchmark of the daily-nudge dispatcher against the fake Bot API over HTTP.

    python -m bench.dispatch --users 100000 --limiter off
    python -m bench.dispatch --users 2000 --limiter on
    python -m bench.dispatch --users 20000 --database postgresql --instances 3
    python -m bench.dispatch --users 100000 --limiter off --calibrate

N users (N/2 pairs), all due at the same instant, in a fresh SQLite file or a database in a
throwaway PostgreSQL server (populated in a child process, so population never counts in
the measured peak RSS). The real `Dispatcher` sends them through a real PTB `ExtBot` to
`FakeBotApiServer`; with `--instances K` (PostgreSQL only), K dispatcher processes share
the wave, and the figures are totals from the first claim to the last send.

The ceiling is the best bare `send_message` loop: the nudges' texts, HTML parse mode and
keyboards replayed with the bot's `Defaults`, with 1, 2, 4, 6 and 8 requests kept in flight
(no database), each round in a fresh process. A round runs before the wave (nudges the
bot's own code renders), after it (the wave's own payloads) and, limiter off, every
`--ceiling-every` seconds during it (30 by default; loops a fifth as long): the wave is then
stopped the way the bot stops on shutdown (what is in flight finishes, what is claimed is
handed back), the round runs while no dispatcher does, and the wave goes on; the pauses are
not counted in its seconds. Each stretch of the wave is set against the mean of the rounds
on its two sides, and `ceiling_per_second` is that, weighted by the stretches' lengths.
These machines' speed drifts by a third within minutes; a ceiling measured minutes away
from the nudges it is compared with compared two different machines. A round's figure is
its loop at the in-flight count that was fastest on average over all the rounds: one short
loop differs from the next by a tenth, so each round's best of five would mostly be its
luckiest (that ratio is printed too).

`--calibrate` checks the method: a bare loop stands in for the dispatcher, in the same
process, with the same pauses and rounds and no database work, so the ratio it prints is
the method's own error (1.0 when fair).

The fake Bot API runs in a child process by default (`--fake process`), like the end-to-end
tests run the bot and the fake in separate processes: the fake keeps every message it got,
and that memory is the fake's, not the bot's. `--fake thread` runs it in this process.

Targets: limiter off at 100,000 users, ratio >= 0.8 and peak RSS <= 150 MB; limiter on at
2,000 users, >= 95 % of the enforced 30/s and no 429 at all.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from multiprocessing.connection import Connection, wait
from pathlib import Path
from time import monotonic, perf_counter
from typing import Any, Protocol, cast

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456789:BENCH-dispatch-token"
DUE_AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday, 08:00 in Berlin
ENFORCED_RATE = 30.0  # what the fake allows per second when the limiter is on
CEILING_CHAT_BASE = 9_000_000_000  # ceiling messages go to chats no user has
INSERT_CHUNK = 5000
CEILING_IN_FLIGHT = (1, 2, 4, 6, 8)
DB_NAME = "bench-dispatch.sqlite3"


def _ensure_repo_on_path() -> None:
    """`tests.fakebot` (and the project) import from the repository root."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def bot_defaults() -> Any:
    """The bot's own `Defaults` (bot/app.py): HTML, no link previews; imported lazily."""
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.ext import Defaults

    return Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )


def peak_rss_mb() -> float:
    """This process's peak resident set size (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_1m() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


# --------------------------------------------------------------------------- population


def populate(url: str, users: int) -> None:
    """Child-process entry: schema, then `users` users in `users // 2` pairs, all due now."""
    _ensure_repo_on_path()
    asyncio.run(_populate(url, users))


async def _populate(url: str, users: int) -> None:
    from sqlalchemy import insert

    from storage.db import Database
    from storage.migrate import upgrade_to_head
    from storage.models import OnboardingStep, Pair, User

    database = Database(url)
    await upgrade_to_head(database)
    pair_table: Any = Pair.__table__  # type: ignore[attr-defined]
    user_table: Any = User.__table__  # type: ignore[attr-defined]
    created = DUE_AT - timedelta(days=7)
    pairs = users // 2
    rng = random.Random(20261123)
    async with database.engine.begin() as connection:
        for start in range(1, pairs + 1, INSERT_CHUNK):
            stop = min(start + INSERT_CHUNK, pairs + 1)
            await connection.execute(
                insert(pair_table),
                [
                    {
                        "id": pair_id,
                        "user_a_id": 2 * pair_id - 1,
                        "user_b_id": 2 * pair_id,
                        "created_at": created,
                        "ended_at": None,
                        "seed": rng.getrandbits(62),
                        "long_distance": False,
                    }
                    for pair_id in range(start, stop)
                ],
            )
        for start in range(1, users + 1, INSERT_CHUNK):
            stop = min(start + INSERT_CHUNK, users + 1)
            await connection.execute(
                insert(user_table),
                [
                    {
                        "id": user_id,
                        "first_name": "Alex" if user_id % 2 else "Sam",
                        "timezone": "Europe/Berlin",
                        "nudge_time": time(8, 0),
                        "onboarding_step": OnboardingStep.DONE,
                        "pair_id": (user_id + 1) // 2,
                        "created_at": created,
                        "follow_ups": True,
                        "next_due_at": DUE_AT,
                        "last_nudge_date": None,
                        "blocked_at": None,
                    }
                    for user_id in range(start, stop)
                ],
            )
    await database.dispose()


def populate_in_child(url: str, users: int) -> float:
    """Populates in a spawned process; returns the seconds it took."""
    started = perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=populate, args=(url, users), name="bench-populate"
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"population failed (exit code {child.exitcode})")
    return perf_counter() - started


# --------------------------------------------------------------------------- the fake Bot API


@dataclass(frozen=True)
class Delivered:
    duplicates: int
    missed: int
    http_429: int
    send_calls: int
    delivered: int


def sample_payloads(fake: Any, count: int) -> list[dict[str, Any]]:
    """Text, parse mode and markup of the first `count` nudges the fake accepted."""
    samples = []
    for call in fake.calls_for("sendMessage"):
        if call.status == 200 and call.chat_id < CEILING_CHAT_BASE:  # not a ceiling's
            params = call.params
            samples.append({key: params.get(key) for key in ("text", "parse_mode", "reply_markup")})
            if len(samples) == count:
                break
    return samples


def delivered_to_users(fake: Any, users: int) -> Delivered:
    """Successful sendMessage calls per user chat (ids 1..users)."""
    calls = [call for call in fake.calls_for("sendMessage") if call.chat_id < CEILING_CHAT_BASE]
    per_chat = Counter(call.chat_id for call in calls if call.status == 200)
    duplicates = missed = 0
    for user_id in range(1, users + 1):
        received = per_chat.get(user_id, 0)
        if received == 0:
            missed += 1
        elif received > 1:
            duplicates += 1
    return Delivered(
        duplicates=duplicates,
        missed=missed,
        http_429=fake.http_429,
        send_calls=len(calls),
        delivered=sum(per_chat.values()),
    )


class FakeApi(Protocol):
    base_url: str

    def rate_limit(self, per_second: float | None) -> None: ...
    def delivered(self, users: int) -> Delivered: ...
    def payloads(self, count: int) -> list[dict[str, Any]]: ...
    def close(self) -> float | None: ...


class ThreadFake:
    """The fake in this process (its server in a thread of its own)."""

    def __init__(self) -> None:
        _ensure_repo_on_path()
        from tests.fakebot import FakeBotApiServer, FakeTelegram

        self.fake = FakeTelegram(TOKEN)
        self.server = FakeBotApiServer(self.fake)
        self.server.start()
        self.base_url = self.server.base_url

    def rate_limit(self, per_second: float | None) -> None:
        self.fake.rate_limit(per_second)

    def delivered(self, users: int) -> Delivered:
        return delivered_to_users(self.fake, users)

    def payloads(self, count: int) -> list[dict[str, Any]]:
        return sample_payloads(self.fake, count)

    def close(self) -> float | None:
        self.server.stop()
        return None


def serve_fake(connection: Connection) -> None:
    """Child-process entry: the fake Bot API, driven by commands over `connection`."""
    _ensure_repo_on_path()
    from tests.fakebot import FakeBotApiServer, FakeTelegram

    fake = FakeTelegram(TOKEN)
    with FakeBotApiServer(fake) as server:
        connection.send(server.base_url)
        while True:
            command, argument = connection.recv()
            if command == "rate_limit":
                fake.rate_limit(argument)
                connection.send(None)
            elif command == "delivered":
                connection.send(delivered_to_users(fake, argument))
            elif command == "payloads":
                connection.send(sample_payloads(fake, argument))
            elif command == "timeline":
                calls = fake.calls_for("sendMessage")
                connection.send([(call.at, call.status) for call in calls])
            else:
                connection.send(peak_rss_mb())
                break


class ProcessFake:
    """The fake in a spawned child process; its memory never counts as the bot's."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=serve_fake, args=(child_end,), name="bench-fake-bot-api", daemon=True
        )
        self._process.start()
        child_end.close()
        self.base_url: str = self._connection.recv()

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._connection.send((command, argument))
        return self._connection.recv()

    def rate_limit(self, per_second: float | None) -> None:
        self._ask("rate_limit", per_second)

    def delivered(self, users: int) -> Delivered:
        result: Delivered = self._ask("delivered", users)
        return result

    def payloads(self, count: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._ask("payloads", count)
        return result

    def timeline(self) -> list[tuple[float, int]]:
        """(monotonic arrival time, status) of every sendMessage call, in order."""
        result: list[tuple[float, int]] = self._ask("timeline")
        return result

    def close(self) -> float | None:
        rss: float = self._ask("stop")
        self._process.join(timeout=15)
        return rss


# --------------------------------------------------------------------------- measuring


@dataclass
class DispatchResult:
    sent: int
    retried: int
    failed: int
    blocked: int
    runs: int
    started: float = 0.0  # monotonic() at the first claim
    finished: float = 0.0  # monotonic() after the last send (pauses included)


@dataclass(frozen=True)
class Wave:
    """How a dispatcher process sends the wave (the same for every instance)."""

    url: str  # the database
    base_url: str  # the fake Bot API
    rate: float | None  # the limiter's pace; None: no limiter
    concurrency: int
    batch: int
    pause_every: float  # seconds between pauses for a ceiling round; 0: never


async def run_dispatcher(wave: Wave, pause: Callable[[int], None]) -> DispatchResult:
    """Runs the dispatcher until a run finds nothing due. With `wave.pause_every`, the wave
    is stopped that often the way the bot stops on shutdown (`Dispatcher.stopping`: what is
    in flight finishes, what is claimed is handed back), `pause(sent so far)` is called
    while nothing of the dispatcher runs, and the next run picks up the rest."""
    from telegram.ext import ExtBot

    from bot.dispatch import Dispatcher
    from bot.pacing import pace_for
    from storage.db import Database

    frozen = DUE_AT + timedelta(seconds=1)

    def clock() -> datetime:
        return frozen

    database = Database(wave.url)
    limiter = pace_for(database, wave.rate) if wave.rate is not None else None
    bot: ExtBot[None] = ExtBot(
        TOKEN,
        base_url=wave.base_url,
        rate_limiter=limiter,
        defaults=bot_defaults(),
    )
    try:
        async with bot:
            dispatcher = Dispatcher(
                database=database,
                bot=bot,
                clock=clock,
                catch_up=timedelta(hours=3),
                batch_size=wave.batch,
                concurrency=wave.concurrency,
            )
            result = DispatchResult(0, 0, 0, 0, 0)
            gc.collect()
            gc.freeze()  # as the bot does at start-up (bot/__main__.py): what is loaded now stays
            result.started = monotonic()
            loop = asyncio.get_running_loop()

            def stop() -> None:
                dispatcher.stopping = True

            while True:
                timer = loop.call_later(wave.pause_every, stop) if wave.pause_every else None
                report = await dispatcher.run()
                if timer is not None:
                    timer.cancel()
                result.runs += 1
                result.sent += report.sent
                result.retried += report.retried
                result.failed += report.failed
                result.blocked += report.blocked
                if dispatcher.stopping:  # paused, not done
                    dispatcher.stopping = False
                    pause(result.sent)
                    continue
                if report.sent == 0:
                    break
            result.finished = monotonic()
    finally:
        await database.dispose()
    return result


async def run_bare_stand_in(wave: Wave, users: int, pause: Callable[[int], None]) -> DispatchResult:
    """`--calibrate`: a bare loop where the dispatcher would be, in the same process, with
    the same pauses and rounds: one message to each user's chat (the nudges the bot's code
    renders, `wave.concurrency` in flight), no database. The ratio the method then prints
    is its own error: 1.0 when a stretch and the rounds around it are measured alike."""
    from telegram.ext import ExtBot

    bot: ExtBot[None] = ExtBot(TOKEN, base_url=wave.base_url, defaults=bot_defaults())
    async with bot:
        messages = bare_messages(rendered_payloads(64), bot)
        chats = iter(range(1, users + 1))
        result = DispatchResult(0, 0, 0, 0, 0)
        gc.collect()
        gc.freeze()  # as run_dispatcher does
        result.started = monotonic()
        while True:
            until = monotonic() + wave.pause_every if wave.pause_every else None
            result.sent += await bare_sends(
                bot, messages, chats, in_flight=wave.concurrency, until=until
            )
            result.runs += 1
            if result.sent >= users:
                break
            pause(result.sent)
        result.finished = monotonic()
    return result


def bare_messages(payloads: list[dict[str, Any]] | None, bot: Any) -> list[tuple[str, Any]]:
    """(text, keyboard) for each payload, built once: a bare loop replays them in turn.
    Without payloads, one message "x" with no keyboard."""
    from telegram import InlineKeyboardMarkup

    return [
        (
            str(payload["text"]),
            InlineKeyboardMarkup.de_json(payload["reply_markup"], bot)
            if payload.get("reply_markup")
            else None,
        )
        for payload in payloads or [{"text": "x"}]
    ]


async def bare_sends(
    bot: Any,
    messages: list[tuple[str, Any]],
    chats: Iterator[int],
    *,
    in_flight: int,
    until: float | None = None,
) -> int:
    """Bare `send_message` calls to `chats`, `in_flight` loops each sending its next message
    as soon as the last one is answered, until the chats run out (or, with `until`, no loop
    starts a message after that monotonic() instant). Returns how many were sent."""
    sent = 0

    async def sender() -> None:
        nonlocal sent
        for chat in chats:
            text, markup = messages[chat % len(messages)]
            await bot.send_message(chat, text, reply_markup=markup)
            sent += 1
            if until is not None and monotonic() >= until:
                return

    await asyncio.gather(*(sender() for _ in range(in_flight)))
    return sent


async def measure_ceiling(
    *,
    base_url: str,
    count: int,
    in_flight: int,
    payloads: list[dict[str, Any]] | None = None,
    chat_base: int = CEILING_CHAT_BASE,
) -> Ceiling:
    """Messages per second of bare `send_message` calls, `in_flight` kept going at all times
    (that many loops, each sending its next message as soon as the last one is answered).

    Without `payloads` every message is "x"; with them, the nudges' own texts, HTML parse mode
    and keyboards are replayed in turn (what the messages weigh, without any database work)."""
    from telegram.ext import ExtBot

    bot: ExtBot[None] = ExtBot(TOKEN, base_url=base_url, defaults=bot_defaults())
    async with bot:
        messages = bare_messages(payloads, bot)
        chats = iter(range(chat_base, chat_base + count))
        cpu_before = cpu_seconds()
        started = perf_counter()
        await bare_sends(bot, messages, chats, in_flight=in_flight)
        seconds = perf_counter() - started
        cpu = cpu_seconds() - cpu_before
    return Ceiling(in_flight=in_flight, per_second=count / seconds, cpu_seconds=cpu, count=count)


@dataclass(frozen=True)
class Ceiling:
    in_flight: int
    per_second: float
    cpu_seconds: float
    count: int


def best_ceiling(
    *,
    base_url: str,
    count: int,
    payloads: list[dict[str, Any]],
    chat_base: int,
    also_in_flight: int,
) -> tuple[Ceiling, list[Ceiling]]:
    """The fastest bare loop over a few in-flight counts (1-8, and the dispatcher's own),
    the nudges' payloads."""
    tried = []
    for in_flight in sorted({*CEILING_IN_FLIGHT, also_in_flight}):
        tried.append(
            asyncio.run(
                measure_ceiling(
                    base_url=base_url,
                    count=count,
                    in_flight=in_flight,
                    payloads=payloads,
                    chat_base=chat_base,
                )
            )
        )
        chat_base += count
    return max(tried, key=lambda ceiling: ceiling.per_second), tried


def rendered_payloads(count: int) -> list[dict[str, Any]]:
    """`count` nudges spread over the library, rendered by the bot's own code (texts and
    buttons): what the wave's messages weigh, before the wave has sent any."""
    from bot import keyboards, texts
    from nudges.library import load_library

    library = sorted(load_library(), key=lambda nudge: nudge.id)
    step = max(1, len(library) // count)
    return [
        {
            "text": texts.nudge_message(nudge, "Sam" if index % 2 else "Alex"),
            "parse_mode": "HTML",
            "reply_markup": keyboards.for_nudge(nudge.kind, 100_000 + index).to_dict(),
        }
        for index, nudge in enumerate(library[::step][:count])
    ]


@dataclass(frozen=True)
class Ceilings:
    """One round of bare loops in a fresh process: the best, every one tried, and (before
    and after the wave) the lighter loop of "x" messages."""

    best: Ceiling
    tried: list[Ceiling]
    light: Ceiling | None

    def at(self, in_flight: int) -> Ceiling:
        return next(ceiling for ceiling in self.tried if ceiling.in_flight == in_flight)


def _measure_ceilings(
    base_url: str,
    count: int,
    payloads: list[dict[str, Any]] | None,
    chat_base: int,
    also_in_flight: int,
    light: bool,
    connection: Connection,
) -> None:
    """Child-process entry for `ceilings_in_child`."""
    _ensure_repo_on_path()
    if payloads is None:
        payloads = rendered_payloads(64)
    lighter = (
        asyncio.run(
            measure_ceiling(
                base_url=base_url, count=count, in_flight=also_in_flight, chat_base=chat_base
            )
        )
        if light
        else None
    )
    best, tried = best_ceiling(
        base_url=base_url,
        count=count,
        payloads=payloads,
        chat_base=chat_base + count,
        also_in_flight=also_in_flight,
    )
    connection.send({"ceilings": Ceilings(best=best, tried=tried, light=lighter)})


def ceilings_in_child(
    *,
    base_url: str,
    count: int,
    payloads: list[dict[str, Any]] | None,
    chat_base: int,
    also_in_flight: int,
    light: bool = True,
) -> Ceilings:
    """The bare loops in a spawned process (None: payloads rendered by the bot's code), so
    that neither round runs in a heap the other phase shaped, nor counts in the
    dispatcher's memory."""
    from bench.processes import in_child

    # Seven loops of `count` messages; even at 100 a second that is well inside the limit.
    timeout = 60 + 7 * count / 100
    outcome = in_child(
        _measure_ceilings,
        base_url,
        count,
        payloads,
        chat_base,
        also_in_flight,
        light,
        timeout=timeout,
    )
    ceilings: Ceilings = outcome["ceilings"]
    return ceilings


@dataclass(frozen=True)
class Round:
    """One round of bare loops, and where it fell in the wave."""

    ceilings: Ceilings
    at: float  # monotonic() when it started (the dispatchers paused, or not yet started)
    seconds: float  # how long the round took: time that is not the wave's
    sent_before: int  # nudges the wave had sent by then


class CeilingRounds:
    """The ceiling, measured before the wave, after it and (`--ceiling-every`) during it,
    while the dispatchers are paused. These machines' speed drifts by a third within
    minutes, so each stretch of the wave is set against the rounds on its two sides, seconds
    away from it, not against a round minutes away."""

    def __init__(self, fake: FakeApi, *, count: int, during_count: int, in_flight: int) -> None:
        self.fake = fake
        self.count = count
        self.during_count = during_count
        self.in_flight = in_flight
        self.rounds: list[Round] = []

    def measure(self, *, sent_before: int, payloads: Any, count: int, light: bool) -> None:
        started = monotonic()
        ceilings = ceilings_in_child(
            base_url=self.fake.base_url,
            count=count,
            payloads=payloads,
            chat_base=CEILING_CHAT_BASE + 10 * self.count * len(self.rounds),
            also_in_flight=self.in_flight,
            light=light,
        )
        self.rounds.append(Round(ceilings, started, monotonic() - started, sent_before))

    def before(self) -> None:
        """Before the wave: nudges rendered by the bot's own code."""
        self.measure(sent_before=0, payloads=None, count=self.count, light=True)

    def during(self, sent_before: int) -> None:
        """While every dispatcher is paused: the wave's own payloads so far, shorter loops."""
        payloads = self.fake.payloads(64)
        self.measure(
            sent_before=sent_before, payloads=payloads, count=self.during_count, light=False
        )

    def after(self, sent: int) -> None:
        self.measure(
            sent_before=sent, payloads=self.fake.payloads(64), count=self.count, light=True
        )

    @property
    def paused_seconds(self) -> float:
        """The time of the rounds inside the wave (not the first, not the last)."""
        return sum(measured.seconds for measured in self.rounds[1:-1])

    def fastest_on_average(self) -> int:
        """The in-flight count whose bare loops were fastest on average over every round.

        Each round tries five counts, and on these machines one short loop differs from the
        next by a tenth or more, so a round's best loop is mostly the luckiest of five. The
        best on average is the count a bare loop would be run at; its loop in each round is
        then the ceiling at that moment. With a bare loop standing in for the dispatcher
        (`--calibrate`, 100,000 messages) this gave 0.965 and 0.964, a round's best loop
        0.923 and 0.904."""
        tried = [
            {ceiling.in_flight: ceiling.per_second for ceiling in measured.ceilings.tried}
            for measured in self.rounds
        ]
        counts = set.intersection(*(set(rates) for rates in tried))
        return max(sorted(counts), key=lambda count: sum(rates[count] for rates in tried))

    def segments(
        self,
        *,
        started: float,
        finished: float,
        sent: int,
        ceiling_of: Callable[[Round], float],
    ) -> list[Segment]:
        """The wave's stretches between rounds, each with the rounds on its two sides
        (`ceiling_of`: the figure a round gives)."""
        inside = self.rounds[1:-1]
        starts = [started] + [measured.at + measured.seconds for measured in inside]
        ends = [measured.at for measured in inside] + [finished]
        sents = [measured.sent_before for measured in inside] + [sent]
        segments = []
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            sent_here = sents[index] - (sents[index - 1] if index else 0)
            bracket = (self.rounds[index], self.rounds[index + 1])
            ceiling = sum(ceiling_of(side) for side in bracket) / 2
            segments.append(Segment(sent=sent_here, seconds=end - start, ceiling=ceiling))
        return segments


@dataclass(frozen=True)
class Segment:
    sent: int
    seconds: float
    ceiling: float  # the mean of the rounds' bare loops just before and just after it

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


def wave_ceiling(segments: list[Segment]) -> float:
    """The ceiling over the wave: each stretch's own, weighted by how long it lasted."""
    seconds = sum(segment.seconds for segment in segments)
    if seconds <= 0:
        return segments[0].ceiling
    return sum(segment.ceiling * segment.seconds for segment in segments) / seconds


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database(keep: Path | None) -> Iterator[str]:
    """A fresh SQLite file (in `keep` if given, else a temporary directory); yields its URL."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            (keep / (DB_NAME + suffix)).unlink(missing_ok=True)
        yield f"sqlite+aiosqlite:///{keep / DB_NAME}"
        return
    directory = Path(tempfile.mkdtemp(prefix="couplet-bench-"))
    try:
        yield f"sqlite+aiosqlite:///{directory / DB_NAME}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A throwaway PostgreSQL server (as the tests start one) and a new database in it."""
    from tests.postgres import running_postgres

    with running_postgres() as server:
        yield server.create_database()


# --------------------------------------------------------------------------- instances


@dataclass(frozen=True)
class InstanceResult:
    started: float  # time.monotonic(), comparable between processes on one machine
    finished: float
    dispatch: DispatchResult
    cpu_seconds: float
    peak_rss_mb: float


def dispatch_instance(connection: Connection, wave: Wave) -> None:
    """Child-process entry: one dispatcher process; starts when told, says when it pauses
    (and how many it sent so far) and waits to be told to go on, reports when done."""
    _ensure_repo_on_path()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    import bot.dispatch  # noqa: F401  (imported before the start signal, as a bot would be)

    def pause(sent: int) -> None:
        connection.send(("paused", sent))
        connection.recv()

    connection.send("ready")
    connection.recv()
    cpu_before = cpu_seconds()
    result = asyncio.run(run_dispatcher(wave, pause))
    connection.send(
        InstanceResult(
            started=result.started,
            finished=result.finished,
            dispatch=result,
            cpu_seconds=cpu_seconds() - cpu_before,
            peak_rss_mb=peak_rss_mb(),
        )
    )


def run_instances(count: int, wave: Wave, between: Callable[[int], None]) -> list[InstanceResult]:
    """`count` dispatcher processes against one database and one fake, started together.
    Once every one still sending has paused, `between(sent so far)` runs, then they go on."""
    context = multiprocessing.get_context("spawn")
    children = []
    for number in range(count):
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=dispatch_instance,
            args=(child_end, wave),
            name=f"bench-dispatcher-{number + 1}",
        )
        process.start()
        child_end.close()
        children.append((process, parent_end))
    for _, connection in children:
        if connection.recv() != "ready":
            raise SystemExit("a dispatcher process did not start")
    for _, connection in children:
        connection.send("go")
    finished: dict[Connection, InstanceResult] = {}
    paused: dict[Connection, int] = {}  # how many each had sent when it paused
    while len(finished) < count:
        sending = [c for _, c in children if c not in finished]
        if paused and all(connection in paused for connection in sending):
            between(sum(paused.values()) + sum(done.dispatch.sent for done in finished.values()))
            for connection in paused:
                connection.send("go")
            paused.clear()
            continue
        for ready in wait([c for c in sending if c not in paused]):
            connection = cast(Connection, ready)
            message = connection.recv()
            if isinstance(message, InstanceResult):
                finished[connection] = message
            else:
                paused[connection] = message[1]
    results = [finished[connection] for _, connection in children]
    for process, _ in children:
        process.join(timeout=30)
        if process.exitcode != 0:
            raise SystemExit(f"{process.name} failed (exit code {process.exitcode})")
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dispatch",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, required=True, help="how many users (even)")
    parser.add_argument("--limiter", choices=["on", "off"], default="off")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="bot pace when the limiter is on (default: the bot's MAX_MESSAGES_PER_SECOND default)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=6, help="requests in flight (the bot's default, 6)"
    )
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="a fresh SQLite file (default) or a throwaway PostgreSQL server started for the run",
    )
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="dispatcher processes at once against one database (PostgreSQL only)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the SQLite file in DIR")
    parser.add_argument(
        "--fake",
        choices=["process", "thread"],
        default="process",
        help="run the fake Bot API in a child process (default) or in a thread of this one",
    )
    parser.add_argument(
        "--ceiling-every",
        type=float,
        default=None,
        help="pause the wave this often (seconds) for a round of bare loops of a fifth of "
        "--ceiling-count each (default 30 with the limiter off; never with it on; 0: never)",
    )
    parser.add_argument(
        "--ceiling-count",
        type=int,
        default=5000,
        help=f"bare messages per ceiling measurement (one per in-flight count of "
        f"{', '.join(map(str, CEILING_IN_FLIGHT))})",
    )
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="a bare send loop stands in for the dispatcher (same pauses and rounds, no "
        "database work): the ratio printed is the method's own error, 1.0 when it is fair",
    )
    args = parser.parse_args(argv)
    if args.users <= 0 or args.users % 2:
        parser.error("--users must be a positive even number")
    if args.concurrency <= 0 or args.batch <= 0 or args.ceiling_count <= 0:
        parser.error("--concurrency, --batch and --ceiling-count must be positive")
    if args.rate is not None and args.rate <= 0:
        parser.error("--rate must be positive")
    if args.instances <= 0:
        parser.error("--instances must be positive")
    if args.ceiling_every is None:
        args.ceiling_every = 30.0 if args.limiter == "off" else 0.0
    if args.ceiling_every < 0:
        parser.error("--ceiling-every must be 0 (never) or positive")
    if args.ceiling_every and args.limiter == "on":
        parser.error(
            "--ceiling-every needs --limiter off: with the limiter on the fake enforces 30/s, "
            "and the target is that rate, not the ceiling"
        )
    if args.instances > 1 and args.database == "sqlite":
        parser.error(
            "SQLite serves one bot process (the bot locks the file), so --instances above 1 "
            "needs --database postgresql"
        )
    if args.calibrate and (args.limiter == "on" or args.instances > 1):
        parser.error("--calibrate stands a bare loop in for one dispatcher, limiter off")
    if args.keep is not None and args.database != "sqlite":
        parser.error("--keep keeps a SQLite file; it does not apply to PostgreSQL")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _ensure_repo_on_path()
    limiter_on = args.limiter == "on"
    database = sqlite_database(args.keep) if args.database == "sqlite" else postgresql_database()

    with database as url:
        populate_seconds = populate_in_child(url, args.users)
        print(
            f"populated {args.users} users ({args.users // 2} pairs) in {populate_seconds:.1f} s "
            f"({args.database})"
        )

        fake: FakeApi = ProcessFake() if args.fake == "process" else ThreadFake()
        try:
            rss_before = current_rss_mb()
            load_before = load_1m()
            if args.rate is None:  # what the bot paces at unless told otherwise
                from bot.config import DEFAULT_MAX_MESSAGES_PER_SECOND

                args.rate = DEFAULT_MAX_MESSAGES_PER_SECOND
            rate = args.rate if limiter_on else None
            ceiling_count = min(args.users, args.ceiling_count)
            # The bare loops run before the wave, during it (the dispatcher paused) and
            # after it: this machine's speed drifts over minutes, and a wave takes minutes
            # (a ceiling measured on one side of it only compared two different machines).
            rounds = CeilingRounds(
                fake,
                count=ceiling_count,
                during_count=max(1, ceiling_count // 5),
                in_flight=args.concurrency,
            )
            rounds.before()
            wave = Wave(
                url=url,
                base_url=fake.base_url,
                rate=rate,
                concurrency=args.concurrency,
                batch=args.batch,
                pause_every=args.ceiling_every,
            )
            fake.rate_limit(ENFORCED_RATE if limiter_on else None)  # the wave's alone
            if args.instances == 1:
                cpu_before = cpu_seconds()
                dispatch = asyncio.run(
                    run_bare_stand_in(wave, args.users, rounds.during)
                    if args.calibrate
                    else run_dispatcher(wave, rounds.during)
                )
                instances = [
                    InstanceResult(
                        started=dispatch.started,
                        finished=dispatch.finished,
                        dispatch=dispatch,
                        cpu_seconds=cpu_seconds() - cpu_before,
                        peak_rss_mb=peak_rss_mb(),
                    )
                ]
            else:
                instances = run_instances(args.instances, wave, rounds.during)
            delivered = fake.delivered(args.users)
            fake.rate_limit(None)
            sent = sum(instance.dispatch.sent for instance in instances)
            rounds.after(sent)
            load_after = load_1m()
        finally:
            fake_rss = fake.close()
        peak = max(instance.peak_rss_mb for instance in instances)

    started = min(instance.started for instance in instances)
    finished = max(instance.finished for instance in instances)
    paused = rounds.paused_seconds
    seconds = finished - started - paused  # the rounds inside the wave are not its time
    dispatch_cpu = sum(instance.cpu_seconds for instance in instances)
    nudges_per_second = sent / seconds if seconds else 0.0
    for number, instance in enumerate(instances, start=1):
        d = instance.dispatch
        print(
            ("bare loop standing in for the dispatcher" if args.calibrate else "dispatcher")
            + f" {number}/{len(instances)}: {d.sent} sent in "
            f"{instance.finished - instance.started:.2f} s"
            + (" (the pauses for ceiling rounds included)" if paused else "")
            + f" over {d.runs} run(s) (retried "
            f"{d.retried}, failed {d.failed}, blocked {d.blocked}); CPU {instance.cpu_seconds:.1f}"
            f" s; peak RSS {instance.peak_rss_mb:.1f} MB"
        )
    print(
        f"dispatch: {sent} sent in {seconds:.2f} s = {nudges_per_second:.1f}/s; limiter "
        f"{args.limiter}"
        + (f" at {args.rate:g}/s, fake enforcing {ENFORCED_RATE:g}/s" if limiter_on else "")
        + f"; {args.database}, {args.instances} instance(s)"
        + (
            f"; paused {len(rounds.rounds) - 2} times for ceiling rounds ({paused:.1f} s, "
            "not counted)"
            if paused
            else ""
        )
    )
    chosen = rounds.fastest_on_average()
    for number, measured in enumerate(rounds.rounds):
        ceilings = measured.ceilings
        name = (
            "before the wave"
            if number == 0
            else "after the wave"
            if number == len(rounds.rounds) - 1
            else f"during the wave, pause {number}"
        )
        print(
            f"ceiling {name} ({ceilings.best.count} messages a loop"
            + (", texts and buttons the bot renders" if number == 0 else ", the wave's payloads")
            + "): "
            + ", ".join(f"{c.in_flight} in flight {c.per_second:.1f}/s" for c in ceilings.tried)
            + f"; best {ceilings.best.per_second:.1f}/s"
        )

    def at_chosen(measured: Round) -> float:
        return measured.ceilings.at(chosen).per_second

    def best_loop(measured: Round) -> float:
        return measured.ceilings.best.per_second

    segments = rounds.segments(started=started, finished=finished, sent=sent, ceiling_of=at_chosen)
    ceiling_per_second = wave_ceiling(segments)
    ratio = nudges_per_second / ceiling_per_second
    ratio_best_loops = nudges_per_second / wave_ceiling(
        rounds.segments(started=started, finished=finished, sent=sent, ceiling_of=best_loop)
    )
    if len(segments) > 1:
        print(
            "stretches of the wave (sent, rate, against the mean of the rounds either side): "
            + "; ".join(
                f"{segment.sent} at {segment.per_second:.1f}/s = "
                f"{segment.per_second / segment.ceiling:.3f}"
                for segment in segments
            )
        )
    print(
        f"ceiling: {ceiling_per_second:.1f}/s, {chosen} in flight (the fastest on average over "
        f"the {len(rounds.rounds)} rounds), each stretch's bracketing rounds weighted by its "
        f"length; ratio {ratio:.3f} (against the round before the wave alone "
        f"{nudges_per_second / at_chosen(rounds.rounds[0]):.3f}, after it alone "
        f"{nudges_per_second / at_chosen(rounds.rounds[-1]):.3f}; against each round's best "
        f"loop, whichever in-flight count it was, {ratio_best_loops:.3f})"
    )
    if args.calibrate:
        print(
            "calibration: a bare loop stood in for the dispatcher, so the ratio above is the "
            "method's own error (1.0: the stretches and the rounds are measured alike)"
        )
    before, after = rounds.rounds[0].ceilings, rounds.rounds[-1].ceilings
    assert before.light is not None and after.light is not None
    print(
        f"lighter ceiling (every message 'x', no keyboard, {args.concurrency} in flight; not "
        f"what nudges weigh): {before.light.per_second:.1f}/s before, "
        f"{after.light.per_second:.1f}/s after"
    )
    print(
        f"fake: {delivered.send_calls} sendMessage calls, {delivered.delivered} delivered, "
        f"{delivered.http_429} answered 429; duplicates {delivered.duplicates}, "
        f"missed {delivered.missed}"
    )
    chosen_loops = [measured.ceilings.at(chosen) for measured in rounds.rounds]
    ceiling_cpu_per_message = sum(loop.cpu_seconds / loop.count for loop in chosen_loops) / len(
        chosen_loops
    )
    print(
        f"CPU of the dispatcher process(es): {dispatch_cpu:.1f} s in {seconds:.1f} s; the loops "
        f"at {chosen} in flight {1000 * ceiling_cpu_per_message:.3f} ms a message on average "
        f"over {len(chosen_loops)} rounds; load average (1 min) {load_before:.2f} before, "
        f"{load_after:.2f} after on {os.cpu_count()} cores"
    )
    print(
        f"memory: RSS {rss_before:.1f} MB at start (lazy imports), peak {peak:.1f} MB"
        + (" (max over the processes)" if args.instances > 1 else "")
        + (f"; fake process peak {fake_rss:.1f} MB" if fake_rss is not None else "")
        + f" (fake in a {args.fake})"
    )

    result: dict[str, Any] = {
        "users": args.users,
        "limiter": args.limiter,
        "seconds": round(seconds, 3),
        "nudges_per_second": round(nudges_per_second, 1),
        "ceiling_per_second": round(ceiling_per_second, 1),
        "ratio": round(ratio, 3),
        "peak_rss_mb": round(peak, 1),
        "http_429": delivered.http_429,
        "duplicates": delivered.duplicates,
        "missed": delivered.missed,
        "database": args.database,
        "instances": args.instances,
    }
    if limiter_on:
        result["ratio_to_enforced"] = round(nudges_per_second / ENFORCED_RATE, 3)
        result["rate"] = args.rate
    # The same ratio in CPU time per message, bare sends (the mean of the rounds' loops at
    # that in-flight count) over nudges (dispatcher): unmoved when other work takes the
    # cores for a while.
    cpu_ratio = ceiling_cpu_per_message / (dispatch_cpu / sent) if sent else 0
    result |= {
        "calibration": args.calibrate,
        "ceiling_in_flight": chosen,
        "ratio_best_loop_of_each_round": round(ratio_best_loops, 3),
        "ceiling_before_per_second": round(at_chosen(rounds.rounds[0]), 1),
        "ceiling_after_per_second": round(at_chosen(rounds.rounds[-1]), 1),
        "ceiling_rounds_per_second": [round(loop.per_second, 1) for loop in chosen_loops],
        "segments": [
            {
                "sent": segment.sent,
                "seconds": round(segment.seconds, 3),
                "ratio": round(segment.per_second / segment.ceiling, 3),
            }
            for segment in segments
        ],
        "paused_seconds": round(paused, 3),
        "ceiling_by_in_flight": {
            name: {str(c.in_flight): round(c.per_second, 1) for c in ceilings.tried}
            for name, ceilings in (("before", before), ("after", after))
        },
        "light_ceiling_per_second": [
            round(before.light.per_second, 1),
            round(after.light.per_second, 1),
        ],
        "cpu_ratio": round(cpu_ratio, 3),
        "cpu_ms_per_nudge": round(1000 * dispatch_cpu / sent, 3) if sent else None,
        "cpu_ms_per_ceiling_message": round(1000 * ceiling_cpu_per_message, 3),
        "load_1m": [round(load_before, 2), round(load_after, 2)],
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "fake": args.fake,
        "concurrency": args.concurrency,
        "batch": args.batch,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
