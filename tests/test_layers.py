"""The layers' arrows point down only (docs/development.md): `bot/` (Telegram) uses
`storage/` and `nudges/`, `storage/` uses `nudges/`, and `nudges/` is pure domain. `bot/`
speaks to the database only through `storage/`: it imports nothing of SQLAlchemy or
SQLModel (the session type is `storage.db.Session`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# For each package: the top-level modules none of its files may import.
FORBIDDEN = {
    "bot": {"sqlalchemy", "sqlmodel", "alembic"},
    "storage": {"bot", "telegram"},
    "nudges": {"bot", "storage", "telegram", "sqlalchemy", "sqlmodel"},
}


def imported_modules(path: Path) -> set[str]:
    """The top-level names of every module `path` imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_of_the_layers_above_it(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in files
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_check_sees_imports_inside_functions_too(tmp_path: Path) -> None:
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from sqlalchemy import text\n    import sqlmodel.main\n")
    assert imported_modules(module) == {"sqlalchemy", "sqlmodel"}
