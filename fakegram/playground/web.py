"""The playground's page and endpoints, served by the fake Bot API's own web server.

The page lists each phone's chat (`/api/state`, waiting until something changed) and acts
for the two people through the fake exactly as Telegram would: a message, a button tap, a
location, a photo, an opened deep link each become the update Telegram sends. Time travel
raises the offset the bot's demo clock reads (DEMO_CLOCK_FILE); it never goes back."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from fakegram.core import FakeTelegram
from fakegram.models import FakeUser
from fakegram.playground.render import message_html

JsonDict = dict[str, Any]

STATIC = Path(__file__).parent / "static"
# How long before the next nudge "Next morning" lands: the bot's next tick sends it.
MORNING_LEAD = timedelta(seconds=3)
STATE_WAIT = 20.0  # seconds a state request waits for a change before answering anyway
CITIES: dict[str, tuple[float, float]] = {
    "Berlin": (52.52, 13.405),
    "London": (51.507, -0.128),
    "New York": (40.713, -74.006),
    "São Paulo": (-23.55, -46.633),
    "Nairobi": (-1.286, 36.817),
    "Mumbai": (19.076, 72.878),
    "Tokyo": (35.676, 139.65),
    "Sydney": (-33.869, 151.209),
}
MAX_NAME = 32
MAX_PHOTO = 10 * 1024 * 1024


class DemoTime:
    """How far ahead of the real time the bot's clock runs; written where the bot reads it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = timedelta(0)
        self._write()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def travel_to(self, instant: datetime) -> bool:
        """Moves the clock to `instant` if that is ahead; False (nothing changes) if not."""
        offset = instant - datetime.now(UTC)
        if offset <= self.offset:
            return False
        self.offset = offset
        self._write()
        return True

    def _write(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(f"{self.offset.total_seconds():.3f}\n", encoding="utf-8")
        temporary.replace(self.path)


def earliest_nudge(database: Path) -> datetime | None:
    """When the next daily nudge is due for anyone (the bot's own column, read-only)."""
    if not database.exists():
        return None
    uri = f"{database.resolve().as_uri()}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=5) as connection:
        row = connection.execute(
            "SELECT min(next_due_at) FROM users WHERE next_due_at IS NOT NULL"
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return datetime.fromisoformat(str(row[0])).replace(tzinfo=UTC)


@dataclass
class Phone:
    slot: int
    user: FakeUser


class Playground:
    """Two people (Alex and Sam unless renamed) and the bot's clock, over one fake."""

    def __init__(self, fake: FakeTelegram, *, database: Path, clock: DemoTime) -> None:
        self.fake = fake
        self.database = database
        self.clock = clock
        self.phones = [Phone(0, FakeUser(101, "Alex")), Phone(1, FakeUser(202, "Sam"))]
        self.note = ""

    def install(self, app: web.Application) -> None:
        """Adds the page and its endpoints (`FakeBotApiServer(routes=...)`)."""
        app.router.add_get("/", self._index)
        app.router.add_static("/static/", STATIC)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/file/{file_id}", self._file)
        app.router.add_post("/api/send", self._send)
        app.router.add_post("/api/tap", self._tap)
        app.router.add_post("/api/location", self._location)
        app.router.add_post("/api/photo", self._photo)
        app.router.add_post("/api/link", self._link)
        app.router.add_post("/api/name", self._name)
        app.router.add_post("/api/time", self._time)

    # ------------------------------------------------------------------ what the page shows

    def state(self) -> JsonDict:
        return {
            "now": self.clock.now().isoformat(timespec="seconds"),
            "note": self.note,
            "commands": self.fake.commands,
            "cities": list(CITIES),
            "bot": self.fake.bot_user["first_name"],
            "phones": [self._phone_state(phone) for phone in self.phones],
        }

    def _phone_state(self, phone: Phone) -> JsonDict:
        chat_id = phone.user.id
        return {
            "slot": phone.slot,
            "name": phone.user.first_name,
            "messages": [self._message_view(m) for m in self.fake.chat_log(chat_id)],
            "keyboard": _reply_keyboard(self.fake.reply_keyboard(chat_id)),
        }

    def _message_view(self, message: JsonDict) -> JsonDict:
        sender = message.get("from") or {}
        view: JsonDict = {
            "id": message["message_id"],
            "mine": not sender.get("is_bot", False),
            "html": _body_html(message),
            "edited": "edit_date" in message,
            "photo": None,
            "location": None,
            "reply": None,
            "buttons": _inline_buttons(message.get("reply_markup")),
        }
        photo = message.get("photo")
        if isinstance(photo, list) and photo:
            view["photo"] = f"/api/file/{photo[-1]['file_id']}"
        location = message.get("location")
        if isinstance(location, dict):
            view["location"] = _place(location)
        reply = message.get("reply_to_message")
        if isinstance(reply, dict):
            quoted = str(reply.get("text") or reply.get("caption") or "📷")
            who = reply.get("from", {})
            view["reply"] = {
                "id": reply.get("message_id"),
                "who": str(who.get("first_name", "")),
                "text": quoted[:80],
            }
        return view

    # ------------------------------------------------------------------ endpoints

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, request: web.Request) -> web.Response:
        """The whole state, once it differs from the page's (`since`: its tag), or after
        STATE_WAIT seconds."""
        since = request.query.get("since", "")
        deadline = time.monotonic() + STATE_WAIT
        while True:
            version = self.fake.version
            body = json.dumps(self.state(), ensure_ascii=False, sort_keys=True)
            tag = hashlib.sha256(body.encode()).hexdigest()[:16]
            if tag != since or time.monotonic() >= deadline:
                break
            # Every call the bot makes, every update the page sends, changes the version.
            with contextlib.suppress(AssertionError):  # the wait's deadline passed
                await self.fake.async_wait_for(
                    lambda seen=version: self.fake.version != seen,
                    max(deadline - time.monotonic(), 0),
                    interval=0.05,
                )
        payload = json.loads(body) | {"tag": tag}
        return web.json_response(payload, dumps=lambda data: json.dumps(data, ensure_ascii=False))

    async def _file(self, request: web.Request) -> web.Response:
        content = self.fake.file_by_id(request.match_info["file_id"])
        if content is None:
            raise web.HTTPNotFound()
        return web.Response(body=content, content_type=_image_type(content))

    async def _send(self, request: web.Request) -> web.Response:
        data = await _json(request)
        phone = self._phone(data)
        text = str(data.get("text", "")).strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        reply_to = data.get("reply_to")
        reply_id = reply_to if isinstance(reply_to, int) and self._has(phone, reply_to) else None
        self.fake.send_text(phone.user, text[:4096], reply_to_message_id=reply_id)
        return _ok()

    async def _tap(self, request: web.Request) -> web.Response:
        data = await _json(request)
        phone = self._phone(data)
        message_id, callback = data.get("message_id"), data.get("data")
        if not isinstance(message_id, int) or not isinstance(callback, str):
            raise web.HTTPBadRequest(text="message_id and data are needed")
        try:
            self.fake.press_button(phone.user, message_id, callback)
        except AssertionError as error:  # no such message or button: what the page showed
            raise web.HTTPBadRequest(text=str(error)) from None
        return _ok()

    async def _location(self, request: web.Request) -> web.Response:
        data = await _json(request)
        phone = self._phone(data)
        city = CITIES.get(str(data.get("city")))
        if city is None:
            raise web.HTTPBadRequest(text="unknown city")
        self.fake.send_location(phone.user, *city)
        return _ok()

    async def _photo(self, request: web.Request) -> web.Response:
        form = await request.post()
        phone = self._phone({"slot": _int(form.get("slot"))})
        upload = form.get("photo")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="no photo")
        content = upload.file.read(MAX_PHOTO + 1)
        if not content or len(content) > MAX_PHOTO:
            raise web.HTTPBadRequest(text="a photo of at most 10 MB, please")
        width, height = _int(form.get("width")) or 1280, _int(form.get("height")) or 960
        caption = str(form.get("caption") or "").strip()[:1024] or None
        self.fake.send_photo(phone.user, content, width=width, height=height, caption=caption)
        return _ok()

    async def _link(self, request: web.Request) -> web.Response:
        """A t.me link tapped on a phone: a deep link to the bot starts it with its payload;
        a share link (the invite button) is sent on to the other phone, which opens it."""
        data = await _json(request)
        phone = self._phone(data)
        url = str(data.get("url", ""))
        opener = phone
        shared = _query(url).get("url") if _is_share_link(url) else None
        if shared is not None:
            opener, url = self.phones[1 - phone.slot], shared
        payload = self._start_payload(url)
        if payload is None:
            raise web.HTTPBadRequest(text="not a link to this bot")
        self.fake.send_text(opener.user, f"/start {payload}" if payload else "/start")
        return _ok()

    async def _name(self, request: web.Request) -> web.Response:
        data = await _json(request)
        phone = self._phone(data)
        name = " ".join(str(data.get("name", "")).split())[:MAX_NAME]
        if not name:
            raise web.HTTPBadRequest(text="a name, please")
        phone.user = replace(phone.user, first_name=name)
        return _ok()

    async def _time(self, request: web.Request) -> web.Response:
        data = await _json(request)
        self.note = self.travel(str(data.get("jump")))
        return _ok()

    def travel(self, jump: str) -> str:
        """Moves the bot's clock forward; returns a line for the page."""
        now = self.clock.now()
        if jump == "day":
            self.clock.travel_to(now + timedelta(days=1))
            return "A day later."
        if jump == "week":
            self.clock.travel_to(now + timedelta(days=7))
            return "A week later."
        if jump != "morning":
            raise web.HTTPBadRequest(text="jump is morning, day or week")
        due = earliest_nudge(self.database)
        if due is None:
            return "No nudge is planned yet: set up both phones and pair them first."
        if not self.clock.travel_to(due - MORNING_LEAD):
            return "The next nudge is due now: it comes within seconds."
        return "Next morning: the nudge comes in a few seconds."

    # ------------------------------------------------------------------ helpers

    def _phone(self, data: JsonDict) -> Phone:
        slot = data.get("slot")
        if slot not in (0, 1):
            raise web.HTTPBadRequest(text="slot is 0 or 1")
        return self.phones[slot]

    def _has(self, phone: Phone, message_id: int) -> bool:
        return self.fake.message_json(phone.user.id, message_id) is not None

    def _start_payload(self, url: str) -> str | None:
        """The deep link's payload ("" for a plain link to the bot), or None."""
        parts = urlsplit(url)
        username = str(self.fake.bot_user["username"]).lower()
        if parts.hostname not in ("t.me", "telegram.me") or parts.path.strip("/").lower() != (
            username
        ):
            return None
        start = _query(url).get("start", "")
        return start if all(c.isalnum() or c in "_-" for c in start) else None


