"""Sending the daily nudges: one repeating tick claims due rows and sends them.

No per-user scheduler jobs: each user row knows its `next_due_at`, and every few seconds
the tick claims what is due (in batches), sends it a few messages at a time, records the
outcome and moves on. Restarts lose nothing; a crash never sends a day's nudge twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, auto
from functools import lru_cache, partial
from typing import Any

import httpx
from telegram import ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot import keyboards, memories, outages, texts
from bot.chat import send_if_possible
from bot.clock import Clock
from bot.i18n import say
from bot.pacing import BulkSend, Priority, retry_seconds
from nudges import languages
from nudges.languages import Language
from nudges.library import nudges_by_id
from storage import claiming, follow_ups, outcomes
from storage.claiming import DueNudge
from storage.db import Database
from storage.memories import Memory

log = logging.getLogger(__name__)

# A claim's lease, renewed every third of it while the wave holding it runs: the claims of
# a process that died are sent by another instance within about this long.
CLAIM_LEASE = timedelta(seconds=30)
RENEW_CLAIMS_EVERY = CLAIM_LEASE / 3
SEND_TRIES = 3
# A wave stops on these and keeps what it could not write; any other error is a bug.
DATABASE_OUTAGES = (outages.Outage.DATABASE_UNREACHABLE, outages.Outage.DATABASE_FULL)


class Result(Enum):
    SENT = auto()
    RETRY = auto()
    FAILED = auto()
    BLOCKED = auto()
    TAKEN_OVER = auto()  # its claim's lease ran out and another claim holds it: not sent


class ClaimTakenOver(Exception):
    """At its send slot, a nudge's claim was no longer this process's (nothing was sent)."""


@dataclass(frozen=True)
class Outcome:
    result: Result
    message_id: int | None = None


@dataclass
class WaveReport:
    """What one run of the dispatcher did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0
    follow_ups: int = 0
    partners_told: list[int] = field(default_factory=list)

    def count(self, results: Iterable[Result]) -> None:
        tally = Counter(results)
        self.sent += tally[Result.SENT]
        self.retried += tally[Result.RETRY]
        self.failed += tally[Result.FAILED]
        self.blocked += tally[Result.BLOCKED]


