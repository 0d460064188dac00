"""Replies to nudges: answer-to-reveal questions, notes, Done, plans, hearts and edits.

A plain message answers the sender's latest nudge; a Telegram reply to one of their nudge
messages (up to 7 days old) answers that one. Each handler reads the same way: parse,
load, decide and save in one unit of work (bot/unit.py), which sends what was queued after.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from telegram import Message

from bot import keyboards, texts
from bot.chat import drop_buttons, language_of, send_if_possible
from bot.context import Context
from bot.i18n import say
from bot.sharing import share_parts
from bot.unit import Unit, unit_of_work, unit_of_work_if_known
from nudges.library import Kind, Nudge, nudges_by_id
from nudges.times import format_time_of_day
from nudges.zones import zone
from storage import answers, users
from storage.db import Session
from storage.models import AnswerPart, Delivery, User

log = logging.getLogger(__name__)

Send = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Content:
    """What a message carries as an answer."""

    content_type: str
    text: str | None
    file_id: str | None


def content_of(message: Message) -> Content | None:
    """Text, voice notes, photos (with caption), video notes and videos are answers."""
    if message.text is not None:
        return Content("text", message.text, None)
    if message.voice is not None:
        return Content("voice", message.caption, message.voice.file_id)
    if message.photo:
        return Content("photo", message.caption, message.photo[-1].file_id)
    if message.video_note is not None:
        return Content("video_note", None, message.video_note.file_id)
    if message.video is not None:
        return Content("video", message.caption, message.video.file_id)
    return None


@dataclass
class Turn:
    """One partner acting on one nudge; `sends` are what to pass on to whom after the
    commit (queued on the unit after the reply to the sender, see `queue_on`)."""

    context: Context
    user: User
    partner: User
    nudge: Nudge
    mine: Delivery
    theirs: Delivery | None
    now: datetime
    sends: list[Send] = field(default_factory=list)

    def share(
        self, header: str, parts: list[AnswerPart], *, to_user: bool = False, heart: bool = False
    ) -> None:
        """Queues the author's parts for the other partner (or the partner's for the user)."""
        bot = self.context.bot
        reader, author = (self.user, self.partner) if to_user else (self.partner, self.user)
        markup = keyboards.heart(self.mine.id or 0) if heart else None
        said = say(header, language_of(reader))  # the header in the reader's language
        self.sends.append(
            lambda: share_parts(
                bot,
                to_chat=reader.id,
                from_chat=author.id,
                header=said,
                parts=parts,
                markup=markup,
            )
        )

    def notify(self, to: User, text: str) -> None:
        """Queues `text` for `to` (either partner), said in their language."""
        bot = self.context.bot
        self.sends.append(lambda: send_if_possible(bot, to.id, text, language_of(to)))

    def queue_on(self, unit: Unit[User]) -> None:
        """Queues what is to be passed on; one that fails does not stop the others (the
        answer is stored either way and shows in /history)."""
        for send in self.sends:
            unit.then(send, quiet=True)


async def take_message(unit: Unit[User | None], message: Message) -> None:
    """A private message the router sends here: an answer to a nudge, or a kind line."""
    content = content_of(message)
    if content is None:
        unit.reply(texts.ASK_FOR_WORDS)
        return
    known = await unit.found_or_created()
    session, now = known.session, known.now
    found = await answers.answering(
        session=session,
        user_id=known.sender.id,
        replied_message_id=_replied_nudge(message),
        now=now,
    )
    turn = _turn(known.context, found, now) if found is not None else None
    if turn is None:
        reply: str | None = texts.nothing_to_answer_yet(_next_time(known.sender))
    elif turn.nudge.options:  # a choice, or a guess with buttons: words change nothing
        reply, turn = texts.CHOICE_USE_BUTTONS, None
    elif found is not None and found.full:  # nothing stored, nothing passed on
        first_time = answers.told_full(delivery=turn.mine, now=now)
        reply = texts.answer_full(answers.MAX_PARTS) if first_time else texts.ANSWER_STILL_FULL
        turn = None
    else:
        first = turn.mine.answered_at is None
        part = await answers.add_part(
            session=session,
            delivery=turn.mine,
            message_id=message.message_id,
            content_type=content.content_type,
            text=content.text,
            file_id=content.file_id,
            now=now,
            guess=not first and await _guess_awaited(session, turn),
        )
        reply = await _answer(session, turn, part, first=first)
    if reply is not None:
        known.reply(reply)
    if turn is not None:
        turn.queue_on(known)


async def _answer(session: Session, turn: Turn, part: AnswerPart, *, first: bool) -> str | None:
    """What an answer does, by the nudge's kind (SPEC, Nudges: kinds and their flows)."""
    mine, theirs, partner, user = turn.mine, turn.theirs, turn.partner, turn.user
    kind = turn.nudge.kind
    if kind == Kind.GUESS:
        return await _guess_in_words(session, turn, part, first=first)
    if kind == Kind.QUESTION:
        if mine.revealed_at is not None:
            turn.share(texts.added_header(user.first_name), [part])
            return texts.answer_added_shared(partner.first_name)
        if theirs is None or theirs.answered_at is None:
            return texts.answer_saved(partner.first_name) if first else texts.ANSWER_ADDED
        mine.revealed_at = theirs.revealed_at = turn.now
        parts = await answers.parts_of(session=session, delivery_ids=(theirs.id or 0, mine.id or 0))
        turn.share(texts.revealed_header(partner.first_name), parts[theirs.id or 0], to_user=True)
        turn.share(texts.revealed_header(user.first_name), parts[mine.id or 0])
        return None
    mine.shared_at = mine.shared_at or turn.now
    if kind == Kind.APPRECIATION:
        header = (
            texts.note_header(user.first_name) if first else texts.added_header(user.first_name)
        )
        turn.share(header, [part], heart=first)
        return texts.note_sent(partner.first_name)
    if kind == Kind.ACTION and mine.done_at is None:
        _mark_done(turn)
        turn.share(texts.did_it_with_words(user.first_name, turn.nudge.category), [part])
        return texts.DONE_THANKS
    header = (
        texts.about_plan_header(user.first_name)
        if kind == Kind.PLAN
        else texts.added_header(user.first_name)
    )
    turn.share(header, [part])
    return texts.passed_on(partner.first_name)


