"""`python -m bot` runs the bot; `python -m bot migrate` only applies migrations."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.app import run
from bot.clock import file_clock, system_clock
from bot.config import ConfigError, Settings, configure_logging
from storage.db import Database
from storage.migrate import upgrade_to_head

log = logging.getLogger("bot")


async def _check_token(settings: Settings) -> None:
    """One getMe before anything else, so a wrong token is one clear line, not a traceback."""
    bot = Bot(
        settings.token,
        base_url=settings.api_base_url or "https://api.telegram.org/bot",
    )
    async with bot:
        await bot.get_me()


async def _migrate(settings: Settings) -> None:
    database = Database(settings.database_url)
    try:
        await upgrade_to_head(database)
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Couplet, the bot.")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate"])
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.load()
    except ConfigError as error:
        print(f"couplet: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        if arguments.command == "migrate":
            asyncio.run(_migrate(settings))
            log.info("database is up to date")
        else:
            if settings.webhook_url is not None:
                print(
                    "couplet: webhook mode is not available yet; unset WEBHOOK_URL to poll.",
                    file=sys.stderr,
                )
                return 2
            asyncio.run(_check_token(settings))
            test_clock = os.environ.get("COUPLET_TEST_CLOCK_FILE")
            run(settings, clock=file_clock(Path(test_clock)) if test_clock else system_clock)
    except InvalidToken:
        print(
            "couplet: Telegram rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather.",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        print(f"couplet: cannot reach the Telegram Bot API ({error}).", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
