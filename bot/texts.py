"""Every word the bot says, in one place (HTML parse mode; names are escaped here).

Each text is a catalog message (`_`, plural forms with `_n`: bot/i18n.py) written in
English with named placeholders (`{name}`); it is said in the reader's language when it is
sent (`unit.reply`, `unit.notify`, `say`). `make translations` extracts them into
bot/locale/couplet.pot. A comment starting `i18n:` just above a text reaches the
translators.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from bot.i18n import Text, composed, say, weekday_name
from bot.i18n import message as _
from bot.i18n import plural as _n
from nudges.checkin import Ago, Feeling
from nudges.choice import Living
from nudges.languages import Language
from nudges.library import Category, Kind, Nudge, in_language


def escaped(value: str) -> str:
    """`value` escaped for HTML, in whatever language it is said (a nudge's own text)."""
    if isinstance(value, Text):
        return composed(lambda language: escape(say(value, language)))
    return escape(value)


def shortened(value: str, limit: int) -> str:
    """`value` cut to `limit` characters with "…", in whatever language it is said."""

    def cut(text: str) -> str:
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    if isinstance(value, Text):
        return composed(lambda language: cut(say(value, language)))
    return cut(value)


# --- a nudge, in the reader's language (the library's overlays: nudges/library.py) -------


def nudge_text(nudge: Nudge) -> Text:
    return composed(lambda language: in_language(nudge, language).text)


def nudge_option(nudge: Nudge, index: int) -> Text:
    return composed(lambda language: in_language(nudge, language).options[index])


def nudge_guess(nudge: Nudge) -> Text:
    return composed(lambda language: in_language(nudge, language).guess or "")


# --- onboarding -------------------------------------------------------------------------


def welcome(first_name: str) -> Text:
    return _(
        "Hi {name} 👋 I'm Couplet.\n\n"
        "Once a day, at a time you pick, I'll send you and your partner the same small "
        "nudge: a question, a tiny gesture, an idea for the two of you. It takes a minute.\n\n"
        "Three quick things to set up, and the first is your time zone.",
        name=escape(first_name),
    )


def welcome_back(first_name: str) -> Text:
    return _("Welcome back, {name} 🙂 Let's pick up where we left off.", name=escape(first_name))


ASK_TIMEZONE = _(
    "Where are you? Type your city (like <i>Berlin</i> or <i>Buenos Aires</i>) or a time "
    "zone name (<i>Europe/Berlin</i>), or tap the button to share your location."
)
SHARE_LOCATION_BUTTON = _("📍 Share my location")


def timezone_unknown(text: str) -> Text:
    return _(
        "I couldn't find “{text}”. Try the nearest big city, a zone name like "
        "<i>America/New_York</i>, or share your location.",
        text=escape(text[:60]),
    )


LOCATION_NO_ZONE = _(
    "I couldn't tell the time zone of that spot. Could you type your city instead?"
)


def timezone_set(place: str, zone: str, local_now: str) -> Text:
    return _(
        "Got it: {place} ({zone}), where it's {time} right now.",
        place=escape(place),
        zone=escape(zone),
        time=local_now,
    )


ASK_TIME = _(
    "When would you like your daily nudge? Tap a time or type one, like <i>7:30</i> or <i>8pm</i>."
)


def time_unknown(text: str) -> Text:
    return _(
        "“{text}” doesn't look like a time to me. Something like <i>7:30</i>, "
        "<i>07:30</i>, <i>7:30am</i> or <i>19:05</i> works.",
        text=escape(text[:40]),
    )


def time_set(value: str, zone: str) -> Text:
    return _(
        "Lovely. Your nudge will come at {time} ({zone}) each day. ☀️",
        time=value,
        zone=escape(zone),
    )


OFFER_INVITE = _(
    "Last step: invite your partner. Tap below and I'll make a link just for them. "
    "If they already sent you a code, use /join with it."
)
INVITE_BUTTON = _("💌 Invite my partner")
ALL_SET_PAIRED = _("You're all set. Your first nudge comes at your next nudge time. 💛")

# --- /time and /timezone ----------------------------------------------------------------


def time_usage(current: str | None) -> Text:
    if current:
        return _(
            "Right now it's {time}. Pick a new time, or type it like <code>/time 7:30</code>.",
            time=current,
        )
    return _("Pick a new time, or type it like <code>/time 7:30</code>.")


def timezone_usage(current: str | None) -> Text:
    if current:
        return _(
            "Right now I use {zone}. Type <code>/timezone Berlin</code> (or any city or zone "
            "name), or share your location.",
            zone=escape(current),
        )
    return _(
        "Type <code>/timezone Berlin</code> (or any city or zone name), or share your location."
    )


# --- pairing ----------------------------------------------------------------------------


def invite_made(link: str, code: str, hours: int) -> Text:
    return _(
        "Here's your invite 💌 Send this link to your partner:\n"
        "{link}\n\n"
        "Or they can send me <code>/join {code}</code>.\n"
        "{lifetime} Making a new one cancels this one.",
        link=escape(link),
        code=escape(code),
        lifetime=_n("It works once and for {n} hour.", "It works once and for {n} hours.", hours),
    )


INVITE_SHARE_BUTTON = _("Send it to my partner")
INVITE_SHARE_TEXT = _("Join me on Couplet: one small thing for us, every day 💛")


def paired_with(partner_name: str) -> Text:
    return _(
        "You and {name} are paired 💞 Your nudges start at your next "
        "nudge time. I'll send you both the same one each day.",
        name=escape(partner_name),
    )


def already_paired(partner_name: str) -> Text:
    return _(
        "You're already paired with {name} 💛 If that's changed, /unpair first.",
        name=escape(partner_name),
    )


JOIN_USAGE = _("Send the code your partner gave you, like <code>/join AbC123…</code>.")
JOIN_MALFORMED = _(
    "That doesn't look like an invite code. It's 24 letters, digits, - and _; copying the "
    "link or code again usually helps."
)
JOIN_UNKNOWN = _(
    "I don't know that code. Could you ask your partner to check it, or send a new one?"
)
JOIN_OWN_CODE = _("That's your own invite 🙂 Send it to your partner so they can join you.")
JOIN_EXPIRED = _("That invite has expired (they last 48 hours). Ask your partner for a fresh one.")
JOIN_USED = _(
    "That invite is no longer valid: it was used or replaced. Ask your partner for a new one."
)


def join_inviter_paired(inviter_name: str) -> Text:
    return _(
        "{name} is already paired with someone, so this invite can't be used.",
        name=escape(inviter_name),
    )


JOIN_RATE_LIMITED = _(
    "That's a few codes that didn't work. Let's take a breather: try again in an hour, "
    "or ask your partner to send a fresh invite."
)

UNPAIR_NOT_PAIRED = _("You're not paired right now. /invite makes a link for your partner.")


def unpair_confirm(partner_name: str) -> Text:
    return _(
        "End your pairing with {name}? Nudges stop for both of you. "
        "Your answers are kept, and you can pair again any time.",
        name=escape(partner_name),
    )


UNPAIR_YES = _("Yes, unpair")
UNPAIR_NO = _("Keep us paired")
UNPAIR_KEPT = _("Okay, nothing changed. 💛")


def unpaired(partner_name: str) -> Text:
    return _(
        "Done. You and {name} are no longer paired. Take care of yourself. 🌿",
        name=escape(partner_name),
    )


def partner_unpaired(partner_name: str) -> Text:
    return _(
        "{name} ended your pairing on Couplet, so the daily nudges stop "
        "here. Your answers are still yours. Take good care. 🌿",
        name=escape(partner_name),
    )


# --- help, settings, the rest -----------------------------------------------------------

HELP = _(
    "<b>Couplet</b> sends you and your partner one small nudge a day, at your own morning "
    "time: a question, a note of thanks, a tiny gesture or an idea for the two of you. "
    "You each reply, and you see what the other shared.\n\n"
    "/invite: invite your partner\n"
    "/join <i>code</i>: join your partner\n"
    "/time: your daily nudge time\n"
    "/timezone: your time zone\n"
    "/today: today's nudge again, or when the next one comes\n"
    "/history: your shared journal\n"
    "/recap: a picture of your last eight weeks\n"
    "/pause: pause the nudges for a busy stretch (<code>/pause 1w</code>)\n"
    "/resume: nudges back on now\n"
    "/settings: your time, days, topics and more\n"
    "/topics: which kinds of nudges you both get\n"
    "/language: the language I speak with you\n"
    "/unpair: end the pairing\n"
    "/export: everything stored about you, as a file\n"
    "/delete: erase everything stored about you\n"
    "/help: this message\n\n"
    "When things feel heavy between you, a couples counsellor can help in ways a bot "
    "can't. 💛"
)


def settings_view(
    *,
    time_text: str | None,
    zone: str | None,
    partner_name: str | None,
    days: str,
    topics: str | None,
    follow_ups: bool,
    living: str | None,
    spark: bool,
    pause: str | None,
    recap_with_checkin: bool | None = None,
    language: Language | None = None,
) -> Text:
    lines = [
        _("<b>Your settings</b>"),
        _("⏰ Nudge time: {time}", time=time_text or _("not set (/time)")),
        _("🌍 Time zone: {zone}", zone=escape(zone) if zone else _("not set (/timezone)")),
        _("📅 Nudge days: {days}", days=days),
        _("🔔 One gentle follow-up: {state}", state=_("on") if follow_ups else _("off")),
        _(
            "✨ Spark (flirty, only if you both opt in): {state}",
            state=_("in") if spark else _("out"),
        ),
        _(
            "💞 Partner: {name}",
            name=escape(partner_name) if partner_name else _("not paired yet (/invite)"),
        ),
    ]
    if language is not None:
        lines.append(_("🗣 Language: {language}", language=LANGUAGE_NAMES[language]))
    if topics is not None:
        lines.append(_("🗂 Topics (shared): {topics}", topics=topics))
    if living is not None:
        lines.append(_("🏡 Where you live (shared): {living}", living=living))
    if recap_with_checkin is not None:
        lines.append(
            _(
                "🖼 Recap picture with the weekly check-in (shared): {state}",
                state=_("on") if recap_with_checkin else _("off"),
            )
        )
    if pause is not None:
        lines.append(_("⏸ {pause}", pause=pause))
    return joined("\n", lines)


def joined(separator: str, parts: list[str]) -> Text:
    """Texts joined, each said in the reader's language."""
    return composed(lambda language: separator.join(say(part, language) for part in parts))


# The /settings buttons.
SETTINGS_TIME_BUTTON = _("⏰ Time")
SETTINGS_ZONE_BUTTON = _("🌍 Zone")
SETTINGS_DAYS_BUTTON = _("📅 Days")
SETTINGS_FOLLOW_UP_BUTTON = _("🔔 Follow-up")
SETTINGS_SPARK_BUTTON = _("✨ Spark")
SETTINGS_TOPICS_BUTTON = _("🗂 Topics")
SETTINGS_RECAP_BUTTON = _("🖼 Recap with check-in")
SETTINGS_PAUSE_BUTTON = _("⏸ Pause or resume")

DAYS_EVERY = _("every day")
DAYS_WEEKDAYS = _("weekdays")
DAYS_WEEKENDS = _("weekends")
# i18n: as buttons, capitalised
DAYS_EVERY_BUTTON = _("Every day")
DAYS_WEEKDAYS_BUTTON = _("Weekdays")
DAYS_WEEKENDS_BUTTON = _("Weekends")
WEEKDAY_NAMES = tuple(weekday_name(day, "abbreviated") for day in range(7))

# --- the language -----------------------------------------------------------------------

# Each language by its own name (never translated: a person looks for their own).
LANGUAGE_NAMES: dict[Language, str] = {
    Language.EN: "English",
    Language.RU: "Русский",
    Language.ES: "Español",
    Language.DE: "Deutsch",
    Language.PT_BR: "Português (Brasil)",
}
PICK_LANGUAGE = _(
    "Which language would you like me to speak with you? Your partner keeps their own, and "
    "your answers reach them just as you wrote them."
)
LANGUAGE_BUTTON = _("🗣 Language")


def language_set(language: Language) -> Text:
    return _(
        "Done: I'll speak {language} with you from now on. 💛",
        language=LANGUAGE_NAMES[language],
    )


SETTINGS_BACK = _("‹ Back")
PICK_TIME = _("Pick your nudge time (or type <code>/time 7:30</code>):")
PICK_ZONE = _(
    "To change your time zone, type <code>/timezone</code> and a city or zone name, like "
    "<code>/timezone Lisbon</code>, or share your location with me."
)
PICK_DAYS = _("Which days would you like a nudge? Tap a day to switch it on or off.")
TOPICS_NOT_PAIRED = _(
    "You two choose topics together, so they open once you're paired. "
    "/invite makes a link for your partner. 💌"
)
PICK_TOPICS = _(
    "Your topics, shared by the two of you (you both get the same nudge). Tap to switch one "
    "on or off; at least one stays on."
)


def paused_until_line(until: str) -> Text:
    return _("Paused until {until}", until=until)


def partner_changed_topics(name: str, topics: str) -> Text:
    return _("{name} changed your shared topics. Now: {topics}.", name=escape(name), topics=topics)


LIVING_NAMES: dict[Living | None, Text] = {
    Living.TOGETHER: _("together, one home"),
    Living.NEARBY: _("apart, but nearby"),
    Living.LONG_DISTANCE: _("long-distance"),
    None: _("not said yet"),
}
LIVING_BUTTONS: dict[Living, Text] = {
    Living.TOGETHER: _("🏡 We live together"),
    Living.NEARBY: _("🚲 Apart, but nearby"),
    Living.LONG_DISTANCE: _("✈️ Long-distance"),
}
ASK_LIVING = _(
    "One quick thing so the nudges fit the two of you: where do you live? "
    "Either of you can answer, for both of you. 🙂"
)
PICK_LIVING = _("Where do you two live? It's shared, and the nudges fit it.")
LIVING_BUTTON = _("🏡 Where we live")


def living_set(living: Living) -> Text:
    return _("Got it: {living}. The nudges will fit that. 💛", living=LIVING_NAMES[living])


def partner_changed_living(name: str, living: Living) -> Text:
    return _(
        "{name} said you live {living}, so the nudges will fit that. "
        "You can change it in /settings.",
        name=escape(name),
        living=LIVING_NAMES[living],
    )


def partner_changed_recap(name: str, on: bool) -> Text:
    if on:
        return _(
            "{name} changed a shared setting: the picture of your weeks will come with "
            "your weekly check-in. /recap shows it any time.",
            name=escape(name),
        )
    return _(
        "{name} changed a shared setting: the picture of your weeks won't come with "
        "your weekly check-in. /recap shows it any time.",
        name=escape(name),
    )


GROUP_ONLY_PRIVATE = _(
    "Hi! I only work in private chats, so whatever you share stays between you and your "
    "partner. Tap my name and start a chat with me there. 💛"
)
NOT_STARTED = _("Let's get you set up first: send /start. 🙂")
SOMETHING_WENT_WRONG = _("Sorry, something went wrong on my side. Please try again in a moment. 🙏")
# The database is out of reach (restarting, the network to it down): nothing was kept.
DATABASE_UNREACHABLE = _(
    "Sorry, I can't reach my notebook just now, so I couldn't keep that. "
    "Please send it again in a minute. 🙏"
)
# The disk the database lives on is full: nothing new can be kept until there is room.
DATABASE_FULL = _(
    "Sorry, I'm out of room to write things down right now, so I couldn't keep that. "
    "Everything from before is safe. Please send it again a little later. 🙏"
)
BUTTON_EXPIRED = _("That button has expired. Nothing changed.")
# Past the per-user limit of incoming messages (bot/flood.py): said once, then quiet until
# a message is kept again; a button press gets the short form each time.
CATCHING_BREATH = _(
    "I'm catching my breath for a moment 🌿 I didn't save what you just sent, and I won't "
    "save more just yet. Please send the rest in a minute, and I'll keep every word. 💛"
)
CATCHING_BREATH_BUTTON = _(
    "One moment, I'm catching my breath 🌿 Nothing changed: tap again in a minute."
)

NOT_UNDERSTOOD = _("I'm not sure what to do with that 🙂 /help shows what I can do.")

COMMAND_MENU: list[tuple[str, str]] = [
    ("start", _("Set up, or see where you are")),
    ("invite", _("Invite your partner")),
    ("join", _("Join your partner with their code")),
    ("time", _("Your daily nudge time")),
    ("timezone", _("Your time zone")),
    ("today", _("Today's nudge again")),
    ("history", _("Your shared journal")),
    ("recap", _("A picture of your last eight weeks")),
    ("pause", _("Pause nudges for a busy stretch")),
    ("resume", _("Nudges back on now")),
    ("settings", _("Your settings")),
    ("topics", _("Which topics you both get")),
    ("language", _("The language I speak with you")),
    ("unpair", _("End the pairing")),
    ("export", _("Your data, as a file")),
    ("delete", _("Erase everything about you")),
    ("help", _("What I do")),
]

# --- the daily nudge --------------------------------------------------------------------

CATEGORY_TITLES: dict[Category, str] = {
    Category.APPRECIATION: _("💐 Appreciation"),
    Category.CLOSENESS: _("🤗 Closeness"),
    Category.TOGETHER: _("🧺 Together"),
    Category.FEELINGS: _("💭 Feelings"),
    Category.CURIOSITY: _("🔭 Curiosity"),
    Category.DREAMS: _("🌱 Dreams"),
    Category.MEMORIES: _("📷 Memories"),
    Category.CARE: _("🫶 Care"),
    Category.SPARK: _("✨ Spark"),
}


def _kind_hint(nudge: Nudge, partner_name: str) -> Text:
    partner = escape(partner_name)
    if nudge.kind == Kind.CHOICE:
        return _("Tap your pick. You'll see {name}'s once you've both picked.", name=partner)
    if nudge.kind == Kind.GUESS and nudge.options:
        return _(
            "Tap your answer, then guess {name}'s. You'll see both once you've both played.",
            name=partner,
        )
    if nudge.kind == Kind.GUESS:
        return _("Reply with your answer. Then I'll ask for your guess about {name}.", name=partner)
    if nudge.kind == Kind.QUESTION:
        return _("Reply here. You'll see {name}'s answer once you've both answered.", name=partner)
    if nudge.kind == Kind.APPRECIATION:
        return _("Reply with your note and I'll pass it straight to {name}. 💌", name=partner)
    if nudge.kind == Kind.ACTION:
        return _("Tap Done when you've done it, or tell me how it went.")
    return _("Up for it? If you're both in, it's a plan.")


def nudge_message(nudge: Nudge, partner_name: str, *, welcome_back: bool = False) -> Text:
    """The daily nudge: its category, the nudge itself (in the reader's language, the same
    id for both partners), and how to answer it."""
    hint = _kind_hint(nudge, partner_name)

    def render(language: Language) -> str:
        welcome = f"{say(WELCOME_BACK, language)}\n\n" if welcome_back else ""
        return (
            f"{welcome}<b>{say(CATEGORY_TITLES[nudge.category], language)}</b>\n\n"
            f"{escape(in_language(nudge, language).text)}\n\n"
            f"<i>{say(hint, language)}</i>"
        )

    return composed(render)


WELCOME_BACK = _("🌿 Welcome back! Your nudges are on again.")
PAUSE_BUTTON = _("⏸ Busy week? Pause")
NOT_TODAY_BUTTON = _("🌙 Not today")
# What a nudge set aside with Not today becomes (the partner is never told).
SET_ASIDE = _("🌙 Set aside for today. No worries, there's always another day.")
ALREADY_SET_ASIDE = _("Already set aside 🌙")


DONE_BUTTON = _("Done ✅")
PLAN_IN_BUTTON = _("I'm in 🙌")
PLAN_OUT_BUTTON = _("Not this time")


def partner_blocked(partner_name: str) -> Text:
    return _(
        "I can't reach {name} on Telegram right now, so I've paused your "
        "daily nudges. They'll pick up again by themselves once "
        "{name} says hi to me. 🌿",
        name=escape(partner_name),
    )


# i18n: {when} is "today", "tomorrow" or "on Monday 30 November"
def next_nudge_at(local_time: str, zone: str, when: str) -> Text:
    return _(
        "Your next nudge comes {when} at {time} ({zone}). ☀️",
        when=when,
        time=local_time,
        zone=escape(zone),
    )


TODAY = _("today")
TOMORROW = _("tomorrow")


def on_day(day: str) -> Text:
    """A day in a sentence: "on Monday 30 November" (a day from bot/i18n.py)."""
    return _("on {day}", day=day)


TODAY_NOT_PAIRED = _("Nudges start once you're paired: /invite makes a link for your partner.")
TODAY_NOT_SET_UP = _("Let's finish setting up first: send /start.")
TODAY_PAUSED = _("Nudges are paused for now.")


def today_set_aside(next_nudge: str) -> Text:
    return _("You set today's nudge aside 🌙 That's fine. {next}", next=next_nudge)


# --- replies ----------------------------------------------------------------------------

ASK_FOR_WORDS = _(
    "I can't keep that one as an answer, sorry 🙂 Words, a voice note, a photo or a video "
    "work best."
)


def nothing_to_answer_yet(next_time: str | None) -> Text:
    if next_time:
        return _(
            "There's no nudge to reply to just now. Your next one comes at {time}. 🙂",
            time=next_time,
        )
    return _("There's no nudge to reply to just now. 🙂")


def answer_saved(partner_name: str) -> Text:
    return _("Saved 💛 You'll see {name}'s answer when they reply.", name=escape(partner_name))


ANSWER_ADDED = _("Added to your answer ✨")

# --- choice and guess -------------------------------------------------------------------

CHOICE_USE_BUTTONS = _("For this one, just tap an option on the nudge 🙂 Nothing was saved.")
PICK_SAME = _("That's your pick already 🙂")
PICKS_SHOWN = _("You've both picked already, so that one stays as it is 💛")


def picked(option: str, partner_name: str) -> Text:
    return _(
        "You picked {option}. You'll see {name}'s once they've "
        "picked; until then you can still change yours.",
        option=escaped(option),
        name=escape(partner_name),
    )


def your_pick(option: str) -> Text:
    return _("You picked {option} ✓", option=escaped(option))


def pick_changed(option: str) -> Text:
    return _("Changed to {option}", option=option)  # a button's answer: plain text, no HTML


def both_picked(question: str, mine: str, partner_name: str, theirs: str) -> Text:
    """To each partner once both picked: the two picks side by side."""
    if mine == theirs:
        return _(
            "💞 You both chose {mine}!\n<i>{question}</i>",
            mine=escaped(mine),
            question=escaped(question),
        )
    return _(
        "💞 You've both picked.\n<i>{question}</i>\n"
        "You: {mine}\n{name}: {theirs}\n"
        "Two different picks: something to chat about 🙂",
        question=escaped(question),
        mine=escaped(mine),
        name=escape(partner_name),
        theirs=escaped(theirs),
    )


GUESS_ANSWER_FIRST = _("Tap your own answer first 🙂")
ALREADY_GUESSED = _("You've answered and guessed already 💛")


def your_answer_now_guess(option: str, guess_question: str) -> Text:
    return _(
        "Your answer: {option} ✓\n\n<b>{guess_question}</b>",
        option=escaped(option),
        guess_question=escaped(guess_question),
    )


def guess_waiting(mine: str, guess: str, partner_name: str) -> Text:
    return _(
        "Your answer: {mine} · your guess for {name}: {guess}\n"
        "You'll see both once {name} has played too. 🔮",
        mine=escaped(mine),
        guess=escaped(guess),
        name=escape(partner_name),
    )


def your_answer_and_guess(mine: str, guess: str) -> Text:
    return _(
        "Your answer: {mine} · your guess: {guess} ✓", mine=escaped(mine), guess=escaped(guess)
    )


def guess_reveal(
    question: str, partner_name: str, *, mine: str, their_guess: str, theirs: str, my_guess: str
) -> Text:
    """To each partner once both answered and guessed (with buttons): both answers, both
    guesses, warm whoever was right."""
    return _(
        "💞 You've both answered and guessed.\n<i>{question}</i>\n\n"
        "<b>{name}:</b> {theirs}. You guessed {my_guess}: {i_knew}\n"
        "<b>You:</b> {mine}. {name} guessed {their_guess}: {they_knew}",
        question=escaped(question),
        name=escape(partner_name),
        theirs=escaped(theirs),
        my_guess=escaped(my_guess),
        i_knew=_("you knew! 🎯") if my_guess == theirs else _("now you know 🌱"),
        mine=escaped(mine),
        their_guess=escaped(their_guess),
        they_knew=_("they knew you! 🎯") if their_guess == mine else _("now they know 🌱"),
    )


def now_your_guess(guess_question: str) -> Text:
    """A guess nudge in words: the answer about yourself is saved, the guess comes next."""
    return _(
        "Saved 💛 Now your guess:\n<b>{guess_question}</b>", guess_question=escaped(guess_question)
    )


def guess_saved(partner_name: str) -> Text:
    return _(
        "Guess saved 🔮 You'll see {name}'s answer and guess once they've played too.",
        name=escape(partner_name),
    )


def guess_answer_header(partner_name: str) -> Text:
    return _(
        "💞 You've both answered and guessed. Here's {name}'s answer:", name=escape(partner_name)
    )


def guess_of_you_header(partner_name: str) -> Text:
    return _("🔮 And {name}'s guess about you (did they know?):", name=escape(partner_name))


def answer_full(most: int) -> Text:
    return _(
        "This answer is full 💛 {kept}, so this one wasn't saved. "
        "To change something, just edit one of your messages in it ✏️",
        kept=_n(
            "I keep up to {n} message for one nudge",
            "I keep up to {n} messages for one nudge",
            most,
        ),
    )


ANSWER_STILL_FULL = _("Not saved: this answer is full ✏️")  # after answer_full, once per message


def answer_added_shared(partner_name: str) -> Text:
    return _("Added ✨ {name} sees it too.", name=escape(partner_name))


def revealed_header(partner_name: str) -> Text:
    return _("💞 You've both answered. Here's {name}'s:", name=escape(partner_name))


def added_header(author_name: str) -> Text:
    return _("💬 {name} added:", name=escape(author_name))


def note_header(author_name: str) -> Text:
    return _("💌 From {name}:", name=escape(author_name))


def note_sent(partner_name: str) -> Text:
    return _("Sent to {name} 💌", name=escape(partner_name))


HEART_BUTTON = _("❤️")


def note_loved(partner_name: str) -> Text:
    return _("❤️ {name} loved your note.", name=escape(partner_name))


# i18n: "today's care nudge": a category's name in a sentence
CATEGORY_WORDS: dict[Category, str] = {
    Category.APPRECIATION: _("appreciation"),
    Category.CLOSENESS: _("closeness"),
    Category.TOGETHER: _("together"),
    Category.FEELINGS: _("feelings"),
    Category.CURIOSITY: _("curiosity"),
    Category.DREAMS: _("dreams"),
    Category.MEMORIES: _("memories"),
    Category.CARE: _("care"),
    Category.SPARK: _("spark"),
}


def did_it(author_name: str, category: Category) -> Text:
    return _(
        "✅ {name} did today's {category} nudge.",
        name=escape(author_name),
        category=CATEGORY_WORDS[category],
    )


def did_it_with_words(author_name: str, category: Category) -> Text:
    return _(
        "✅ {name} did today's {category} nudge. They wrote:",
        name=escape(author_name),
        category=CATEGORY_WORDS[category],
    )


DONE_THANKS = _("Lovely ✅")
BOTH_DID_IT = _("You both did today's nudge. 🎉")
ALREADY_DONE = _("Already done ✅")


def about_plan_header(author_name: str) -> Text:
    return _("💬 {name} about today's plan idea:", name=escape(author_name))


def passed_on(partner_name: str) -> Text:
    return _("Passed on to {name} 💬", name=escape(partner_name))


def plan_in_waiting(partner_name: str) -> Text:
    return _("You're in 🙌 I'll tell you if {name} is in too.", name=escape(partner_name))


def partner_plan_in(author_name: str) -> Text:
    return _(
        "🙌 {name} is up for today's plan idea. If you are too, tap <i>I'm in</i> on it.",
        name=escape(author_name),
    )


def its_a_plan(nudge_text: str) -> Text:
    return _("🙌 It's a plan! You're both in:\n<i>{nudge_text}</i>", nudge_text=escaped(nudge_text))


PLAN_OUT_OK = _("No problem 🌿 There'll be other days.")
PLAN_IN_NOTED = _("Noted: you're in 🙌")


def partner_plan_out(author_name: str) -> Text:
    return _("{name} can't make this one. Maybe another time 🌿", name=escape(author_name))


ALREADY_IN = _("You're already in 🙌")
ALREADY_OUT = _("Noted already 🌿")

FOLLOW_UP = _(
    "A gentle hello 🙂 Today's nudge is still here whenever you have a minute. Just reply to it."
)

# --- the weekly check-in and "on this day" ----------------------------------------------

CHECKIN_OFFER = _(
    "<b>🫶 A weekly check-in?</b>\n\n"
    "You've shared two weeks of small moments. If you like, once a week (Sundays at 19:00, "
    "or a time you pick) you'd each tell me how close you felt, one thing you appreciated "
    "and one thing you'd like a little more of. You see each other's once you've both "
    "answered. Two minutes, and you can switch it off any time in /settings."
)
CHECKIN_YES_BUTTON = _("Yes, let's try it 🌿")
CHECKIN_NOT_NOW_BUTTON = _("Not now")
CHECKIN_NOT_NOW = _("No problem 🌿 It's always there in /settings if you'd like it later.")
CHECKIN_WHEN = (
    # i18n: a weekly check-in's day and time ("Sundays at 19:00"), the same each week
    _("Mondays at {time}"),
    _("Tuesdays at {time}"),
    _("Wednesdays at {time}"),
    _("Thursdays at {time}"),
    _("Fridays at {time}"),
    _("Saturdays at {time}"),
    _("Sundays at {time}"),
)


def checkin_when(weekday: int, at: str) -> Text:
    return _(CHECKIN_WHEN[weekday], time=at)


def checkin_on(when: str, partner_name: str) -> Text:
    return _(
        "Lovely 💞 Your weekly check-in is on: {when}, your time. I've told {name}. "
        "The day and time are in /settings.",
        when=when,
        name=escape(partner_name),
    )


def partner_changed_checkin(name: str, when: str | None) -> Text:
    if when is None:
        return _(
            "{name} switched off your weekly check-in. It's in /settings whenever "
            "you'd like it back. 🌿",
            name=escape(name),
        )
    return _("{name} set your weekly check-in: {when}, your time. 🫶", name=escape(name), when=when)


def checkin_settings(when: str | None) -> Text:
    return _(
        "<b>🫶 Weekly check-in</b> (shared)\n\n"
        "{state}\n\n"
        "Once a week you each share how close you felt, one thing you appreciated and one "
        "thing you'd like a little more of; you see each other's once you've both answered.",
        state=_("On: {when}, each in your own time zone.", when=when) if when else _("Off."),
    )


CHECKIN_SETTINGS_BUTTON = _("🫶 Weekly check-in")
CHECKIN_SWITCH_ON = _("Switch on")
CHECKIN_SWITCH_OFF = _("Switch off")

FEELING_LABELS: dict[Feeling, str] = {
    Feeling.VERY_CLOSE: _("💞 Very close"),
    Feeling.CLOSE: _("🤗 Close"),
    Feeling.OKAY: _("🌤 Okay"),
    Feeling.A_BIT_FAR: _("🌫 A bit far"),
    Feeling.FAR_APART: _("🌧 Far apart"),
}


def checkin_question(partner_name: str) -> Text:
    return _(
        "<b>🫶 Your weekly check-in</b>\n\nHow connected did you feel to {name} this week?",
        name=escape(partner_name),
    )


def ask_appreciated(partner_name: str) -> Text:
    return _(
        "Thank you. What's one thing {name} did this week that you appreciated? "
        "Just write it here.",
        name=escape(partner_name),
    )


ASK_MORE_OF = _("And one thing you'd like a little more of next week?")
CHECKIN_SKIP_BUTTON = _("Skip")
CHECKIN_TOO_LONG = _(
    "That's a lot to fit in one check-in 🙂 Could you keep it under 1,000 characters?"
)
CHECKIN_CLOSED = _("This check-in has closed. The next one comes on its day 🌿")


def checkin_saved(partner_name: str) -> Text:
    return _(
        "Saved 💛 You'll see {name}'s check-in once they've done theirs.", name=escape(partner_name)
    )


def checkin_reveal(
    partner_name: str, feeling: str | None, appreciated: str | None, more_of: str | None
) -> Text:
    """The partner's check-in (the texts escaped here; None: skipped). The answers are shown
    as the partner wrote them."""
    skipped = _("<i>skipped</i>")
    return _(
        "<b>🫶 {name}'s check-in</b>\n\n"
        "Felt this week: {feeling}\n"
        "Appreciated: {appreciated}\n"
        "A little more of: {more_of}",
        name=escape(partner_name),
        feeling=feeling or skipped,
        appreciated=escape(appreciated) if appreciated else skipped,
        more_of=escape(more_of) if more_of else skipped,
    )


# After two check-ins in a row where one of you felt a bit far (never says who).
CHECKIN_GENTLE = _(
    "🌿 It's felt a little far lately, and that happens to every couple. An idea for the "
    "coming week: twenty minutes for just the two of you, phones away, to ask each other "
    "what would feel good right now."
)
# Once ever per pair: both felt far for four check-ins in a row. No link.
CHECKIN_COUNSELLOR = _(
    "💛 These weeks have felt far for both of you. Talking with a couples counsellor is a "
    "normal, kind thing to do for a relationship, not a last resort: many couples go "
    "simply to look after what they have."
)

# In the Markdown export (plain text).


def export_title(first_name: str) -> Text:
    return _("{name}'s Couplet journal", name=first_name)


EXPORT_ME = _("Me")
EXPORT_MY_PARTNER = _("My partner")


def export_guess_of(who: str) -> Text:
    """A part of an answer that was a guess: "Me (🔮 guess)"."""
    return _("{who} (🔮 guess)", who=who)


EXPORT_CHECKINS_TITLE = _("Weekly check-ins")
EXPORT_CHECKIN_DAY = _("Check-in of")
EXPORT_NOT_ANSWERED = _("not answered")
FEELING_WORDS = {
    Feeling.VERY_CLOSE.value: _("very close"),
    Feeling.CLOSE.value: _("close"),
    Feeling.OKAY.value: _("okay"),
    Feeling.A_BIT_FAR.value: _("a bit far"),
    Feeling.FAR_APART.value: _("far apart"),
}

MEMORY_AGO = {
    Ago.YEAR: _("A year ago today"),
    Ago.SIX_MONTHS: _("Six months ago today"),
    Ago.MONTH: _("A month ago today"),
}
MEMORY_BUTTON = _("📷 See it")
MEMORY_GONE = _("That day's answers are no longer here.")


def memory_line(ago: Ago, nudge_text: str) -> Text:
    """The short extra line of a morning message that brings back a day."""
    return _(
        "📷 <i>{ago} you both wrote about “{nudge}”. See it below.</i>",
        ago=MEMORY_AGO[ago],
        nudge=escaped(shortened(nudge_text, 80)),
    )


def memory_header(day: str, nudge_text: str) -> Text:
    return _("<b>📷 {day}</b>\n\n{nudge_text}", day=day, nudge_text=escaped(nudge_text))


def memory_answer_header(author: str) -> Text:
    return _("<b>{name}</b>", name=escaped(author))


# --- the journal ------------------------------------------------------------------------

MEDIA_LABELS = {
    "voice": _("🎤 voice note"),
    "photo": _("📷 photo"),
    "video": _("🎥 video"),
    "video_note": _("⭕ video message"),
}
WAITING_FOR_BOTH = _("<i>waiting for both 💞</i>")
NOTHING_YET = _("<i>—</i>")
# A stored answer that no configured key opens (plain text: it goes into HTML escaped, and
# into the Markdown export as is).
ANSWER_UNREADABLE = _("🔒 this answer can't be read on this server")
JOURNAL_EMPTY = _("Your journal is empty for now. It fills up as you answer your daily nudges. 🌱")
NEWER_BUTTON = _("◀ Newer")
OLDER_BUTTON = _("Older ▶")


def journal_counts(both: int, notes: int, plans: int) -> Text:
    return _(
        "Days you both showed up: <b>{both}</b> · notes exchanged: <b>{notes}</b> · "
        "plans made: <b>{plans}</b>",
        both=both,
        notes=notes,
        plans=plans,
    )


# --- /recap: a picture of your weeks (drawn, so no emoji inside the picture) --------------

RECAP_CAPTION = _("Your last eight weeks together 💛")
RECAP_NOT_PAIRED = _(
    "The picture of your weeks is made of the days you share, so it starts once you're "
    "paired. /invite makes a link for your partner. 💌"
)
RECAP_TITLE = _("Your last eight weeks")
RECAP_WEEKDAYS = tuple(weekday_name(day, "narrow") for day in range(7))
RECAP_LEGEND = {
    "both": _("you both answered"),
    "one": _("one of you answered"),
    "quiet": _("a quiet day"),
    "paused": _("paused"),
    "none": _("no nudge"),
}
RECAP_COUNT_LABELS = (_("days you both showed up"), _("notes to each other"), _("plans made"))
RECAP_NO_NOTE = _("Your notes to each other will show up here.")


def recap_note_from(name: str) -> Text:
    """Under the quoted note in the picture (plain text: drawn, not sent as HTML)."""
    return _("from {name}", name=name)


def journal_entry(day: str, title: str, nudge_text: str, lines: list[tuple[str, str]]) -> Text:
    """One day: its date and category, the nudge, then a line per person ("You", "Sam")."""
    people = joined("\n", [composed(_person_line(who, what)) for who, what in lines])
    return composed(
        lambda language: (
            f"<b>{say(day, language)}</b> · {say(title, language)}\n"
            f"<i>{say(escaped(shortened(nudge_text, 120)), language)}</i>\n"
            f"{say(people, language)}"
        )
    )


def _person_line(who: str, what: str) -> Callable[[Language], str]:
    return lambda language: f"<b>{escape(say(who, language))}:</b> {say(what, language)}"


def more_parts(count: int) -> Text:
    return _n("…and {n} more", "…and {n} more", count)


def view_button(label: str, day: str) -> Text:
    """A media part's button: its label's emoji and the day ("View 🎤 Mon 30 Nov")."""
    return _("View {emoji} {day}", emoji=label.split(" ", 1)[0], day=day)


YOU = _("You")
GUESS_MARK = "🔮"


def guessed(option: str) -> Text:
    return _("🔮 guessed {option}", option=escaped(option))


PLAN_IN = _("🙌 in")
PLAN_OUT = _("not this time")
DONE_MARK = _("✅ done")

# --- pause ------------------------------------------------------------------------------

PAUSE_MENU = _(
    "Busy stretch? Pause the nudges for both of you. They come back by themselves. 🌿\nHow long?"
)
PAUSE_CHOICES: list[tuple[str, str]] = [
    (_n("{n} day", "{n} days", 1), "1d"),
    (_n("{n} day", "{n} days", 3), "3d"),
    (_n("{n} week", "{n} weeks", 1), "1w"),
    (_n("{n} week", "{n} weeks", 2), "2w"),
]
PAUSE_UNTIL_BUTTON = _("Until a date…")
RESUME_BUTTON = _("▶️ Resume now")
ASK_PAUSE_DATE = _(
    "Until when? Type a date like <i>until 24.12.</i>, <i>until 2026-12-24</i> or "
    "<i>until friday</i>."
)
PAUSE_NOT_PAIRED = _("There's nothing to pause yet: nudges start once you're paired. 🙂")
PAUSE_HOW = _(
    "You can say <code>/pause 3d</code>, <code>/pause 1w</code>, <code>/pause 10 days</code>, "
    "<code>/pause until 24.12.</code> or <code>/pause until friday</code>, up to 90 days."
)
PAUSE_NOT_UNDERSTOOD = _("I didn't quite get that. {how}", how=PAUSE_HOW)
PAUSE_IN_THE_PAST = _("That day has already begun or passed 🙂 {how}", how=PAUSE_HOW)
PAUSE_TOO_LONG = _(
    "That's more than 90 days; let's keep pauses a little shorter. {how}", how=PAUSE_HOW
)


def paused(last_day: str, back_on: str, partner_name: str, *, replaced: bool) -> Text:
    if replaced:
        return _(
            "New plan: Nudges are paused for both of you through {last_day}. They'll come "
            "back by themselves on {back_on}. 🌿 I've let {name} know.",
            last_day=last_day,
            back_on=back_on,
            name=escape(partner_name),
        )
    return _(
        "Nudges are paused for both of you through {last_day}. They'll come back "
        "by themselves on {back_on}. 🌿 I've let {name} know.",
        last_day=last_day,
        back_on=back_on,
        name=escape(partner_name),
    )


# i18n: {back} is "on Mon 30 Nov" or "on Mon 30 Nov at 07:30 your time"
def partner_paused(name: str, back: str, *, replaced: bool) -> Text:
    if replaced:
        return _(
            "{name} changed the pause: your nudges come back {back}. 🌿",
            name=escape(name),
            back=back,
        )
    return _(
        "{name} paused your daily nudges for a busy stretch. 🌿 They'll come back "
        "by themselves {back}.",
        name=escape(name),
        back=back,
    )


def back_on_day(day: str) -> Text:
    return _("on {day}", day=day)


def back_on_day_at(day: str, at: str) -> Text:
    return _("on {day} at {time} your time", day=day, time=at)


NOT_PAUSED = _("Nothing is paused right now 🙂")


def resumed(next_nudge: str) -> Text:
    return _("Nudges are back on ▶️ {next_nudge}", next_nudge=next_nudge)


def partner_resumed(name: str, next_nudge: str) -> Text:
    return _(
        "{name} turned your nudges back on ▶️ {next_nudge}", name=escape(name), next_nudge=next_nudge
    )


def next_nudge_line(when: str | None) -> str:
    return _("Your next one comes {when}.", when=when) if when else ""


def day_at(day: str, at: str) -> Text:
    """A day and a time: "today at 07:30", "on Mon 30 Nov at 07:30"."""
    return _("{day} at {time}", day=day, time=at)


# --- privacy ----------------------------------------------------------------------------

EXPORT_CAPTION = _("Everything Couplet stores about you, as JSON. 🔐")
EXPORT_JOURNAL_CAPTION = _("Your journal, readable. 📖")


def export_part_caption(number: int, count: int, suffix: str) -> Text:
    """A large export comes in several files (Telegram takes up to 50 MB each)."""
    if suffix == ".json":
        return _("Part {number} of {count} of your data. 🔐", number=number, count=count)
    return _("Part {number} of {count} of your journal. 📖", number=number, count=count)


DELETE_CONFIRM = _(
    "Erase everything I store about you: your settings, your nudges, your answers and your "
    "pairing? Your partner keeps their own answers. This can't be undone. "
    "(/export first if you'd like a copy.)"
)
DELETE_YES = _("Yes, erase everything")
DELETE_NO = _("Keep my data")
DELETE_KEPT = _("Okay, nothing was erased. 💛")
DELETED = _(
    "Done. Everything I stored about you is erased. If you ever want to come back, /start "
    "begins afresh. Take good care. 🌿"
)
NOTHING_STORED = _("I don't have anything stored about you. 🙂")
