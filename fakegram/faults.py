"""Fault injection for the fake Bot API: queued failures, delays and a global rate limit."""

from collections import deque
from dataclasses import dataclass
from http import HTTPStatus

from fakegram.models import ApiError

BLOCKED_DESCRIPTION = "Forbidden: bot was blocked by the user"

_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: BLOCKED_DESCRIPTION,
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def too_many_requests(retry_after: int) -> ApiError:
    """Telegram's flood-control answer."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def injected_error(status: int, retry_after: int | None, description: str | None) -> ApiError:
    """The error answer for an injected failure."""
    if status == 429 and description is None:
        return too_many_requests(1 if retry_after is None else retry_after)
    if description is None:
        description = _DESCRIPTIONS.get(status) or _phrase(status)
    return ApiError(status, description, retry_after=retry_after)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


@dataclass(slots=True)
class _Queued:
    remaining: int
    error: ApiError | None = None
    delay: float = 0.0


class FaultPlan:
    """Per-method queues of failures and delays; not thread-safe (the caller holds a lock)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[_Queued]] = {}
        self._delays: dict[str, deque[_Queued]] = {}

    def add_failure(self, method: str, error: ApiError, count: int) -> None:
        """Answer the next `count` calls of `method` with `error`."""
        self._failures.setdefault(method.lower(), deque()).append(_Queued(count, error=error))

    def add_delay(self, method: str, seconds: float, count: int) -> None:
        """Delay the answers to the next `count` calls of `method`."""
        self._delays.setdefault(method.lower(), deque()).append(_Queued(count, delay=seconds))

    def has_failure(self, method: str) -> bool:
        """Whether a failure is queued for `method`."""
        return bool(self._failures.get(method.lower()))

    def take_failure(self, method: str) -> ApiError | None:
        """Consume one queued failure for `method`, if any."""
        entry = _take(self._failures, method)
        return entry.error if entry else None

    def take_delay(self, method: str) -> float:
        """Consume one queued delay for `method` (0 when none)."""
        entry = _take(self._delays, method)
        return entry.delay if entry else 0.0

    def clear(self) -> None:
        """Forget all queued failures and delays."""
        self._failures.clear()
        self._delays.clear()


def _take(queues: dict[str, deque[_Queued]], method: str) -> _Queued | None:
    queue = queues.get(method.lower())
    if not queue:
        return None
    entry = queue[0]
    entry.remaining -= 1
    if entry.remaining <= 0:
        queue.popleft()
    return entry


class SlidingWindowLimiter:
    """Allows at most `per_second` events in any 1-second window."""

    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        self._accepted: deque[float] = deque()

    def allow(self, now: float) -> bool:
        """Record and allow an event at `now`, or refuse it."""
        while self._accepted and self._accepted[0] <= now - 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self.per_second:
            return False
        self._accepted.append(now)
        return True
