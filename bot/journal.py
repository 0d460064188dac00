"""/history: the couple's shared journal, newest first, five days a page, edited in place."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.chat import MAX_MESSAGE, redraw, visible_length
from bot.i18n import day_short, say
from bot.keyboards import number_in, row_id
from bot.sharing import words_of
from bot.unit import Unit, unit_of_work
from nudges.languages import Language
from nudges.library import Kind, Nudge, nudges_by_id
from storage import answers, journal, users
from storage.journal import JournalDay
from storage.models import AnswerPart, Delivery, User

PER_PAGE = 5
PREVIEWS = (160, 60, 20)  # characters of each answer shown, shorter when a page is long
MAX_PARTS_SHOWN = 3  # of one person's answer on one day ("…and 2 more" after them)
MAX_VIEW_BUTTONS = 6
MAX_PAGE = 10_000


@dataclass
class Shown:
    """How one day is drawn: its label, the view buttons it adds, the preview length."""

    day: str
    buttons: list[InlineKeyboardButton]
    preview: int
    language: Language  # the reader's: the buttons are labelled in it


@unit_of_work
async def history(unit: Unit[User]) -> None:
    """/history: the first page."""
    text, markup = await _render(unit, 0)
    unit.reply(text, markup)


@unit_of_work
async def page_button(unit: Unit[User]) -> None:
    """`hist:<page>`: ◀ ▶ edit the journal message in place."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    number = number_in(query.data.removeprefix("hist:"), 0, MAX_PAGE)
    if number is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    text, markup = await _render(unit, number)
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(text), markup))


