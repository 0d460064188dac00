"""The real `Application`, in process: updates go in as Telegram's JSON through
`process_update`, calls go out through the fake Bot API's `BaseRequest`."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.clock import Clock
from bot.config import Settings
from bot.context import Services
from storage.models import PairDay, User
from tests.fakebot import FakeTelegram, FakeTelegramRequest, FakeUser


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


async def pair_up(app: RunningApp, fake: FakeTelegram, first: FakeUser, second: FakeUser) -> None:
    """Both onboard in Berlin with an 8:00 nudge; `first` invites, `second` joins."""
    for user in (first, second):
        await app.feed(fake.send_text(user, "/start"))
        await app.feed(fake.send_text(user, "Berlin"))
        await app.feed(fake.send_text(user, "8:00"))
    await app.feed(fake.send_text(first, "/invite"))
    code = re.search(r"/join ([A-Za-z0-9_-]{24})", fake.texts_to(first.id)[-1])
    assert code is not None
    await app.feed(fake.send_text(second, f"/join {code[1]}"))


async def pair_up_with_nudges(
    app: RunningApp,
    fake: FakeTelegram,
    first: FakeUser,
    second: FakeUser,
    nudges: Mapping[date, str],
) -> None:
    """`pair_up`, then the pair's nudge for each of these dates is fixed (not chosen)."""
    await pair_up(app, fake, first, second)
    services: Services = app.application.bot_data.services
    async with services.database.transaction() as session:
        user = await session.get(User, first.id)
        assert user is not None and user.pair_id is not None
        await session.exec(
            insert(PairDay).values(
                [
                    {"pair_id": user.pair_id, "local_date": day, "nudge_id": nudge_id}
                    for day, nudge_id in nudges.items()
                ]
            )
        )
