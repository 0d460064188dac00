"""Every word the bot says, in one place (HTML parse mode; names are escaped here)."""

from __future__ import annotations

from html import escape

from nudges.checkin import Ago, Feeling
from nudges.choice import Living
from nudges.library import Category, Kind, Nudge

# --- onboarding -------------------------------------------------------------------------


def welcome(first_name: str) -> str:
    return (
        f"Hi {escape(first_name)} 👋 I'm Couplet.\n\n"
        "Once a day, at a time you pick, I'll send you and your partner the same small "
        "nudge: a question, a tiny gesture, an idea for the two of you. It takes a minute.\n\n"
        "Three quick things to set up, and the first is your time zone."
    )


def welcome_back(first_name: str) -> str:
    return f"Welcome back, {escape(first_name)} 🙂 Let's pick up where we left off."


ASK_TIMEZONE = (
    "Where are you? Type your city (like <i>Berlin</i> or <i>Buenos Aires</i>) or a time "
    "zone name (<i>Europe/Berlin</i>), or tap the button to share your location."
)
SHARE_LOCATION_BUTTON = "📍 Share my location"


def timezone_unknown(text: str) -> str:
    return (
        f"I couldn't find “{escape(text[:60])}”. Try the nearest big city, a zone name like "
        "<i>America/New_York</i>, or share your location."
    )


LOCATION_NO_ZONE = "I couldn't tell the time zone of that spot. Could you type your city instead?"


def timezone_set(place: str, zone: str, local_now: str) -> str:
    return f"Got it: {escape(place)} ({escape(zone)}), where it's {local_now} right now."


ASK_TIME = (
    "When would you like your daily nudge? Tap a time or type one, like <i>7:30</i> or <i>8pm</i>."
)


def time_unknown(text: str) -> str:
    return (
        f"“{escape(text[:40])}” doesn't look like a time to me. Something like <i>7:30</i>, "
        "<i>07:30</i>, <i>7:30am</i> or <i>19:05</i> works."
    )


def time_set(value: str, zone: str) -> str:
    return f"Lovely. Your nudge will come at {value} ({escape(zone)}) each day. ☀️"


OFFER_INVITE = (
    "Last step: invite your partner. Tap below and I'll make a link just for them. "
    "If they already sent you a code, use /join with it."
)
INVITE_BUTTON = "💌 Invite my partner"
ALL_SET_PAIRED = "You're all set. Your first nudge comes at your next nudge time. 💛"

# --- /time and /timezone ----------------------------------------------------------------


def time_usage(current: str | None) -> str:
    now = f"Right now it's {current}. " if current else ""
    return f"{now}Pick a new time, or type it like <code>/time 7:30</code>."


def timezone_usage(current: str | None) -> str:
    now = f"Right now I use {escape(current)}. " if current else ""
    return (
        f"{now}Type <code>/timezone Berlin</code> (or any city or zone name), or share "
        "your location."
    )


# --- pairing ----------------------------------------------------------------------------


def invite_made(link: str, code: str, hours: int) -> str:
    return (
        "Here's your invite 💌 Send this link to your partner:\n"
        f"{escape(link)}\n\n"
        f"Or they can send me <code>/join {escape(code)}</code>.\n"
        f"It works once and for {hours} hours. Making a new one cancels this one."
    )


INVITE_SHARE_BUTTON = "Send it to my partner"
INVITE_SHARE_TEXT = "Join me on Couplet: one small thing for us, every day 💛"


def paired_with(partner_name: str) -> str:
    return (
        f"You and {escape(partner_name)} are paired 💞 Your nudges start at your next "
        "nudge time. I'll send you both the same one each day."
    )


def already_paired(partner_name: str) -> str:
    return f"You're already paired with {escape(partner_name)} 💛 If that's changed, /unpair first."


JOIN_USAGE = "Send the code your partner gave you, like <code>/join AbC123…</code>."
JOIN_MALFORMED = (
    "That doesn't look like an invite code. It's 24 letters, digits, - and _; copying the "
    "link or code again usually helps."
)
JOIN_UNKNOWN = "I don't know that code. Could you ask your partner to check it, or send a new one?"
JOIN_OWN_CODE = "That's your own invite 🙂 Send it to your partner so they can join you."
JOIN_EXPIRED = "That invite has expired (they last 48 hours). Ask your partner for a fresh one."
JOIN_USED = (
    "That invite is no longer valid: it was used or replaced. Ask your partner for a new one."
)


def join_inviter_paired(inviter_name: str) -> str:
    return f"{escape(inviter_name)} is already paired with someone, so this invite can't be used."


JOIN_RATE_LIMITED = (
    "That's a few codes that didn't work. Let's take a breather: try again in an hour, "
    "or ask your partner to send a fresh invite."
)

UNPAIR_NOT_PAIRED = "You're not paired right now. /invite makes a link for your partner."


def unpair_confirm(partner_name: str) -> str:
    return (
        f"End your pairing with {escape(partner_name)}? Nudges stop for both of you. "
        "Your answers are kept, and you can pair again any time."
    )


UNPAIR_YES = "Yes, unpair"
UNPAIR_NO = "Keep us paired"
UNPAIR_KEPT = "Okay, nothing changed. 💛"


def unpaired(partner_name: str) -> str:
    return f"Done. You and {escape(partner_name)} are no longer paired. Take care of yourself. 🌿"


def partner_unpaired(partner_name: str) -> str:
    return (
        f"{escape(partner_name)} ended your pairing on Couplet, so the daily nudges stop "
        "here. Your answers are still yours. Take good care. 🌿"
    )


# --- help, settings, the rest -----------------------------------------------------------

HELP = (
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
) -> str:
    partner = escape(partner_name) if partner_name else "not paired yet (/invite)"
    lines = [
        "<b>Your settings</b>",
        f"⏰ Nudge time: {time_text or 'not set (/time)'}",
        f"🌍 Time zone: {escape(zone) if zone else 'not set (/timezone)'}",
        f"📅 Nudge days: {days}",
        f"🔔 One gentle follow-up: {'on' if follow_ups else 'off'}",
        f"✨ Spark (flirty, only if you both opt in): {'in' if spark else 'out'}",
        f"💞 Partner: {partner}",
    ]
    if topics is not None:
        lines.append(f"🗂 Topics (shared): {topics}")
    if living is not None:
        lines.append(f"🏡 Where you live (shared): {living}")
    if recap_with_checkin is not None:
        lines.append(
            f"🖼 Recap picture with the weekly check-in (shared): "
            f"{'on' if recap_with_checkin else 'off'}"
        )
    if pause is not None:
        lines.append(f"⏸ {pause}")
    return "\n".join(lines)


DAYS_EVERY = "every day"
DAYS_WEEKDAYS = "weekdays"
DAYS_WEEKENDS = "weekends"
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SETTINGS_BACK = "‹ Back"
PICK_TIME = "Pick your nudge time (or type <code>/time 7:30</code>):"
PICK_ZONE = (
    "To change your time zone, type <code>/timezone</code> and a city or zone name, like "
    "<code>/timezone Lisbon</code>, or share your location with me."
)
PICK_DAYS = "Which days would you like a nudge? Tap a day to switch it on or off."
TOPICS_NOT_PAIRED = (
    "You two choose topics together, so they open once you're paired. "
    "/invite makes a link for your partner. 💌"
)
PICK_TOPICS = (
    "Your topics, shared by the two of you (you both get the same nudge). Tap to switch one "
    "on or off; at least one stays on."
)


def paused_until_line(until: str) -> str:
    return f"Paused until {until}"


def partner_changed_topics(name: str, topics: str) -> str:
    return f"{escape(name)} changed your shared topics. Now: {topics}."


LIVING_NAMES: dict[Living | None, str] = {
    Living.TOGETHER: "together, one home",
    Living.NEARBY: "apart, but nearby",
    Living.LONG_DISTANCE: "long-distance",
    None: "not said yet",
}
LIVING_BUTTONS: dict[Living, str] = {
    Living.TOGETHER: "🏡 We live together",
    Living.NEARBY: "🚲 Apart, but nearby",
    Living.LONG_DISTANCE: "✈️ Long-distance",
}
ASK_LIVING = (
    "One quick thing so the nudges fit the two of you: where do you live? "
    "Either of you can answer, for both of you. 🙂"
)
PICK_LIVING = "Where do you two live? It's shared, and the nudges fit it."
LIVING_BUTTON = "🏡 Where we live"


