"""A per-user limit on what comes in: someone sending faster than anyone types is asked,
once and kindly, to send the rest in a minute.

What counts: new messages and edits in a private chat, and button presses; each costs a
database transaction and usually a reply. At most `per_minute` of them are accepted from
one user in any minute (a sliding window; refused ones do not count, so the user is never
locked out for longer than a minute). Past it, nothing is stored and no handler runs: the
first refused message or edit of a burst is answered with `texts.CATCHING_BREATH` (what was
not kept is said not to be), the rest of the burst gets nothing more; a refused button press
is answered each time with a short notice (Telegram shows it over the chat; the press must
be answered anyway) and tells nothing of messages. The burst ends with the next accepted
update.

`/pause`, `/unpair` and `/delete` and their confirmation buttons always get through and
are not counted: a way out is always one command away.

The counts live in this process's memory: they hold no content, only when a user's last
few updates came, and are forgotten a minute after a user's last one. A restart forgets
them, which at worst lets one more minute's worth in.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.chat import send_now, update_language
from bot.context import Context, services
from bot.i18n import say

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=1)
ALWAYS_ALLOWED_COMMANDS = frozenset({"pause", "unpair", "delete"})
ALWAYS_ALLOWED_BUTTONS = ("pause:", "unpair:", "delete:")


@dataclass
class _Sender:
    accepted: deque[datetime] = field(default_factory=deque)  # the last few, oldest first
    told: bool = False  # the current burst's refusal was said


class IncomingWindow:
    """At most `per_minute` accepted updates per user in any `window`; the clock is the
    caller's (`now` on every call), so it can be tested without waiting."""

    def __init__(self, per_minute: int, window: timedelta = WINDOW) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.window = window
        self._senders: dict[int, _Sender] = {}
        self._swept: datetime | None = None

    def admit(self, user_id: int, now: datetime) -> bool:
        """Whether this update of `user_id` at `now` is accepted (and then counted)."""
        self._forget_quiet_users(now)
        sender = self._senders.setdefault(user_id, _Sender())
        accepted = sender.accepted
        while accepted and accepted[0] <= now - self.window:
            accepted.popleft()
        if len(accepted) < self.per_minute:
            accepted.append(now)
            sender.told = False
            return True
        return False

    def first_refusal(self, user_id: int) -> bool:
        """True once per burst of refusals: the caller tells the user then, not again."""
        sender = self._senders.get(user_id)
        if sender is None or sender.told:
            return False
        sender.told = True
        return True

    @property
    def users(self) -> int:
        """How many users are remembered (those with an update in the last window or so)."""
        return len(self._senders)

    def _forget_quiet_users(self, now: datetime) -> None:
        """At most once a window: forget users with nothing accepted in the last window
        (their next update is accepted whatever was remembered)."""
        if self._swept is not None and now - self._swept < self.window:
            return
        self._swept = now
        quiet = [
            user_id
            for user_id, sender in self._senders.items()
            if not sender.accepted or sender.accepted[-1] <= now - self.window
        ]
        for user_id in quiet:
            del self._senders[user_id]


class IncomingLimit:
    """The handler at the front of every update (group -2 in bot/app.py): a user past the
    limit is told so and nothing else runs for the update."""

    def __init__(self, per_minute: int) -> None:
        self.window = IncomingWindow(per_minute)

    async def check(self, update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None or not counts(update) or always_allowed(update):
            return
        if self.window.admit(user.id, services(context).clock()):
            return
        if update.callback_query is not None:
            await update.callback_query.answer(
                say(texts.CATCHING_BREATH_BUTTON, update_language(update))
            )
        elif self.window.first_refusal(user.id):
            log.info("user %s is past the incoming limit; told once", user.id)
            await send_now(
                context, user.id, texts.CATCHING_BREATH, language=update_language(update)
            )
        raise ApplicationHandlerStop


def counts(update: Update) -> bool:
    """Messages and edits in a private chat, and button presses."""
    if update.callback_query is not None:
        return True
    message = update.message or update.edited_message
    return message is not None and message.chat.type == ChatType.PRIVATE


def always_allowed(update: Update) -> bool:
    """/pause, /unpair, /delete (new messages, as the command handlers take them) and the
    buttons they show."""
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith(ALWAYS_ALLOWED_BUTTONS)
    words = (update.message.text or "").split(maxsplit=1) if update.message is not None else []
    if not words or not words[0].startswith("/"):
        return False
    return words[0][1:].split("@", 1)[0].lower() in ALWAYS_ALLOWED_COMMANDS
