"""The weekly check-in: the offer, three small questions, the reveal, and its settings.

The tick (bot/app.py) runs `send_due` after the daily wave: it claims the check-ins that
are due (storage/checkins.py) and sends them through the bot's paced path, as the wave's
nudges go. A check-in asks how connected someone felt (five words), one thing they
appreciated and one thing they'd like a little more of (typed, or skipped); once both
partners answered, each sees the other's in one message.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import answers, texts
from bot.chat import drop_buttons, language_of, redraw, send_if_possible
from bot.context import Context, Services, services
from bot.i18n import say
from bot.keyboards import number_in, row_id
from bot.recap import send_picture
from bot.unit import Unit, unit_of_work
from nudges import languages
from nudges.checkin import FEELINGS, both_far_for, far_in_a_row
from nudges.languages import Language
from nudges.times import format_time_of_day, parse_time_of_day
from storage import checkins, pairs, recap, users
from storage.checkins import AWAITING_CHECKIN, Due, DueCheckin
from storage.models import Checkin, CheckinStep, Pair, User

log = logging.getLogger(__name__)

Button = InlineKeyboardButton
CLAIM_BATCH = 128  # check-ins claimed per transaction
BATCHES_PER_TICK = 2  # then the tick ends, and the next one sends the daily nudges first
SENDERS = 6  # requests in flight, as the daily wave (the pace is the bot's, shared)
MAX_TEXT = 1000
PICKER_TIMES = ("18:00", "19:00", "20:00", "21:00")


# --- the tick ---------------------------------------------------------------------------


async def send_due(context: Context) -> int:
    """The tick's step (bot/app.py): see `send_due_now`."""
    return await send_due_now(context.bot, services(context))


async def send_due_now(bot: Bot, svc: Services) -> int:
    """Claims the check-ins (and offers) due now and sends them; returns how many went.
    At most `BATCHES_PER_TICK` batches a tick, so a Sunday evening with many pairs never
    holds the daily nudges back for long."""
    sent = 0
    for _ in range(BATCHES_PER_TICK):
        async with svc.database.transaction() as session:
            due = await checkins.claim_due(
                session=session,
                now=svc.clock(),
                limit=CLAIM_BATCH,
                catch_up=svc.settings.catch_up,
            )
        sent += await _send_all(bot, due)
        if len(due) < CLAIM_BATCH:
            break
    return sent


async def _send_all(bot: Bot, due: list[DueCheckin]) -> int:
    room = asyncio.Semaphore(SENDERS)

    async def one(item: DueCheckin) -> bool:
        async with room:
            language = languages.stored(item.language)
            # Sent like the wave's nudges (bulk: a reply to a person goes first), at most
            # once: one that could not go is not retried (it closes at the next one).
            if item.what == Due.OFFER:
                return await send_if_possible(
                    bot,
                    item.user_id,
                    texts.CHECKIN_OFFER,
                    language,
                    _offer_buttons(language),
                    bulk=True,
                )
            assert item.checkin_id is not None
            return await send_if_possible(
                bot,
                item.user_id,
                texts.checkin_question(item.partner_name),
                language,
                _feeling_buttons(item.checkin_id, language),
                bulk=True,
            )

    return sum(await asyncio.gather(*(one(item) for item in due)))


def _offer_buttons(language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [Button(say(texts.CHECKIN_YES_BUTTON, language), callback_data="ci:yes")],
            [Button(say(texts.CHECKIN_NOT_NOW_BUTTON, language), callback_data="ci:no")],
        ]
    )


def _feeling_buttons(checkin_id: int, language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                Button(
                    say(texts.FEELING_LABELS[feeling], language),
                    callback_data=f"ci:f:{checkin_id}:{n}",
                )
            ]
            for n, feeling in enumerate(FEELINGS)
        ]
    )


def _skip_button(checkin_id: int, language: Language) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[Button(say(texts.CHECKIN_SKIP_BUTTON, language), callback_data=f"ci:s:{checkin_id}")]]
    )


# --- answering --------------------------------------------------------------------------


