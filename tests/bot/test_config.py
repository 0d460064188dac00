import logging
from datetime import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.config import ConfigError, RedactingFormatter, Settings

TOKEN = "123456:" + "A" * 35


def test_only_the_token_is_needed() -> None:
    settings = Settings.from_values({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings.database_url == "sqlite+aiosqlite:///couplet.sqlite3"
    assert settings.default_timezone == "UTC"
    assert settings.default_nudge_time == time(8, 0)
    assert settings.port == 8080
    assert settings.api_base_url is None
    assert settings.incoming_messages_per_minute == 20
    assert settings.paid_broadcast is False
    assert settings.paid_broadcast_rate == 500


def test_paid_broadcasts_are_switched_on_with_their_own_pace() -> None:
    settings = Settings.from_values(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "PAID_BROADCAST": "true", "PAID_BROADCAST_RATE": "800"}
    )
    assert settings.paid_broadcast is True
    assert settings.paid_broadcast_rate == 800


def test_a_local_bot_api_server_gets_matching_file_urls() -> None:
    settings = Settings.from_values(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}
    )
    assert settings.api_file_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "   "}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "hello"}, "does not look like a bot token"),
        ({"DATABASE_URL": "mysql://a/b"}, "DATABASE_URL is not usable"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL is not usable"),
        ({"WEBHOOK_URL": "https://x.example/hook"}, "WEBHOOK_SECRET must be set"),
        ({"WEBHOOK_URL": "http://x.example/hook", "WEBHOOK_SECRET": "s"}, "https://"),
        ({"WEBHOOK_URL": "https://x.example", "WEBHOOK_SECRET": "a b"}, "WEBHOOK_SECRET"),
        ({"PORT": "http"}, "PORT must be a port number"),
        ({"PORT": "²"}, "PORT must be a port number"),
        ({"PORT": "9" * 5000}, "PORT must be a port number"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
        ({"DEFAULT_NUDGE_TIME": "noonish"}, "DEFAULT_NUDGE_TIME"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"INCOMING_MESSAGES_PER_MINUTE": "-1"}, "INCOMING_MESSAGES_PER_MINUTE"),
        ({"INCOMING_MESSAGES_PER_MINUTE": "2.5"}, "INCOMING_MESSAGES_PER_MINUTE"),
        ({"INCOMING_MESSAGES_PER_MINUTE": "²"}, "INCOMING_MESSAGES_PER_MINUTE"),
        ({"INCOMING_MESSAGES_PER_MINUTE": "9" * 5000}, "INCOMING_MESSAGES_PER_MINUTE"),
        ({"PAID_BROADCAST": "sometimes"}, "PAID_BROADCAST must be true or false"),
        ({"PAID_BROADCAST_RATE": "5000"}, "PAID_BROADCAST_RATE must be between 1 and 1000"),
        ({"PAID_BROADCAST_RATE": "0"}, "PAID_BROADCAST_RATE must be between 1 and 1000"),
        ({"PAID_BROADCAST_RATE": "nan"}, "PAID_BROADCAST_RATE must be between 1 and 1000"),
        ({"PAID_BROADCAST_RATE": "fast"}, "PAID_BROADCAST_RATE must be a number"),
    ],
)
def test_bad_settings_stop_with_one_clear_line(values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        Settings.from_values({"TELEGRAM_BOT_TOKEN": TOKEN, **values} if values else {})
    assert "\n" not in str(error.value)
    if "TELEGRAM_BOT_TOKEN" not in values:
        assert TOKEN not in str(error.value)


def test_a_dot_env_file_fills_in_what_the_environment_does_not_set(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nDEFAULT_TIMEZONE=Europe/Berlin\n")
    settings = Settings.load({"DEFAULT_TIMEZONE": "Asia/Tokyo"}, env_file=env_file)
    assert settings.token == TOKEN
    assert settings.default_timezone == "Asia/Tokyo"


def test_the_log_formatter_removes_the_token_even_from_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s", [TOKEN])
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{TOKEN}/x",), exc_info=None
        )
        import sys

        record.exc_info = sys.exc_info()
        text = formatter.format(record)
    assert TOKEN not in text
    assert "[redacted]" in text
    assert "RuntimeError" in text


def test_the_answer_key_may_be_a_list_the_first_sealing_and_each_redacted() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings.from_values(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "ANSWER_ENCRYPTION_KEY": f" {first} , {second}"}
    )
    assert settings.answer_encryption_keys == (first, second)
    formatter = RedactingFormatter("%(message)s", list(settings.secrets))
    record = logging.LogRecord("x", logging.INFO, "f", 1, f"{first} {second}", None, None)
    assert formatter.format(record) == "[redacted] [redacted]"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("{a},not-a-key,{b}", "key 2 of 3 is not a valid key"),
        ("{a},", "key 2 of 2 is empty"),
        ("{a}, ,{b}", "key 2 of 3 is empty"),
        ("not-a-key", "ANSWER_ENCRYPTION_KEY is not a valid key"),
    ],
)
def test_a_malformed_key_list_names_the_position_and_never_a_key(keys: str, message: str) -> None:
    a, b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    value = keys.format(a=a, b=b)
    with pytest.raises(ConfigError) as raised:
        Settings.from_values({"TELEGRAM_BOT_TOKEN": TOKEN, "ANSWER_ENCRYPTION_KEY": value})
    text = str(raised.value)
    assert message in text
    assert a not in text and b not in text and "not-a-key" not in text
    assert "\n" not in text
