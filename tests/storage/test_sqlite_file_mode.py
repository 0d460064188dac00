"""The SQLite file holds everything couples said to each other: it, its WAL and shared-memory
files and the lock file are readable by the bot's own user only, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database, lock_sqlite_file, loose_sqlite_files
from storage.migrate import upgrade_to_head


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common default (files 0644), so the test shows what the bot does about it."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
async def test_a_new_database_and_its_wal_shm_and_lock_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "couplet.sqlite3"
    url = f"sqlite:///{path}"
    lock = lock_sqlite_file(url)
    database = Database(url)
    try:
        await upgrade_to_head(database)
        async with database.transaction() as session:  # writes: the WAL is in use
            await session.exec(text("CREATE TABLE scratch (x INTEGER)"))  # type: ignore[call-overload]
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.lock")]
        assert all(file.exists() for file in files)
        assert {file.name: oct(mode(file)) for file in files} == {
            file.name: oct(0o600) for file in files
        }
        assert loose_sqlite_files(url) == []
    finally:
        await database.dispose()
        assert lock is not None
        lock.close()


@pytest.mark.usefixtures("usual_umask")
def test_an_existing_file_readable_by_others_is_named(tmp_path: Path) -> None:
    path = tmp_path / "couplet.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o644)
    Path(f"{path}-wal").write_bytes(b"")
    Path(f"{path}-wal").chmod(0o600)
    assert loose_sqlite_files(f"sqlite:///{path}") == [path]
    path.chmod(0o640)  # group-readable is too open as well
    assert loose_sqlite_files(f"sqlite:///{path}") == [path]
    path.chmod(0o600)
    assert loose_sqlite_files(f"sqlite:///{path}") == []
    assert loose_sqlite_files("postgresql://u@localhost/couplet") == []
