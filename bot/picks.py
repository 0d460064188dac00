"""Choice and guess nudges answered with buttons, their reveals, and Not today.

A choice: tap one option (`opt:<delivery id>:<index>`); it may change until the partner
has picked; once both have, each gets one message with the two picks side by side.
A guess with options: tap your own answer (`opt:`), and the same message turns into the
buttons for your guess about the partner (`gue:<delivery id>:<index>`); once both have
answered and guessed, each gets both answers and both guesses. (A guess without options
is answered in words: bot/answers.py.)
Not today (`skip:<delivery id>`, on every nudge): sets the nudge aside for the presser, no
follow-up, the partner is never told; an answer already given stays.

Button data is checked like every button's: the delivery must be the presser's own, in
their current pair, the index one of the nudge's options.
"""

from __future__ import annotations

from telegram import CallbackQuery

from bot import keyboards, texts
from bot.answers import Turn, own_turn
from bot.chat import language_of, redraw
from bot.i18n import say
from bot.unit import Unit, unit_of_work
from nudges.library import Kind
from storage import answers
from storage.models import Delivery, User


@unit_of_work
async def pick_button(unit: Unit[User]) -> None:
    """`opt:<delivery id>:<index>`: an option about yourself, on a choice or guess nudge."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    pressed = await _pressed(unit, query.data, keyboards.PICK)
    if pressed is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    turn, index = pressed
    if turn.nudge.kind == Kind.CHOICE:
        _choose(unit, query, turn, index)
    else:
        _answer_about_yourself(unit, query, turn, index)


@unit_of_work
async def guess_button(unit: Unit[User]) -> None:
    """`gue:<delivery id>:<index>`: your guess of the partner's answer on a guess nudge."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    pressed = await _pressed(unit, query.data, keyboards.GUESS)
    if pressed is None or pressed[0].nudge.kind != Kind.GUESS:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    turn, index = pressed
    mine, theirs, nudge = turn.mine, turn.theirs, turn.nudge
    if mine.pick is None:
        unit.then(lambda: query.answer(unit.say(texts.GUESS_ANSWER_FIRST)))
        return
    if mine.guess_pick is not None:
        unit.then(lambda: query.answer(unit.say(texts.ALREADY_GUESSED)))
        return
    answers.record_guess_pick(delivery=mine, option=index)
    unit.then(query.answer)
    if theirs is None or theirs.pick is None or theirs.guess_pick is None:
        waiting = texts.guess_waiting(
            texts.nudge_option(nudge, mine.pick),
            texts.nudge_option(nudge, index),
            turn.partner.first_name,
        )
        unit.then(lambda: redraw(query, unit.say(_nudge_text(turn, waiting))))
        return
    mine.revealed_at = theirs.revealed_at = turn.now
    unit.reply(_guess_reveal(turn, mine, theirs, turn.partner.first_name))
    unit.notify(turn.partner, _guess_reveal(turn, theirs, mine, turn.user.first_name))
    unit.then(lambda: redraw(query, unit.say(_nudge_text(turn, _final_line(turn, mine)))))
    _settle_partner_message(unit, turn)


@unit_of_work
async def not_today_button(unit: Unit[User]) -> None:
    """`skip:<delivery id>`: the nudge is set aside for the presser (nobody else is told)."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    turn = await own_turn(unit, query.data.removeprefix("skip:"))
    if turn is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    fresh = answers.set_aside(delivery=turn.mine, now=unit.now)
    unit.then(lambda: query.answer(None if fresh else unit.say(texts.ALREADY_SET_ASIDE)))
    unit.then(lambda: redraw(query, unit.say(texts.SET_ASIDE)))


async def _pressed(unit: Unit[User], data: str, prefix: str) -> tuple[Turn, int] | None:
    """The presser's own nudge with options and the option index the data names; None if
    the data is malformed, names someone else's delivery or an option the nudge lacks."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != prefix:
        return None
    turn = await own_turn(unit, parts[1])
    if turn is None or turn.nudge.kind not in (Kind.CHOICE, Kind.GUESS) or not turn.nudge.options:
        return None
    index = keyboards.number_in(parts[2], 0, len(turn.nudge.options) - 1)
    return (turn, index) if index is not None else None


