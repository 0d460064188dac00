"""`FakeBotApiServer`: serves a `FakeTelegram` over HTTP like api.telegram.org does."""

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from fakegram.core import FakeTelegram
from fakegram.models import UploadedFile
from fakegram.params import decode_fields, decode_value

_UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class FakeBotApiServer:
    """aiohttp server on 127.0.0.1 (free port) in its own thread and event loop.

    Use `Application.builder().base_url(server.base_url)` or
    `Bot(token, base_url=server.base_url)`.
    """

    def __init__(
        self,
        fake: FakeTelegram,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        routes: Callable[[web.Application], None] | None = None,
    ) -> None:
        """`port` 0 takes a free one; `routes` adds more routes to the same server (the
        playground's page and its endpoints, fakegram/playground)."""
        self.fake = fake
        self.host = host
        self._wanted_port = port
        self._routes = routes
        self._port: int | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._closed: asyncio.Event | None = None
        self._closing = threading.Event()
        self._startup_error: BaseException | None = None
        # While unreachable: a socket on the port that never accepts, and the one
        # connection that fills its queue (see `become_unreachable`).
        self._black_hole: tuple[socket.socket, socket.socket] | None = None

    @property
    def port(self) -> int:
        """The bound port (after `start`)."""
        if self._port is None:
            raise RuntimeError("FakeBotApiServer is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Bot API base URL; PTB appends `{token}/{method}`."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """File download base URL; PTB appends `{token}/{file_path}`."""
        return f"http://{self.host}:{self.port}/file/bot"

    def start(self) -> None:
        """Start serving; returns once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("FakeBotApiServer already started")
        ready = threading.Event()
        self._closing.clear()
        self._thread = threading.Thread(
            target=self._serve, args=(ready,), name="fake-bot-api", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("FakeBotApiServer failed to start") from self._startup_error

    def stop(self) -> None:
        """Stop serving, close the port and join the thread."""
        thread, loop = self._thread, self._loop
        self._close_black_hole()
        if thread is None or loop is None:
            return
        self._closing.set()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if thread.is_alive():
            raise RuntimeError("FakeBotApiServer thread did not stop")
        self._thread = self._loop = None
        self._port = None

    def become_unreachable(self) -> None:
        """Telegram stops answering at all: open connections are cut, and a new one never
        gets through (its connect times out), so no request reaches the fake.

        The server stops listening; a plain socket takes its port with a queue of one
        connection, which we fill: the kernel then drops every SYN and the bot's client
        sees a connect timeout, not a refusal. (A request that reached Telegram and got no
        answer may have been delivered; the bot counts those as sent. This is the other
        kind: nothing arrives.)"""
        self._closing.set()  # long polls end now, not at their timeout
        self._call_in_loop(self._close())
        self._closing.clear()
        hole = socket.socket()
        hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hole.bind((self.host, self.port))
        hole.listen(0)
        filler = socket.create_connection((self.host, self.port), timeout=5)
        self._black_hole = (hole, filler)

    def become_reachable(self) -> None:
        """Ends `become_unreachable`: the server listens on its port again."""
        self._close_black_hole()
        self._call_in_loop(self._open(self.port))

    def _close_black_hole(self) -> None:
        if self._black_hole is not None:
            for sock in self._black_hole:
                sock.close()
            self._black_hole = None

    def _call_in_loop(self, coroutine: Any) -> None:
        if self._loop is None:
            raise RuntimeError("FakeBotApiServer is not started")
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- event loop thread

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._open(self._wanted_port))
        except BaseException as error:
            self._startup_error = error
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._close())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _open(self, port: int = 0) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._file)
        if self._routes is not None:
            self._routes(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        self._closed = asyncio.Event()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def _close(self) -> None:
        if self._closed is not None:
            self._closed.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----------------------------------------------------------------- handlers

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.fake.token:
            return _json_response(401, _UNAUTHORIZED)
        method = request.match_info["method"]
        params = await read_params(request)
        if method.lower() == "getupdates":
            await self.fake.async_wait_updates(params, stop=self._closing.is_set)
        response = self.fake.respond(method, params, block=False)
        if response.delay:
            await self._sleep(response.delay)
        return _json_response(response.status, response.body)

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.fake.token:
            return _json_response(401, _UNAUTHORIZED)
        content = self.fake.file_content(request.match_info["path"])
        if content is None:
            return _json_response(404, _NOT_FOUND)
        return web.Response(body=content, content_type="application/octet-stream")

    async def _sleep(self, seconds: float) -> None:
        if self._closed is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), seconds)


async def read_params(request: web.Request) -> dict[str, Any]:
    """Decode query string and body (form, multipart or JSON) into a params dict."""
    params = decode_fields(request.query.items())
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params
    if not request.body_exists:
        return params
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            content = value.file.read()
            params[name] = UploadedFile(value.filename, content, value.content_type)
        else:
            params[name] = decode_value(name, str(value))
    return params


def _json_response(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )
