"""`FakeTelegramRequest`: PTB's `BaseRequest` answered in-process by a `FakeTelegram`."""

import asyncio
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from fakegram.core import FakeTelegram
from fakegram.models import UploadedFile
from fakegram.params import decode_fields

_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class FakeTelegramRequest(BaseRequest):
    """Use as `Bot(token, request=FakeTelegramRequest(fake))`, or with
    `Application.builder().request(...).get_updates_request(...)` (one instance each)."""

    __slots__ = ("_fake", "_read_timeout")

    def __init__(self, fake: FakeTelegram, *, read_timeout: float | None = 5.0) -> None:
        self._fake = fake
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout; an injected delay longer than it raises `TimedOut`."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer the request from the fake, as the HTTP server would."""
        await asyncio.sleep(0)
        segments = [unquote(part) for part in urlsplit(url).path.split("/") if part]
        if "file" in segments[:-2]:
            return self._download(segments)
        if len(segments) < 2 or segments[-2] != f"bot{self._fake.token}":
            return 401, _encode(_UNAUTHORIZED)
        api_method = segments[-1]
        params = request_params(request_data)
        if api_method.lower() == "getupdates":
            await self._fake.async_wait_updates(params)
        response = self._fake.respond(api_method, params, block=False)
        if response.delay:
            await self._delay(response.delay, read_timeout)
        return response.status, _encode(response.body)

    def _download(self, segments: list[str]) -> tuple[int, bytes]:
        start = segments.index("file") + 1
        if segments[start] != f"bot{self._fake.token}":
            return 401, _encode(_UNAUTHORIZED)
        content = self._fake.file_content("/".join(segments[start + 1 :]))
        return (200, content) if content is not None else (404, _encode(_NOT_FOUND))

    async def _delay(self, seconds: float, read_timeout: Any) -> None:
        is_default = isinstance(read_timeout, type(BaseRequest.DEFAULT_NONE))
        limit = self._read_timeout if is_default else read_timeout
        if limit is not None and seconds > limit:
            await asyncio.sleep(limit)
            raise TimedOut
        await asyncio.sleep(seconds)


def request_params(request_data: RequestData | None) -> dict[str, Any]:
    """The params dict `FakeTelegram.handle` expects, decoded like the HTTP server does."""
    if request_data is None:
        return {}
    params = decode_fields(request_data.json_parameters.items())
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        params[name] = UploadedFile(filename, data, mime_type)
    return params


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
