"""Fuzz: ten thousand hostile updates through the real Application, in process.

The bot is built exactly as `python -m bot` builds it (`running_app`), on a SQLite file, with
the fake Bot API checking every call the way Telegram would. A fixed `random.Random(SEED)`
drives every choice the test makes. The bot's own randomness (invite codes, the seed that
picks each pair's nudges) still differs from run to run, so the flows vary a little; every
finding is therefore reported with the exact update JSON that caused it.

The world before the fuzz: three couples paired through /invite and /join who already got
a few daily nudges (so delivery ids, answer buttons and journals exist), a user stuck half
way through onboarding, one set up but unpaired with an open invite, one who erased
themselves (stale buttons left in their chat) and strangers the bot has never seen.

Then a mix of updates: adversarial texts (RTL, zero-width joiners, combining marks, emoji
sequences, SQL, HTML and Markdown fragments, "null"/"undefined" and NUL look-alikes) up to
4,096 UTF-16 units, every command with garbage arguments, every message type, replies, edits,
group and channel traffic, other update kinds, and callback queries with real, real-looking
and random data. Every 50 updates the clock moves an hour and the daily dispatcher runs.

What is checked for every update (findings are collected, then reported together, grouped,
each with the first update that caused it):
- no unhandled exception reaches the error handlers;
- every Bot API call the bot made was valid (the fake answered 200, never 400);
- the bot answers what it must (a message gets a reply, a button press gets exactly one
  answerCallbackQuery, an edit is taken silently) and says no more than the flows need
  (see `MAX_OWN_WORDS` below), to nobody outside the conversation.
At the end, with plain SQL on the file: pairs and deliveries are consistent.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.context import Services
from fakegram import FakeTelegram, FakeUser, RecordedCall
from tests.bot.app_harness import RunningApp, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

SEED = 20_261_123
UPDATES = 10_000
DISPATCH_EVERY = 50  # updates between two runs of the daily dispatcher (the clock moves 1 h)
START = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Monday; before anyone's first nudge
MAX_TEXT = 4096  # Telegram's limit for a message text, in UTF-16 code units
MAX_CAPTION = 1024

# How many messages "in its own words" the bot may send for one update, per person.
# Read off the handlers: the sender gets at most two (onboarding confirms and asks the next
# question; /start with a code says "paired" and asks the next onboarding question; setting
# the time during onboarding confirms it and offers the invite; /export sends two documents;
# an action answer says thanks and "you both did it"). The partner gets at most two ("you
# both did it" and the shared answer's last message). Anyone else gets nothing; a group or
# channel the update came from gets one polite line.
# Not counted, because their number follows the content and not the flow: full 4,096-unit
# chunks of a long shared answer (split_for_telegram) and copies of shared media (each
# checked on its own: copied once, from the sender's or the partner's own chat).
MAX_OWN_WORDS = {"sender": 2, "partner": 2, "update chat": 1, "anyone else": 0}
FULL_CHUNK = MAX_TEXT - 5  # a chunk cut by the splitter is at least this long (raw HTML)
SENDS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage"})

GROUP = {"id": -1001, "type": "group", "title": "Friends <b>&"}
SUPERGROUP = {"id": -1002003004005, "type": "supergroup", "title": "Family 👨‍👩‍👧"}
CHANNEL = {"id": -1009998887776, "type": "channel", "title": "News"}

COUPLES = [
    (FakeUser(1001, "Alex"), FakeUser(1002, "Sam")),
    (FakeUser(1003, "<b>Bo</b> & “Li”"), FakeUser(1004, "نور")),
    (FakeUser(1005, "👩‍❤️‍👨 Zoë"), FakeUser(1006, "J" * 64, last_name="&amp;")),
]
COUPLE_ZONES = [
    ("Berlin", "America/New_York"),
    ("Asia/Kolkata", "Pacific/Chatham"),
    ("UTC", "Lima"),
]
COUPLE_TIMES = [("8:00", "7:30am"), ("23:59", "0:00"), ("12pm", "6.45")]
HALF = FakeUser(1010, "Half\u200dWay")  # set a zone, never a time
SOLO = FakeUser(1011, "Solo")  # set up, unpaired, with an open invite
GONE = FakeUser(1012, "Gone")  # erased themselves: only stale buttons are left in the chat
STRANGER_NAMES = ["Mia", "\u202eevil", "null", "<script>", "e\u0301\u0301", "🏳️‍🌈", "x" * 64]
STRANGERS = [FakeUser(5000 + n, STRANGER_NAMES[n % len(STRANGER_NAMES)]) for n in range(12)]

COMMANDS = [name for name, _ in texts.COMMAND_MENU]
# Ending pairs and erasing people are rarer, so couples spend most of the run paired with
# answers piling up (the `pairing` updates below form new pairs from whoever is single).
COMMAND_WEIGHTS = {"delete": 0.15, "unpair": 0.3}
# fmt: off
UNKNOWN_COMMANDS = [
    "/nope", "/START", "/Help", "/start@couplet_test_bot", "/help@other_bot", "/" + "a" * 40,
    "/_", "/export@couplet_test_bot", "/delete_all", "/0",
]
SETTINGS_DATA = [
    "set:main", "set:time", "set:zone", "set:days", "set:fu", "set:spark", "set:topics",
    "set:ld", "set:t:07:30", "set:t:25:00", "set:days:all", "set:days:wk", "set:days:we",
    "set:days:xx", "set:d:0", "set:d:6", "set:d:7", "set:tp:curiosity", "set:tp:spark",
    "set:tp:", "set:", "set:t:",
]
OTHER_DATA = [
    "pause:menu", "pause:1d", "pause:3d", "pause:1w", "pause:2w", "pause:date", "pause:resume",
    "pause:", "pause:99d", "time:07:00", "time:7", "time:99:99", "time:", "unpair:no",
    "unpair:yes:", "delete:yes", "delete:no", "delete:", "invite:new", "invite:old", "hist:",
    "view:", "done:", "heart:", "plan:in:",
]
NUMBER_TEXTS = ["0", "-1", "01", " 1", "1 ", "1e3", "0x1", "²", "١٢", "9" * 18, "9" * 40, "1.5"]
FRAGMENTS = [
    # right-to-left, bidi controls, invisible and odd spaces
    "مرحبا بك", "שלום עולם", "\u202eevil\u202c", "\u2066isolate\u2069", "\u200f", "\u200e",
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u00a0", "\u2028", "\t", "\n", "\r\n", "  ",
    # emoji ZWJ sequences, flags, skin tones, combining marks, astral and wide characters
    "👩‍❤️‍💋‍👨", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇩🇪", "👍🏽", "😀", "e\u0301", "Z̴̡̛͖͈a̵l̶g̷o̴",
    "\u0301\u0302\u0303", "𝕳𝖊𝖑𝖑𝖔", "𓀀", "﷽",
    # "nothing" in many languages, and NUL look-alikes (Telegram text cannot hold a real NUL)
    "null", "None", "undefined", "NaN", "true", "[]", "{}", "\\u0000", "\\x00", "%00", "&#0;",
    # SQL, format strings, templates, paths
    "'; DROP TABLE users; --", '" OR 1=1 --', "Robert'); DROP TABLE pairs;--", "%s%n%x",
    "{{7*7}}", "${jndi:ldap://x}", "../../etc/passwd", "\\",
    # HTML (the bot speaks HTML) and Markdown
    "<b>", "</i>", "&amp;", "&lt;", "&", "<", ">", "<script>alert(1)</script>", "<tg-spoiler>",
    '<a href="javascript:alert(1)">x</a>', "&#x1F600;", "&bogus;", "*bold*", "_it_",
    "[link](http://x)", "~strike~", "`code`", "```pre```", "||spoiler||",
    # things the bot parses: times, pause lengths and dates, zones, commands
    "7:30", "25:99", "8pm", "12am", "0:00", "until 24.12.", "until 31.02.", "3d", "-1d",
    "99999999999999999999 days", "until friday", "Berlin", "Europe/Berlin", "Etc/GMT+5",
    "America/Argentina/Buenos_Aires", "UTC", "Zürich", "São Paulo", "/start", "@couplet_test_bot",
]
CODE_POINT_RANGES = [
    (0x21, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x400, 0x4FF), (0x590, 0x5FF),
    (0x600, 0x6FF), (0x900, 0x97F), (0x2000, 0x206F), (0x3040, 0x30FF), (0x4E00, 0x9FFF),
    (0xE000, 0xE0FF), (0xFE00, 0xFE0F), (0x1D400, 0x1D7FF), (0x1F300, 0x1FAFF),
]
# fmt: on
CODE_POINT_POOLS = ["".join(map(chr, range(low, high + 1))) for low, high in CODE_POINT_RANGES]
MEDIA_KINDS = ["voice", "photo", "video", "video_note", "sticker", "poll", "contact", "dice"]
MEDIA_KINDS += ["venue", "document", "animation", "audio"]
VALID_ZONES = ["Berlin", "Tokyo", "Europe/Lisbon", "America/Los_Angeles", "Sydney", "UTC"]
VALID_TIMES = ["7:00", "08:30", "9pm", "6.15", "22:45", "12am"]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, units: int) -> str:
    """The longest prefix of `text` of at most `units` UTF-16 code units (whole characters)."""
    if utf16_len(text) <= units:
        return text
    kept, used = [], 0
    for char in text:
        size = 2 if ord(char) > 0xFFFF else 1
        if used + size > units:
            break
        kept.append(char)
        used += size
    return "".join(kept)


def hostile_text(rng: random.Random, limit: int = MAX_TEXT) -> str:
    """Random and adversarial text of 1..`limit` UTF-16 units, never blank (Telegram does
    not deliver blank messages) and without a real NUL (Telegram text cannot hold one)."""
    scale = rng.choice([12, 80, 600, limit, limit])
    size = limit if rng.random() < 0.05 else rng.randint(1, min(scale, limit))
    pieces: list[str] = []
    used = 0
    while used < size:
        if rng.random() < 0.5:
            piece = rng.choice(FRAGMENTS)
        else:
            piece = "".join(rng.choices(rng.choice(CODE_POINT_POOLS), k=rng.randint(1, 24)))
        pieces.append(piece)
        used += utf16_len(piece)
    text = fit("".join(pieces), size)
    return text if text.strip() else fit("x" + text, size) if size > 1 else "x"


def number_text(rng: random.Random, ids: list[int]) -> str:
    if ids and rng.random() < 0.6:
        return str(rng.choice(ids))
    if rng.random() < 0.5:
        return str(rng.randint(0, 5000))
    return rng.choice(NUMBER_TEXTS)


def fits_callback(data: str) -> str:
    """Telegram carries 1..64 bytes of callback data."""
    raw = data.encode()[:64]
    return raw.decode(errors="ignore") or "x"


@dataclass
class Finding:
    what: str
    detail: str
    update: dict[str, Any]
    note: str = ""


@dataclass
class Sent:
    """What the test knows about a chat's messages (the fake's ids, scanned as they come)."""

    cursor: int = 1
    bot: list[int] = field(default_factory=list)
    with_buttons: list[int] = field(default_factory=list)
    texts: list[int] = field(default_factory=list)  # the user's own text messages
    media: set[int] = field(default_factory=set)  # the user's own media messages


class Peek:
    """Reads the bot's SQLite file directly (a second connection; WAL lets it read)."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, args))

    def partners(self, user_id: int) -> set[int]:
        return {
            row[0]
            for row in self.rows(
                "SELECT other.id FROM users AS me JOIN users AS other"
                " ON other.pair_id = me.pair_id AND other.id != me.id WHERE me.id = ?",
                user_id,
            )
        }

    def step(self, user_id: int) -> str | None:
        found = self.rows("SELECT onboarding_step FROM users WHERE id = ?", user_id)
        return found[0][0] if found else None

    def unpaired(self, user_ids: list[int]) -> list[int]:
        paired = {row[0] for row in self.rows("SELECT id FROM users WHERE pair_id IS NOT NULL")}
        return [user_id for user_id in user_ids if user_id not in paired]

    def ids(self, table: str) -> list[int]:
        return [row[0] for row in self.rows(f"SELECT id FROM {table}")]