def living_set(living: Living) -> str:
    return f"Got it: {LIVING_NAMES[living]}. The nudges will fit that. 💛"


def partner_changed_living(name: str, living: Living) -> str:
    return (
        f"{escape(name)} said you live {LIVING_NAMES[living]}, so the nudges will fit that. "
        "You can change it in /settings."
    )


def partner_changed_recap(name: str, on: bool) -> str:
    state = "will come" if on else "won't come"
    return (
        f"{escape(name)} changed a shared setting: the picture of your weeks {state} with "
        "your weekly check-in. /recap shows it any time."
    )


GROUP_ONLY_PRIVATE = (
    "Hi! I only work in private chats, so whatever you share stays between you and your "
    "partner. Tap my name and start a chat with me there. 💛"
)
NOT_STARTED = "Let's get you set up first: send /start. 🙂"
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try again in a moment. 🙏"
# The database is out of reach (restarting, the network to it down): nothing was kept.
DATABASE_UNREACHABLE = (
    "Sorry, I can't reach my notebook just now, so I couldn't keep that. "
    "Please send it again in a minute. 🙏"
)
# The disk the database lives on is full: nothing new can be kept until there is room.
DATABASE_FULL = (
    "Sorry, I'm out of room to write things down right now, so I couldn't keep that. "
    "Everything from before is safe. Please send it again a little later. 🙏"
)
BUTTON_EXPIRED = "That button has expired. Nothing changed."
# Past the per-user limit of incoming messages (bot/flood.py): said once, then quiet until
# a message is kept again; a button press gets the short form each time.
CATCHING_BREATH = (
    "I'm catching my breath for a moment 🌿 I didn't save what you just sent, and I won't "
    "save more just yet. Please send the rest in a minute, and I'll keep every word. 💛"
)
CATCHING_BREATH_BUTTON = (
    "One moment, I'm catching my breath 🌿 Nothing changed: tap again in a minute."
)

NOT_UNDERSTOOD = "I'm not sure what to do with that 🙂 /help shows what I can do."

COMMAND_MENU: list[tuple[str, str]] = [
    ("start", "Set up, or see where you are"),
    ("invite", "Invite your partner"),
    ("join", "Join your partner with their code"),
    ("time", "Your daily nudge time"),
    ("timezone", "Your time zone"),
    ("today", "Today's nudge again"),
    ("history", "Your shared journal"),
    ("recap", "A picture of your last eight weeks"),
    ("pause", "Pause nudges for a busy stretch"),
    ("resume", "Nudges back on now"),
    ("settings", "Your settings"),
    ("topics", "Which topics you both get"),
    ("unpair", "End the pairing"),
    ("export", "Your data, as a file"),
    ("delete", "Erase everything about you"),
    ("help", "What I do"),
]

# --- the daily nudge --------------------------------------------------------------------

CATEGORY_TITLES: dict[Category, str] = {
    Category.APPRECIATION: "💐 Appreciation",
    Category.CLOSENESS: "🤗 Closeness",
    Category.TOGETHER: "🧺 Together",
    Category.FEELINGS: "💭 Feelings",
    Category.CURIOSITY: "🔭 Curiosity",
    Category.DREAMS: "🌱 Dreams",
    Category.MEMORIES: "📷 Memories",
    Category.CARE: "🫶 Care",
    Category.SPARK: "✨ Spark",
}


def _kind_hint(nudge: Nudge, partner_name: str) -> str:
    partner = escape(partner_name)
    if nudge.kind == Kind.CHOICE:
        return f"Tap your pick. You'll see {partner}'s once you've both picked."
    if nudge.kind == Kind.GUESS and nudge.options:
        return f"Tap your answer, then guess {partner}'s. You'll see both once you've both played."
    if nudge.kind == Kind.GUESS:
        return f"Reply with your answer. Then I'll ask for your guess about {partner}."
    return {
        Kind.QUESTION: f"Reply here. You'll see {partner}'s answer once you've both answered.",
        Kind.APPRECIATION: f"Reply with your note and I'll pass it straight to {partner}. 💌",
        Kind.ACTION: "Tap Done when you've done it, or tell me how it went.",
        Kind.PLAN: "Up for it? If you're both in, it's a plan.",
    }[nudge.kind]