class Dispatcher:
    def __init__(
        self,
        *,
        database: Database,
        bot: ExtBot[Any],
        clock: Clock,
        catch_up: timedelta,
        batch_size: int = 256,
        concurrency: int = 6,
        most_sending: int = 8,
        paid_broadcast: bool = False,
    ) -> None:
        if not 0 < concurrency < most_sending:
            raise ValueError("need 0 < concurrency < most_sending")
        self.database = database
        self.bot = bot
        self.clock = clock
        self.catch_up = catch_up
        self.batch_size = batch_size
        # Requests in flight. Telegram answers in tens of milliseconds: six keep well ahead
        # of its 30 messages a second, even when it is slower. Against an instant server
        # they also cost less CPU a nudge than four, though the groups get smaller
        # (bench.dispatch, 2026-12-02, five runs each: 1.98 against 2.07 ms on average).
        self.concurrency = concurrency
        # Deliveries `sending` at most: those in flight, the ones marked for the next
        # requests, and finished ones not yet recorded. What a SIGKILL can leave undecided.
        self.most_sending = most_sending
        self.stopping = False
        # The wave's sends are bulk: a reply to a person goes before them (bot/pacing.py).
        # With `paid_broadcast` they go as paid broadcasts, at their own pace.
        self.bulk = Priority.BULK if bot.rate_limiter is not None else None
        # On the free pace a nudge may wait tens of milliseconds for its slot: it is marked
        # `sending` at its slot, in a transaction of its own, so a crash meanwhile leaves it
        # claimed (sent by another instance once the lease runs out), not lost. Unpaced or
        # paid (hundreds a second), the wait is a few milliseconds: marked in groups, which
        # costs a quarter less CPU a nudge (at most `most_sending` undecided after a crash).
        self.mark_at_slot = self.bulk is not None and not paid_broadcast
        self.paid_broadcast = True if paid_broadcast else None
        # What a wave stopped by a database outage could not write, for the next run to
        # write first: the outcomes of finished sends, and nudges claimed or marked
        # `sending` whose requests never started. Lost with the process, like `sending`.
        self.unrecorded: list[tuple[DueNudge, Outcome]] = []
        self.unstarted: list[DueNudge] = []
        # "On this day" lines of this run's claimed nudges, by delivery id (bot/memories.py).
        self.memories: dict[int, Memory] = {}

    async def run(self) -> WaveReport:
        """Claims and sends until nothing more is due now (or a stop was asked for).

        `concurrency` senders each send one nudge after the other, like a bare loop of
        requests. A sender that finds no nudge ready records what the finished sends came
        to and marks the next ones `sending`, in one transaction committed before their
        requests start. Never more than `most_sending` are `sending`, so one transaction
        covers several nudges and requests rarely wait for one. (On the free pace the next
        ones are not marked there but each at its slot: `mark_at_slot`.) A batch is claimed
        when fewer than `most_sending` claimed nudges are left.

        If the database goes away meanwhile, no new request starts, the ones in flight end,
        and what could not be written is kept for the next run, which writes it before
        claiming anything (or raises again, keeping it, while the database is still away).
        The outage is raised once the wave has stopped.
        """
        report = WaveReport()
        self.memories = {}
        if self.unrecorded or self.unstarted:
            await self._record_and_mark(self.unrecorded, [], self.unstarted, report)
            log.info("the database is back: %d finished sends recorded", len(self.unrecorded))
            self.unrecorded, self.unstarted = [], []
        state = _DispatchRun(self, report)
        senders = [asyncio.ensure_future(state.sender()) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*senders)
        except BaseException:
            for sender in senders:  # a bug, not an answer from Telegram: the wave stops
                sender.cancel()  # (what was `sending` stays so, and is taken as sent)
            raise
        await state.record_the_rest()
        if state.outage is not None:
            self.unrecorded, self.unstarted = state.finished, [*state.ready, *state.waiting]
            raise state.outage
        if not self.stopping:
            await self._follow_ups(report)
        return report

    async def _record_and_mark(
        self,
        results: list[tuple[DueNudge, Outcome]],
        starting: list[DueNudge],
        unsent: list[DueNudge],
        report: WaveReport,
    ) -> list[DueNudge]:
        """One transaction: what the finished sends came to, the nudges handed back unsent,
        and the next nudges marked `sending`. Returns those this process may now send."""
        if not (results or starting or unsent):
            return []
        finished = outcomes.Finished()
        for due, outcome in results:
            if outcome.result is Result.SENT:
                finished.sent.append((due, outcome.message_id))
            elif outcome.result is Result.RETRY:
                finished.to_retry.append(due)
            elif outcome.result is Result.FAILED:
                finished.failed.append(due)
            elif outcome.result is Result.BLOCKED:
                finished.blocked.append(due)
            # Result.TAKEN_OVER: the claim's new holder writes what happens to it
        recorded = await outcomes.record_and_mark_sending(
            self.database, finished=finished, unsent=unsent, starting=starting, now=self.clock()
        )
        if unsent:
            log.info("%d claimed nudges handed back unsent: due again now", len(unsent))
        report.count(outcome.result for _, outcome in results)
        for first_time in recorded.partners_to_tell:
            await send_if_possible(
                self.bot,
                first_time.partner_id,
                texts.partner_blocked(first_time.name),
                languages.stored(first_time.partner_language),
            )
            report.partners_told.append(first_time.partner_id)
        return recorded.may_send

    async def _follow_ups(self, report: WaveReport) -> None:
        """At most one gentle follow-up per unanswered question or note (never a guilt trip)."""
        async with self.database.transaction() as session:
            due = await follow_ups.claim_follow_ups(
                session=session, now=self.clock(), limit=self.batch_size
            )
        for follow_up in due:
            try:
                await self.bot.send_message(
                    follow_up.user_id,
                    say(texts.FOLLOW_UP, languages.stored(follow_up.language)),
                    reply_parameters=ReplyParameters(
                        follow_up.message_id, allow_sending_without_reply=True
                    )
                    if follow_up.message_id
                    else None,
                    allow_paid_broadcast=self.paid_broadcast,
                    rate_limit_args=self.bulk,
                )
                report.follow_ups += 1
            except TelegramError as error:  # at most once: a failed follow-up is not retried
                log.info("follow-up %s not sent: %s", follow_up.delivery_id, error.message)

    async def _send(self, due: DueNudge) -> Outcome:
        nudge = nudges_by_id().get(due.nudge_id)
        if nudge is None:
            log.error(
                "nudge %s is no longer in the library; delivery %s fails",
                due.nudge_id,
                due.delivery_id,
            )
            return Outcome(Result.FAILED)
        language = languages.stored(due.language)
        text = _nudge_text(due.nudge_id, due.partner_name, due.welcome_back, language)
        markup = keyboards.for_nudge(nudge, due.delivery_id, language)
        memory = self.memories.get(due.delivery_id)
        text, markup = memories.with_memory(text, markup, memory, language)
        marking = BulkSend(partial(self._mark_sending, due)) if self.mark_at_slot else None
        for _ in range(SEND_TRIES):
            try:
                message = await self.bot.send_message(
                    due.user_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    allow_paid_broadcast=self.paid_broadcast,
                    rate_limit_args=marking or self.bulk,
                )
            except ClaimTakenOver:
                return Outcome(Result.TAKEN_OVER)
            except Forbidden:
                return Outcome(Result.BLOCKED)
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                marking = None  # marked already: a retry only waits for a slot
                continue
            except TimedOut as error:
                if _request_went_out(error):
                    log.warning(
                        "delivery %s timed out after sending; counted as sent", due.delivery_id
                    )
                    return Outcome(Result.SENT)
                outages.report(error)
                return Outcome(Result.RETRY)
            except BadRequest as error:
                log.error("Telegram refused delivery %s: %s", due.delivery_id, error.message)
                return Outcome(Result.FAILED)
            except NetworkError as error:  # Telegram is away: one line now and then
                outages.report(error)
                log.debug("delivery %s not sent (%s); will retry", due.delivery_id, error.message)
                return Outcome(Result.RETRY)
            return Outcome(Result.SENT, message.message_id)
        return Outcome(Result.RETRY)

    async def _mark_sending(self, due: DueNudge) -> None:
        """At the nudge's slot: marked `sending`, committed before its request goes out."""
        async with self.database.transaction() as session:
            if not await outcomes.mark_sending(session=session, nudges=[due]):
                raise ClaimTakenOver(due.delivery_id)