def _is_share_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.hostname == "t.me" and parts.path == "/share/url"


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _body_html(message: JsonDict) -> str:
    if "text" in message:
        return message_html(str(message["text"]), message.get("entities"))
    if "caption" in message:
        return message_html(str(message["caption"]), message.get("caption_entities"))
    return ""


def _inline_buttons(markup: Any) -> list[list[JsonDict]]:
    if not isinstance(markup, dict):
        return []
    rows = []
    for row in markup.get("inline_keyboard", []):
        buttons = []
        for button in row:
            shown: JsonDict = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                shown["data"] = str(button["callback_data"])
            elif "url" in button:
                shown["url"] = str(button["url"])
            buttons.append(shown)
        rows.append(buttons)
    return rows


def _reply_keyboard(markup: JsonDict | None) -> list[list[JsonDict]] | None:
    if markup is None:
        return None
    rows = []
    for row in markup.get("keyboard", []):
        rows.append(
            [
                {"text": b, "location": False}
                if isinstance(b, str)
                else {"text": str(b.get("text", "")), "location": bool(b.get("request_location"))}
                for b in row
            ]
        )
    return rows


def _place(location: JsonDict) -> str:
    point = (location.get("latitude"), location.get("longitude"))
    for name, coordinates in CITIES.items():
        if coordinates == point:
            return name
    return f"{point[0]}, {point[1]}"


def _image_type(content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return "application/octet-stream"


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


async def _json(request: web.Request) -> JsonDict:
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="JSON, please") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="a JSON object, please")
    return data


def _ok() -> web.Response:
    return web.json_response({"ok": True})