def nudge_message(nudge: Nudge, partner_name: str, *, welcome_back: bool = False) -> str:
    """The daily nudge: its category, the nudge itself, and how to answer it."""
    welcome = f"{WELCOME_BACK}\n\n" if welcome_back else ""
    return (
        f"{welcome}<b>{CATEGORY_TITLES[nudge.category]}</b>\n\n"
        f"{escape(nudge.text)}\n\n"
        f"<i>{_kind_hint(nudge, partner_name)}</i>"
    )


WELCOME_BACK = "🌿 Welcome back! Your nudges are on again."
PAUSE_BUTTON = "⏸ Busy week? Pause"
NOT_TODAY_BUTTON = "🌙 Not today"
# What a nudge set aside with Not today becomes (the partner is never told).
SET_ASIDE = "🌙 Set aside for today. No worries, there's always another day."
ALREADY_SET_ASIDE = "Already set aside 🌙"


DONE_BUTTON = "Done ✅"
PLAN_IN_BUTTON = "I'm in 🙌"
PLAN_OUT_BUTTON = "Not this time"


def partner_blocked(partner_name: str) -> str:
    return (
        f"I can't reach {escape(partner_name)} on Telegram right now, so I've paused your "
        "daily nudges. They'll pick up again by themselves once "
        f"{escape(partner_name)} says hi to me. 🌿"
    )


def next_nudge_at(local_time: str, zone: str, when: str) -> str:
    return f"Your next nudge comes {when} at {local_time} ({escape(zone)}). ☀️"


TODAY_NOT_PAIRED = "Nudges start once you're paired: /invite makes a link for your partner."
TODAY_NOT_SET_UP = "Let's finish setting up first: send /start."
TODAY_PAUSED = "Nudges are paused for now."


def today_set_aside(next_nudge: str) -> str:
    return f"You set today's nudge aside 🌙 That's fine. {next_nudge}"


# --- replies ----------------------------------------------------------------------------

ASK_FOR_WORDS = (
    "I can't keep that one as an answer, sorry 🙂 Words, a voice note, a photo or a video "
    "work best."
)


def nothing_to_answer_yet(next_time: str | None) -> str:
    when = f" Your next one comes at {next_time}." if next_time else ""
    return f"There's no nudge to reply to just now.{when} 🙂"


def answer_saved(partner_name: str) -> str:
    return f"Saved 💛 You'll see {escape(partner_name)}'s answer when they reply."


ANSWER_ADDED = "Added to your answer ✨"

# --- choice and guess -------------------------------------------------------------------

CHOICE_USE_BUTTONS = "For this one, just tap an option on the nudge 🙂 Nothing was saved."
PICK_SAME = "That's your pick already 🙂"
PICKS_SHOWN = "You've both picked already, so that one stays as it is 💛"


def picked(option: str, partner_name: str) -> str:
    return (
        f"You picked {escape(option)}. You'll see {escape(partner_name)}'s once they've "
        "picked; until then you can still change yours."
    )


def your_pick(option: str) -> str:
    return f"You picked {escape(option)} ✓"


def pick_changed(option: str) -> str:
    return f"Changed to {option}"  # a button's answer: plain text, no HTML


def both_picked(question: str, mine: str, partner_name: str, theirs: str) -> str:
    """To each partner once both picked: the two picks side by side."""
    if mine == theirs:
        return f"💞 You both chose {escape(mine)}!\n<i>{escape(question)}</i>"
    return (
        f"💞 You've both picked.\n<i>{escape(question)}</i>\n"
        f"You: {escape(mine)}\n{escape(partner_name)}: {escape(theirs)}\n"
        "Two different picks: something to chat about 🙂"
    )


GUESS_ANSWER_FIRST = "Tap your own answer first 🙂"
ALREADY_GUESSED = "You've answered and guessed already 💛"


def your_answer_now_guess(option: str, guess_question: str) -> str:
    return f"Your answer: {escape(option)} ✓\n\n<b>{escape(guess_question)}</b>"


def guess_waiting(mine: str, guess: str, partner_name: str) -> str:
    partner = escape(partner_name)
    return (
        f"Your answer: {escape(mine)} · your guess for {partner}: {escape(guess)}\n"
        f"You'll see both once {partner} has played too. 🔮"
    )


def your_answer_and_guess(mine: str, guess: str) -> str:
    return f"Your answer: {escape(mine)} · your guess: {escape(guess)} ✓"


def guess_reveal(
    question: str, partner_name: str, *, mine: str, their_guess: str, theirs: str, my_guess: str
) -> str:
    """To each partner once both answered and guessed (with buttons): both answers, both
    guesses, warm whoever was right."""
    partner = escape(partner_name)
    i_knew = "you knew! 🎯" if my_guess == theirs else "now you know 🌱"
    they_knew = "they knew you! 🎯" if their_guess == mine else "now they know 🌱"
    return (
        f"💞 You've both answered and guessed.\n<i>{escape(question)}</i>\n\n"
        f"<b>{partner}:</b> {escape(theirs)}. You guessed {escape(my_guess)}: {i_knew}\n"
        f"<b>You:</b> {escape(mine)}. {partner} guessed {escape(their_guess)}: {they_knew}"
    )


def now_your_guess(guess_question: str) -> str:
    """A guess nudge in words: the answer about yourself is saved, the guess comes next."""
    return f"Saved 💛 Now your guess:\n<b>{escape(guess_question)}</b>"


def guess_saved(partner_name: str) -> str:
    partner = escape(partner_name)
    return f"Guess saved 🔮 You'll see {partner}'s answer and guess once they've played too."


def guess_answer_header(partner_name: str) -> str:
    return f"💞 You've both answered and guessed. Here's {escape(partner_name)}'s answer:"


def guess_of_you_header(partner_name: str) -> str:
    return f"🔮 And {escape(partner_name)}'s guess about you (did they know?):"


def answer_full(most: int) -> str:
    return (
        f"This answer is full 💛 I keep up to {most} messages for one nudge, so this one "
        "wasn't saved. To change something, just edit one of your messages in it ✏️"
    )


ANSWER_STILL_FULL = "Not saved: this answer is full ✏️"  # after answer_full, once per message


def answer_added_shared(partner_name: str) -> str:
    return f"Added ✨ {escape(partner_name)} sees it too."


def revealed_header(partner_name: str) -> str:
    return f"💞 You've both answered. Here's {escape(partner_name)}'s:"


def added_header(author_name: str) -> str:
    return f"💬 {escape(author_name)} added:"


def note_header(author_name: str) -> str:
    return f"💌 From {escape(author_name)}:"


def note_sent(partner_name: str) -> str:
    return f"Sent to {escape(partner_name)} 💌"


HEART_BUTTON = "❤️"


def note_loved(partner_name: str) -> str:
    return f"❤️ {escape(partner_name)} loved your note."


def did_it(author_name: str, category: Category) -> str:
    return f"✅ {escape(author_name)} did today's {category.value} nudge."


def did_it_with_words(author_name: str, category: Category) -> str:
    return did_it(author_name, category) + " They wrote:"


DONE_THANKS = "Lovely ✅"
BOTH_DID_IT = "You both did today's nudge. 🎉"
ALREADY_DONE = "Already done ✅"


def about_plan_header(author_name: str) -> str:
    return f"💬 {escape(author_name)} about today's plan idea:"


def passed_on(partner_name: str) -> str:
    return f"Passed on to {escape(partner_name)} 💬"


def plan_in_waiting(partner_name: str) -> str:
    return f"You're in 🙌 I'll tell you if {escape(partner_name)} is in too."


def partner_plan_in(author_name: str) -> str:
    return (
        f"🙌 {escape(author_name)} is up for today's plan idea. If you are too, tap "
        "<i>I'm in</i> on it."
    )


def its_a_plan(nudge_text: str) -> str:
    return f"🙌 It's a plan! You're both in:\n<i>{escape(nudge_text)}</i>"


PLAN_OUT_OK = "No problem 🌿 There'll be other days."
PLAN_IN_NOTED = "Noted: you're in 🙌"


