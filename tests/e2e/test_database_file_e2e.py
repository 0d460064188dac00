"""The SQLite file through the real process: created private, and a warning at start when an
existing one is readable by other users of the machine."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from fakegram import FakeTelegram
from tests.e2e.conftest import ALEX, StartBot
from tests.phone import Phone


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def warnings_naming(log: str, path: Path) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line and str(path) in line]


def test_a_new_database_and_its_files_are_created_private(
    fake: FakeTelegram, start_bot: StartBot, db_path: Path
) -> None:
    before = os.umask(0o022)  # the common default: files 0644 unless the bot says otherwise
    try:
        process = start_bot()
    finally:
        os.umask(before)
    Phone(fake, ALEX).send("/start", expect=2)  # a user row is written
    files = [db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), Path(f"{db_path}.lock")]
    assert {file.name: oct(mode(file)) for file in files} == {
        file.name: oct(0o600) for file in files
    }
    assert process.stop() == 0
    assert warnings_naming(process.log(), db_path) == []


def test_an_existing_database_readable_by_others_is_warned_about_once(
    fake: FakeTelegram, start_bot: StartBot, db_path: Path
) -> None:
    sqlite3.connect(db_path).close()
    db_path.chmod(0o644)
    process = start_bot()
    Phone(fake, ALEX).send("/start", expect=2)
    assert process.stop() == 0
    (warning,) = warnings_naming(process.log(), db_path)
    assert "chmod 600" in warning
    assert mode(db_path) == 0o644  # the operator's file: said, not changed