class Fuzzer:
    """Makes the updates (as Telegram sends them) and keeps what it needs to aim them."""

    def __init__(self, rng: random.Random, fake: FakeTelegram, peek: Peek) -> None:
        self.rng = rng
        self.fake = fake
        self.peek = peek
        self.bot_id: int = fake.bot_user["id"]
        self.chats: dict[int, Sent] = defaultdict(Sent)
        self.codes: dict[int, str] = {}  # inviter -> latest invite code they were sent
        self.delivery_ids: list[int] = []
        self.part_ids: list[int] = []
        self.pair_ids: list[int] = []
        self.most_parts = 0  # the most answer parts stored at one time (a coverage check)
        self.serial = 0
        self.couple_users = [user for couple in COUPLES for user in couple]
        self.private_users = [*self.couple_users, HALF, SOLO, GONE, *STRANGERS]

    # ---------------------------------------------------------------- bookkeeping

    def learn(self, calls: list[RecordedCall]) -> None:
        """Scans new bot messages (for buttons to press) and invite codes in what was sent."""
        for call in calls:
            if call.status != 200 or call.chat_id is None:
                continue
            if call.method == "sendMessage":
                code = re.search(r"/join ([A-Za-z0-9_-]{24})", str(call.params.get("text", "")))
                if code is not None:
                    self.codes[call.chat_id] = code[1]
            self.scan(call.chat_id)

    def scan(self, chat_id: int) -> None:
        sent = self.chats[chat_id]
        while (message := self.fake.message_json(chat_id, sent.cursor)) is not None:
            if message.get("from", {}).get("id") == self.bot_id:
                sent.bot.append(sent.cursor)
                if "inline_keyboard" in (message.get("reply_markup") or {}):
                    sent.with_buttons.append(sent.cursor)
            sent.cursor += 1

    def refresh_ids(self) -> None:
        self.delivery_ids = self.peek.ids("deliveries")
        self.part_ids = self.peek.ids("answer_parts")
        self.pair_ids = self.peek.ids("pairs")
        self.most_parts = max(self.most_parts, len(self.part_ids))

    def own_message(self, user: FakeUser, update: dict[str, Any], *, media: bool) -> None:
        message = update["message"]
        sent = self.chats[user.id]
        (sent.media.add if media else sent.texts.append)(message["message_id"])
        sent.cursor = max(sent.cursor, message["message_id"] + 1)

    # ---------------------------------------------------------------- choosing

    def sender(self) -> FakeUser:
        roll = self.rng.random()
        if roll < 0.72:
            user = self.rng.choice(self.couple_users)
        elif roll < 0.78:
            user = HALF
        elif roll < 0.84:
            user = SOLO
        elif roll < 0.88:
            user = GONE
        else:
            user = self.rng.choice(STRANGERS)
        if self.rng.random() < 0.01:  # people rename themselves in Telegram
            return FakeUser(user.id, fit(hostile_text(self.rng, 64), 64))
        return user

    def next_update(self) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """(what kind of update, its private sender if any, the update JSON)."""
        if self.rng.random() < 0.08:
            return self.elsewhere()
        user = self.sender()
        kinds = [
            (self.plain_text, 24),
            (self.reply_text, 5),
            (self.command, 22),
            (self.pairing, 4),
            (self.onboarding_answer, 3),
            (self.media, 12),
            (self.location, 3),
            (self.edit, 4),
            (self.real_button, 12),
            (self.forged_button, 10),
            (self.random_button, 4),
            (self.private_member_change, 1),
        ]
        make = self.rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        return make(user)

    # ---------------------------------------------------------------- private messages

    def plain_text(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        text = hostile_text(self.rng)
        if self.rng.random() < 0.1:  # forwarded from someone else
            update = self.fake.send_message_json(
                user,
                text=text,
                forward_origin={
                    "type": "user",
                    "sender_user": STRANGERS[0].to_dict(),
                    "date": 1_700_000_000,
                },
            )
        else:
            update = self.fake.send_text(user, text)
        self.own_message(user, update, media=False)
        return "message", user, update

    def reply_text(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        bot_messages = self.chats[user.id].bot
        if not bot_messages:
            return self.plain_text(user)
        target = self.rng.choice(bot_messages[-30:])
        update = self.fake.send_text(user, hostile_text(self.rng), reply_to_message_id=target)
        self.own_message(user, update, media=False)
        return "message", user, update

    def command(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        known = self.rng.random() < 0.85
        weights = [COMMAND_WEIGHTS.get(command, 1.0) for command in COMMANDS]
        name = (
            "/" + self.rng.choices(COMMANDS, weights)[0]
            if known
            else self.rng.choice(UNKNOWN_COMMANDS)
        )
        args = ""
        roll = self.rng.random()
        if roll < 0.3:
            pass  # no arguments
        elif roll < 0.45:
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
            args = "".join(self.rng.choice(alphabet) for _ in range(self.rng.choice([24, 64])))
        elif roll < 0.55 and self.codes:
            code = self.rng.choice(list(self.codes.values()))
            args = code[::-1] if self.rng.random() < 0.3 else code
        else:
            args = hostile_text(self.rng, MAX_TEXT - len(name) - 1)
        text = fit(f"{name} {args}" if args else name, MAX_TEXT)
        update = self.fake.send_text(user, text)
        self.own_message(user, update, media=False)
        return "message", user, update

    def pairing(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """Keeps pairs forming: an unpaired user invites, or joins with someone's real code."""
        unpaired = self.peek.unpaired([u.id for u in [*self.couple_users, SOLO, HALF]])
        joinable = [(inviter, code) for inviter, code in self.codes.items() if inviter in unpaired]
        if joinable and unpaired and self.rng.random() < 0.6:
            _, code = self.rng.choice(joinable)
            joiner_id = self.rng.choice(unpaired)
            joiner = next(u for u in self.private_users if u.id == joiner_id)
            text = f"/join {code}" if self.rng.random() < 0.5 else f"/start {code}"
            update = self.fake.send_text(joiner, text)
            self.own_message(joiner, update, media=False)
            return "message", joiner, update
        if unpaired:
            inviter_id = self.rng.choice(unpaired)
            user = next(u for u in self.private_users if u.id == inviter_id)
        update = self.fake.send_text(user, "/invite")
        self.own_message(user, update, media=False)
        return "message", user, update

    def onboarding_answer(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """What someone half way through onboarding would type (keeps erased users coming
        back into the game)."""
        step = self.peek.step(user.id)
        if step == "timezone":
            text = self.rng.choice(VALID_ZONES)
        elif step == "time":
            text = self.rng.choice(VALID_TIMES)
        else:
            text = "/start"
        update = self.fake.send_text(user, text)
        self.own_message(user, update, media=False)
        return "message", user, update

    def media(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """Every other kind of message a private chat can carry (answers or not)."""
        self.serial += 1
        kind = self.rng.choice(MEDIA_KINDS)
        fields = self.media_fields(kind, f"FUZZ-{kind}-{self.serial}", f"U{self.serial}")
        captioned = ("voice", "photo", "video", "document", "animation", "audio")
        if kind in captioned and self.rng.random() < 0.5:
            fields["caption"] = hostile_text(self.rng, MAX_CAPTION)
        bot_messages = self.chats[user.id].bot
        if bot_messages and self.rng.random() < 0.2:  # a reply to one of the bot's messages
            target = self.fake.message_json(user.id, self.rng.choice(bot_messages[-30:]))
            if target is not None:
                fields["reply_to_message"] = {
                    k: v for k, v in target.items() if k != "reply_to_message"
                }
        update = self.fake.send_message_json(user, **fields)
        self.own_message(user, update, media=kind in ("voice", "photo", "video", "video_note"))
        return "message", user, update

    def media_fields(self, kind: str, file_id: str, unique: str) -> dict[str, Any]:
        """The message fields Telegram sends for `kind`."""
        file = {"file_id": file_id, "file_unique_id": unique}
        if kind == "photo":
            small = {"file_id": file_id + "s", "file_unique_id": unique + "s"}
            return {
                "photo": [
                    {**small, "width": 90, "height": 90},
                    {**file, "width": 1280, "height": 960},
                ]
            }
        if kind in ("voice", "audio"):
            return {kind: {**file, "duration": 3}}
        if kind == "video":
            return {"video": {**file, "width": 640, "height": 360, "duration": 2}}
        if kind == "video_note":
            return {"video_note": {**file, "length": 240, "duration": 2}}
        if kind == "animation":  # Telegram sends a GIF as both animation and document
            return {
                "animation": {**file, "width": 320, "height": 240, "duration": 1},
                "document": {**file, "mime_type": "video/mp4"},
            }
        if kind == "document":
            name = fit(hostile_text(self.rng), 60)
            return {"document": {**file, "file_name": name, "mime_type": "application/pdf"}}
        if kind == "sticker":
            sticker = {"type": "regular", "width": 512, "height": 512, "emoji": "😀"}
            return {"sticker": {**file, **sticker, "is_animated": False, "is_video": False}}
        if kind == "poll":
            options = [
                {"text": "a", "voter_count": 0, "persistent_id": "0"},
                {"text": "<b>", "voter_count": 0, "persistent_id": "1"},
            ]
            return {
                "poll": {
                    "id": unique,
                    "question": fit(hostile_text(self.rng), 300),
                    "options": options,
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": True,
                    "members_only": False,
                }
            }
        if kind == "contact":
            name = fit(hostile_text(self.rng), 64)
            return {"contact": {"phone_number": "+4915550000", "first_name": name, "user_id": 5999}}
        if kind == "dice":
            return {"dice": {"emoji": self.rng.choice("🎲🎯🏀⚽🎳🎰"), "value": 1}}
        spot = {"latitude": 52.5, "longitude": 13.4}  # a venue comes with its location
        title = fit(hostile_text(self.rng), 64)
        return {"location": spot, "venue": {"location": spot, "title": title, "address": "<i>"}}

    def location(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        roll = self.rng.random()
        if roll < 0.4:
            latitude, longitude = self.rng.uniform(-90, 90), self.rng.uniform(-180, 180)
        elif roll < 0.7:
            latitude = self.rng.choice([90.0, -90.0, 0.0, 89.999999, -0.0])
            longitude = self.rng.choice([180.0, -180.0, 0.0, 179.99999, -179.99999])
        else:
            latitude = self.rng.choice([90.0001, -1000.0, 1e308, -1e308, 5e-324, 360.0])
            longitude = self.rng.choice([180.0001, 1e308, -720.0, 0.0, 13.4])
        update = self.fake.send_location(user, latitude, longitude)
        self.own_message(user, update, media=False)
        return "message", user, update

    def edit(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        sent = self.chats[user.id]
        if sent.media and self.rng.random() < 0.3:
            message_id = self.rng.choice(sorted(sent.media))
            original = self.fake.message_json(user.id, message_id)
            if original is not None:
                edited = {k: v for k, v in original.items() if k != "caption_entities"}
                edited["caption"] = hostile_text(self.rng, MAX_CAPTION)
                edited["edit_date"] = int(time.time())
                return "edit", user, self.fake.inject({"edited_message": edited})
        if not sent.texts:
            return self.plain_text(user)
        message_id = self.rng.choice(sent.texts[-50:])
        return "edit", user, self.fake.edit_text(user, message_id, hostile_text(self.rng))

    # ---------------------------------------------------------------- buttons

    def real_button(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """A button that is really on one of the bot's messages in the chat (maybe stale)."""
        sent = self.chats[user.id]
        for message_id in self.rng.sample(sent.with_buttons[-40:], min(5, len(sent.with_buttons))):
            message = self.fake.message_json(user.id, message_id) or {}
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            data = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
            if data:
                choice = self.rng.choice(data)
                return "button", user, self.fake.press_button(user, message_id, choice)
        return self.forged_button(user)

    def forged_button(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """Real-looking data naming ids that exist (anyone's) or not, on a bot message."""
        ids = {
            "done": self.delivery_ids,
            "plan:in": self.delivery_ids,
            "plan:out": self.delivery_ids,
            "heart": self.delivery_ids,
            "view": self.part_ids,
            "hist": [0, 1, 2, 3, 10_000, 10_001],
            "unpair:yes": self.pair_ids,
        }
        roll = self.rng.random()
        if roll < 0.6:
            prefix = self.rng.choice(list(ids))
            data = f"{prefix}:{number_text(self.rng, ids[prefix])}"
        elif roll < 0.8:
            data = self.rng.choice(SETTINGS_DATA)
        else:
            data = self.rng.choice(OTHER_DATA)
        return self.press(user, fits_callback(data))

    def random_button(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        prefix = self.rng.choice(["", "done:", "set:", "hist:", "view:", "pause:", "time:"])
        return self.press(user, fits_callback(prefix + hostile_text(self.rng, 64)))

    def press(self, user: FakeUser, data: str) -> tuple[str, FakeUser | None, dict[str, Any]]:
        sent = self.chats[user.id]
        if not sent.bot:
            return self.plain_text(user)
        # Mostly on messages that carry buttons; sometimes on any of the bot's messages
        # (a modified client can name any message id).
        pool = sent.with_buttons if sent.with_buttons and self.rng.random() < 0.85 else sent.bot
        message_id = self.rng.choice(pool[-40:])
        return "button", user, self.fake.press_button(user, message_id, data, forged=True)

    def private_member_change(self, user: FakeUser) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """The user blocks or unblocks the bot (Telegram sends my_chat_member)."""
        old, new = ("member", "kicked") if self.rng.random() < 0.5 else ("kicked", "member")
        bot = self.fake.bot_user
        member = {
            "chat": user.private_chat(),
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": chat_member(old, bot),
            "new_chat_member": chat_member(new, bot),
        }
        return "other", None, self.fake.inject({"my_chat_member": member})

    # ---------------------------------------------------------------- elsewhere

    def elsewhere(self) -> tuple[str, FakeUser | None, dict[str, Any]]:
        """Groups, channels and update kinds the bot has no business with."""
        user = self.rng.choice(self.private_users)
        roll = self.rng.random()
        now = int(time.time())
        if roll < 0.35:
            chat = self.rng.choice([GROUP, SUPERGROUP])
            text = (
                "/" + self.rng.choice(COMMANDS) + self.rng.choice(["", "@couplet_test_bot", " x"])
                if self.rng.random() < 0.5
                else hostile_text(self.rng)
            )
            update = self.fake.send_group_text(
                user, chat["id"], text, chat_type=chat["type"], title=chat["title"]
            )
            return "group", None, update  # nothing may go to the writer's private chat
        if roll < 0.6:
            text = "/start" if self.rng.random() < 0.3 else hostile_text(self.rng)
            return "group", None, self.fake.send_channel_post(CHANNEL["id"], text, title="News")
        if roll < 0.68:
            chat = self.rng.choice([GROUP, SUPERGROUP, CHANNEL])
            old, new = self.rng.choice([("left", "member"), ("member", "left")])
            member = {
                "chat": chat,
                "from": user.to_dict(),
                "date": now,
                "old_chat_member": {"status": old, "user": self.fake.bot_user},
                "new_chat_member": {"status": new, "user": self.fake.bot_user},
            }
            return "group", None, self.fake.inject({"my_chat_member": member})
        if roll < 0.76:
            post = {
                "message_id": self.rng.randint(1, 10_000),
                "sender_chat": CHANNEL,
                "chat": CHANNEL,
                "date": now - 60,
                "edit_date": now,
                "text": hostile_text(self.rng),
            }
            return "group", None, self.fake.inject({"edited_channel_post": post})
        if roll < 0.84:
            answer = {
                "poll_id": "1",
                "user": user.to_dict(),
                "option_ids": [0],
                "option_persistent_ids": ["0"],
            }
            return "other", None, self.fake.inject({"poll_answer": answer})
        if roll < 0.92:
            reaction = {
                "chat": user.private_chat(),
                "message_id": self.rng.randint(1, 50),
                "user": user.to_dict(),
                "date": now,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "❤"}],
            }
            return "other", None, self.fake.inject({"message_reaction": reaction})
        query = {
            "id": str(self.rng.randint(1, 10**9)),
            "from": user.to_dict(),
            "query": fit(hostile_text(self.rng), 256),
            "offset": "",
        }
        return "other", None, self.fake.inject({"inline_query": query})


def chat_member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        member["until_date"] = 0
    return member


def update_chat_id(update: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
        if key in update:
            return update[key]["chat"]["id"]
    if "my_chat_member" in update:
        return update["my_chat_member"]["chat"]["id"]
    return None


def describe_error(error: BaseException) -> str:
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "/bot/" in frame.filename
        or "/storage/" in frame.filename
        or "/nudges/" in frame.filename
    ]
    where = (
        f" at {Path(frames[-1].filename).name}:{frames[-1].lineno} ({frames[-1].name})"
        if frames
        else ""
    )
    return f"{type(error).__name__}: {str(error)[:160]}{where}"


def short(update: dict[str, Any], limit: int = 400) -> str:
    """The gist of an update first (who, what, which button), then its JSON, cut short."""
    query = update.get("callback_query")
    kind = next((key for key in update if key != "update_id"), "?")
    message = update.get(kind) if isinstance(update.get(kind), dict) else {}
    if query is not None:
        on = query["message"]
        shown = on.get("text") or on.get("caption") or "(media)"
        gist = (
            f"user {query['from']['id']} pressed {query['data']!r} on bot message "
            f"{on['message_id']} {shown[:60]!r}"
        )
    elif "chat" in message:
        content = message.get("text") or message.get("caption")
        what = (
            repr(content[:120])
            if content
            else "+".join(
                key for key in message if key not in ("message_id", "from", "chat", "date")
            )
        )
        gist = f"{kind} in chat {message['chat']['id']}: {what}"
    else:
        gist = kind
    text = json.dumps(update, ensure_ascii=False)
    return f"{gist}\n        json: {text if len(text) <= limit else text[:limit] + '…'}"


class Auditor:
    """Checks what the bot did for one update against what the handlers may do."""

    def __init__(self, fuzzer: Fuzzer) -> None:
        self.fuzzer = fuzzer
        self.findings: list[Finding] = []

    def add(self, what: str, detail: str, update: dict[str, Any], note: str = "") -> None:
        self.findings.append(Finding(what, detail, update, note))

    def audit(
        self,
        kind: str,
        sender: FakeUser | None,
        update: dict[str, Any],
        calls: list[RecordedCall],
        errors: list[BaseException],
        partners: set[int],
    ) -> None:
        note = self.button_note(update)
        for error in errors:
            self.add("unhandled exception", describe_error(error), update, note)
        for call in calls:
            if call.status != 200:
                self.add(
                    f"Telegram refused {call.method} ({call.status})",
                    str(call.description),
                    update,
                    note,
                )
        if errors:
            return  # the error handler's apology is not held against the reply bounds
        sends = [call for call in calls if call.method in SENDS and call.status == 200]
        own_words: dict[str, int] = defaultdict(int)
        copied: set[tuple[int, int, int]] = set()
        here = update_chat_id(update)
        for call in sends:
            target = call.chat_id
            if sender is not None and target == sender.id:
                role = "sender"
            elif target in partners:
                role = "partner"
            elif here is not None and target == here and here < 0:
                role = "update chat"
            else:
                role = "anyone else"
            if call.method == "copyMessage":
                self.check_copy(call, role, sender, partners, copied, update)
                continue
            raw = str(call.params.get("text", ""))
            if call.method == "sendMessage" and utf16_len(raw) >= FULL_CHUNK:
                continue
            own_words[f"{role} {target}"] += 1
        for who, count in own_words.items():
            role = who.rsplit(" ", 1)[0]
            if count > MAX_OWN_WORDS[role]:
                self.add(
                    "too many messages for one update",
                    f"{count} to the {who} (at most {MAX_OWN_WORDS[role]})",
                    update,
                    note,
                )
        if (
            kind == "message"
            and sender is not None
            and not any(call.chat_id == sender.id for call in sends)
        ):
            self.add("a message got no reply", "nothing was sent back to the sender", update)
        if kind == "edit" and sends:
            self.add("an edit was answered", f"{len(sends)} messages sent", update)
        if kind == "button":
            query_id = update["callback_query"]["id"]
            answers = [
                call
                for call in calls
                if call.method == "answerCallbackQuery"
                and str(call.params.get("callback_query_id")) == query_id
                and call.status == 200
            ]
            if len(answers) != 1:
                self.add("a button press was not answered exactly once", f"{len(answers)}", update)

    def check_copy(
        self,
        call: RecordedCall,
        role: str,
        sender: FakeUser | None,
        partners: set[int],
        copied: set[tuple[int, int, int]],
        update: dict[str, Any],
    ) -> None:
        source = int(call.params.get("from_chat_id", 0))
        message_id = int(call.params.get("message_id", 0))
        target = call.chat_id or 0
        me = sender.id if sender is not None else None
        # A reveal copies the partner's media to the sender and the sender's to the partner;
        # a journal "View" button copies the sender's own or their partner's media.
        fine = (role == "sender" and (source == me or source in partners)) or (
            role == "partner" and source == me
        )
        if not fine:
            self.add("media copied outside the couple", f"{source} -> {target}", update)
        original = self.fuzzer.fake.message_json(source, message_id) or {}
        if original.get("from", {}).get("id") != source:
            self.add("copied something its author did not send", f"{source}/{message_id}", update)
        if (source, message_id, target) in copied:
            self.add("the same media copied twice", f"{source}/{message_id} -> {target}", update)
        copied.add((source, message_id, target))

    def button_note(self, update: dict[str, Any]) -> str:
        query = update.get("callback_query")
        if query is None:
            return ""
        markup = query["message"].get("reply_markup") or {}
        buttons = [b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row]
        if query["data"] in buttons:
            return "a real button of that message"
        if buttons:
            return "forged data on a message with buttons"
        return "forged data on a message without buttons"

    def report(self) -> str:
        groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in self.findings:
            detail = re.sub(r"\d{3,}", "N", finding.detail)
            groups[(finding.what, detail)].append(finding)
        lines = [f"{len(self.findings)} findings in {len(groups)} kinds:"]
        for (what, detail), found in sorted(groups.items(), key=lambda item: -len(item[1])):
            notes = sorted({f.note for f in found if f.note})
            lines.append(f"\n* {what}: {detail}  [{len(found)}x]" + (f" {notes}" if notes else ""))
            for finding in found[:2]:
                lines.append(f"    e.g. {short(finding.update)}")
        return "\n".join(lines)


async def set_up_world(app: RunningApp, fake: FakeTelegram, clock: FrozenClock) -> None:
    """Three couples who got four days of nudges, and the odd ones out."""
    for (a, b), zones, times in zip(COUPLES, COUPLE_ZONES, COUPLE_TIMES, strict=True):
        for user, zone, at in ((a, zones[0], times[0]), (b, zones[1], times[1])):
            await app.feed(fake.send_text(user, "/start"))
            await app.feed(fake.send_text(user, zone))
            await app.feed(fake.send_text(user, at))
        await app.feed(fake.send_text(a, "/invite"))
        code = re.search(r"/join ([A-Za-z0-9_-]{24})", fake.texts_to(a.id)[-1])
        assert code is not None
        await app.feed(fake.send_text(b, f"/join {code[1]}"))
        assert "are paired" in fake.texts_to(b.id)[-2]  # then: where do you live?
    await app.feed(fake.send_text(HALF, "/start"))
    await app.feed(fake.send_text(HALF, "Lisbon"))
    for text in ("/start", "Tokyo", "9:00", "/invite"):
        await app.feed(fake.send_text(SOLO, text))
    for text in ("/start", "Berlin", "9:00", "/invite", "/settings", "/delete"):
        await app.feed(fake.send_text(GONE, text))
    confirm = fake.last_to(GONE.id)
    assert confirm is not None
    await app.feed(fake.press_button(GONE, confirm.message_id, "delete:yes"))
    services: Services = app.application.bot_data.services
    for _ in range(4 * 24):  # four days of nudges, every hour on the hour
        await services.dispatcher.run()
        clock.advance(hours=1)
    for a, b in COUPLES:  # every couple has nudges to answer and buttons to press
        assert len(fake.sent_to(a.id)) > 8 and len(fake.sent_to(b.id)) > 8
    assert app.errors == []
    assert all(call.status == 200 for call in fake.calls), [
        (c.method, c.description) for c in fake.calls if c.status != 200
    ]


def database_problems(peek: Peek) -> Iterator[str]:
    """The invariants the data must keep whatever was sent."""
    for user_id, pair_id in peek.rows(
        "SELECT u.id, u.pair_id FROM users u JOIN pairs p ON p.id = u.pair_id"
        " WHERE p.ended_at IS NOT NULL"
    ):
        yield f"user {user_id} points at ended pair {pair_id}"
    for (user_id,) in peek.rows(
        "SELECT id FROM users WHERE pair_id IS NOT NULL AND pair_id NOT IN (SELECT id FROM pairs)"
    ):
        yield f"user {user_id} points at a missing pair"
    for pair_id, a, b in peek.rows(
        "SELECT id, user_a_id, user_b_id FROM pairs WHERE ended_at IS NULL"
    ):
        members = {row[0] for row in peek.rows("SELECT id FROM users WHERE pair_id = ?", pair_id)}
        if len(members) != 2 or members != {a, b}:
            yield f"active pair {pair_id} of {a} and {b} has members {sorted(members)}"
    for user_id, day, count in peek.rows(
        "SELECT user_id, local_date, count(*) FROM deliveries GROUP BY user_id, local_date"
        " HAVING count(*) > 1"
    ):
        yield f"user {user_id} has {count} deliveries on {day}"
    for (part_id,) in peek.rows(
        "SELECT id FROM answer_parts WHERE delivery_id NOT IN (SELECT id FROM deliveries)"
    ):
        yield f"answer part {part_id} has no delivery"
    for pair_id, day, count in peek.rows(
        "SELECT pair_id, local_date, count(*) FROM pair_days GROUP BY pair_id, local_date"
        " HAVING count(*) > 1"
    ):
        yield f"pair {pair_id} has {count} nudges chosen for {day}"
    for delivery_id, user_id in peek.rows(
        "SELECT d.id, d.user_id FROM deliveries d WHERE d.pair_id IS NOT NULL AND d.user_id NOT IN"
        " (SELECT user_a_id FROM pairs WHERE id = d.pair_id UNION"
        "  SELECT user_b_id FROM pairs WHERE id = d.pair_id)"
    ):
        yield f"delivery {delivery_id} of user {user_id} belongs to a pair they were never in"
    for (user_id,) in peek.rows(
        "SELECT id FROM users WHERE pair_id IS NOT NULL AND onboarding_step = 'done'"
        " AND blocked_at IS NULL AND next_due_at IS NULL AND pair_id IN"
        " (SELECT id FROM pairs WHERE paused_until IS NULL)"
        " AND (SELECT count(*) FROM users o WHERE o.pair_id = users.pair_id"
        "      AND o.onboarding_step = 'done' AND o.blocked_at IS NULL) = 2"
    ):
        yield f"user {user_id} is paired and set up but no nudge is ever due"


@dataclass
class FuzzRun:
    updates: int
    calls: int
    findings: list[Finding]
    problems: list[str]
    auditor: Auditor
    coverage: dict[str, int]


async def fuzz(path: Path, *, seed: int = SEED, updates: int = UPDATES) -> FuzzRun:
    """Sets up the world on a SQLite file at `path`, sends `updates` generated updates, and
    returns what was found (nothing, if the bot is sound)."""
    rng = random.Random(seed)
    fake = FakeTelegram(TOKEN)
    clock = FrozenClock(START)
    async with running_app(
        fake, database_url=f"sqlite+aiosqlite:///{path}", clock=clock, token=TOKEN
    ) as app:
        await set_up_world(app, fake, clock)
        peek = Peek(path)
        fuzzer = Fuzzer(rng, fake, peek)
        auditor = Auditor(fuzzer)
        for chat_id in {call.chat_id for call in fake.calls if call.chat_id is not None}:
            fuzzer.scan(chat_id)
        invite = re.search(r"/join ([A-Za-z0-9_-]{24})", fake.texts_to(SOLO.id)[-1])
        assert invite is not None
        fuzzer.codes[SOLO.id] = invite[1]
        services: Services = app.application.bot_data.services
        sent = 0
        for number in range(updates):
            if number % DISPATCH_EVERY == 0:
                clock.advance(hours=1)
                before = len(fake.calls)
                tick = {"dispatcher run at": clock.now.isoformat()}
                try:
                    await services.dispatcher.run()
                except Exception as error:  # reported with the rest, not stopping the fuzz
                    auditor.add("the dispatcher crashed", describe_error(error), tick)
                for call in fake.calls[before:]:
                    if call.status != 200:
                        auditor.add(f"Telegram refused {call.method}", str(call.description), tick)
                fuzzer.learn(fake.calls[before:])
                fuzzer.refresh_ids()
            kind, sender, update = fuzzer.next_update()
            partners = peek.partners(sender.id) if sender is not None else set()
            calls_before, errors_before = len(fake.calls), len(app.errors)
            await app.feed(update)
            sent += 1
            if sender is not None:
                partners |= peek.partners(sender.id)  # a join or an unpair changes them
            new_calls = fake.calls[calls_before:]
            auditor.audit(kind, sender, update, new_calls, app.errors[errors_before:], partners)
            fuzzer.learn(new_calls)
            if sender is not None:
                fuzzer.scan(sender.id)
        problems = list(database_problems(peek))
        coverage = {
            method: len(fake.calls_for(method))
            for method in ("sendMessage", "copyMessage", "sendDocument", "answerCallbackQuery")
        }
        coverage["pairs formed"] = len(peek.ids("pairs"))
        coverage["answers stored"] = fuzzer.most_parts
        peek.connection.close()
    return FuzzRun(sent, len(fake.calls), auditor.findings, problems, auditor, coverage)


@pytest.mark.soak
async def test_ten_thousand_hostile_updates_never_crash_the_bot_or_break_its_data(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    run = await fuzz(tmp_path / "fuzz.sqlite3")
    print(
        f"fuzz: {run.updates} updates, {run.calls} Bot API calls, "
        f"{time.monotonic() - began:.1f} s (seed {SEED}), coverage {run.coverage}"
    )
    assert run.updates >= 10_000
    # The mix really reached the flows that matter (it did not degenerate into refusals).
    assert run.coverage["pairs formed"] > len(COUPLES), run.coverage
    assert run.coverage["answers stored"] >= 50, run.coverage
    assert run.coverage["copyMessage"] >= 5, run.coverage
    assert run.coverage["sendDocument"] >= 20, run.coverage
    assert run.coverage["answerCallbackQuery"] >= 500, run.coverage
    problems = "".join(f"\n* broken data: {problem}" for problem in run.problems)
    assert run.problems == [] and run.findings == [], run.auditor.report() + problems