def partner_plan_out(author_name: str) -> str:
    return f"{escape(author_name)} can't make this one. Maybe another time 🌿"


ALREADY_IN = "You're already in 🙌"
ALREADY_OUT = "Noted already 🌿"

FOLLOW_UP = (
    "A gentle hello 🙂 Today's nudge is still here whenever you have a minute. Just reply to it."
)

# --- the weekly check-in and "on this day" ----------------------------------------------

CHECKIN_OFFER = (
    "<b>🫶 A weekly check-in?</b>\n\n"
    "You've shared two weeks of small moments. If you like, once a week (Sundays at 19:00, "
    "or a time you pick) you'd each tell me how close you felt, one thing you appreciated "
    "and one thing you'd like a little more of. You see each other's once you've both "
    "answered. Two minutes, and you can switch it off any time in /settings."
)
CHECKIN_YES_BUTTON = "Yes, let's try it 🌿"
CHECKIN_NOT_NOW_BUTTON = "Not now"
CHECKIN_NOT_NOW = "No problem 🌿 It's always there in /settings if you'd like it later."
CHECKIN_DAYS = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)


def checkin_when(weekday: int, at: str) -> str:
    return f"{CHECKIN_DAYS[weekday]} at {at}"


def checkin_on(when: str, partner_name: str) -> str:
    return (
        f"Lovely 💞 Your weekly check-in is on: {when}, your time. I've told "
        f"{escape(partner_name)}. The day and time are in /settings."
    )


def partner_changed_checkin(name: str, when: str | None) -> str:
    if when is None:
        return (
            f"{escape(name)} switched off your weekly check-in. It's in /settings whenever "
            "you'd like it back. 🌿"
        )
    return f"{escape(name)} set your weekly check-in: {when}, your time. 🫶"


def checkin_settings(when: str | None) -> str:
    state = f"On: {when}, each in your own time zone." if when else "Off."
    return (
        "<b>🫶 Weekly check-in</b> (shared)\n\n"
        f"{state}\n\n"
        "Once a week you each share how close you felt, one thing you appreciated and one "
        "thing you'd like a little more of; you see each other's once you've both answered."
    )


CHECKIN_SETTINGS_BUTTON = "🫶 Weekly check-in"
CHECKIN_SWITCH_ON = "Switch on"
CHECKIN_SWITCH_OFF = "Switch off"

FEELING_LABELS: dict[Feeling, str] = {
    Feeling.VERY_CLOSE: "💞 Very close",
    Feeling.CLOSE: "🤗 Close",
    Feeling.OKAY: "🌤 Okay",
    Feeling.A_BIT_FAR: "🌫 A bit far",
    Feeling.FAR_APART: "🌧 Far apart",
}


def checkin_question(partner_name: str) -> str:
    return (
        "<b>🫶 Your weekly check-in</b>\n\n"
        f"How connected did you feel to {escape(partner_name)} this week?"
    )


def ask_appreciated(partner_name: str) -> str:
    return (
        f"Thank you. What's one thing {escape(partner_name)} did this week that you "
        "appreciated? Just write it here."
    )


ASK_MORE_OF = "And one thing you'd like a little more of next week?"
CHECKIN_SKIP_BUTTON = "Skip"
CHECKIN_TOO_LONG = (
    "That's a lot to fit in one check-in 🙂 Could you keep it under 1,000 characters?"
)
CHECKIN_CLOSED = "This check-in has closed. The next one comes on its day 🌿"


def checkin_saved(partner_name: str) -> str:
    return f"Saved 💛 You'll see {escape(partner_name)}'s check-in once they've done theirs."


def checkin_reveal(
    partner_name: str, feeling: str | None, appreciated: str | None, more_of: str | None
) -> str:
    """The partner's check-in (the texts escaped here; None: skipped)."""
    skipped = "<i>skipped</i>"
    return (
        f"<b>🫶 {escape(partner_name)}'s check-in</b>\n\n"
        f"Felt this week: {feeling or skipped}\n"
        f"Appreciated: {escape(appreciated) if appreciated else skipped}\n"
        f"A little more of: {escape(more_of) if more_of else skipped}"
    )


