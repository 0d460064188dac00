"""Isolation, property-based: whatever three couples and two single users do, in any order,
nobody ever sees what someone outside their couple wrote.

Each example is a fresh bot (the real `Application`, in process, on its own SQLite file)
with three pairs formed through /invite and /join, two set-up unpaired users, and the first
daily nudge delivered. Hypothesis then interleaves actions of all eight: answers (text, voice
notes, photos, videos, video messages), edits, buttons pressed with real or forged data
(naming anyone's deliveries and answer parts), /invite and /join (or the deep link) with
someone else's code, /pause, /resume, /unpair and its confirmation, /delete and its
confirmation, /history, /today, /export, and whole days passing with the dispatcher.

Every answer carries a unique marker: `SECRET-<author>-<n>#` in its text or caption and
`FILE<author>x<n>Z` as its file id. The model of who may see a marker is simple:
    the author, and whoever was the author's partner at the moment they wrote it
(sent or edited it). The partner relation is tracked from the actions alone: a /join that
the bot confirms ("are paired") pairs the joiner with the code's inviter; a confirmed
/unpair (or a real `unpair:yes:<id>` of the current pair) and a confirmed /delete end the
actor's pair; nothing else changes it. After every action the model must agree with the
bot's own data (users.pair_id), so a pairing the model did not expect fails too.

Checked in every Bot API call the bot made, to every chat: message texts, edits, captions,
alerts, document contents (/export), and copied messages (copyMessage carries the source
message as it is now, so its markers are checked the same way). Crashes and refused calls
are test_fuzz.py's business; here only what reaches whom counts.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.context import Services
from fakegram import FakeTelegram, FakeUser, RecordedCall, UploadedFile
from storage.models import User
from tests.bot.app_harness import RunningApp, fix_nudges, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock

MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
FIRST_NUDGE = MONDAY + timedelta(hours=1)  # everyone's 08:00
COUPLES = [(0, 1), (2, 3), (4, 5)]
PEOPLE = [FakeUser(2001 + n, f"P{n}") for n in range(8)]  # 6 and 7 start unpaired
MARKER = re.compile(r"SECRET-\d+-\d{5}#|FILE\d+x\d{5}Z")
CODE = re.compile(r"/join ([A-Za-z0-9_-]{24})")
MEDIA = ("voice", "photo", "video", "video_note")
PRESSES = ("done", "plan:in", "plan:out", "heart", "view", "hist")

person = st.integers(0, len(PEOPLE) - 1)
answer = st.tuples(st.just("answer"), person, st.booleans())
media = st.tuples(st.just("media"), person, st.sampled_from(MEDIA))
press = st.tuples(st.just("press"), person, st.sampled_from(PRESSES), st.integers(0, 500))
button = st.tuples(st.just("button"), person, st.integers(0, 500))
ACTION = st.one_of(
    # what can carry or reveal a secret comes up more often than the rest
    *[answer] * 3,
    *[media] * 2,
    *[press] * 2,
    *[button] * 2,
    st.tuples(st.just("edit"), person, st.integers(0, 50)),
    st.tuples(st.just("invite"), person),
    st.tuples(st.just("join"), person, person, st.booleans()),
    st.tuples(st.just("pause"), person),
    st.tuples(st.just("resume"), person),
    st.tuples(st.just("unpair"), person, st.booleans()),
    st.tuples(st.just("delete"), person),
    st.tuples(st.just("history"), person),
    st.tuples(st.just("today"), person),
    st.tuples(st.just("export"), person),
    st.tuples(st.just("day")),
)
Action = tuple[Any, ...]


@dataclass
class Leak:
    marker: str
    seen_by: int
    allowed: frozenset[int]
    how: str


@dataclass
class Story:
    """The test's model of the world, and what it has checked so far."""

    app: RunningApp
    fake: FakeTelegram
    clock: FrozenClock
    db: Path
    partner: dict[int, int | None] = field(default_factory=dict)
    allowed: dict[str, frozenset[int]] = field(default_factory=dict)  # marker -> may see it
    answers: dict[int, list[int]] = field(default_factory=dict)  # user -> their text answers
    serial: int = 0
    checked: int = 0  # calls of the fake already checked
    leaks: list[Leak] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ the model

    def marker(self, author: int, *, file: bool = False) -> str:
        """A new marker by `author`, visible to them and their partner of this moment."""
        self.serial += 1
        mark = f"FILE{author}x{self.serial:05d}Z" if file else f"SECRET-{author}-{self.serial:05d}#"
        self.allowed[mark] = frozenset({author, self.partner[author] or author})
        return mark

    def pair(self, a: int, b: int) -> None:
        self.partner[a], self.partner[b] = b, a

    def end_pair_of(self, user: int) -> None:
        other = self.partner[user]
        self.partner[user] = None
        if other is not None:
            self.partner[other] = None

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as connection:
            return list(connection.execute(sql, args))

    def pair_id(self, user: int) -> int | None:
        found = self.rows("SELECT pair_id FROM users WHERE id = ?", user)
        return found[0][0] if found else None

    def bot_partners(self) -> dict[int, int | None]:
        """Who the bot thinks each person's partner is (from its own tables)."""
        pair_of = dict(self.rows("SELECT id, pair_id FROM users"))
        result: dict[int, int | None] = {}
        for user in PEOPLE:
            mine = pair_of.get(user.id)
            others = [
                u for u, p in pair_of.items() if mine is not None and p == mine and u != user.id
            ]
            result[user.id] = others[0] if others else None
        return result

    # ------------------------------------------------------------ checking

    def check_new_calls(self, how: str) -> None:
        calls = self.fake.calls[self.checked :]
        self.checked = len(self.fake.calls)
        for call in calls:
            if call.chat_id is None or call.status != 200:
                continue
            for mark in self.markers_in(call):
                allowed = self.allowed.get(mark)
                if allowed is None or call.chat_id not in allowed:
                    self.leaks.append(
                        Leak(mark, call.chat_id, allowed or frozenset(), f"{how}: {call.method}")
                    )

    def markers_in(self, call: RecordedCall) -> set[str]:
        found: set[str] = set()
        for value in call.params.values():
            if isinstance(value, str):
                found.update(MARKER.findall(value))
            elif isinstance(value, UploadedFile):
                found.update(MARKER.findall(value.content.decode("utf-8", errors="replace")))
            elif isinstance(value, dict | list):
                found.update(MARKER.findall(repr(value)))
        if call.method == "copyMessage":
            source = self.fake.message_json(
                int(call.params["from_chat_id"]), int(call.params["message_id"])
            )
            found.update(MARKER.findall(repr(source)))
        return found

    # ------------------------------------------------------------ talking to the bot

    async def say(self, who: int, text: str, **reply: int) -> None:
        user = PEOPLE[who]
        update = self.fake.send_text(user, text, **reply)
        if MARKER.search(text):
            self.answers.setdefault(user.id, []).append(update["message"]["message_id"])
        await self.app.feed(update)

    async def press(self, who: int, message_id: int, data: str, *, forged: bool = False) -> None:
        await self.app.feed(self.fake.press_button(PEOPLE[who], message_id, data, forged=forged))

    def buttons(self, who: int) -> list[tuple[int, str]]:
        """(message id, callback data) of every inline button now on the bot's messages."""
        return [
            (message.message_id, button["callback_data"])
            for message in self.fake.sent_to(PEOPLE[who].id)
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button
        ]

    def latest_code(self, who: int) -> str | None:
        for text in reversed(self.fake.texts_to(PEOPLE[who].id)):
            code = CODE.search(text)
            if code is not None:
                return code[1]
        return None

    async def onboard(self, who: int) -> None:
        for text in ("/start", "Berlin", "8:00"):
            await self.say(who, text)

    # ------------------------------------------------------------ the actions

    async def act(self, action: Action) -> None:
        kind, *args = action
        self.log.append(repr(action))
        await getattr(self, f"do_{kind}")(*args)
        self.check_new_calls(repr(action))
        expected = {user.id: self.partner[user.id] for user in PEOPLE}
        assert self.bot_partners() == expected, (
            f"after {action} the bot's pairs {self.bot_partners()} differ from the model's "
            f"{expected}; actions so far: {self.log}"
        )

    async def do_answer(self, who: int, as_reply: bool) -> None:
        user = PEOPLE[who].id
        reply = {}
        nudges = [m for m in self.fake.sent_to(user) if m.text.count("\n\n") >= 2]
        if as_reply and nudges:
            reply = {"reply_to_message_id": nudges[-1].message_id}
        await self.say(who, f"my answer {self.marker(user)} ok", **reply)

    async def do_media(self, who: int, kind: str) -> None:
        user = PEOPLE[who]
        file_id = self.marker(user.id, file=True)
        media: dict[str, Any] = {"file_id": file_id, "file_unique_id": file_id[::-1]}
        fields: dict[str, Any] = {}
        if kind == "photo":
            fields["photo"] = [{**media, "width": 800, "height": 600}]
        elif kind == "video_note":
            fields["video_note"] = {**media, "length": 240, "duration": 3}
        else:
            fields[kind] = {**media, "duration": 3, "width": 640, "height": 360}
        if kind != "video_note":
            fields["caption"] = f"caption {self.marker(user.id)}"
        await self.app.feed(self.fake.send_message_json(user, **fields))

    async def do_edit(self, who: int, index: int) -> None:
        user = PEOPLE[who]
        mine = self.answers.get(user.id, [])
        if not mine:
            return
        message_id = mine[index % len(mine)]
        await self.app.feed(self.fake.edit_text(user, message_id, f"edited {self.marker(user.id)}"))

    async def do_press(self, who: int, kind: str, index: int) -> None:
        """Forged data naming anyone's delivery or answer part, on a bot message of theirs."""
        user = PEOPLE[who].id
        table = "answer_parts" if kind == "view" else "deliveries"
        ids = [row[0] for row in self.rows(f"SELECT id FROM {table} ORDER BY id")]
        number = index % 4 if kind == "hist" else (ids[index % len(ids)] if ids else index)
        sent = self.fake.sent_to(user)
        if sent:
            await self.press(
                who, sent[index % len(sent)].message_id, f"{kind}:{number}", forged=True
            )

    async def do_button(self, who: int, index: int) -> None:
        """A real button on one of the bot's messages to them (maybe long stale)."""
        buttons = self.buttons(who)
        if not buttons:
            return
        message_id, data = buttons[index % len(buttons)]
        user = PEOPLE[who].id
        unpairs = data == f"unpair:yes:{self.pair_id(user)}"
        await self.press(who, message_id, data)
        if unpairs or data == "delete:yes":
            self.end_pair_of(user)
        if data == "delete:yes":
            await self.onboard(who)

    async def do_invite(self, who: int) -> None:
        await self.say(who, "/invite")

    async def do_join(self, who: int, inviter: int, deep_link: bool) -> None:
        code = self.latest_code(inviter)
        if code is None:
            return
        before = len(self.fake.texts_to(PEOPLE[who].id))
        await self.say(who, f"/start {code}" if deep_link else f"/join {code}")
        replies = self.fake.texts_to(PEOPLE[who].id)[before:]
        if any("are paired" in reply for reply in replies):
            self.pair(PEOPLE[who].id, PEOPLE[inviter].id)

    async def do_pause(self, who: int) -> None:
        await self.say(who, "/pause 3d")

    async def do_resume(self, who: int) -> None:
        await self.say(who, "/resume")

    async def do_unpair(self, who: int, confirm: bool) -> None:
        user = PEOPLE[who].id
        await self.say(who, "/unpair")
        last = self.fake.last_to(user)
        if last is None:
            return
        wanted = "unpair:yes:" if confirm else "unpair:no"
        data = [d for m, d in self.buttons(who) if m == last.message_id and d.startswith(wanted)]
        if not data:
            return  # not paired: nothing to confirm
        await self.press(who, last.message_id, data[0])
        if confirm:
            self.end_pair_of(user)

    async def do_delete(self, who: int) -> None:
        user = PEOPLE[who].id
        await self.say(who, "/delete")
        last = self.fake.last_to(user)
        if last is None or (last.message_id, "delete:yes") not in self.buttons(who):
            return  # no /delete in this build: nothing to confirm
        await self.press(who, last.message_id, "delete:yes")
        self.end_pair_of(user)
        await self.onboard(who)

    async def do_history(self, who: int) -> None:
        await self.say(who, "/history")

    async def do_today(self, who: int) -> None:
        await self.say(who, "/today")

    async def do_export(self, who: int) -> None:
        await self.say(who, "/export")

    async def do_day(self) -> None:
        self.clock.now = (self.clock.now + timedelta(days=1)).replace(hour=7, minute=0)
        services: Services = self.app.application.bot_data.services
        await services.dispatcher.run()


