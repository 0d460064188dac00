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
from functools import lru_cache

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
        """Claims and sends until nothing more is due now (or a stop was asked for).

        Groups of `concurrency` go out together. One transaction per group records what
        the previous group came to and marks this one `sending`; its requests start only
        after that committed. A batch is claimed when fewer than a group are left.
        """
        report = WaveReport()
        waiting: deque[DueNudge] = deque()
        outcomes: list[tuple[DueNudge, Outcome]] = []  # of the group that just went out
        more_due = True
        while True:
            unsent: list[DueNudge] = []
            if self.stopping:  # shutting down: hand the rest back at once
                unsent, more_due = list(waiting), False
                waiting.clear()
            elif more_due and len(waiting) < self.concurrency:
                async with self.database.transaction() as session:
                    batch = await deliveries.claim_due(
                        session=session,
                        now=self.clock(),
                        limit=self.batch_size,
                        lease=CLAIM_LEASE,
                        catch_up=self.catch_up,
                    )
                waiting.extend(batch)
                more_due = len(batch) >= self.batch_size
            group = [waiting.popleft() for _ in range(min(self.concurrency, len(waiting)))]
            if not (outcomes or group or unsent):
                break
            mine = await self._record_and_mark(outcomes, group, unsent, report)
            group = [due for due in group if due.delivery_id in mine]
            results = await asyncio.gather(*(self._send(due) for due in group))
            outcomes = list(zip(group, results, strict=True))
        if not self.stopping:
            await self._follow_ups(report)
        return report

    async def _record_and_mark(
        self,
        outcomes: list[tuple[DueNudge, Outcome]],
        starting: list[DueNudge],
        unsent: list[DueNudge],
        report: WaveReport,
    ) -> set[int]:
        """One transaction: what the finished sends came to, the claims handed back, and the
        next nudges marked `sending`. Returns the ids of those this process may now send."""
        by_result: dict[Result, list[tuple[DueNudge, Outcome]]] = {result: [] for result in Result}
        for due, outcome in outcomes:
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
            if unsent:
                await deliveries.release_now(
                    session=session, delivery_ids=[due.delivery_id for due in unsent], now=now
                )
            mine = await deliveries.mark_sending(session=session, nudges=starting)
        if unsent:
            log.info("stopping: %d claimed nudges handed back for the next run", len(unsent))
        report.count(outcome.result for _, outcome in outcomes)
        for name, partner_id in blocked:
            await tell(self.bot, partner_id, texts.partner_blocked(name))
            report.partners_told.append(partner_id)
        return mine

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

    async def _send(self, due: DueNudge) -> Outcome:
        nudge = nudges_by_id().get(due.nudge_id)
        if nudge is None:
            log.error(
                "nudge %s is no longer in the library; delivery %s fails",
                due.nudge_id,
                due.delivery_id,
            )
            return Outcome(Result.FAILED)
        text = _nudge_text(due.nudge_id, due.partner_name, due.welcome_back)
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


@lru_cache(maxsize=4096)
def _nudge_text(nudge_id: str, partner_name: str, welcome_back: bool) -> str:
    """A wave sends each nudge to many people with few distinct names: rendered once each."""
    return texts.nudge_message(nudges_by_id()[nudge_id], partner_name, welcome_back=welcome_back)


def _request_went_out(error: TimedOut) -> bool:
    """A timeout while connecting or waiting for a pooled connection never reached Telegram;
    any other timeout may have, so it counts as sent (a nudge is never sent twice)."""
    return not isinstance(error.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
