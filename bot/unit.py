"""One unit of work per update: a transaction, the sender, and the messages to send after.

A handler decorated with `@unit_of_work` takes a `Unit` (then any arguments of its own):

    @unit_of_work
    async def resume(unit: Unit[User]) -> None:
        pair = await pairs.resume(session=unit.session, user=unit.sender, now=unit.now)
        unit.reply(texts.resumed(...) if pair else texts.NOT_PAUSED)

The wrapper opens the transaction, finds or creates the sender (someone who had blocked the
bot and writes again is back), runs the handler, commits, and only then sends what the handler
queued, in order. If the handler or the commit fails, nothing queued is sent and the error
reaches the error handler (bot/errors.py), which gives the user its kind reply.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Concatenate, Generic, ParamSpec, TypeVar

from telegram import Bot, Update
from telegram.error import Forbidden, TelegramError

from bot.chat import (
    Markup,
    find_or_create_sender,
    language_of,
    send_if_possible,
    sender_id,
    update_language,
)
from bot.context import Context, Services, services
from bot.i18n import say
from nudges.languages import Language
from storage import users
from storage.db import Session
from storage.models import User

log = logging.getLogger(__name__)

P = ParamSpec("P")
S = TypeVar("S", bound=User | None)  # the sender: always there, or None if unknown
Send = Callable[[], Awaitable[object]]


@dataclass
class Unit(Generic[S]):
    """What a handler works with: the update, the open session, the sender's row, the time
    the update is handled at, and the messages to send once the transaction is committed."""

    update: Update
    context: Context
    session: Session
    sender: S
    now: datetime
    sender_is_new: bool = False  # the sender's row was created by this update
    _outbox: list[tuple[Send, bool]] = field(default_factory=list)

    def with_sender(self, sender: User, *, is_new: bool = False) -> Unit[User]:
        """The same unit of work (same session, same queue), with the sender's row."""
        return Unit(self.update, self.context, self.session, sender, self.now, is_new, self._outbox)

    async def found_or_created(self) -> Unit[User]:
        """The same unit of work with the sender found or created (as `unit_of_work` does)."""
        sender, created = await find_or_create_sender(
            session=self.session, update=self.update, now=self.now
        )
        return self.with_sender(sender, is_new=created)

    @property
    def sender_id(self) -> int:
        """The acting user, always from the update itself."""
        return sender_id(self.update)

    @property
    def bot(self) -> Bot:
        return self.context.bot

    @property
    def services(self) -> Services:
        return services(self.context)

    @property
    def language(self) -> Language:
        """The sender's language (from Telegram's code while the sender is unknown)."""
        return language_of(self.sender) if self.sender is not None else update_language(self.update)

    def say(self, text: str) -> str:
        """A text in the sender's language (for a button's answer, a redraw, a label)."""
        return say(text, self.language)

    def reply(self, text: str, markup: Markup | None = None) -> None:
        """Queues a message (HTML) to the sender, said in their language when it is sent. If
        it cannot be sent, the error handler hears of it (and tries to say so); the messages
        queued after it are not sent."""
        chat_id, bot = self.sender_id, self.bot

        async def send() -> object:
            return await bot.send_message(chat_id, self.say(text), reply_markup=markup)

        self._outbox.append((send, False))

    def notify(self, to: User, text: str, markup: Markup | None = None) -> None:
        """Queues a message (HTML) to someone other than the sender (usually the partner),
        said in `to`'s own language. If it cannot be delivered, that is logged: the change it
        reports is saved already."""
        bot = self.bot
        self._outbox.append(
            (lambda: send_if_possible(bot, to.id, text, language_of(to), markup), True)
        )

    def then(self, send: Send, *, quiet: bool = False) -> None:
        """Queues any other call to Telegram (a button's answer, a redraw, shared parts).
        `quiet`: a Telegram error is logged and the next send goes on (for what goes to
        the partner); otherwise it reaches the error handler."""
        self._outbox.append((send, quiet))

    async def send_queued(self) -> None:
        outbox = list(self._outbox)
        self._outbox.clear()
        for send, quiet in outbox:
            if not quiet:
                await send()
                continue
            try:
                await send()
            except Forbidden:
                log.info("a partner has blocked the bot; a message was not delivered")
            except TelegramError as error:
                log.warning("a message was not delivered: %s", error.message)


def unit_of_work(
    handler: Callable[Concatenate[Unit[User], P], Awaitable[None]],
) -> Callable[Concatenate[Update, Context, P], Awaitable[None]]:
    """The handler runs in one transaction with the sender found or created; what it queued
    on the unit is sent after the commit."""

    @functools.wraps(handler)
    async def run(update: Update, context: Context, *args: P.args, **kwargs: P.kwargs) -> None:
        now = services(context).clock()
        async with services(context).database.transaction() as session:
            sender, created = await find_or_create_sender(session=session, update=update, now=now)
            unit = Unit(update, context, session, sender, now, created)
            await handler(unit, *args, **kwargs)
        await unit.send_queued()

    return run


def unit_of_work_if_known(
    handler: Callable[Concatenate[Unit[User | None], P], Awaitable[None]],
) -> Callable[Concatenate[Update, Context, P], Awaitable[None]]:
    """As `unit_of_work`, but the sender is only looked up (None if unknown, nothing
    created): for what must not bring someone back (deleting their data, an edit) and for
    the router, which decides first."""

    @functools.wraps(handler)
    async def run(update: Update, context: Context, *args: P.args, **kwargs: P.kwargs) -> None:
        now = services(context).clock()
        async with services(context).database.transaction() as session:
            sender = await users.find(session=session, user_id=sender_id(update))
            unit: Unit[User | None] = Unit(update, context, session, sender, now)
            await handler(unit, *args, **kwargs)
        await unit.send_queued()

    return run
