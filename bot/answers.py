"""Replies to nudges: answer-to-reveal questions, notes, Done, plans, hearts and edits.

A plain message answers the sender's latest nudge; a Telegram reply to one of their nudge
messages (up to 7 days old) answers that one. Each handler reads the same way: parse,
load, decide and save in one transaction, then tell the people concerned.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import keyboards, texts
from bot.chat import drop_buttons, enter, say, sender_id, tell
from bot.context import Context, services
from bot.sharing import share_parts
from nudges.library import Kind, Nudge, nudges_by_id
from nudges.times import format_time_of_day
from nudges.zones import zone
from storage import answers, users
from storage.models import AnswerPart, Delivery, OnboardingStep, User

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
    """One partner acting on one nudge; `sends` are what to tell whom after the commit."""

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
        to_chat, from_chat = (
            (self.user.id, self.partner.id) if to_user else (self.partner.id, self.user.id)
        )
        markup = keyboards.heart(self.mine.id or 0) if heart else None
        self.sends.append(
            lambda: share_parts(
                bot,
                to_chat=to_chat,
                from_chat=from_chat,
                header=header,
                parts=parts,
                markup=markup,
            )
        )

    def tell(self, chat_id: int, text: str) -> None:
        bot = self.context.bot
        self.sends.append(lambda: tell(bot, chat_id, text))

    async def flush(self) -> None:
        """Sends each queued message; one that fails does not stop the others (the answer is
        stored either way and shows in /history)."""
        for send in self.sends:
            try:
                await send()
            except Forbidden:
                log.info("a partner has blocked the bot; their copy was not delivered")
            except TelegramError as error:
                log.warning("a shared answer was not delivered: %s", error.message)


async def on_message(update: Update, context: Context) -> None:
    """A private message: an answer to a nudge, or a kind line. The first handler a plain
    message reaches, so an answer (nearly every message) is read and written in one
    transaction; a text from someone onboarding, or one a feature waits for (the date of a
    pause), is left to the handlers after this one."""
    message = update.effective_message
    if message is None:
        return
    content = content_of(message)
    if content is None:
        await say(context, sender_id(update), texts.ASK_FOR_WORDS)
        raise ApplicationHandlerStop
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        found = await answers.answering(
            session=session,
            user_id=sender_id(update),
            replied_message_id=_replied_nudge(message),
            now=now,
        )
        if message.text is not None and (found is None or _expects_text(found.user)):
            return  # nothing was written: onboarding or the awaited feature takes it
        user = await enter(session=session, update=update, now=now)  # the row just read
        turn = _turn(context, found, now) if found is not None else None
        if turn is None:
            reply: str | None = texts.nothing_to_answer_yet(_next_time(user))
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
            )
            reply = await _answer(session, turn, part, first=first)
    if reply is not None:
        await say(context, user.id, reply)
    if turn is not None:
        await turn.flush()
    raise ApplicationHandlerStop


def _expects_text(user: User) -> bool:
    """Whether a text from this user is theirs to answer (onboarding's question, the date of
    a pause) rather than an answer to a nudge."""
    return user.onboarding_step != OnboardingStep.DONE or user.awaiting is not None


async def _answer(
    session: AsyncSession, turn: Turn, part: AnswerPart, *, first: bool
) -> str | None:
    """What an answer does, by the nudge's kind (SPEC, Nudges: kinds and their flows)."""
    mine, theirs, partner, user = turn.mine, turn.theirs, turn.partner, turn.user
    kind = turn.nudge.kind
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


def _mark_done(turn: Turn) -> None:
    turn.mine.done_at = turn.now
    if turn.mine.answered_at is None:
        turn.mine.answered_at = turn.now
    turn.mine.follow_up_due_at = None
    if turn.theirs is not None and turn.theirs.done_at is not None:
        turn.tell(turn.user.id, texts.BOTH_DID_IT)
        turn.tell(turn.partner.id, texts.BOTH_DID_IT)


