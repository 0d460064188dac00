"""/settings and /topics: each setting is a button that changes it in place (one message)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.chat import language_of, redraw
from bot.i18n import day_short, offered, say
from bot.unit import Unit, unit_of_work
from nudges.choice import Living
from nudges.languages import Language
from nudges.library import MAIN_CATEGORIES, Category, topics_from_text, topics_to_text
from nudges.schedule import (
    EVERY_DAY,
    WEEKDAYS_ONLY,
    WEEKENDS_ONLY,
    mask_from_weekdays,
    weekdays_from_mask,
)
from nudges.times import format_time_of_day, parse_time_of_day
from nudges.zones import zone
from storage import pairs, users
from storage.db import Session
from storage.models import Pair, User
from storage.schedules import reschedule_pair_of

Button = InlineKeyboardButton
View = tuple[str, InlineKeyboardMarkup]
PRESETS = {"all": EVERY_DAY, "wk": WEEKDAYS_ONLY, "we": WEEKENDS_ONLY}
PICKER_TIMES = ("06:30", "07:00", "07:30", "08:00", "08:30", "09:00")
CATEGORY_BY_NAME = {category.value: category for category in MAIN_CATEGORIES}
LIVING_BY_NAME = {living.value: living for living in Living}
LANGUAGE_BY_CODE = {language.value: language for language in Language}


@unit_of_work
async def settings_command(unit: Unit[User]) -> None:
    await _show(unit, "main")


@unit_of_work
async def topics_command(unit: Unit[User]) -> None:
    await _show(unit, "topics")


@unit_of_work
async def language_command(unit: Unit[User]) -> None:
    """/language: the languages offered, as buttons (also in /settings)."""
    await _show(unit, "lang")


@unit_of_work
async def settings_button(unit: Unit[User]) -> None:
    """Every `set:…` button: change what it names, then redraw the message in place."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    view = await _change_and_view(unit, query.data.removeprefix("set:"))
    if view is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(view[0]), view[1]))


def ask_living(language: Language) -> InlineKeyboardMarkup:
    """The one-tap question after pairing: where the two live."""
    return InlineKeyboardMarkup(
        [
            [Button(say(label, language), callback_data=f"live:{living}")]
            for living, label in texts.LIVING_BUTTONS.items()
        ]
    )


@unit_of_work
async def living_button(unit: Unit[User]) -> None:
    """`live:<living>` under the question asked after pairing: it sets it for the pair (the
    partner's earlier answer, if any, is replaced, and the partner is told)."""
    query = unit.update.callback_query
    if query is None or query.data is None:
        return
    user = unit.sender
    living = LIVING_BY_NAME.get(query.data.removeprefix("live:"))
    partner = await users.partner_of(session=unit.session, user=user)
    pair = await pairs.find(session=unit.session, pair_id=user.pair_id) if user.pair_id else None
    if living is None or pair is None or partner is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    if pair.living != living:
        pair.living = living
        unit.notify(partner, texts.partner_changed_living(user.first_name, living))
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(texts.living_set(living)), None))


async def _show(unit: Unit[User], action: str) -> None:
    """/settings or /topics (the only one that needs a partner)."""
    view = await _change_and_view(unit, action)
    if view is None:
        unit.reply(texts.TOPICS_NOT_PAIRED)
        return
    unit.reply(view[0], view[1])


async def _change_and_view(unit: Unit[User], action: str) -> View | None:
    """Applies `action` and returns the view to show; None for an unknown or stale one.
    Queues the news for the partner, if the change is theirs too."""
    session, user, now = unit.session, unit.sender, unit.now
    partner = await users.partner_of(session=session, user=user)
    pair = await pairs.find(session=session, pair_id=user.pair_id) if user.pair_id else None
    screen, news = await _change(session, now, user, partner, pair, action)
    if screen is None:
        return None
    if news is not None and partner is not None:
        unit.notify(partner, news)
    return _render(screen, user, partner, pair, now)