@unit_of_work
async def view_button(unit: Unit[User]) -> None:
    """`view:<part id>`: shows a voice note, photo or video from the journal again."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    part_id = row_id(query.data.removeprefix("view:"))
    session, viewer = unit.session, unit.sender
    part = (
        await answers.part_for_viewer(
            session=session,
            part_id=part_id,
            viewer_id=viewer.id,
            viewer_pair_id=viewer.pair_id,
        )
        if part_id is not None
        else None
    )
    owner = (
        await answers.delivery_by_id(session=session, delivery_id=part.delivery_id)
        if part is not None
        else None
    )
    if part is None or owner is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    bot, to_chat, from_chat, message_id = unit.bot, viewer.id, owner.user_id, part.message_id
    unit.then(query.answer)
    unit.then(lambda: bot.copy_message(to_chat, from_chat, message_id))


async def _render(unit: Unit[User], number: int) -> tuple[str, InlineKeyboardMarkup | None]:
    session, user = unit.session, unit.sender
    partner = await users.partner_of(session=session, user=user)
    days, more = await journal.page(
        session=session,
        user=user,
        number=number,
        per_page=PER_PAGE,
        parts_shown=MAX_PARTS_SHOWN,
    )
    counts = (
        await journal.counts(
            session=session,
            pair_id=user.pair_id,
            appreciation_ids={n.id for n in nudges_by_id().values() if n.kind == Kind.APPRECIATION},
        )
        if user.pair_id is not None
        else None
    )
    if not days:
        return texts.JOURNAL_EMPTY, None
    partner_name = partner.first_name if partner is not None else None
    for preview in PREVIEWS:  # long answers get shorter previews until the page fits
        blocks: list[str] = []
        if counts is not None:
            blocks.append(
                texts.journal_counts(
                    counts.both_showed_up, counts.notes_exchanged, counts.plans_made
                )
            )
        view_buttons: list[InlineKeyboardButton] = []
        for day in days:
            blocks.append(_entry(day, partner_name, view_buttons, preview, unit.language))
        text = unit.say(texts.joined("\n\n", blocks))
        if visible_length(text) <= MAX_MESSAGE:
            break
    rows: list[list[InlineKeyboardButton]] = [
        view_buttons[i : i + 2] for i in range(0, min(len(view_buttons), MAX_VIEW_BUTTONS), 2)
    ]
    paging = []
    if number > 0:
        paging.append(
            InlineKeyboardButton(unit.say(texts.NEWER_BUTTON), callback_data=f"hist:{number - 1}")
        )
    if more:
        paging.append(
            InlineKeyboardButton(unit.say(texts.OLDER_BUTTON), callback_data=f"hist:{number + 1}")
        )
    if paging:
        rows.append(paging)
    return text, InlineKeyboardMarkup(rows) if rows else None


def _entry(
    day: JournalDay,
    partner_name: str | None,
    buttons: list[InlineKeyboardButton],
    preview: int,
    language: Language,
) -> str:
    nudge = nudges_by_id().get(day.nudge_id)
    label = day_short(day.day)
    if nudge is None:
        return texts.joined("", ["<b>", label, "</b>"])
    shown = Shown(label, buttons, preview, language)
    lines = [(texts.YOU, _what(nudge, day.mine, day.my_parts, day.my_total, True, shown))]
    if partner_name is not None:
        theirs = day.theirs
        revealed_later = nudge.kind in (Kind.QUESTION, Kind.CHOICE, Kind.GUESS)
        if revealed_later and (theirs is None or theirs.revealed_at is None):
            answered = any(d is not None and d.answered_at for d in (day.mine, theirs))
            what = texts.WAITING_FOR_BOTH if answered else texts.NOTHING_YET
        else:
            visible = theirs is not None and (
                theirs.revealed_at is not None or theirs.shared_at is not None
            )
            what = _what(nudge, theirs, day.their_parts, day.their_total, visible, shown)
        lines.append((partner_name, what))
    return texts.journal_entry(
        label, texts.CATEGORY_TITLES[nudge.category], texts.nudge_text(nudge), lines
    )


def _what(
    nudge: Nudge,
    delivery: Delivery | None,
    parts: list[AnswerPart],
    total: int,
    visible: bool,
    shown: Shown,
) -> str:
    """`parts`: the first of the answer's `total` parts (MAX_PARTS_SHOWN at most)."""
    if delivery is None:
        return texts.NOTHING_YET
    marks = []
    kind = nudge.kind
    if kind == Kind.ACTION and delivery.done_at is not None:
        marks.append(texts.DONE_MARK)
    if kind == Kind.PLAN and delivery.plan_choice is not None:
        marks.append(texts.PLAN_IN if delivery.plan_choice == "in" else texts.PLAN_OUT)
    if visible and delivery.pick is not None and delivery.pick < len(nudge.options):
        marks.append(texts.escaped(texts.nudge_option(nudge, delivery.pick)))
    if visible and delivery.guess_pick is not None and delivery.guess_pick < len(nudge.options):
        marks.append(texts.guessed(texts.nudge_option(nudge, delivery.guess_pick)))
    if visible:
        for part in parts[:MAX_PARTS_SHOWN]:
            marks.append(_preview(part, shown))
        if total > len(parts[:MAX_PARTS_SHOWN]):
            marks.append(texts.more_parts(total - len(parts[:MAX_PARTS_SHOWN])))
    return texts.joined(" · ", marks) if marks else texts.NOTHING_YET


def _preview(part: AnswerPart, shown: Shown) -> str:
    words = words_of(part) or ""
    short = words if len(words) <= shown.preview else words[: shown.preview - 1] + "…"
    guess = f"{texts.GUESS_MARK} " if part.guess else ""
    if part.content_type == "text":
        return guess + escape(short)  # as its author wrote it, never translated
    label = texts.MEDIA_LABELS.get(part.content_type, part.content_type)
    shown.buttons.append(
        InlineKeyboardButton(
            say(texts.view_button(label, shown.day), shown.language),
            callback_data=f"view:{part.id}",
        )
    )
    return texts.joined("", [guess, label, f" “{escape(short)}”" if short else ""])