@unit_of_work
async def checkin_button(unit: Unit[User]) -> None:
    """Every `ci:…` button: the offer, a feeling, a skip, and the check-in's settings."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    action = query.data.removeprefix("ci:")
    if action in ("yes", "no"):
        done = await _answer_offer(unit, accepted=action == "yes")
        unit.then(query.answer if done else lambda: query.answer(unit.say(texts.BUTTON_EXPIRED)))
        if done:
            unit.then(lambda: drop_buttons(query))
        return
    if action.startswith(("f:", "s:")):
        answered = await _answer_button(unit, action)
        if answered is None:
            unit.then(lambda: query.answer(unit.say(texts.CHECKIN_CLOSED), show_alert=True))
            return
        unit.then(query.answer)
        if answered:
            unit.then(lambda: drop_buttons(query))
        return
    view = await _change_settings(unit, action)
    if view is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(view[0]), view[1]))


async def _answer_offer(unit: Unit[User], *, accepted: bool) -> bool:
    """Yes switches the check-in on for the pair (the partner is told); not now changes
    nothing. False if the presser is no longer paired."""
    user = unit.sender
    pair = await pairs.find(session=unit.session, pair_id=user.pair_id) if user.pair_id else None
    partner = await users.partner_of(session=unit.session, user=user)
    if pair is None or partner is None:
        return False
    if not accepted:
        unit.reply(texts.CHECKIN_NOT_NOW)
        return True
    if not pair.checkin_on:
        pair.checkin_on = True
        await checkins.plan(session=unit.session, pair=pair, now=unit.now)
        unit.notify(partner, texts.partner_changed_checkin(user.first_name, _when(pair)))
    unit.reply(texts.checkin_on(_when(pair), partner.first_name))
    return True


async def _answer_button(unit: Unit[User], action: str) -> bool | None:
    """`f:<id>:<n>` (a feeling) or `s:<id>` (skip the question asked). None when the
    check-in is not the presser's or has closed; else whether its buttons are done with."""
    kind, id_text, choice = [*action.split(":"), "", ""][:3]
    checkin_id = row_id(id_text)
    checkin = (
        await checkins.own_open(session=unit.session, user=unit.sender, checkin_id=checkin_id)
        if checkin_id is not None
        else None
    )
    if checkin is None:
        return None
    if kind == "f":
        index = number_in(choice, 0, len(FEELINGS) - 1)
        if index is None:
            return None
        asking = checkin.step == CheckinStep.FEELING
        checkins.set_feeling(checkin, FEELINGS[index])
        if asking:
            partner = await users.partner_of(session=unit.session, user=unit.sender)
            unit.sender.awaiting = AWAITING_CHECKIN
            name = partner.first_name if partner is not None else ""
            unit.reply(texts.ask_appreciated(name), _skip_button(checkin.id or 0, unit.language))
        return True
    if checkin.step not in checkins.TEXT_STEPS:
        return None
    await _take(unit, checkin, None)
    return True


async def take_text(unit: Unit[User], message: Message, text: str) -> None:
    """A typed answer while a check-in waits for one (the router sends it here). A Telegram
    reply to another message, or no open check-in, makes it an ordinary answer."""
    checkin = await checkins.awaiting_text(session=unit.session, user=unit.sender)
    if checkin is None or message.reply_to_message is not None:
        if checkin is None:
            unit.sender.awaiting = None
        await answers.take_message(unit.with_sender(unit.sender), message)
        return
    if len(text) > MAX_TEXT:
        unit.reply(texts.CHECKIN_TOO_LONG)
        return
    await _take(unit, checkin, text.strip() or None)


async def _take(unit: Unit[User], checkin: Checkin, text: str | None) -> None:
    """The answer to the question asked (None: skipped); the next question, or the end."""
    checkins.set_text(checkin, text, now=unit.now)
    if checkin.step == CheckinStep.MORE_OF:
        unit.reply(texts.ASK_MORE_OF, _skip_button(checkin.id or 0, unit.language))
        return
    unit.sender.awaiting = None
    await _finish(unit, checkin)


async def _finish(unit: Unit[User], mine: Checkin) -> None:
    """Both answered: each sees the other's check-in, in one message; else the wait."""
    session, user = unit.session, unit.sender
    partner = await users.partner_of(session=session, user=user)
    theirs = await checkins.partner_of_week(session=session, checkin=mine)
    pair = await pairs.find(session=session, pair_id=mine.pair_id)
    if partner is None or pair is None:
        return
    if theirs is None or theirs.step != CheckinStep.DONE:
        unit.reply(texts.checkin_saved(partner.first_name))
        return
    mine.revealed_at = theirs.revealed_at = unit.now
    care = await _care_line(unit, pair, user, partner)
    unit.reply(_reveal(partner.first_name, theirs, care))
    unit.notify(partner, _reveal(user.first_name, mine, care))
    await recap_with_reveal(unit, pair, partner)


