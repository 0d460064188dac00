"""The lock files: `make test` runs `scripts/lock.py check`, which fails when pyproject.toml
and the locks disagree. Each case edits a copy of pyproject.toml or of a lock and runs the
check on it, the way `make test` does (in this venv, installed from the dev lock)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = ("pyproject.toml", "requirements.lock", "requirements-dev.lock")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _check(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "lock.py"),
            "check",
            "--pyproject",
            str(project / "pyproject.toml"),
            "--lock",
            str(project / "requirements.lock"),
            "--dev-lock",
            str(project / "requirements-dev.lock"),
        ],
        capture_output=True,
        text=True,
    )


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _pins(path: Path) -> dict[str, str]:
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+)", path.read_text(), re.MULTILINE))


def test_the_committed_locks_satisfy_pyproject(project: Path) -> None:
    result = _check(project)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_every_third_party_package_is_pinned_with_hashes_and_both_locks_agree() -> None:
    runtime, dev = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")

    assert {"python-telegram-bot", "sqlalchemy", "alembic", "setuptools"} <= runtime.keys()
    assert {"pytest", "ruff", "uv", "setuptools"} <= dev.keys()
    assert runtime.keys() <= dev.keys()
    assert {name: dev[name] for name in runtime} == runtime
    assert "pytest" not in runtime
    for lock in ("requirements.lock", "requirements-dev.lock"):
        blocks = re.split(r"\n(?=[a-z0-9])", (ROOT / lock).read_text())
        for block in blocks[1:]:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_a_new_dependency_not_in_the_lock_fails(project: Path) -> None:
    _edit(
        project / "pyproject.toml",
        '    "aiohttp>=3.14,<4",\n',
        '    "aiohttp>=3.14,<4",\n    "requests>=2",\n',
    )

    result = _check(project)

    assert result.returncode == 1
    assert (
        "requirements.lock: requests>=2 (needed by pyproject.toml) is not pinned" in result.stderr
    )
    assert "run `make lock`" in result.stderr


def test_a_new_dev_dependency_fails_only_the_dev_lock(project: Path) -> None:
    _edit(
        project / "pyproject.toml",
        '    "ruff>=0.17,<0.18",\n',
        '    "ruff>=0.17,<0.18",\n    "mypy>=1",\n',
    )

    result = _check(project)

    assert result.returncode == 1
    assert (
        "requirements-dev.lock: mypy>=1 (needed by pyproject.toml) is not pinned" in result.stderr
    )
    assert "requirements.lock:" not in result.stderr


def test_a_range_the_pinned_version_is_outside_of_fails(project: Path) -> None:
    pinned = _pins(ROOT / "requirements.lock")["sqlalchemy"]
    _edit(project / "pyproject.toml", '"sqlalchemy>=2.1,<2.2"', '"sqlalchemy>=2.2,<2.3"')

    result = _check(project)

    assert result.returncode == 1
    assert f"sqlalchemy=={pinned} does not satisfy sqlalchemy<2.3,>=2.2" in result.stderr


def test_a_build_backend_the_lock_is_too_old_for_fails(project: Path) -> None:
    _edit(
        project / "pyproject.toml",
        'requires = ["setuptools>=77"]',
        'requires = ["setuptools>=999"]',
    )

    result = _check(project)

    assert result.returncode == 1
    assert "does not satisfy setuptools>=999" in result.stderr


def test_a_dropped_dependency_left_in_the_lock_fails(project: Path) -> None:
    pinned = _pins(ROOT / "requirements.lock")["tzfpy"]
    _edit(project / "pyproject.toml", '    "tzfpy>=2.1,<3",\n', "")

    result = _check(project)

    assert result.returncode == 1
    assert (
        f"requirements.lock: tzfpy=={pinned} is pinned but nothing in pyproject.toml needs it"
        in result.stderr
    )


def test_a_transitive_dependency_missing_from_the_lock_fails(project: Path) -> None:
    lock = project / "requirements.lock"
    text = lock.read_text()
    block = re.search(r"^greenlet==.*?(?=^[a-z])", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    lock.write_text(text.replace(block.group(0), ""))

    result = _check(project)

    assert result.returncode == 1
    assert "requirements.lock: greenlet" in result.stderr
    assert "is not pinned" in result.stderr


def test_a_pin_without_a_hash_fails(project: Path) -> None:
    lock = project / "requirements-dev.lock"
    text = lock.read_text()
    version = _pins(lock)["sniffio"]
    stripped = re.sub(
        rf"^sniffio=={re.escape(version)} \\\n(    --hash=\S+(?: \\)?\n)+",
        f"sniffio=={version}\n",
        text,
        flags=re.MULTILINE,
    )
    assert stripped != text
    lock.write_text(stripped)

    result = _check(project)

    assert result.returncode == 1
    assert f"requirements-dev.lock: sniffio=={version} has no hash" in result.stderr


def test_locks_pinning_different_versions_fail(project: Path) -> None:
    version = _pins(ROOT / "requirements.lock")["sniffio"]
    _edit(project / "requirements.lock", f"sniffio=={version} ", "sniffio==1.0.0 ")

    result = _check(project)

    assert result.returncode == 1
    assert f"sniffio is 1.0.0 in requirements.lock but {version} in requirements-dev.lock" in (
        result.stderr
    )