class _DispatchRun:
    """One run's shared state: what is claimed, what is marked and ready to go, and what the
    finished sends came to. Only one sender at a time refills (on PostgreSQL the
    transactions wait for the database; on SQLite they run straight through)."""

    def __init__(self, dispatcher: Dispatcher, report: WaveReport) -> None:
        self.dispatcher = dispatcher
        self.report = report
        self.waiting: deque[DueNudge] = deque()  # claimed, not yet marked
        self.ready: deque[DueNudge] = deque()  # marked `sending`, request not yet started
        self.finished: list[tuple[DueNudge, Outcome]] = []  # still `sending` in the database
        self.in_flight = 0
        self.more_due = True
        self.refilling = asyncio.Lock()
        self.outage: Exception | None = None  # the database went away: the wave stops
        self.renew_at = dispatcher.clock() + RENEW_CLAIMS_EVERY

    async def sender(self) -> None:
        """Sends ready nudges one after the other until none is left to send."""
        dispatcher = self.dispatcher
        while self.outage is None:
            if not self.ready and not await self._refill():
                return
            if not self.ready:  # another sender took them first
                continue
            due = self.ready.popleft()
            self.in_flight += 1
            try:
                outcome = await dispatcher._send(due)
            except Exception as error:  # marking it `sending` at its slot failed
                if outages.outage_of(error) not in DATABASE_OUTAGES:
                    raise  # a bug: `run` cancels the senders
                self.outage = error
                self.waiting.appendleft(due)  # never sent: handed back by the next run
                return
            finally:
                self.in_flight -= 1
            self.finished.append((due, outcome))

    async def _refill(self) -> bool:
        """Records what finished and marks the next nudges; False when nothing is left, or
        when the database went away (what this group was to write then stays in the wave)."""
        async with self.refilling:
            dispatcher = self.dispatcher
            while not self.ready and self.outage is None:
                unsent: list[DueNudge] = []
                finished: list[tuple[DueNudge, Outcome]] = []
                starting: list[DueNudge] = []
                try:
                    await self._renew_claims_when_due()
                    if dispatcher.stopping:  # shutting down: hand the rest back at once
                        unsent, self.more_due = list(self.waiting), False
                        self.waiting.clear()
                    elif self.more_due and len(self.waiting) < dispatcher.most_sending:
                        batch = await claiming.claim_due_nudges(
                            dispatcher.database,
                            now=dispatcher.clock(),
                            limit=dispatcher.batch_size,
                            lease=CLAIM_LEASE,
                            catch_up=dispatcher.catch_up,
                        )
                        self.waiting.extend(batch)
                        dispatcher.memories |= await memories.for_batch(dispatcher.database, batch)
                        self.more_due = len(batch) >= dispatcher.batch_size
                    # Every finished send is recorded in the transaction that marks the next
                    # ones, and one that finishes during it was counted in flight: never more
                    # than `most_sending` rows are `sending`.
                    finished, self.finished = self.finished, []
                    free_slots = dispatcher.most_sending - self.in_flight
                    starting = [
                        self.waiting.popleft() for _ in range(min(free_slots, len(self.waiting)))
                    ]
                    if not (finished or starting or unsent):
                        return False
                    if dispatcher.mark_at_slot:  # each is marked `sending` at its slot
                        await dispatcher._record_and_mark(finished, [], unsent, self.report)
                        self.ready.extend(starting)
                    else:
                        self.ready.extend(
                            await dispatcher._record_and_mark(
                                finished, starting, unsent, self.report
                            )
                        )
                    if not (self.waiting or self.more_due or self.ready):
                        return False
                except Exception as error:
                    if outages.outage_of(error) not in DATABASE_OUTAGES:
                        raise  # a bug: `run` cancels the senders
                    # Rolled back (or, if the commit was cut off, `starting` was marked:
                    # handing back under the claim's token covers both).
                    self.outage = error
                    self.finished[:0] = finished
                    self.waiting.extendleft(reversed(starting + unsent))
            return self.outage is None

    async def _renew_claims_when_due(self) -> None:
        """Every RENEW_CLAIMS_EVERY, the claims not yet sent get a new lease."""
        now = self.dispatcher.clock()
        if now >= self.renew_at and (self.waiting or self.ready):
            held = [*self.waiting, *self.ready]
            await claiming.renew_claims(self.dispatcher.database, held, until=now + CLAIM_LEASE)
            self.renew_at = now + RENEW_CLAIMS_EVERY

    async def record_the_rest(self) -> None:
        """After the last send: what the last ones came to (kept if the database is away)."""
        if self.outage is not None or not self.finished:
            return
        finished, self.finished = self.finished, []
        try:
            await self.dispatcher._record_and_mark(finished, [], [], self.report)
        except Exception as error:
            if outages.outage_of(error) not in DATABASE_OUTAGES:
                raise
            self.outage, self.finished = error, finished


@lru_cache(maxsize=4096)
def _nudge_text(nudge_id: str, partner_name: str, welcome_back: bool, language: Language) -> str:
    """A wave sends each nudge to many people with few distinct names: rendered once each,
    in the recipient's language (the same nudge id for both partners)."""
    message = texts.nudge_message(nudges_by_id()[nudge_id], partner_name, welcome_back=welcome_back)
    return say(message, language)


def _request_went_out(error: TimedOut) -> bool:
    """A timeout while connecting or waiting for a pooled connection never reached Telegram;
    any other timeout may have, so it counts as sent (a nudge is never sent twice)."""
    return not isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
