"""The playground's time travel: a demo clock only against a Bot API on this machine, and its
offset only ever moves forward."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import demo_clock
from bot.config import ConfigError, Settings

TOKEN = "123456:" + "A" * 35
REAL = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def real() -> datetime:
    return REAL


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:8765/bot", "http://localhost:8765/bot", "http://[::1]:8765/bot"],
)
def test_a_demo_clock_is_taken_with_a_bot_api_on_this_machine(
    base_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_values(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": base_url,
            "DEMO_CLOCK_FILE": str(tmp_path / "offset"),
        }
    )
    assert settings.demo_clock_file == tmp_path / "offset"


@pytest.mark.parametrize(
    "base_url",
    [
        None,  # Telegram itself
        "https://api.telegram.org/bot",
        "http://192.168.1.20:8081/bot",
        "http://127.0.0.1.example.com/bot",
        "http://localhost.example.com:8765/bot",
    ],
)
def test_start_up_refuses_a_demo_clock_unless_the_bot_api_is_on_this_machine(
    base_url: str | None, tmp_path: Path
) -> None:
    values = {"TELEGRAM_BOT_TOKEN": TOKEN, "DEMO_CLOCK_FILE": str(tmp_path / "offset")}
    if base_url is not None:
        values["TELEGRAM_API_BASE_URL"] = base_url
    with pytest.raises(ConfigError) as refused:
        Settings.from_values(values)
    message = str(refused.value)
    assert "\n" not in message
    assert "DEMO_CLOCK_FILE" in message
    assert "TELEGRAM_API_BASE_URL" in message


def test_without_the_setting_there_is_no_demo_clock() -> None:
    settings = Settings.from_values(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8765/bot"}
    )
    assert settings.demo_clock_file is None


def test_the_demo_clock_runs_ahead_by_the_offset_in_its_file(tmp_path: Path) -> None:
    offset = tmp_path / "offset"
    now = demo_clock(offset, real)
    assert now() == REAL  # no file yet: the real time
    offset.write_text("3600")
    assert now() == REAL + timedelta(hours=1)
    offset.write_text("90000.5\n")
    assert now() == REAL + timedelta(seconds=90000.5)


@pytest.mark.parametrize("later", ["60", "0", "-86400", "", "soon", "nan", "inf", "-1e300"])
def test_the_demo_clock_never_goes_back(tmp_path: Path, later: str) -> None:
    offset = tmp_path / "offset"
    now = demo_clock(offset, real)
    offset.write_text("86400")
    assert now() == REAL + timedelta(days=1)
    offset.write_text(later)
    assert now() == REAL + timedelta(days=1)
    offset.unlink()
    assert now() == REAL + timedelta(days=1)


def test_an_absurd_offset_stops_at_ten_years(tmp_path: Path) -> None:
    offset = tmp_path / "offset"
    now = demo_clock(offset, real)
    offset.write_text("1e300")
    assert timedelta(days=3650) < now() - REAL <= timedelta(days=3660)
