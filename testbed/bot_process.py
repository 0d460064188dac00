"""Runs the real bot (`python -m bot`) as a subprocess against the fake Bot API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.app import DISPATCH_RUN_STARTS

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAE2e-TestTokenThatMustNeverBeLogged_x"


class BotProcess:
    """One `python -m bot` process; its stderr goes to a log file the test can read.

    `program`: what follows `python` (the benches run the bot under cProfile, or a stand-in)."""

    def __init__(
        self, *, env: Mapping[str, str], workdir: Path, program: Sequence[str] = ("-m", "bot")
    ) -> None:
        self.env = dict(env)
        self.workdir = workdir
        self.program = tuple(program)
        self.log_path = workdir / "bot.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> None:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_", "COUPLET_"))
        }
        environment |= {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"} | self.env
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, *self.program, *args],
            cwd=self.workdir,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def run_to_end(self, *args: str, timeout: float = 30) -> int:
        self.start(*args)
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self, *, timeout: float = 15) -> int:
        """SIGTERM, as a process manager would; returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: the crash nobody gets to clean up after."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def let_ticks_pass(self, runs: int = 3, *, timeout: float = 30) -> None:
        """Waits until `runs` more dispatcher runs have started in this process's log (at
        LOG_LEVEL=DEBUG), so at least `runs - 1` whole runs came after this call: runs
        never overlap. What a wrong extra send would need to show has then happened."""
        target = self.log().count(DISPATCH_RUN_STARTS) + runs
        deadline = time.monotonic() + timeout
        while self.log().count(DISPATCH_RUN_STARTS) < target:
            if not self.running:
                raise AssertionError(f"the bot exited; its log:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {runs} dispatcher runs in {timeout} s")
            time.sleep(0.05)