# After two check-ins in a row where one of you felt a bit far (never says who).
CHECKIN_GENTLE = (
    "🌿 It's felt a little far lately, and that happens to every couple. An idea for the "
    "coming week: twenty minutes for just the two of you, phones away, to ask each other "
    "what would feel good right now."
)
# Once ever per pair: both felt far for four check-ins in a row. No link.
CHECKIN_COUNSELLOR = (
    "💛 These weeks have felt far for both of you. Talking with a couples counsellor is a "
    "normal, kind thing to do for a relationship, not a last resort: many couples go "
    "simply to look after what they have."
)

# In the Markdown export (plain text).
EXPORT_CHECKINS_TITLE = "Weekly check-ins"
EXPORT_CHECKIN_DAY = "Check-in of"
EXPORT_NOT_ANSWERED = "not answered"
FEELING_WORDS = {
    Feeling.VERY_CLOSE.value: "very close",
    Feeling.CLOSE.value: "close",
    Feeling.OKAY.value: "okay",
    Feeling.A_BIT_FAR.value: "a bit far",
    Feeling.FAR_APART.value: "far apart",
}

MEMORY_AGO = {
    Ago.YEAR: "A year ago today",
    Ago.SIX_MONTHS: "Six months ago today",
    Ago.MONTH: "A month ago today",
}
MEMORY_BUTTON = "📷 See it"
MEMORY_GONE = "That day's answers are no longer here."


def memory_line(ago: Ago, nudge_text: str) -> str:
    """The short extra line of a morning message that brings back a day."""
    short = nudge_text if len(nudge_text) <= 80 else nudge_text[:79].rstrip() + "…"
    return f"📷 <i>{MEMORY_AGO[ago]} you both wrote about “{escape(short)}”. See it below.</i>"


def memory_header(day: str, nudge_text: str) -> str:
    return f"<b>📷 {day}</b>\n\n{escape(nudge_text)}"


def memory_answer_header(author: str) -> str:
    return f"<b>{escape(author)}</b>"


# --- the journal ------------------------------------------------------------------------

MEDIA_LABELS = {
    "voice": "🎤 voice note",
    "photo": "📷 photo",
    "video": "🎥 video",
    "video_note": "⭕ video message",
}
WAITING_FOR_BOTH = "<i>waiting for both 💞</i>"
NOTHING_YET = "<i>—</i>"
# A stored answer that no configured key opens (plain text: it goes into HTML escaped, and
# into the Markdown export as is).
ANSWER_UNREADABLE = "🔒 this answer can't be read on this server"
JOURNAL_EMPTY = "Your journal is empty for now. It fills up as you answer your daily nudges. 🌱"
NEWER_BUTTON = "◀ Newer"
OLDER_BUTTON = "Older ▶"


def journal_counts(both: int, notes: int, plans: int) -> str:
    return (
        f"Days you both showed up: <b>{both}</b> · notes exchanged: <b>{notes}</b> · "
        f"plans made: <b>{plans}</b>"
    )


# --- /recap: a picture of your weeks (drawn, so no emoji inside the picture) --------------

RECAP_CAPTION = "Your last eight weeks together 💛"
RECAP_NOT_PAIRED = (
    "The picture of your weeks is made of the days you share, so it starts once you're "
    "paired. /invite makes a link for your partner. 💌"
)
RECAP_TITLE = "Your last eight weeks"
RECAP_WEEKDAYS = ("M", "T", "W", "T", "F", "S", "S")
RECAP_LEGEND = {
    "both": "you both answered",
    "one": "one of you answered",
    "quiet": "a quiet day",
    "paused": "paused",
    "none": "no nudge",
}
RECAP_COUNT_LABELS = ("days you both showed up", "notes to each other", "plans made")
RECAP_NO_NOTE = "Your notes to each other will show up here."


def recap_note_from(name: str) -> str:
    """Under the quoted note in the picture (plain text: drawn, not sent as HTML)."""
    return f"from {name}"


def journal_entry(day: str, title: str, nudge_text: str, lines: list[tuple[str, str]]) -> str:
    """One day: its date and category, the nudge, then a line per person ("You", "Sam")."""
    shown = nudge_text if len(nudge_text) <= 120 else nudge_text[:119] + "…"
    people = "\n".join(f"<b>{escape(who)}:</b> {what}" for who, what in lines)
    return f"<b>{day}</b> · {title}\n<i>{escape(shown)}</i>\n{people}"