async def play(actions: list[Action], *, first_nudge: str | None = None) -> Story:
    """One example: a fresh bot, three couples and two singles, then the actions.
    `first_nudge`: every couple's first nudge is this one (else chosen as usual)."""
    with tempfile.TemporaryDirectory() as directory:
        db = Path(directory) / "isolation.sqlite3"
        fake = FakeTelegram(TOKEN)
        clock = FrozenClock(MONDAY)
        async with running_app(
            fake, database_url=f"sqlite+aiosqlite:///{db}", clock=clock, token=TOKEN
        ) as app:
            story = Story(app, fake, clock, db, partner={user.id: None for user in PEOPLE})
            for who in range(len(PEOPLE)):
                await story.onboard(who)
            for a, b in COUPLES:
                await story.do_invite(a)
                await story.do_join(b, a, deep_link=False)
            assert story.bot_partners() == story.partner
            assert all(story.partner[PEOPLE[n].id] is not None for n in range(6))
            if first_nudge is not None:
                await fix_first_nudges(app, first_nudge)
            clock.now = FIRST_NUDGE
            services: Services = app.application.bot_data.services
            await services.dispatcher.run()
            story.check_new_calls("setting up")
            for action in actions:
                await story.act(action)
    return story


async def fix_first_nudges(app: RunningApp, nudge_id: str) -> None:
    """Every current pair's nudge on the first morning is `nudge_id`."""
    async with app.stored() as session:
        pair_ids = set((await session.exec(select(User.pair_id))).all()) - {None}
    for pair_id in pair_ids:
        assert pair_id is not None
        await fix_nudges(app, pair_id, {FIRST_NUDGE.date(): nudge_id})


