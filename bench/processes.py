"""A measurement in a fresh interpreter, so its figures (CPU, peak RSS) are its own."""

from __future__ import annotations

import multiprocessing
from typing import Any


def in_child(target: Any, *args: Any, timeout: float) -> dict[str, Any]:
    """Runs `target(*args, connection)` in a spawned process; returns what it sent."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, sender))
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise RuntimeError(f"{target.__name__} gave no result within {timeout:.0f} s")
        outcome: dict[str, Any] = receiver.recv()
    except EOFError:
        raise RuntimeError(f"{target.__name__} died (exit code {process.exitcode})") from None
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
    return outcome
