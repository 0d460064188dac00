"""A global pace for outgoing messages, so a wave of nudges stays under Telegram's limits.

Telegram allows about 30 messages a second per bot and answers 429 (`RetryAfter`) beyond
that. PTB's `AIORateLimiter` allows bursts, which a strict server window punishes; this
limiter spaces message-sending calls evenly instead, and when Telegram still says 429 it
pauses every sender for as long as it was told, then retries.

Even spacing alone books slots ahead: after a stall (a GC pause, a slow query holding the
event loop) the slots already booked have passed and their sends go out together. So the
limiter also counts what actually went out: never more than `floor(per_second)` sends in
any trailing second (plus a small margin for the way to the server).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "copyMessage",
        "sendDocument",
        "sendPhoto",
        "sendVoice",
        "sendVideo",
        "sendVideoNote",
        "sendAudio",
        "sendAnimation",
        "sendSticker",
        "forwardMessage",
    }
)


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB gives an int or a timedelta)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# Sends counted in a trailing window a little over a second: what leaves here within one
# second may reach Telegram a few milliseconds closer together.
WINDOW_SECONDS = 1.005


class PacedRateLimiter(BaseRateLimiter[None]):
    """Message sends evenly spaced at `per_second`, and never more than `floor(per_second)`
    of them in any trailing `WINDOW_SECONDS`, by the times they really went out (so a stall
    never turns into a burst); retries after a 429."""

    def __init__(self, per_second: float, *, max_retries: int = 3) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self._interval = 1.0 / per_second
        self._max_retries = max_retries
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._sent: deque[float] = deque(maxlen=max(1, math.floor(per_second)))

    async def initialize(self) -> None:
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._sent.clear()

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in SENDING_METHODS:
            return await callback(*args, **kwargs)
        attempt = 0
        while True:
            await self._wait_for_slot()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                attempt += 1
                if attempt > self._max_retries:
                    raise
                wait = retry_seconds(error)
                log.warning("Telegram asked to slow down: pausing sends for %.1f s", wait)
                loop_now = asyncio.get_running_loop().time()
                self._paused_until = max(self._paused_until, loop_now + wait)

    async def _wait_for_slot(self) -> None:
        """Reserves the next free slot (synchronously, so concurrent senders never share one),
        then waits until the trailing window has room; the send is counted as it leaves."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot, self._paused_until)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
        while True:
            now = loop.time()
            full = len(self._sent) == self._sent.maxlen
            ready = max(self._paused_until, self._sent[0] + WINDOW_SECONDS if full else 0.0)
            if ready <= now:
                break
            await asyncio.sleep(ready - now)
        self._sent.append(now)  # no await since the check: concurrent senders see it
