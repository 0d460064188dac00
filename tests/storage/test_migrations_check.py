"""`make test` runs `alembic check` on a throwaway SQLite database upgraded to head: it passes
while the models and the migrations agree and fails as soon as a model changes without a
migration. Both are run here on a copy of `storage/`, as the Makefile runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _copy_project(destination: Path) -> Path:
    for package in ("storage", "nudges"):
        shutil.copytree(
            ROOT / package, destination / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "alembic.ini", destination / "alembic.ini")
    return destination


def _alembic_check(project: Path) -> subprocess.CompletedProcess[str]:
    """The Makefile's check-migrations: upgrade a fresh SQLite file to head, then check."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{project / 'check.sqlite3'}"}
    alembic = [sys.executable, "-m", "alembic"]
    upgrade = subprocess.run(
        [*alembic, "upgrade", "head"], cwd=project, env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    return subprocess.run([*alembic, "check"], cwd=project, env=env, capture_output=True, text=True)


def test_the_models_and_the_migrations_agree(tmp_path: Path) -> None:
    result = _alembic_check(_copy_project(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected" in result.stdout


def test_a_model_column_without_a_migration_fails_the_check(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    models = project / "storage" / "models.py"
    source = models.read_text(encoding="utf-8")
    anchor = "    first_name: str = Field(max_length=128)\n"
    assert anchor in source
    models.write_text(
        source.replace(
            anchor, anchor + "    nickname: str | None = Field(default=None, max_length=64)\n"
        ),
        encoding="utf-8",
    )

    result = _alembic_check(project)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "New upgrade operations detected" in output
    assert "'add_column', None, 'users', Column('nickname'" in output