async def recap_with_reveal(unit: Unit[User], pair: Pair, partner: User) -> None:
    """With the reveal, each partner's own picture of their weeks (what /recap sends them),
    if the pair chose it in /settings. Drawn after the commit, off the event loop; a picture
    that cannot be sent is logged and takes nothing else with it."""
    if not pair.recap_with_checkin:
        return
    for viewer in (unit.sender, partner):
        facts = await recap.recap_facts(session=unit.session, viewer=viewer, now=unit.now)
        if facts is not None:
            language = language_of(viewer)
            unit.then(partial(send_picture, unit.bot, viewer.id, facts, language), quiet=True)


async def _care_line(unit: Unit[User], pair: Pair, user: User, partner: User) -> str | None:
    """The gentle line when one partner felt far twice in a row; once per pair, the
    counsellor line when both did for four weeks. Never says who."""
    mine = await checkins.feelings(
        session=unit.session, pair_id=pair.id or 0, user_id=user.id, latest=4
    )
    theirs = await checkins.feelings(
        session=unit.session, pair_id=pair.id or 0, user_id=partner.id, latest=4
    )
    if both_far_for(mine, theirs) and pair.counsellor_line_at is None:
        pair.counsellor_line_at = unit.now
        return texts.CHECKIN_COUNSELLOR
    if far_in_a_row(mine) or far_in_a_row(theirs):
        return texts.CHECKIN_GENTLE
    return None


def _reveal(author: str, checkin: Checkin, care: str | None) -> str:
    words = checkins.words_of(checkin)

    def shown(value: str | object | None) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return texts.ANSWER_UNREADABLE

    text = texts.checkin_reveal(
        author,
        texts.FEELING_LABELS[words.feeling] if words.feeling else None,
        shown(words.appreciated),
        shown(words.more_of),
    )
    return texts.joined("\n\n", [text, care]) if care else text


# --- settings ---------------------------------------------------------------------------


async def _change_settings(
    unit: Unit[User], action: str
) -> tuple[str, InlineKeyboardMarkup] | None:
    """`menu`, `on`, `off`, `d:<weekday>`, `t:<HH:MM>`: shared by the pair (the partner
    hears of a change). None for an unknown action or someone not paired."""
    session, user = unit.session, unit.sender
    pair = await pairs.find(session=session, pair_id=user.pair_id) if user.pair_id else None
    partner = await users.partner_of(session=session, user=user)
    if pair is None or partner is None:
        return None
    before = (pair.checkin_on, pair.checkin_weekday, pair.checkin_time)
    if action == "on":
        pair.checkin_on = True
    elif action == "off":
        pair.checkin_on = False
    elif (
        action.startswith("d:") and (day := number_in(action.removeprefix("d:"), 0, 6)) is not None
    ):
        pair.checkin_weekday, pair.checkin_on = day, True
    elif action.startswith("t:") and action.removeprefix("t:") in PICKER_TIMES:
        chosen = parse_time_of_day(action.removeprefix("t:"))
        assert chosen is not None
        pair.checkin_time, pair.checkin_on = chosen, True
    elif action != "menu":
        return None
    if (pair.checkin_on, pair.checkin_weekday, pair.checkin_time) != before:
        await checkins.plan(session=session, pair=pair, now=unit.now)
        unit.notify(partner, texts.partner_changed_checkin(user.first_name, _when(pair)))
    return settings_view(pair, unit.language)


def settings_view(pair: Pair, language: Language) -> tuple[str, InlineKeyboardMarkup]:
    """The check-in's screen in /settings: on or off, the day and the time."""

    def button(label: str, data: str) -> Button:
        return Button(say(label, language), callback_data=data)

    days = [
        button(("✅ " if pair.checkin_weekday == day else "") + say(name, language), f"ci:d:{day}")
        for day, name in enumerate(texts.WEEKDAY_NAMES)
    ]
    chosen = format_time_of_day(pair.checkin_time)
    times = [
        Button(("✅ " if chosen == t else "") + t, callback_data=f"ci:t:{t}") for t in PICKER_TIMES
    ]
    switch = (
        button(texts.CHECKIN_SWITCH_OFF, "ci:off")
        if pair.checkin_on
        else button(texts.CHECKIN_SWITCH_ON, "ci:on")
    )
    rows = [
        [switch],
        days[:4],
        days[4:],
        times,
        [button(texts.SETTINGS_BACK, "set:main")],
    ]
    return texts.checkin_settings(_when(pair)), InlineKeyboardMarkup(rows)


def _when(pair: Pair) -> str | None:
    if not pair.checkin_on:
        return None
    return texts.checkin_when(pair.checkin_weekday, format_time_of_day(pair.checkin_time))
