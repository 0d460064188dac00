"""Updates from different chats are handled at the same time; one chat's, one after the other.

A user's second message adds to the answer their first one started, an edit follows the
message it edits, a button press follows the message before it: so updates of one chat are
processed strictly in the order they came. Updates of different chats do not wait for each
other (the answer of one user waits for no one else's database round trips or Bot API
calls). Two partners acting at once are separated in the database (see
`storage.answers.lock_pair_day`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

CONCURRENT_UPDATES = 16  # updates in progress at once, across all chats


class InOrderPerChat(BaseUpdateProcessor):
    """PTB's update processor: at most `max_concurrent_updates` at once, in order per chat.

    PTB's semaphore lets updates in first come, first served (asyncio's semaphore is fair),
    so each one registers behind the previous update of its chat in arrival order; it then
    waits for that one to finish. A waiting update never holds back its predecessor, which
    came in (and got its slot) first.
    """

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._last: dict[int, asyncio.Future[None]] = {}  # per chat: the latest one's end

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        previous = self._last.get(key)
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = finished
        try:
            if previous is not None and not previous.done():
                await asyncio.wait({previous})  # (a cancelled wait leaves `previous` alone)
            await coroutine
        finally:
            finished.set_result(None)
            if self._last.get(key) is finished:
                del self._last[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for the updates in progress before this."""


def chat_key(update: object) -> int | None:
    """The chat whose order an update keeps (its user's, if it has no chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None