async def _guess_awaited(session: Session, turn: Turn) -> bool:
    """On a guess nudge in words, whether the next message is the guess: the answer about
    oneself came first, and no guess yet (before the reveal)."""
    return (
        turn.nudge.kind == Kind.GUESS
        and turn.mine.revealed_at is None
        and not await answers.has_guess(session=session, delivery_id=turn.mine.id or 0)
    )


async def _guess_in_words(
    session: Session, turn: Turn, part: AnswerPart, *, first: bool
) -> str | None:
    """A guess nudge without options: the first message is the answer about yourself, the
    next the guess; once both partners gave both, each gets the other's answer and guess."""
    mine, theirs, partner, user = turn.mine, turn.theirs, turn.partner, turn.user
    if mine.revealed_at is not None:
        turn.share(texts.added_header(user.first_name), [part])
        return texts.answer_added_shared(partner.first_name)
    if first:
        return texts.now_your_guess(texts.nudge_guess(turn.nudge))
    if not part.guess:
        return texts.ANSWER_ADDED
    if theirs is None or not await answers.has_guess(session=session, delivery_id=theirs.id or 0):
        return texts.guess_saved(partner.first_name)
    mine.revealed_at = theirs.revealed_at = turn.now
    parts = await answers.parts_of(session=session, delivery_ids=(theirs.id or 0, mine.id or 0))
    for author, written, to_user in ((partner, theirs, True), (user, mine, False)):
        answer = [p for p in parts[written.id or 0] if not p.guess]
        guess = [p for p in parts[written.id or 0] if p.guess]
        turn.share(texts.guess_answer_header(author.first_name), answer, to_user=to_user)
        turn.share(texts.guess_of_you_header(author.first_name), guess, to_user=to_user)
    return None


def _mark_done(turn: Turn) -> None:
    turn.mine.done_at = turn.now
    if turn.mine.answered_at is None:
        turn.mine.answered_at = turn.now
    turn.mine.follow_up_due_at = None
    if turn.theirs is not None and turn.theirs.done_at is not None:
        turn.notify(turn.user, texts.BOTH_DID_IT)
        turn.notify(turn.partner, texts.BOTH_DID_IT)


@unit_of_work
async def done_button(unit: Unit[User]) -> None:
    """`done:<delivery id>` on an action nudge."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    user = unit.sender
    turn = await own_turn(unit, query.data.removeprefix("done:"))
    if turn is None or turn.nudge.kind != Kind.ACTION:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    fresh = turn.mine.done_at is None
    if fresh:
        _mark_done(turn)
        turn.notify(turn.partner, texts.did_it(user.first_name, turn.nudge.category))
    unit.then(lambda: query.answer(unit.say(texts.DONE_THANKS if fresh else texts.ALREADY_DONE)))
    unit.then(lambda: drop_buttons(query))
    turn.queue_on(unit)


@unit_of_work
async def plan_button(unit: Unit[User]) -> None:
    """`plan:in:<delivery id>` or `plan:out:<delivery id>` on a plan nudge."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    _, choice, delivery_text = [*query.data.split(":"), "", "", ""][:3]
    turn = await own_turn(unit, delivery_text)
    if turn is None or turn.nudge.kind != Kind.PLAN or choice not in ("in", "out"):
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    if turn.mine.plan_choice == choice:
        unit.then(
            lambda: query.answer(
                unit.say(texts.ALREADY_IN if choice == "in" else texts.ALREADY_OUT)
            )
        )
        return
    reply = _choose_plan(turn, choice)
    unit.then(query.answer)
    unit.reply(reply)
    turn.queue_on(unit)