def more_parts(count: int) -> str:
    return f"…and {count} more"


def view_button(label: str, day: str) -> str:
    return f"View {label.split(' ', 1)[0]} {day}"


YOU = "You"
GUESS_MARK = "🔮"


def guessed(option: str) -> str:
    return f"{GUESS_MARK} guessed {escape(option)}"


PLAN_IN = "🙌 in"
PLAN_OUT = "not this time"
DONE_MARK = "✅ done"

# --- pause ------------------------------------------------------------------------------

PAUSE_MENU = (
    "Busy stretch? Pause the nudges for both of you. They come back by themselves. 🌿\nHow long?"
)
PAUSE_CHOICES: list[tuple[str, str]] = [
    ("1 day", "1d"),
    ("3 days", "3d"),
    ("1 week", "1w"),
    ("2 weeks", "2w"),
]
PAUSE_UNTIL_BUTTON = "Until a date…"
RESUME_BUTTON = "▶️ Resume now"
ASK_PAUSE_DATE = (
    "Until when? Type a date like <i>until 24.12.</i>, <i>until 2026-12-24</i> or "
    "<i>until friday</i>."
)
PAUSE_NOT_PAIRED = "There's nothing to pause yet: nudges start once you're paired. 🙂"
PAUSE_HOW = (
    "You can say <code>/pause 3d</code>, <code>/pause 1w</code>, <code>/pause 10 days</code>, "
    "<code>/pause until 24.12.</code> or <code>/pause until friday</code>, up to 90 days."
)
PAUSE_NOT_UNDERSTOOD = "I didn't quite get that. " + PAUSE_HOW
PAUSE_IN_THE_PAST = "That day has already begun or passed 🙂 " + PAUSE_HOW
PAUSE_TOO_LONG = "That's more than 90 days; let's keep pauses a little shorter. " + PAUSE_HOW


def paused(last_day: str, back_on: str, partner_name: str, *, replaced: bool) -> str:
    changed = "New plan: " if replaced else ""
    return (
        f"{changed}Nudges are paused for both of you through {last_day}. They'll come back "
        f"by themselves on {back_on}. 🌿 I've let {escape(partner_name)} know."
    )


def partner_paused(name: str, back: str, *, replaced: bool) -> str:
    if replaced:
        return f"{escape(name)} changed the pause: your nudges come back {back}. 🌿"
    return (
        f"{escape(name)} paused your daily nudges for a busy stretch. 🌿 They'll come back "
        f"by themselves {back}."
    )


NOT_PAUSED = "Nothing is paused right now 🙂"


def resumed(next_nudge: str) -> str:
    return f"Nudges are back on ▶️ {next_nudge}"


def partner_resumed(name: str, next_nudge: str) -> str:
    return f"{escape(name)} turned your nudges back on ▶️ {next_nudge}"


def next_nudge_line(when: str | None) -> str:
    return f"Your next one comes {when}." if when else ""


# --- privacy ----------------------------------------------------------------------------

EXPORT_CAPTION = "Everything Couplet stores about you, as JSON. 🔐"
EXPORT_JOURNAL_CAPTION = "Your journal, readable. 📖"


def export_part_caption(number: int, count: int, suffix: str) -> str:
    """A large export comes in several files (Telegram takes up to 50 MB each)."""
    if suffix == ".json":
        return f"Part {number} of {count} of your data. 🔐"
    return f"Part {number} of {count} of your journal. 📖"


DELETE_CONFIRM = (
    "Erase everything I store about you: your settings, your nudges, your answers and your "
    "pairing? Your partner keeps their own answers. This can't be undone. "
    "(/export first if you'd like a copy.)"
)
DELETE_YES = "Yes, erase everything"
DELETE_NO = "Keep my data"
DELETE_KEPT = "Okay, nothing was erased. 💛"
DELETED = (
    "Done. Everything I stored about you is erased. If you ever want to come back, /start "
    "begins afresh. Take good care. 🌿"
)
NOTHING_STORED = "I don't have anything stored about you. 🙂"
