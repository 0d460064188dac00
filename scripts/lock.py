"""The hashed lock files: `compile` writes them (`make lock`), `check` tells whether they still
satisfy pyproject.toml (`make test`).

Two locks, both for CPython 3.11 on Linux x86_64 (this project's machines and CI):
`requirements-dev.lock` holds the runtime dependencies, the dev extra and the build backend;
`requirements.lock` holds the runtime dependencies and the build backend, pinned to the very
versions the dev lock has (it is resolved with the dev lock as a constraint), so `make run`
and `make test` run the bot on the same libraries.

`check` works offline and never re-resolves: it fails only when the locks no longer satisfy
pyproject.toml (a requirement not pinned, a pin outside a requirement's range, a pin nothing
needs any more, a pin without a hash, the two locks disagreeing), not because a new release
came out. The dependency graph comes from the metadata of the packages installed in the running
environment, which `make test` installs from the dev lock just before (and a pin whose
installed version differs from the lock is reported, not guessed around).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = "requirements.lock"
DEV_LOCK = "requirements-dev.lock"
DEV_EXTRA = "dev"

# What every lock is resolved for; `check` evaluates markers in the running interpreter,
# which `make test` makes one of these.
TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-unknown-linux-gnu"]


@dataclass
class Pin:
    name: str  # canonical (PEP 503) name
    version: str
    hashes: list[str] = field(default_factory=list)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pyproject(path: Path) -> dict[str, list[str]]:
    """The requirement strings of each lock's roots, from pyproject.toml."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    build = list(data["build-system"]["requires"])
    runtime = list(data["project"].get("dependencies", []))
    dev = list(data["project"].get("optional-dependencies", {}).get(DEV_EXTRA, []))
    return {RUNTIME_LOCK: runtime + build, DEV_LOCK: runtime + dev + build, "build": build}


def read_lock(path: Path) -> tuple[dict[str, Pin], list[str]]:
    """The pins of a requirements file written by `uv pip compile --generate-hashes`."""
    pins: dict[str, Pin] = {}
    problems: list[str] = []
    text = path.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)  # join continuation lines
    for raw in logical.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        parts = line.split()
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^;\s]+)", parts[0])
        if match is None:
            problems.append(f"{path.name}: not an exact pin: {parts[0]!r}")
            continue
        name = canonical(match.group(1))
        hashes = [p.removeprefix("--hash=") for p in parts[1:] if p.startswith("--hash=")]
        if name in pins:
            problems.append(f"{path.name}: {name} is pinned twice")
        if not hashes:
            problems.append(f"{path.name}: {name}=={match.group(2)} has no hash")
        pins[name] = Pin(name, match.group(2), hashes)
    return pins, problems


def _requires(
    name: str, extras: frozenset[str], pins: dict[str, Pin], lock: str, problems: list[str]
) -> list[str]:
    """What the installed `name` (at its pinned version) needs with these extras."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        problems.append(
            f"{lock}: {name}=={pins[name].version} is not installed here, so its own "
            f"dependencies cannot be read (run `make .venv/.installed-dev` first)"
        )
        return []
    if dist.version != pins[name].version:
        problems.append(
            f"{lock}: {name} is pinned at {pins[name].version} but {dist.version} is installed "
            f"(run `make .venv/.installed-dev` first)"
        )
        return []
    return list(dist.requires or [])


def check_lock(lock: str, roots: Iterable[str], pins: dict[str, Pin]) -> list[str]:
    """Walk the dependency graph from the roots: every requirement met by a pin, every pin
    needed by something."""
    from packaging.requirements import Requirement

    problems: list[str] = []
    reached: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    queue: list[tuple[str, str]] = [(r, "pyproject.toml") for r in roots]
    while queue:
        text, needed_by = queue.pop()
        req = Requirement(text)
        name = canonical(req.name)
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{lock}: {req} (needed by {needed_by}) is not pinned")
            continue
        reached.add(name)
        if not req.specifier.contains(pin.version, prereleases=True):
            problems.append(
                f"{lock}: {name}=={pin.version} does not satisfy {req} (needed by {needed_by})"
            )
        extras = frozenset(canonical(e) for e in req.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        for dep in _requires(name, extras, pins, lock, problems):
            dep_req = Requirement(dep)
            wanted = dep_req.marker is None or any(
                dep_req.marker.evaluate({"extra": extra}) for extra in (*extras, "")
            )
            if wanted:
                queue.append((dep, f"{name}=={pin.version}"))
    for name in sorted(set(pins) - reached):
        problems.append(
            f"{lock}: {name}=={pins[name].version} is pinned but nothing in pyproject.toml "
            f"needs it any more"
        )
    return problems


def check(pyproject: Path, runtime_lock: Path, dev_lock: Path) -> list[str]:
    roots = read_pyproject(pyproject)
    problems: list[str] = []
    locks: dict[str, dict[str, Pin]] = {}
    for lock_name, path in ((RUNTIME_LOCK, runtime_lock), (DEV_LOCK, dev_lock)):
        if not path.exists():
            problems.append(f"{lock_name} is missing (run `make lock`)")
            continue
        pins, read_problems = read_lock(path)
        problems += read_problems
        problems += check_lock(lock_name, roots[lock_name], pins)
        locks[lock_name] = pins
    if len(locks) == 2:
        for name, pin in sorted(locks[RUNTIME_LOCK].items()):
            dev = locks[DEV_LOCK].get(name)
            if dev is not None and dev.version != pin.version:
                problems.append(
                    f"{name} is {pin.version} in {RUNTIME_LOCK} but {dev.version} in {DEV_LOCK}"
                )
    return problems


def compile_locks(upgrade: bool) -> None:
    """Resolve the dev lock (keeping its current pins unless `upgrade`), then the runtime lock
    with the dev lock as a constraint."""
    uv = Path(sys.executable).with_name("uv")
    build = "\n".join(read_pyproject(ROOT / "pyproject.toml")["build"]) + "\n"
    common = [str(uv), "pip", "compile", "pyproject.toml", "-", "--generate-hashes", *TARGET]
    common += ["--custom-compile-command", "make lock", "--quiet"]
    env = {**os.environ, "UV_NO_CONFIG": "1"}
    dev = [*common, "--extra", DEV_EXTRA, "-o", DEV_LOCK, *(["--upgrade"] if upgrade else [])]
    runtime = [*common, "--constraint", DEV_LOCK, "-o", RUNTIME_LOCK]
    for command in (dev, runtime):
        subprocess.run(command, input=build, text=True, cwd=ROOT, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("compile", help="regenerate the lock files (make lock)")
    make.add_argument("--upgrade", action="store_true", help="move every pin to the newest")
    verify = sub.add_parser("check", help="fail when pyproject.toml and the locks disagree")
    verify.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    verify.add_argument("--lock", type=Path, default=ROOT / RUNTIME_LOCK)
    verify.add_argument("--dev-lock", type=Path, default=ROOT / DEV_LOCK)
    args = parser.parse_args(argv)
    if args.command == "compile":
        compile_locks(args.upgrade)
        return 0
    problems = check(args.pyproject, args.lock, args.dev_lock)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("pyproject.toml and the lock files disagree: run `make lock`.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