async def done_button(update: Update, context: Context) -> None:
    """`done:<delivery id>` on an action nudge."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        turn = await _own_turn(session, context, user, query.data.removeprefix("done:"), now)
        valid = turn is not None and turn.nudge.kind == Kind.ACTION
        fresh = turn is not None and valid and turn.mine.done_at is None
        if turn is not None and fresh:
            _mark_done(turn)
            turn.tell(turn.partner.id, texts.did_it(user.first_name, turn.nudge.category))
    if turn is None or not valid:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer(texts.DONE_THANKS if fresh else texts.ALREADY_DONE)
    await drop_buttons(query)
    await turn.flush()


async def plan_button(update: Update, context: Context) -> None:
    """`plan:in:<delivery id>` or `plan:out:<delivery id>` on a plan nudge."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    _, choice, delivery_text = [*query.data.split(":"), "", "", ""][:3]
    now = services(context).clock()
    reply: str | None = None
    async with services(context).database.transaction() as session:
        user = await enter(session=session, update=update, now=now)
        turn = await _own_turn(session, context, user, delivery_text, now)
        valid = turn is not None and turn.nudge.kind == Kind.PLAN and choice in ("in", "out")
        if turn is not None and valid and turn.mine.plan_choice != choice:
            reply = _choose_plan(turn, choice)
    if turn is None or not valid:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    if reply is None:
        await query.answer(texts.ALREADY_IN if choice == "in" else texts.ALREADY_OUT)
        return
    await query.answer()
    await say(context, user.id, reply)
    await turn.flush()


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
            turn.tell(turn.partner.id, texts.its_a_plan(turn.nudge.text))
            return texts.its_a_plan(turn.nudge.text)
        if partner_choice == "out":  # they said not this time: no asking again
            return texts.PLAN_IN_NOTED
        turn.tell(turn.partner.id, texts.partner_plan_in(name))
        return texts.plan_in_waiting(partner_name)

    if partner_in:
        # Nobody is guilted: the partner hears only because they had said yes themselves.
        turn.tell(turn.partner.id, texts.partner_plan_out(name))
    return texts.PLAN_OUT_OK


async def heart_button(update: Update, context: Context) -> None:
    """`heart:<delivery id>`: the partner loved a note; its author hears it once."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    delivery_id = keyboards.row_id(query.data.removeprefix("heart:"))
    now = services(context).clock()
    author: User | None = None
    async with services(context).database.transaction() as session:
        reader = await enter(session=session, update=update, now=now)
        note = (
            await answers.delivery_by_id(session=session, delivery_id=delivery_id)
            if delivery_id is not None
            else None
        )
        valid = (
            note is not None
            and note.user_id != reader.id
            and reader.pair_id is not None
            and note.pair_id == reader.pair_id
            and note.shared_at is not None
        )
        if valid and note is not None and note.hearted_at is None:
            note.hearted_at = now
            author = await users.find(session=session, user_id=note.user_id)
    if not valid:
        await query.answer(texts.BUTTON_EXPIRED, show_alert=True)
        return
    await query.answer(texts.HEART_BUTTON)
    if author is not None:
        await tell(context.bot, author.id, texts.note_loved(reader.first_name))


async def on_edit(update: Update, context: Context) -> None:
    """An edited answer: the stored text follows; nobody is told about the edit."""
    message = update.edited_message
    if message is None or update.effective_user is None:
        return
    content = content_of(message)
    async with services(context).database.transaction() as session:
        await answers.edit_part(
            session=session,
            user_id=update.effective_user.id,
            message_id=message.message_id,
            text=content.text if content is not None else None,
            now=services(context).clock(),
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


async def _own_turn(
    session: AsyncSession, context: Context, user: User, delivery_text: str, now: datetime
) -> Turn | None:
    """The presser's own delivery named by a button; None if it is not theirs."""
    delivery_id = keyboards.row_id(delivery_text)
    if delivery_id is None:
        return None
    delivery = await answers.delivery_by_id(session=session, delivery_id=delivery_id)

    if delivery is None or delivery.user_id != user.id:
        return None
    return await _with_pair(session, context, user, delivery, now)


async def _with_pair(
    session: AsyncSession,
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