async def _change(
    session: Session,
    now: datetime,
    user: User,
    partner: User | None,
    pair: Pair | None,
    action: str,
) -> tuple[str | None, str | None]:
    """Changes the rows as `action` says; returns (the screen to show, news for the partner).

    Shared settings (topics, where the pair lives) tell the partner; spark opt-in/out never does.
    """
    if action in ("main", "time", "zone", "days"):
        return action, None
    if action.startswith("t:"):
        chosen = parse_time_of_day(action.removeprefix("t:"))
        if chosen is None:
            return None, None
        await users.set_nudge_time(session=session, user=user, value=chosen, now=now)
        return "main", None
    if action.startswith("days:") and action.removeprefix("days:") in PRESETS:
        user.weekdays = mask_from_weekdays(PRESETS[action.removeprefix("days:")])
        await reschedule_pair_of(session=session, user=user, now=now)
        return "days", None
    if action.startswith("d:") and action.removeprefix("d:") in tuple("0123456"):
        days = weekdays_from_mask(user.weekdays) ^ {int(action.removeprefix("d:"))}
        if days:  # at least one day stays on
            user.weekdays = mask_from_weekdays(frozenset(days))
            await reschedule_pair_of(session=session, user=user, now=now)
        return "days", None
    if action == "fu":
        user.follow_ups = not user.follow_ups
        return "main", None
    if action == "spark":
        user.spark = not user.spark
        return "main", None
    if action == "lang":
        return "lang", None
    if action.startswith("lg:"):
        chosen = LANGUAGE_BY_CODE.get(action.removeprefix("lg:"))
        if chosen is None or chosen not in offered():
            return None, None
        await users.set_language(session=session, user=user, language=chosen)
        return "main", None
    if pair is None or partner is None:
        return None, None
    if action == "topics":
        return "topics", None
    if action.startswith("tp:") and action.removeprefix("tp:") in CATEGORY_BY_NAME:
        topics = topics_from_text(pair.topics) ^ {CATEGORY_BY_NAME[action.removeprefix("tp:")]}
        if not topics:  # at least one topic stays on
            return "topics", None
        pair.topics = topics_to_text(frozenset(topics))
        return "topics", texts.partner_changed_topics(user.first_name, _topics_text(topics))
    if action == "live":
        return "live", None
    if action.startswith("lv:") and action.removeprefix("lv:") in LIVING_BY_NAME:
        living = LIVING_BY_NAME[action.removeprefix("lv:")]
        if pair.living == living:
            return "main", None
        pair.living = living
        return "main", texts.partner_changed_living(user.first_name, living)
    if action == "recap":
        pair.recap_with_checkin = not pair.recap_with_checkin
        return "main", texts.partner_changed_recap(user.first_name, pair.recap_with_checkin)
    return None, None


def _render(
    screen: str, user: User, partner: User | None, pair: Pair | None, now: datetime
) -> View:
    language = language_of(user)

    def button(label: str, data: str) -> Button:
        return Button(say(label, language), callback_data=data)

    back = [button(texts.SETTINGS_BACK, "set:main")]
    if screen == "time":
        times = [Button(t, callback_data=f"set:t:{t}") for t in PICKER_TIMES]
        return texts.PICK_TIME, InlineKeyboardMarkup([times[:3], times[3:], back])
    if screen == "zone":
        return texts.PICK_ZONE, InlineKeyboardMarkup([back])
    if screen == "days":
        days = weekdays_from_mask(user.weekdays)
        presets = [
            button(texts.DAYS_EVERY_BUTTON, "set:days:all"),
            button(texts.DAYS_WEEKDAYS_BUTTON, "set:days:wk"),
            button(texts.DAYS_WEEKENDS_BUTTON, "set:days:we"),
        ]
        toggles = [
            button(_tick(day in days) + say(name, language), f"set:d:{day}")
            for day, name in enumerate(texts.WEEKDAY_NAMES)
        ]
        return texts.PICK_DAYS, InlineKeyboardMarkup([presets, toggles[:4], toggles[4:], back])
    if screen == "live" and pair is not None:
        choices = [
            [button(_tick(pair.living == living) + say(label, language), f"set:lv:{living}")]
            for living, label in texts.LIVING_BUTTONS.items()
        ]
        return texts.PICK_LIVING, InlineKeyboardMarkup([*choices, back])
    if screen == "topics" and pair is not None:
        topics = topics_from_text(pair.topics)
        toggles = [
            button(_tick(c in topics) + say(texts.CATEGORY_TITLES[c], language), f"set:tp:{c}")
            for c in MAIN_CATEGORIES
        ]
        rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
        return texts.PICK_TOPICS, InlineKeyboardMarkup([*rows, back])
    if screen == "lang":
        choices = [
            [
                Button(
                    _tick(each == language) + texts.LANGUAGE_NAMES[each],
                    callback_data=f"set:lg:{each}",
                )
            ]
            for each in offered()
        ]
        return texts.PICK_LANGUAGE, InlineKeyboardMarkup([*choices, back])
    return _main(user, partner, pair, now)


