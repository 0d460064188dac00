"""Settings from the environment and an optional `.env` file (SPEC: Configuration)."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from nudges.times import parse_time_of_day
from nudges.zones import is_valid_zone
from storage import crypto
from storage.db import DEFAULT_DATABASE_URL, DatabaseUrlError, async_database_url

_TOKEN = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,64}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Where a Bot API on this machine listens: the only place a demo clock may be used with.
_THIS_MACHINE = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line telling what to do."""


# Telegram allows about 30 messages a second per token; every instance shares this pace
# (bot/pacing.py), which uses at most floor(this) + 1 slots in any second: 30 at 29.
DEFAULT_MAX_MESSAGES_PER_SECOND = 29.0
# With PAID_BROADCAST=true the nudges go as paid broadcasts, which Telegram allows up to
# 1,000 a second (charging Telegram Stars above the free rate), at this pace of their own.
DEFAULT_PAID_BROADCAST_RATE = 500.0
# Messages, edits and button presses one user may send in a minute before the bot asks them
# to send the rest a minute later (bot/flood.py); far above what anyone types.
DEFAULT_INCOMING_MESSAGES_PER_MINUTE = 20


@dataclass(frozen=True)
class Settings:
    token: str
    api_base_url: str | None
    database_url: str
    webhook_url: str | None
    webhook_secret: str | None
    port: int
    default_timezone: str
    default_nudge_time: time
    log_level: str
    dispatch_interval: float = 5.0
    catch_up: timedelta = timedelta(hours=3)
    max_messages_per_second: float = DEFAULT_MAX_MESSAGES_PER_SECOND
    paid_broadcast: bool = False  # nudges sent with allow_paid_broadcast, at their own pace
    paid_broadcast_rate: float = DEFAULT_PAID_BROADCAST_RATE
    answer_encryption_key: str | None = None  # Fernet keys, comma-separated; the first seals
    incoming_messages_per_minute: int = DEFAULT_INCOMING_MESSAGES_PER_MINUTE
    # The playground's time travel (`make demo`): a file holding how many seconds ahead of the
    # real time the bot's clock runs; only with a Bot API on this machine (bot/clock.py).
    demo_clock_file: Path | None = None

    @property
    def answer_encryption_keys(self) -> tuple[str, ...]:
        if self.answer_encryption_key is None:
            return ()
        return tuple(self.answer_encryption_key.split(","))

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never appear in a log line."""
        return (self.token, self.webhook_secret or "", *self.answer_encryption_keys)

    @property
    def api_file_url(self) -> str | None:
        """The file URL matching `api_base_url` (`…/bot` -> `…/file/bot`)."""
        if self.api_base_url is None:
            return None
        base, _, tail = self.api_base_url.rstrip("/").rpartition("/")
        return f"{base}/file/{tail}"

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        """Settings from `environ` (default: the process's), `.env` filling in what is unset."""
        values: dict[str, str] = {}
        file = env_file if env_file is not None else Path(".env")
        if file.is_file():
            values |= {k: v for k, v in dotenv_values(file).items() if v is not None}
        values |= dict(os.environ if environ is None else environ)
        return cls.from_values(values)

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put "
                "TELEGRAM_BOT_TOKEN=... in .env (see .env.example)."
            )
        if not _TOKEN.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then "
                "letters): copy it again from @BotFather."
            )

        database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
        try:
            async_database_url(database_url)
        except DatabaseUrlError as error:
            raise ConfigError(f"DATABASE_URL is not usable: {error}.") from None

        webhook_url = get("WEBHOOK_URL")
        webhook_secret = get("WEBHOOK_SECRET")
        if webhook_url is not None:
            if not webhook_url.startswith("https://"):
                raise ConfigError("WEBHOOK_URL must be a public https:// URL.")
            if webhook_secret is None or not _SECRET.match(webhook_secret):
                raise ConfigError(
                    "WEBHOOK_SECRET must be set with WEBHOOK_URL: 1-256 characters of "
                    "A-Z, a-z, 0-9, _ and -."
                )

        port_text = get("PORT") or "8080"
        if not re.fullmatch(r"[0-9]{1,5}", port_text) or not 0 < int(port_text) < 65536:
            raise ConfigError(f"PORT must be a port number, not {port_text!r}.")

        default_timezone = get("DEFAULT_TIMEZONE") or "UTC"
        if not is_valid_zone(default_timezone):
            raise ConfigError(
                f"DEFAULT_TIMEZONE {default_timezone!r} is not an IANA zone name "
                "(like Europe/Berlin)."
            )
        default_time = parse_time_of_day(get("DEFAULT_NUDGE_TIME") or "08:00")
        if default_time is None:
            raise ConfigError("DEFAULT_NUDGE_TIME must be a time like 08:00.")

        log_level = (get("LOG_LEVEL") or "INFO").upper()
        if log_level not in _LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LEVELS)}.")

        dispatch_interval = _number(
            get("DISPATCH_INTERVAL_SECONDS") or "5", "DISPATCH_INTERVAL_SECONDS"
        )
        if not 0.05 <= dispatch_interval <= 300:
            raise ConfigError("DISPATCH_INTERVAL_SECONDS must be between 0.05 and 300.")
        catch_up_hours = _number(get("CATCH_UP_HOURS") or "3", "CATCH_UP_HOURS")
        if not 0 <= catch_up_hours <= 23:
            raise ConfigError("CATCH_UP_HOURS must be between 0 and 23.")
        max_rate = _number(
            get("MAX_MESSAGES_PER_SECOND") or str(DEFAULT_MAX_MESSAGES_PER_SECOND),
            "MAX_MESSAGES_PER_SECOND",
        )
        if not 0 <= max_rate <= 1000:
            raise ConfigError("MAX_MESSAGES_PER_SECOND must be between 0 (no limit) and 1000.")

        paid_broadcast = _switch(get("PAID_BROADCAST") or "false", "PAID_BROADCAST")
        paid_rate = _number(
            get("PAID_BROADCAST_RATE") or str(DEFAULT_PAID_BROADCAST_RATE), "PAID_BROADCAST_RATE"
        )
        if not 1 <= paid_rate <= 1000:
            raise ConfigError(
                "PAID_BROADCAST_RATE must be between 1 and 1000 (Telegram allows paid "
                "broadcasts up to 1000 messages a second)."
            )

        incoming_text = get("INCOMING_MESSAGES_PER_MINUTE") or str(
            DEFAULT_INCOMING_MESSAGES_PER_MINUTE
        )
        if not re.fullmatch(r"[0-9]{1,6}", incoming_text) or int(incoming_text) > 100_000:
            raise ConfigError(
                "INCOMING_MESSAGES_PER_MINUTE must be a whole number from 0 (no limit) to 100000."
            )

        api_base_url = get("TELEGRAM_API_BASE_URL")
        if api_base_url is not None and not api_base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "TELEGRAM_API_BASE_URL must be an http(s) URL like http://127.0.0.1:8081/bot."
            )

        demo_clock_file = get("DEMO_CLOCK_FILE")
        if demo_clock_file is not None and not _on_this_machine(api_base_url):
            raise ConfigError(
                "DEMO_CLOCK_FILE is for the playground only (make demo): it needs "
                "TELEGRAM_API_BASE_URL on this machine, like http://127.0.0.1:8765/bot."
            )

        return cls(
            token=token,
            api_base_url=api_base_url,
            database_url=database_url,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            port=int(port_text),
            default_timezone=default_timezone,
            default_nudge_time=default_time,
            log_level=log_level,
            dispatch_interval=dispatch_interval,
            catch_up=timedelta(hours=catch_up_hours),
            max_messages_per_second=max_rate,
            paid_broadcast=paid_broadcast,
            paid_broadcast_rate=paid_rate,
            answer_encryption_key=_encryption_key(get("ANSWER_ENCRYPTION_KEY")),
            incoming_messages_per_minute=int(incoming_text),
            demo_clock_file=Path(demo_clock_file) if demo_clock_file is not None else None,
        )


