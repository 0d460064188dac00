"""The first `make run` prints no screen of setuptools warnings: building the project's
metadata (what pip's editable install does first) with the locked setuptools warns nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD_METADATA = """
import sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    name = build_meta.prepare_metadata_for_build_editable(sys.argv[1])
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}", file=sys.stderr)
print(name)
"""


def test_building_the_project_metadata_warns_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("bot", "nudges", "storage", "fakegram", "testbed"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "metadata").mkdir()

    result = subprocess.run(
        [sys.executable, "-c", BUILD_METADATA, str(tmp_path / "metadata")],
        cwd=source,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    metadata = (tmp_path / "metadata" / result.stdout.splitlines()[-1] / "METADATA").read_text()
    assert "License-Expression: MIT" in metadata