def _main(user: User, partner: User | None, pair: Pair | None, now: datetime) -> View:
    paused = None
    if pair is not None and pair.paused_until is not None and pairs.is_paused(pair, now):
        local = pair.paused_until.astimezone(zone(user.timezone or "UTC"))
        paused = texts.paused_until_line(
            texts.joined(", ", [day_short(local.date()), format_time_of_day(local.time())])
        )
    text = texts.settings_view(
        time_text=format_time_of_day(user.nudge_time) if user.nudge_time else None,
        zone=user.timezone,
        partner_name=partner.first_name if partner else None,
        days=_days_text(weekdays_from_mask(user.weekdays)),
        topics=_topics_text(topics_from_text(pair.topics)) if pair else None,
        follow_ups=user.follow_ups,
        living=texts.LIVING_NAMES[pair.living] if pair else None,
        spark=user.spark,
        pause=paused,
        recap_with_checkin=pair.recap_with_checkin if pair else None,
        language=language_of(user),
    )
    language = language_of(user)

    def button(label: str, data: str) -> Button:
        return Button(say(label, language), callback_data=data)

    rows = [
        [
            button(texts.SETTINGS_TIME_BUTTON, "set:time"),
            button(texts.SETTINGS_ZONE_BUTTON, "set:zone"),
        ],
        [
            button(texts.SETTINGS_DAYS_BUTTON, "set:days"),
            button(texts.SETTINGS_FOLLOW_UP_BUTTON, "set:fu"),
        ],
        [
            button(texts.SETTINGS_SPARK_BUTTON, "set:spark"),
            button(texts.LANGUAGE_BUTTON, "set:lang"),
        ],
    ]
    if pair is not None:
        rows.append(
            [
                button(texts.SETTINGS_TOPICS_BUTTON, "set:topics"),
                button(texts.LIVING_BUTTON, "set:live"),
            ]
        )
        rows.append([button(texts.SETTINGS_RECAP_BUTTON, "set:recap")])
        rows.append([button(texts.SETTINGS_PAUSE_BUTTON, "pause:menu")])
        rows.append([button(texts.CHECKIN_SETTINGS_BUTTON, "ci:menu")])
    return text, InlineKeyboardMarkup(rows)


def _tick(on: bool) -> str:
    return "✅ " if on else "▫️ "


def _days_text(days: frozenset[int]) -> str:
    named = {
        EVERY_DAY: texts.DAYS_EVERY,
        WEEKDAYS_ONLY: texts.DAYS_WEEKDAYS,
        WEEKENDS_ONLY: texts.DAYS_WEEKENDS,
    }
    return named.get(days) or texts.joined(", ", [texts.WEEKDAY_NAMES[d] for d in sorted(days)])


def _topics_text(topics: frozenset[Category]) -> str:
    return texts.joined(", ", [texts.CATEGORY_TITLES[c] for c in MAIN_CATEGORIES if c in topics])
