"""`python -m bot` runs the bot; `migrate` only applies migrations; `rotate-key` re-seals every
answer and check-in text under the first key of ANSWER_ENCRYPTION_KEY, sealing those still
stored in the clear (`encrypt-existing` is its older name)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot.app import run
from bot.clock import Clock, demo_clock, file_clock, system_clock
from bot.config import ConfigError, Settings, configure_logging
from storage import crypto
from storage.db import AlreadyRunning, Database, lock_sqlite_file, loose_sqlite_files
from storage.migrate import upgrade_to_head

log = logging.getLogger("bot")


async def _check_token(settings: Settings) -> None:
    """One getMe before anything else, so a wrong token is one clear line, not a traceback."""
    bot = Bot(settings.token, base_url=settings.api_base_url or "https://api.telegram.org/bot")
    async with bot:
        await bot.get_me()


async def _prepare_database(settings: Settings, *, rotate_key: bool = False) -> None:
    """Migrations, then the answer key checked against what is stored (or used to re-seal
    it)."""
    database = Database(settings.database_url)
    try:
        await upgrade_to_head(database)
        if rotate_key:
            rotation = await crypto.rotate(database)
            print(
                f"couplet: rotate-key touched {rotation.touched} answer and check-in texts "
                f"({rotation.resealed} re-sealed under the first key, "
                f"{rotation.sealed_from_clear} sealed that were stored in the clear); "
                f"{len(rotation.unreadable)} no key opens, left as they are"
            )
            log.info("rotate-key touched %d answer and check-in texts", rotation.touched)
        await crypto.check_key_opens_answers(database)
    finally:
        await database.dispose()


def _warn_if_readable_by_others(settings: Settings) -> None:
    """One line when the SQLite file (or its -wal/-shm) is open to other local users: it
    holds what couples wrote. Said, not changed: the file is the operator's."""
    loose = loose_sqlite_files(settings.database_url)
    if loose:
        names = " ".join(str(path) for path in loose)
        log.warning(
            "the database file can be read by other users of this machine: %s "
            "(chmod 600 %s makes it private)",
            names,
            names,
        )


def _clock(settings: Settings) -> Clock:
    """The real time; the e2e tests' (COUPLET_TEST_CLOCK_FILE) or the playground's
    (DEMO_CLOCK_FILE, checked by Settings) when set."""
    test_clock = os.environ.get("COUPLET_TEST_CLOCK_FILE")
    if test_clock:
        return file_clock(Path(test_clock))
    if settings.demo_clock_file is not None:
        return demo_clock(settings.demo_clock_file)
    return system_clock


def _fail(message: str, code: int = 2) -> int:
    print(f"couplet: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Couplet, the bot.")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "migrate", "rotate-key", "encrypt-existing"],
    )
    arguments = parser.parse_args(argv)
    try:
        settings = Settings.load()
    except ConfigError as error:
        return _fail(str(error))
    configure_logging(settings)
    _warn_if_readable_by_others(settings)
    try:
        crypto.configure(settings.answer_encryption_key)
        if arguments.command != "run":
            asyncio.run(
                _prepare_database(
                    settings, rotate_key=arguments.command in ("rotate-key", "encrypt-existing")
                )
            )
            log.info("database is up to date")
            return 0

        lock = lock_sqlite_file(settings.database_url)  # held until the process ends
        asyncio.run(_check_token(settings))
        asyncio.run(_prepare_database(settings))
        # What start-up loaded (modules, the nudge library, the migrated schema's metadata)
        # stays for the life of the process: out of the collector's way, so collections scan
        # only what a wave or an update creates.
        gc.collect()
        gc.freeze()
        run(settings, clock=_clock(settings))
        del lock

    except AlreadyRunning as error:
        return _fail(
            f"another Couplet process is already using {error}. SQLite serves one process; "
            "for several, use PostgreSQL (DATABASE_URL=postgresql://…)."
        )
    except crypto.EncryptionKeyError as error:
        return _fail(f"{error}.")
    except InvalidToken:
        return _fail("Telegram rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather.")
    except NetworkError as error:
        return _fail(f"cannot reach the Telegram Bot API ({error}).", 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
