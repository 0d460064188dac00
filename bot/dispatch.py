"""Sending the daily nudges: one repeating tick claims due rows and sends them.

No per-user scheduler jobs: each user row knows its `next_due_at`, and every few seconds
the tick claims what is due (in batches), sends it a few messages at a time, records the
outcome and moves on. Restarts lose nothing; a crash never sends a day's nudge twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum, auto

import httpx
from telegram import Bot, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot import keyboards, texts
from bot.chat import tell
from bot.clock import Clock
from bot.pacing import retry_seconds
from nudges.library import nudges_by_id
from storage import deliveries
from storage.db import Database
from storage.deliveries import DueNudge

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=2)
SEND_TRIES = 3


class Result(Enum):
    SENT = auto()
    RETRY = auto()
    FAILED = auto()
    BLOCKED = auto()


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
        bot: Bot,
        clock: Clock,
        catch_up: timedelta,
        batch_size: int = 256,
        concurrency: int = 8,
    ) -> None:
        self.database = database
        self.bot = bot
        self.clock = clock
        self.catch_up = catch_up
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.stopping = False

    async def run(self) -> WaveReport:
        """Claims and sends until nothing more is due now (or a stop was asked for)."""
        report = WaveReport()
        while not self.stopping:
            async with self.database.transaction() as session:
                batch = await deliveries.claim_due(
                    session=session,
                    now=self.clock(),
                    limit=self.batch_size,
                    lease=CLAIM_LEASE,
                    catch_up=self.catch_up,
                )
            for start in range(0, len(batch), self.concurrency):
                if self.stopping:  # shutting down: hand the rest back at once
                    await self._release_unsent(batch[start:])
                    return report
                await self._send_group(batch[start : start + self.concurrency], report)
            if len(batch) < self.batch_size:
                break
        if not self.stopping:
            await self._follow_ups(report)

        return report

    async def _release_unsent(self, unsent: list[DueNudge]) -> None:
        async with self.database.transaction() as session:
            await deliveries.release_now(
                session=session, delivery_ids=[due.delivery_id for due in unsent], now=self.clock()
            )
        log.info("stopping: %d claimed nudges handed back for the next run", len(unsent))

    async def _follow_ups(self, report: WaveReport) -> None:
        """At most one gentle follow-up per unanswered question or note (never a guilt trip)."""
        async with self.database.transaction() as session:
            due = await deliveries.claim_follow_ups(
                session=session, now=self.clock(), limit=self.batch_size
            )
        for follow_up in due:
            try:
                await self.bot.send_message(
                    follow_up.user_id,
                    texts.FOLLOW_UP,
                    reply_parameters=ReplyParameters(
                        follow_up.message_id, allow_sending_without_reply=True
                    )
                    if follow_up.message_id
                    else None,
                )
                report.follow_ups += 1
            except TelegramError as error:  # at most once: a failed follow-up is not retried
                log.info("follow-up %s not sent: %s", follow_up.delivery_id, error.message)

    async def _send_group(self, claimed: list[DueNudge], report: WaveReport) -> None:
        async with self.database.transaction() as session:
            mine = await deliveries.mark_sending(session=session, nudges=claimed)
        group = [due for due in claimed if due.delivery_id in mine]
        outcomes = await asyncio.gather(*(self._send(due) for due in group))
        by_result: dict[Result, list[tuple[DueNudge, Outcome]]] = {result: [] for result in Result}
        for due, outcome in zip(group, outcomes, strict=True):
            by_result[outcome.result].append((due, outcome))
        now = self.clock()
        blocked: list[tuple[str, int]] = []
        async with self.database.transaction() as session:
            await deliveries.record_sent(
                session=session,
                sent=[(due.delivery_id, out.message_id) for due, out in by_result[Result.SENT]],
                now=now,
            )
            await deliveries.release(
                session=session, nudges=[due for due, _ in by_result[Result.RETRY]], now=now
            )
            await deliveries.mark_failed(
                session=session,
                delivery_ids=[due.delivery_id for due, _ in by_result[Result.FAILED]],
            )
            for due, _ in by_result[Result.BLOCKED]:
                pair = await deliveries.record_blocked(
                    session=session, delivery_id=due.delivery_id, user_id=due.user_id, now=now
                )
                if pair is not None:
                    user, partner = pair
                    blocked.append((user.first_name, partner.id))
        report.count(outcome.result for outcome in outcomes)
        for name, partner_id in blocked:
            await tell(self.bot, partner_id, texts.partner_blocked(name))
            report.partners_told.append(partner_id)

    async def _send(self, due: DueNudge) -> Outcome:
        nudge = nudges_by_id().get(due.nudge_id)
        if nudge is None:
            log.error(
                "nudge %s is no longer in the library; delivery %s fails",
                due.nudge_id,
                due.delivery_id,
            )
            return Outcome(Result.FAILED)
        text = texts.nudge_message(nudge, due.partner_name, welcome_back=due.welcome_back)
        markup = keyboards.for_nudge(nudge.kind, due.delivery_id)
        for _ in range(SEND_TRIES):
            try:
                message = await self.bot.send_message(
                    due.user_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            except Forbidden:
                return Outcome(Result.BLOCKED)
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                continue
            except TimedOut as error:
                if _request_went_out(error):
                    log.warning(
                        "delivery %s timed out after sending; counted as sent", due.delivery_id
                    )
                    return Outcome(Result.SENT)
                return Outcome(Result.RETRY)
            except BadRequest as error:
                log.error("Telegram refused delivery %s: %s", due.delivery_id, error.message)
                return Outcome(Result.FAILED)
            except NetworkError as error:
                log.warning("delivery %s not sent (%s); will retry", due.delivery_id, error.message)
                return Outcome(Result.RETRY)
            return Outcome(Result.SENT, message.message_id)
        return Outcome(Result.RETRY)


def _request_went_out(error: TimedOut) -> bool:
    """A timeout while connecting or waiting for a pooled connection never reached Telegram;
    any other timeout may have, so it counts as sent (a nudge is never sent twice)."""
    return not isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
