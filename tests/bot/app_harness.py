"""The real `Application`, in process: updates go in as Telegram's JSON through
`process_update`, calls go out through the fake Bot API's `BaseRequest`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.clock import Clock
from bot.config import Settings
from bot.context import Services
from fakegram import FakeTelegram, FakeTelegramRequest, FakeUser, SentMessage
from storage.models import Pair, PairDay, User
from tests.storage.factories import a_couple


@dataclass
class RunningApp:
    application: Application  # type: ignore[type-arg]
    fake: FakeTelegram
    errors: list[BaseException] = field(default_factory=list)

    async def feed(self, update: dict[str, Any]) -> None:
        """Processes one update exactly as polling would (errors go to the error handlers)."""
        parsed = Update.de_json(update, self.application.bot)
        assert parsed is not None
        await self.application.process_update(parsed)

    @property
    def services(self) -> Services:
        services: Services = self.application.bot_data.services
        return services

    @asynccontextmanager
    async def stored(self) -> AsyncIterator[AsyncSession]:
        """A session on the bot's own database, to read (or arrange) what is stored."""
        async with self.services.database.transaction() as session:
            yield session

    async def send(self, user: FakeUser, text: str) -> list[SentMessage]:
        """`user` sends `text`; returns the bot's new messages in their chat."""
        before = len(self.fake.sent_to(user.id))
        await self.feed(self.fake.send_text(user, text))
        return self.fake.sent_to(user.id)[before:]

    async def tap(self, user: FakeUser, message: SentMessage, label: str) -> list[SentMessage]:
        """`user` taps the button with this label; returns the bot's new messages to them."""
        before = len(self.fake.sent_to(user.id))
        await self.feed(self.fake.press_button_text(user, message.message_id, label))
        return self.fake.sent_to(user.id)[before:]

    async def press(self, user: FakeUser, message_id: int, data: str) -> dict[str, Any]:
        """`user` presses a button with this callback data, real or forged; returns the
        answer to the press (`text`, `show_alert`)."""
        answers = len(self.fake.callback_answers())
        await self.feed(self.fake.press_button(user, message_id, data, forged=True))
        assert len(self.fake.callback_answers()) == answers + 1, "the press was not answered"
        return dict(self.fake.callback_answers()[-1])

    async def send_due_nudges(self) -> None:
        """One dispatcher wave at the clock's now, as the running bot's tick would start."""
        await self.services.dispatcher.run()

    def now_showing(self, user: FakeUser, message_id: int) -> SentMessage:
        """The bot's message with this id in `user`'s chat, as it is now (after edits)."""
        return next(m for m in self.fake.sent_to(user.id) if m.message_id == message_id)


@asynccontextmanager
async def running_app(
    fake: FakeTelegram,
    *,
    database_url: str,
    clock: Clock,
    token: str,
    settings: Mapping[str, str] | None = None,
    request: FakeTelegramRequest | None = None,
) -> AsyncIterator[RunningApp]:
    """Builds the bot as `python -m bot` would (same handlers, same start-up), without polling
    or the dispatcher tick; unhandled handler errors are collected in `errors`.

    `settings` adds to (or overrides) the environment the bot reads (ANSWER_ENCRYPTION_KEY,
    say); `request` replaces the fake Bot API's request for calls (not for getUpdates)."""
    values = {"TELEGRAM_BOT_TOKEN": token, "DATABASE_URL": database_url}
    values |= {"MAX_MESSAGES_PER_SECOND": "0"} | dict(settings or {})
    application = build_application(
        Settings.from_values(values),
        clock=clock,
        requests=(
            request or FakeTelegramRequest(fake, read_timeout=2),
            FakeTelegramRequest(fake),
        ),
    )
    running = RunningApp(application, fake)

    async def record(update: object, context: Any) -> None:
        if context.error is not None:
            running.errors.append(context.error)

    application.add_error_handler(record)
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        try:
            yield running
        finally:
            assert application.post_shutdown is not None
            await application.post_shutdown(application)


async def onboard(app: RunningApp, user: FakeUser, *, city: str = "Berlin") -> None:
    """`user` sends /start, their city and 8:00, as a newcomer would."""
    for text in ("/start", city, "8:00"):
        await app.feed(app.fake.send_text(user, text))


async def pair_up(app: RunningApp, fake: FakeTelegram, first: FakeUser, second: FakeUser) -> None:
    """Both onboard in Berlin with an 8:00 nudge; `first` invites, `second` joins."""
    for user in (first, second):
        await onboard(app, user)
    await app.feed(fake.send_text(first, "/invite"))
    code = re.search(r"/join ([A-Za-z0-9_-]{24})", fake.texts_to(first.id)[-1])
    assert code is not None
    await app.feed(fake.send_text(second, f"/join {code[1]}"))


async def a_paired_couple(
    app: RunningApp,
    first: FakeUser,
    second: FakeUser,
    *,
    now: datetime,
    first_zone: str = "Europe/Berlin",
    second_zone: str = "Europe/Berlin",
    nudge_time: time = time(8, 0),
) -> Pair:
    """Stored directly (no messages): `first` and `second`, set up with a nudge at
    `nudge_time`, paired at `now`."""
    async with app.stored() as session:
        a, b, pair = await a_couple(
            session,
            first.id,
            second.id,
            a_zone=first_zone,
            b_zone=second_zone,
            a_time=nudge_time,
            b_time=nudge_time,
            now=now,
        )
        a.first_name, b.first_name = first.first_name, second.first_name
        return pair


async def fix_nudges(app: RunningApp, pair_id: int, nudges: Mapping[date, str]) -> None:
    """The pair's nudge for each of these dates is this one (not chosen)."""
    async with app.stored() as session:
        await session.exec(
            insert(PairDay).values(
                [
                    {"pair_id": pair_id, "local_date": day, "nudge_id": nudge_id}
                    for day, nudge_id in nudges.items()
                ]
            )
        )


async def pair_up_with_nudges(
    app: RunningApp,
    fake: FakeTelegram,
    first: FakeUser,
    second: FakeUser,
    nudges: Mapping[date, str],
) -> None:
    """`pair_up`, then the pair's nudge for each of these dates is fixed (not chosen)."""
    await pair_up(app, fake, first, second)
    async with app.stored() as session:
        user = await session.get(User, first.id)
        assert user is not None and user.pair_id is not None
        pair_id = user.pair_id
    await fix_nudges(app, pair_id, nudges)