def _on_this_machine(url: str | None) -> bool:
    """True when `url` is an http(s) address of this machine (a fake Bot API, never Telegram)."""
    if url is None:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host in _THIS_MACHINE


def _encryption_key(value: str | None) -> str | None:
    """The key list, normalized to `key1,key2` (spaces around commas dropped)."""
    if value is None:
        return None
    try:
        crypto.parse_keys(value)
    except crypto.EncryptionKeyError as error:
        raise ConfigError(
            f'{error}. Make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from None
    return ",".join(entry.strip() for entry in value.split(","))


def _switch(text: str, name: str) -> bool:
    value = text.lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"{name} must be true or false, not {text!r}.")


def _number(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {text!r}.") from None


class RedactingFormatter(logging.Formatter):
    """Formats records, then removes secrets from the whole text, tracebacks included."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(settings: Settings) -> None:
    """Logs to stderr at LOG_LEVEL; never the token; never httpx's request lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            list(settings.secrets),
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    logging.getLogger("apscheduler.scheduler").addFilter(_without_skipped_ticks)


def _without_skipped_ticks(record: logging.LogRecord) -> bool:
    """APScheduler warns at every tick skipped because the last one still runs; the dispatch
    tick runs as long as its wave (or a send waiting for Telegram to answer) takes, and the
    next tick after it picks up whatever is due: nothing is missed, nothing to warn about."""
    return "maximum number of running instances reached" not in record.getMessage()
