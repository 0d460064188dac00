"""An asyncio event loop on virtual time, for tests of code that paces itself with the loop.

The loop's clock (`loop.time()`, which `asyncio.sleep` and every timer use) starts at 0 and
moves only when nothing is ready to run: instead of blocking in `select` until the next
timer, the loop jumps to it. A wave that takes seconds runs in milliseconds, and the
instants the code under test reads are exact, whatever the machine's load.

`loop.stall(seconds)` stands in for a GC pause or a slow synchronous step: the clock moves
on while no other task runs, so every timer that fell due meanwhile fires late, together.

Only for code that waits on time and on other tasks (not on threads or sockets): when every
task waits on something else, the loop would jump to the next timer anyway.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# Real seconds the loop waits for another thread when no timer is left (a deadlock otherwise).
THREAD_PATIENCE = 30.0


class _VirtualSelector(selectors.DefaultSelector):
    """The loop's selector: never blocks; waiting for a timer moves the clock to it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)  # the loop's own wake-up pipe, if anything wrote to it
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer left: only another thread can wake the loop now
            ready = super().select(THREAD_PATIENCE)
            if not ready:
                raise RuntimeError("virtual time: every task waits, and on no timer")
            return ready
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose `time()` is virtual (see the module docstring)."""

    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now

    def stall(self, seconds: float) -> None:
        """Block the loop for `seconds` of its time: nothing else runs meanwhile."""
        self._virtual.now += seconds


def run_in_virtual_time(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `main()` to completion on a fresh `VirtualTimeLoop`."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main())


def virtual_loop() -> VirtualTimeLoop:
    """The running loop, which must be a `VirtualTimeLoop`."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop), "run this with run_in_virtual_time"
    return loop
