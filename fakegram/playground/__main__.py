"""`make demo`: the fake Bot API with the playground's page, and the real `python -m bot`
polling it on a fresh SQLite file, all on 127.0.0.1; no token, no network. Ctrl-C (or
SIGTERM) stops the bot, then the server, and deletes the temporary files."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

from fakegram.core import FakeTelegram
from fakegram.playground.web import DemoTime, Playground
from fakegram.server import FakeBotApiServer

# Not a real token: the fake accepts only this one, and Telegram has never issued it.
TOKEN = "1000000001:PLAYGROUND-not-a-real-token-000000000"
DEFAULT_PORT = 8765
START_TIMEOUT = 60.0  # seconds for the bot to come up (migrations on a fresh file)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakegram.playground")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 takes a free port")
    arguments = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    with tempfile.TemporaryDirectory(prefix="couplet-demo-") as workdir:
        folder = Path(workdir)
        fake = FakeTelegram(TOKEN, bot_username="couplet_demo_bot")
        playground = Playground(
            fake, database=folder / "couplet.sqlite3", clock=DemoTime(folder / "clock")
        )
        server = FakeBotApiServer(fake, port=arguments.port, routes=playground.install)
        try:
            server.start()
        except RuntimeError as error:
            print(f"couplet demo: cannot listen on 127.0.0.1:{arguments.port} ({error.__cause__})")
            return 1
        bot = _start_bot(server, folder, playground)
        try:
            if not _wait_until_up(fake, bot, stop):
                return 0 if stop.is_set() else _bot_died(bot)
            print(
                f"couplet demo: open http://127.0.0.1:{server.port}/ (Ctrl-C stops it)",
                flush=True,
            )
            while not stop.wait(0.5):
                if bot.poll() is not None:
                    return _bot_died(bot)
            return 0
        finally:
            _stop_bot(bot)
            server.stop()
            print("couplet demo: stopped", flush=True)


def _start_bot(
    server: FakeBotApiServer, folder: Path, playground: Playground
) -> subprocess.Popen[bytes]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_", "COUPLET_", "DEMO_"))
    }
    environment |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_URL": f"sqlite:///{playground.database}",
        "DEMO_CLOCK_FILE": str(playground.clock.path),
        "DISPATCH_INTERVAL_SECONDS": "1",
        "LOG_LEVEL": environment.get("LOG_LEVEL", "WARNING"),
        "PYTHONUNBUFFERED": "1",
    }
    # Its own session: Ctrl-C reaches this process only, which stops the bot in order.
    return subprocess.Popen(
        [sys.executable, "-m", "bot"], cwd=folder, env=environment, start_new_session=True
    )


def _wait_until_up(fake: FakeTelegram, bot: subprocess.Popen[bytes], stop: threading.Event) -> bool:
    """True once the bot polls (deleteWebhook is its last call before polling)."""
    deadline = time.monotonic() + START_TIMEOUT
    while not fake.calls_for("deleteWebhook"):
        if stop.is_set() or bot.poll() is not None or time.monotonic() > deadline:
            return False
        stop.wait(0.1)
    return True


def _bot_died(bot: subprocess.Popen[bytes]) -> int:
    print(f"couplet demo: the bot stopped (exit code {bot.poll()}); see its lines above")
    return 1


def _stop_bot(bot: subprocess.Popen[bytes]) -> None:
    if bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=15)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait()


if __name__ == "__main__":
    sys.exit(main())