def _choose(unit: Unit[User], query: CallbackQuery, turn: Turn, index: int) -> None:
    """A choice tapped: recorded (changeable until the partner picked), revealed once both
    have picked."""
    mine, theirs, nudge = turn.mine, turn.theirs, turn.nudge
    if mine.revealed_at is not None:
        unit.then(lambda: query.answer(unit.say(texts.PICKS_SHOWN)))
        return
    if mine.pick == index:
        unit.then(lambda: query.answer(unit.say(texts.PICK_SAME)))
        return
    changed = mine.pick is not None
    answers.record_pick(delivery=mine, option=index, now=turn.now)
    option = texts.nudge_option(nudge, index)
    if theirs is None or theirs.pick is None:
        text = _nudge_text(turn, texts.picked(option, turn.partner.first_name))
        markup = keyboards.options(nudge, mine.id or 0, keyboards.PICK, unit.language, chosen=index)
        unit.then(lambda: query.answer(unit.say(texts.pick_changed(option)) if changed else None))
        unit.then(lambda: redraw(query, unit.say(text), markup))
        return
    mine.revealed_at = theirs.revealed_at = turn.now
    theirs_option = texts.nudge_option(nudge, theirs.pick)
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(_nudge_text(turn, _final_line(turn, mine)))))
    unit.reply(
        texts.both_picked(texts.nudge_text(nudge), option, turn.partner.first_name, theirs_option)
    )
    unit.notify(
        turn.partner,
        texts.both_picked(texts.nudge_text(nudge), theirs_option, turn.user.first_name, option),
    )
    _settle_partner_message(unit, turn)


def _answer_about_yourself(unit: Unit[User], query: CallbackQuery, turn: Turn, index: int) -> None:
    """A guess nudge's own answer tapped: the message turns into the guess buttons. The
    answer may change until the guess is given."""
    mine, nudge = turn.mine, turn.nudge
    if mine.guess_pick is not None:
        unit.then(lambda: query.answer(unit.say(texts.ALREADY_GUESSED)))
        return
    answers.record_pick(delivery=mine, option=index, now=turn.now)
    text = _nudge_text(
        turn,
        texts.your_answer_now_guess(texts.nudge_option(nudge, index), texts.nudge_guess(nudge)),
    )
    markup = keyboards.options(nudge, mine.id or 0, keyboards.GUESS, unit.language)
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(text), markup))


def _guess_reveal(turn: Turn, own: Delivery, other: Delivery, other_name: str) -> str:
    """The reveal as `own`'s author sees it."""
    assert own.pick is not None and own.guess_pick is not None
    assert other.pick is not None and other.guess_pick is not None
    return texts.guess_reveal(
        texts.nudge_text(turn.nudge),
        other_name,
        mine=texts.nudge_option(turn.nudge, own.pick),
        their_guess=texts.nudge_option(turn.nudge, other.guess_pick),
        theirs=texts.nudge_option(turn.nudge, other.pick),
        my_guess=texts.nudge_option(turn.nudge, own.guess_pick),
    )


def _nudge_text(turn: Turn, line: str) -> str:
    return texts.joined("\n\n", [texts.nudge_message(turn.nudge, turn.partner.first_name), line])


def _final_line(turn: Turn, delivery: Delivery) -> str:
    """What a nudge message says once the two have been revealed to each other."""
    assert delivery.pick is not None
    if delivery.guess_pick is None:
        return texts.your_pick(texts.nudge_option(turn.nudge, delivery.pick))
    return texts.your_answer_and_guess(
        texts.nudge_option(turn.nudge, delivery.pick),
        texts.nudge_option(turn.nudge, delivery.guess_pick),
    )


def _settle_partner_message(unit: Unit[User], turn: Turn) -> None:
    """The partner's nudge message loses its buttons once both were revealed (a tap on it
    would change nothing); if it cannot be edited, nothing is lost."""
    theirs = turn.theirs
    if theirs is None or theirs.message_id is None or theirs.skipped_at is not None:
        return
    bot, chat_id, message_id = unit.bot, turn.partner.id, theirs.message_id
    partner_view = say(
        texts.joined(
            "\n\n",
            [texts.nudge_message(turn.nudge, turn.user.first_name), _final_line(turn, theirs)],
        ),
        language_of(turn.partner),
    )
    unit.then(
        lambda: bot.edit_message_text(partner_view, chat_id=chat_id, message_id=message_id),
        quiet=True,
    )