def test_the_partner_of_the_moment_does_see_the_answer_so_the_check_is_not_vacuous() -> None:
    """A positive control: markers travel to the partner (the checker would see a leak)."""
    # A question: both answers are revealed to both (a choice or a gesture has no words to see).
    actions: list[Action] = [("answer", 0, False), ("answer", 1, True), ("export", 1)]
    story = asyncio.run(play(actions, first_nudge="feelings-002"))
    alex, sam = PEOPLE[0].id, PEOPLE[1].id
    seen_by_sam = {
        mark
        for call in story.fake.calls
        if call.chat_id == sam and call.status == 200
        for mark in story.markers_in(call)
    }
    assert any(mark.startswith(f"SECRET-{alex}-") for mark in seen_by_sam), seen_by_sam
    assert story.leaks == []


@pytest.mark.soak
@settings(
    max_examples=80,  # 30 to 40 s on two cores
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(actions=st.lists(ACTION, min_size=1, max_size=25))
def test_no_one_ever_sees_a_word_or_a_file_from_outside_their_couple(
    actions: list[Action],
) -> None:
    story = asyncio.run(play(actions))
    assert story.leaks == [], (
        f"{len(story.leaks)} leaks, first: {story.leaks[0]}; actions: {story.log}"
    )


def test_an_answer_edited_after_unpairing_stays_out_of_the_former_partners_export() -> None:
    """A leak found while building the property above (random search seldom hits this exact
    sequence, so it is pinned here): P0 and P1 answer the day's nudge (so P0's answer is
    shared with P1), P0 unpairs, then edits that answer; P1's /export shows the edited text,
    which P0 wrote when they were no longer a couple."""
    story = asyncio.run(
        play(
            [
                ("answer", 0, False),
                ("answer", 1, False),
                ("unpair", 0, True),
                ("edit", 0, 0),
                ("export", 1),
            ]
        )
    )
    assert story.leaks == [], story.leaks