def _choose_plan(turn: Turn, choice: str) -> str:
    turn.mine.plan_choice = choice

    if turn.mine.answered_at is None:
        turn.mine.answered_at = turn.now
    turn.mine.follow_up_due_at = None
    partner_choice = turn.theirs.plan_choice if turn.theirs is not None else None
    partner_in = partner_choice == "in"
    name, partner_name = turn.user.first_name, turn.partner.first_name
    if choice == "in":
        if partner_in:
            turn.notify(turn.partner, texts.its_a_plan(texts.nudge_text(turn.nudge)))
            return texts.its_a_plan(texts.nudge_text(turn.nudge))
        if partner_choice == "out":  # they said not this time: no asking again
            return texts.PLAN_IN_NOTED
        turn.notify(turn.partner, texts.partner_plan_in(name))
        return texts.plan_in_waiting(partner_name)

    if partner_in:
        # Nobody is guilted: the partner hears only because they had said yes themselves.
        turn.notify(turn.partner, texts.partner_plan_out(name))
    return texts.PLAN_OUT_OK


@unit_of_work
async def heart_button(unit: Unit[User]) -> None:
    """`heart:<delivery id>`: the partner loved a note; its author hears it once."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    session, reader = unit.session, unit.sender
    delivery_id = keyboards.row_id(query.data.removeprefix("heart:"))
    note = (
        await answers.delivery_by_id(session=session, delivery_id=delivery_id)
        if delivery_id is not None
        else None
    )
    if (
        note is None
        or note.user_id == reader.id
        or reader.pair_id is None
        or note.pair_id != reader.pair_id
        or note.shared_at is None
    ):
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    unit.then(lambda: query.answer(unit.say(texts.HEART_BUTTON)))
    if note.hearted_at is None:
        note.hearted_at = unit.now
        author = await users.find(session=session, user_id=note.user_id)
        if author is not None:
            unit.notify(author, texts.note_loved(reader.first_name))


@unit_of_work_if_known
async def on_edit(unit: Unit[User | None]) -> None:
    """An edited answer: the stored text follows; nobody is told about the edit."""
    message = unit.update.edited_message
    if message is None:
        return
    content = content_of(message)
    await answers.edit_part(
        session=unit.session,
        user_id=unit.sender_id,
        message_id=message.message_id,
        text=content.text if content is not None else None,
        now=unit.now,
    )


def _replied_nudge(message: Message) -> int | None:
    """The id of the bot's message this one is a Telegram reply to, if it is one."""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        return replied.message_id
    return None


def _turn(context: Context, found: answers.Answering, now: datetime) -> Turn | None:
    """The nudge this message answers, with the pair around it; None if there is none."""
    return _pair_turn(context, found.user, found.partner, found.mine, found.theirs, now)


async def own_turn(unit: Unit[User], delivery_text: str) -> Turn | None:
    """The presser's own delivery named by a button; None if it is not theirs."""
    delivery_id = keyboards.row_id(delivery_text)
    if delivery_id is None:
        return None
    session, user = unit.session, unit.sender
    delivery = await answers.delivery_by_id(session=session, delivery_id=delivery_id)
    if delivery is None or delivery.user_id != user.id:
        return None
    return await _with_pair(session, unit.context, user, delivery, unit.now)


async def _with_pair(
    session: Session,
    context: Context,
    user: User,
    delivery: Delivery | None,
    now: datetime,
) -> Turn | None:
    if delivery is None or user.pair_id is None or delivery.pair_id != user.pair_id:
        return None
    partner = await users.partner_of(session=session, user=user)
    theirs = await answers.lock_pair_day(session=session, delivery=delivery)
    return _pair_turn(context, user, partner, delivery, theirs, now)


def _pair_turn(
    context: Context,
    user: User,
    partner: User | None,
    delivery: Delivery | None,
    theirs: Delivery | None,
    now: datetime,
) -> Turn | None:
    if delivery is None or user.pair_id is None or delivery.pair_id != user.pair_id:
        return None
    nudge = nudges_by_id().get(delivery.nudge_id)
    if partner is None or nudge is None:
        return None
    return Turn(context, user, partner, nudge, delivery, theirs, now)


def _next_time(user: User) -> str | None:
    if user.next_due_at is None or user.timezone is None:
        return None
    return format_time_of_day(user.next_due_at.astimezone(zone(user.timezone)).time())
