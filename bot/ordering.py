"""Updates from different chats are handled at the same time; one chat's, one after the other.

A user's second message adds to the answer their first one started, an edit follows the
message it edits, a button press follows the message before it: so updates of one chat are
processed strictly in the order they came. Updates of different chats do not wait for each
other (the answer of one user waits for no one else's database round trips or Bot API
calls). Two partners acting at once are separated in the database (see
`storage.answers.lock_pair_day`).

An update takes one of the places to be processed only once its chat's previous update is
finished: a chat with many updates waiting for their turn (someone sending texts as fast as
they type) holds one place, never all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

CONCURRENT_UPDATES = 16  # updates being processed at once, across all chats
# PTB's own gate (`process_update`'s semaphore) only counts updates handed over and not yet
# finished, waiting or not. Polling hands every fetched update over at once anyway (a task
# each), and a webhook has at most Telegram's `max_connections` requests open, so this is a
# bound that is never reached, kept because PTB wants one.
HANDED_OVER_UPDATES = 1_000_000


class InOrderPerChat(BaseUpdateProcessor):
    """PTB's update processor: in order per chat, at most `processing_limit` processed at once.

    Every update handed over enters at once (PTB's gate is `HANDED_OVER_UPDATES` wide) and,
    before it waits for anything, registers behind the previous update of its chat, so
    they keep their arrival order. Once that one is finished it queues for one of the
    `processing_limit` places (first come, first served: asyncio's semaphore is fair). An
    update waiting for its chat's turn holds no place; a chat has at most one.
    """

    def __init__(self, processing_limit: int = CONCURRENT_UPDATES) -> None:
        super().__init__(HANDED_OVER_UPDATES)
        if processing_limit < 1:
            raise ValueError("processing_limit must be at least 1")
        self.processing_limit = processing_limit
        self._places = asyncio.Semaphore(processing_limit)
        self._last: dict[int, asyncio.Future[None]] = {}  # per chat: the latest one's end

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            async with self._places:
                await coroutine
            return
        previous = self._last.get(key)
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = finished
        try:
            if previous is not None and not previous.done():
                await asyncio.wait({previous})  # (a cancelled wait leaves `previous` alone)
            async with self._places:
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
