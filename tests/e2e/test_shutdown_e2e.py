"""SIGTERM stops `python -m bot` (polling) with exit 0 within seconds, whenever it comes:
during start-up, while polling starts, or in the first long poll, with no update handled."""

from __future__ import annotations

import signal
from pathlib import Path

from fakegram import FakeBotApiServer, FakeTelegram
from testbed.bot_process import TOKEN, BotProcess
from tests.e2e.conftest import StartBot, TestClock

PROMPTLY = 5.0  # seconds: "stops within seconds"; a lost signal never stops at all


def sigterm_and_wait(bot: BotProcess) -> int:
    """Sends SIGTERM and returns the exit code, failing if the process outlives PROMPTLY."""
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    return bot.process.wait(timeout=PROMPTLY)


def test_sigterm_during_the_first_long_poll_stops_with_exit_0(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    bot = start_bot()
    fake.wait_for(lambda: fake.long_polls_waiting() == 1, what="the first long poll")
    assert sigterm_and_wait(bot) == 0
    assert fake.calls_for("sendMessage") == []


def test_sigterm_while_polling_starts_stops_with_exit_0(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    # Telegram takes a second to answer deleteWebhook, the last call before polling: the
    # signal comes after the start-up steps and before the bot polls.
    fake.delay_next("deleteWebhook", 1.0)
    bot = start_bot()  # returns once deleteWebhook reached the fake, not once answered
    assert sigterm_and_wait(bot) == 0
    assert fake.long_polls_waiting() == 0


def test_sigterm_during_start_up_stops_with_exit_0(
    fake: FakeTelegram, api: FakeBotApiServer, db_path: Path, test_clock: TestClock, tmp_path: Path
) -> None:
    # Telegram takes a second to answer setMyCommands, a start-up step (after migrations).
    fake.delay_next("setMyCommands", 1.0)
    bot = BotProcess(
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "COUPLET_TEST_CLOCK_FILE": str(test_clock.path),
            "LOG_LEVEL": "DEBUG",
        },
        workdir=tmp_path,
    )
    bot.start()
    try:
        fake.wait_for(lambda: len(fake.calls_for("setMyCommands")) == 1, timeout=30)
        assert sigterm_and_wait(bot) == 0
    finally:
        bot.kill()
    assert fake.calls_for("deleteWebhook") == []  # it never started polling
    assert TOKEN.split(":")[1] not in bot.log()
