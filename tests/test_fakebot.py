"""The fake Telegram Bot API works with the real python-telegram-bot, over HTTP and in-process."""

import asyncio
import contextlib
import datetime as dtm
import socket
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebot import (
    FakeBotApiServer,
    FakeTelegram,
    FakeTelegramRequest,
    FakeUser,
    SentMessage,
)
from tests.fakebot.htmltext import HtmlError, parse_html
from tests.fakebot.params import decode_value

TOKEN = "7000001:TEST-fake-token"
ALICE = FakeUser(1001, "Alice", username="alice")
BOB = FakeUser(1002, "Bob", last_name="Stone", language_code="de")
GROUP_ID = -100500
AN_HOUR = 3600.0  # a delay or a long poll no test waits out
GUARD_SECONDS = 30.0  # ends a test whose waiting never ends, instead of hanging for the hour

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)
BotFactory = Callable[..., Bot]
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Yes", callback_data="pair:yes")],
        [InlineKeyboardButton("Docs", url="https://example.org/help")],
    ]
)


@pytest.fixture
def fake() -> FakeTelegram:
    return FakeTelegram(TOKEN)


@pytest.fixture
def server(fake: FakeTelegram) -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(fake) as running:
        yield running
    assert not any(thread.name == "fake-bot-api" for thread in threading.enumerate())


@pytest.fixture(params=["http", "in-process"])
def new_bot(request: pytest.FixtureRequest, fake: FakeTelegram) -> BotFactory:
    """Builds a `Bot` talking to the fake through one of the two transports."""
    if request.param == "http":
        server: FakeBotApiServer = request.getfixturevalue("server")

        def over_http(token: str = TOKEN, read_timeout: float = 5.0) -> Bot:
            return Bot(
                token,
                base_url=server.base_url,
                base_file_url=server.base_file_url,
                request=HTTPXRequest(read_timeout=read_timeout),
            )

        return over_http

    def in_process(token: str = TOKEN, read_timeout: float = 5.0) -> Bot:
        return Bot(token, request=FakeTelegramRequest(fake, read_timeout=read_timeout))

    return in_process


@pytest.fixture
async def bot(new_bot: BotFactory) -> AsyncIterator[Bot]:
    async with new_bot() as started:
        yield started


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ------------------------------------------------------------------------- Bot methods


async def test_get_me_answers_the_configured_bot(bot: Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (
        7000001,
        "couplet_test_bot",
        "Couplet",
        True,
    )
    assert len(fake.calls_for("getMe")) == 2  # Bot.initialize() called it too


async def test_send_message_with_inline_keyboard(bot: Bot, fake: FakeTelegram) -> None:
    fake.send_text(ALICE, "hello")
    message = await bot.send_message(ALICE.id, "Pair up?", reply_markup=KEYBOARD)

    assert message.chat.id == ALICE.id
    assert message.chat.first_name == "Alice"
    assert message.from_user is not None and message.from_user.id == 7000001
    assert message.reply_markup == KEYBOARD
    assert message.message_id == 2  # the user's "hello" was message 1 in this chat
    (sent,) = fake.sent_to(ALICE.id)
    assert (sent.message_id, sent.kind, sent.text, sent.edits) == (2, "text", "Pair up?", 0)
    assert fake.buttons(sent) == [("Yes", "pair:yes"), ("Docs", "https://example.org/help")]
    assert fake.texts_to(ALICE.id) == ["Pair up?"]
    call = fake.calls_for("sendMessage")[0]
    assert call.chat_id == ALICE.id and call.params["chat_id"] == ALICE.id


async def test_keyboard_is_validated(bot: Bot, fake: FakeTelegram) -> None:
    url_typo = InlineKeyboardMarkup([[InlineKeyboardButton("Pause", "pause:3d")]])
    with pytest.raises(BadRequest, match=r"(?i)button URL 'pause:3d' is invalid"):
        await bot.send_message(ALICE.id, "Pause?", reply_markup=url_typo)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("Long", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE.id, "Long?", reply_markup=too_long)
    assert fake.sent_to(ALICE.id) == []


async def test_reply_keyboard_buttons_are_listed(bot: Bot, fake: FakeTelegram) -> None:
    keyboard = ReplyKeyboardMarkup([[KeyboardButton("Share location", request_location=True)]])
    message = await bot.send_message(ALICE.id, "Where are you?", reply_markup=keyboard)
    assert message.reply_markup is None  # Telegram only echoes inline keyboards
    last = fake.last_to(ALICE.id)
    assert last is not None
    assert fake.buttons(last) == [("Share location", "Share location")]


async def test_edit_message_text_and_reply_markup(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(ALICE.id, "Pair up?", reply_markup=KEYBOARD)

    edited = await bot.edit_message_text(
        "Paired!", chat_id=ALICE.id, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert isinstance(edited, type(sent)) and edited.text == "Paired!"
    assert edited.edit_date is not None
    await bot.edit_message_reply_markup(ALICE.id, sent.message_id, reply_markup=None)

    (current,) = fake.sent_to(ALICE.id)
    assert (current.text, current.reply_markup, current.edits) == ("Paired!", None, 2)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Paired!", chat_id=ALICE.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE.id, message_id=999)


async def test_editing_text_without_markup_removes_the_keyboard(
    bot: Bot, fake: FakeTelegram
) -> None:
    sent = await bot.send_message(ALICE.id, "Pair up?", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text("Done", chat_id=ALICE.id, message_id=sent.message_id)
    assert edited.reply_markup is None
    assert fake.buttons(fake.sent_to(ALICE.id)[0]) == []


async def test_button_press_and_callback_answer(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(ALICE.id, "Pair up?", reply_markup=KEYBOARD)
    update = Update.de_json(fake.press_button(ALICE, sent.message_id, "pair:yes"), bot)

    query = update.callback_query
    assert query is not None and query.data == "pair:yes"
    assert query.from_user.id == ALICE.id
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Saved", show_alert=True)
    assert fake.callback_answers() == [
        {"callback_query_id": query.id, "text": "Saved", "show_alert": True}
    ]
    assert fake.calls_for("answerCallbackQuery")[0].chat_id == ALICE.id
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)


def test_pressing_a_missing_button_needs_forged(fake: FakeTelegram) -> None:
    fake.send_text(ALICE, "hi")
    status, body = fake.handle(
        "sendMessage", {"chat_id": ALICE.id, "text": "Pick", "reply_markup": KEYBOARD.to_dict()}
    )
    assert status == 200
    message_id = body["result"]["message_id"]
    with pytest.raises(AssertionError, match="no button with callback_data"):
        fake.press_button(ALICE, message_id, "admin:delete-everything")
    forged = fake.press_button(ALICE, message_id, "admin:delete-everything", forged=True)
    assert forged["callback_query"]["data"] == "admin:delete-everything"
    by_label = fake.press_button_text(ALICE, message_id, "Yes")
    assert by_label["callback_query"]["data"] == "pair:yes"


async def test_send_document_bytes_and_download(bot: Bot, fake: FakeTelegram) -> None:
    payload = b'{"answers": []}'
    message = await bot.send_document(
        ALICE.id, payload, filename="couplet-export.json", caption="Your data"
    )
    assert message.document is not None
    assert message.document.file_name == "couplet-export.json"
    assert message.caption == "Your data"

    sent = fake.last_to(ALICE.id)
    assert sent is not None
    assert (sent.kind, sent.file_name, sent.file_bytes, sent.text) == (
        "document",
        "couplet-export.json",
        payload,
        "Your data",
    )
    assert sent.mime_type == "application/json"
    telegram_file = await bot.get_file(message.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == payload


async def test_copy_message_of_a_users_voice_note(bot: Bot, fake: FakeTelegram) -> None:
    voice = {"file_id": "voice-alice-1", "file_unique_id": "va1", "duration": 4}
    update = fake.send_message_json(ALICE, voice=voice)
    source_id = update["message"]["message_id"]

    copied = await bot.copy_message(BOB.id, ALICE.id, source_id, caption="From Alice")
    sent = fake.last_to(BOB.id)
    assert sent is not None and sent.message_id == copied.message_id
    assert (sent.kind, sent.copied_from, sent.file_id, sent.text) == (
        "copy",
        (ALICE.id, source_id),
        "voice-alice-1",
        "From Alice",
    )
    params = fake.calls_for("copyMessage")[0].params
    assert (params["from_chat_id"], params["message_id"]) == (ALICE.id, source_id)
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(BOB.id, ALICE.id, 4242)


async def test_media_by_file_id(bot: Bot, fake: FakeTelegram) -> None:
    photo = await bot.send_photo(ALICE.id, "photo-file-1", caption="Look")
    voice = await bot.send_voice(ALICE.id, "voice-file-1")
    video = await bot.send_video(ALICE.id, "video-file-1")
    note = await bot.send_video_note(ALICE.id, "note-file-1")

    assert photo.photo[-1].file_id == "photo-file-1" and photo.caption == "Look"
    assert voice.voice is not None and voice.voice.file_id == "voice-file-1"
    assert video.video is not None and video.video.file_id == "video-file-1"
    assert note.video_note is not None and note.video_note.file_id == "note-file-1"
    kinds = [(sent.kind, sent.file_id) for sent in fake.sent_to(ALICE.id)]
    assert kinds == [
        ("photo", "photo-file-1"),
        ("voice", "voice-file-1"),
        ("video", "video-file-1"),
        ("video_note", "note-file-1"),
    ]


async def test_delete_message_and_chat_action(bot: Bot, fake: FakeTelegram) -> None:
    sent = await bot.send_message(ALICE.id, "temporary")
    assert await bot.send_chat_action(ALICE.id, "typing")
    assert await bot.delete_message(ALICE.id, sent.message_id)
    assert fake.sent_to(ALICE.id) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE.id, sent.message_id)


async def test_set_my_commands_and_menu_button(bot: Bot, fake: FakeTelegram) -> None:
    commands = [BotCommand("start", "Begin"), BotCommand("pause", "Pause the nudges")]
    assert await bot.set_my_commands(commands)
    assert fake.commands == [
        {"command": "start", "description": "Begin"},
        {"command": "pause", "description": "Pause the nudges"},
    ]
    assert list(await bot.get_my_commands()) == commands
    assert await bot.set_chat_menu_button()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "uppercase is invalid")])


async def test_429_surfaces_as_retry_after(bot: Bot, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "hi")
    assert retry_seconds(caught.value) == 7

    await bot.send_message(ALICE.id, "hi again")
    assert [call.status for call in fake.calls_for("sendMessage")] == [429, 200]
    assert fake.http_429 == 1
    assert fake.texts_to(ALICE.id) == ["hi again"]


async def test_injected_server_errors(bot: Bot, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", status=502, count=2)
    for _ in range(2):
        with pytest.raises(Exception, match="Bad Gateway"):
            await bot.send_message(ALICE.id, "hi")
    fake.fail_next("sendMessage", status=400, description="Bad Request: custom")
    with pytest.raises(BadRequest, match=r"(?i)custom"):
        await bot.send_message(ALICE.id, "hi")
    assert (await bot.send_message(ALICE.id, "finally")).text == "finally"


async def test_blocked_chat_answers_forbidden(bot: Bot, fake: FakeTelegram) -> None:
    fake.block(BOB.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(BOB.id, "Good morning")
    with pytest.raises(Forbidden):
        await bot.copy_message(BOB.id, ALICE.id, 1)
    await bot.send_message(ALICE.id, "others still work")
    fake.unblock(BOB.id)
    await bot.send_message(BOB.id, "Good morning")
    assert fake.texts_to(BOB.id) == ["Good morning"]


async def test_text_length_and_emptiness_are_validated(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE.id, "x" * 5000)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ALICE.id, "   ")
    await bot.send_message(ALICE.id, "x" * 4096)
    assert [len(text) for text in fake.texts_to(ALICE.id)] == [4096]


async def test_unknown_negative_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-1009999, "hello group")


@pytest.mark.parametrize(
    "text",
    ["<b>unclosed", "a < b", "Tom & Jerry", "<script>x</script>", "<b><i>x</b></i>"],
)
async def test_malformed_html_is_rejected(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE.id, text, parse_mode="HTML")


async def test_html_becomes_text_and_entities(bot: Bot, fake: FakeTelegram) -> None:
    html = '<b>Hi</b> <i>you</i> &amp; <a href="https://t.me/x?start=a&amp;b">me</a> 1 &lt; 2'
    message = await bot.send_message(ALICE.id, html, parse_mode="HTML")
    assert message.text == "Hi you & me 1 < 2"
    assert message.text_html == html.replace("&amp;b", "&b")
    sent = fake.last_to(ALICE.id)
    assert sent is not None and sent.raw_text == html and sent.text == "Hi you & me 1 < 2"


async def test_string_fields_stay_strings(bot: Bot, fake: FakeTelegram) -> None:
    texts = ["123", "true", "null", '{"a": 1}', "[1, 2]", '"quoted"', "-5"]
    for text in texts:
        assert (await bot.send_message(str(ALICE.id), text)).text == text
    assert fake.texts_to(ALICE.id) == texts
    params = [call.params for call in fake.calls_for("sendMessage")]
    assert all(p["chat_id"] == ALICE.id and isinstance(p["text"], str) for p in params)
    await bot.send_message(ALICE.id, "x", disable_notification=True, reply_markup=KEYBOARD)
    last = fake.calls_for("sendMessage")[-1].params
    assert last["disable_notification"] is True
    assert last["reply_markup"] == KEYBOARD.to_dict()


async def test_wrong_token_is_invalid(new_bot: BotFactory, fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with new_bot(token="7000001:wrong"):
            pass
    assert fake.calls == []


async def test_delayed_answer_times_out_but_is_delivered(
    new_bot: BotFactory, fake: FakeTelegram
) -> None:
    async with new_bot(read_timeout=0.2) as slow_bot:
        fake.delay_next("sendMessage", AN_HOUR)
        # Only the read timeout can end this call within the hour (the guard ends the test
        # if it does not: a client that waited for the answer would still be waiting).
        async with asyncio.timeout(GUARD_SECONDS):
            with pytest.raises(TimedOut):
                await slow_bot.send_message(ALICE.id, "slow")
        assert fake.texts_to(ALICE.id) == ["slow"]
        assert (await slow_bot.send_message(ALICE.id, "fast")).text == "fast"


async def test_rate_limit_answers_429(bot: Bot, fake: FakeTelegram) -> None:
    fake.rate_limit(5)
    outcomes = []
    for number in range(8):
        try:
            await bot.send_message(ALICE.id, f"n{number}")
            outcomes.append("ok")
        except RetryAfter as error:
            outcomes.append(f"retry {retry_seconds(error):.0f}")
    assert outcomes == ["ok"] * 5 + ["retry 1"] * 3
    assert fake.http_429 == 3
    fake.rate_limit(None)
    await bot.send_message(ALICE.id, "unlimited again")


async def test_paid_broadcasts_have_their_own_rate(bot: Bot, fake: FakeTelegram) -> None:
    fake.rate_limit(2, paid_per_second=4)
    free = [await _outcome(bot.send_message(ALICE.id, f"free {n}")) for n in range(3)]
    paid = [
        await _outcome(bot.send_message(ALICE.id, f"paid {n}", allow_paid_broadcast=True))
        for n in range(5)
    ]
    assert free == ["ok", "ok", "retry"]
    assert paid == ["ok"] * 4 + ["retry"]  # the free sends did not use up the paid rate
    assert fake.http_429 == 2


async def _outcome(send: Awaitable[object]) -> str:
    try:
        await send
    except RetryAfter:
        return "retry"
    return "ok"


# ------------------------------------------------------------------------- Application


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    pause = InlineKeyboardButton("Pause 3 days", callback_data="pause:3d")
    keyboard = InlineKeyboardMarkup([[pause]])
    await update.effective_message.reply_text(
        "Welcome to <b>Couplet</b>!", parse_mode="HTML", reply_markup=keyboard
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Paused")
    await query.edit_message_text(f"Paused ({query.data})")


async def in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("I only work in private chats.")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await message.reply_text(f"echo: {message.text}")


@pytest.fixture(params=["http", "in-process"])
def application(request: pytest.FixtureRequest, fake: FakeTelegram) -> Application:
    builder = Application.builder().token(TOKEN)
    if request.param == "http":
        server: FakeBotApiServer = request.getfixturevalue("server")
        builder = builder.base_url(server.base_url).base_file_url(server.base_file_url)
    else:
        builder = builder.request(FakeTelegramRequest(fake))
        builder = builder.get_updates_request(FakeTelegramRequest(fake))
    app = builder.build()
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, in_group))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def test_application_conversation(application: Application, fake: FakeTelegram) -> None:
    async with polling(application):
        fake.send_text(ALICE, "/start")
        welcome = await fake.async_wait_for_message(ALICE.id, containing="Welcome")
        assert welcome.text == "Welcome to Couplet!"
        assert welcome.entities == [{"type": "bold", "offset": 11, "length": 7}]

        fake.press_button(ALICE, welcome.message_id, "pause:3d")
        await fake.async_wait_for(lambda: fake.sent_to(ALICE.id)[0].edits == 1)
        assert fake.texts_to(ALICE.id) == ["Paused (pause:3d)"]
        assert fake.callback_answers()[0]["text"] == "Paused"

        fake.send_text(ALICE, "123")
        reply = await fake.async_wait_for_message(ALICE.id, containing="echo")
        assert reply.text == "echo: 123"

        fake.send_group_text(BOB, GROUP_ID, "/start@couplet_test_bot", chat_type="supergroup")
        polite = await fake.async_wait_for_message(GROUP_ID)
        assert polite.text == "I only work in private chats."
        await fake.async_wait_until_consumed()
    assert fake.pending_updates() == 0
    assert fake.calls_for("getUpdates")[-1].params["timeout"] == 0


async def test_async_wait_reports_what_was_sent(fake: FakeTelegram) -> None:
    fake.handle("sendMessage", {"chat_id": ALICE.id, "text": "something else"})
    with pytest.raises(AssertionError) as caught:
        await fake.async_wait_for_message(ALICE.id, containing="Welcome", timeout=0.05)
    report = str(caught.value)
    assert "containing 'Welcome'" in report
    assert "sendMessage chat=1001 -> 200" in report
    assert "something else" in report


# ------------------------------------------------------------------------- the core alone


def test_injected_updates_parse_as_ptb_objects(fake: FakeTelegram) -> None:
    start_update = Update.de_json(fake.send_text(ALICE, "/start@couplet_test_bot abc"), None)
    assert start_update.message is not None
    (entity,) = start_update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 23)

    location = Update.de_json(fake.send_location(ALICE, 52.52, 13.4), None)
    assert location.message is not None and location.message.location is not None
    assert location.message.location.latitude == 52.52

    photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 9, "height": 9}]
    media = Update.de_json(fake.send_message_json(ALICE, photo=photo, caption="us"), None)
    assert media.message is not None and media.message.caption == "us"
    assert media.message.photo[0].file_id == "p1"

    group = Update.de_json(fake.send_group_text(BOB, GROUP_ID, "hi all"), None)
    assert group.effective_chat is not None and group.effective_chat.type == "group"
    assert group.effective_user is not None and group.effective_user.last_name == "Stone"

    post = Update.de_json(fake.send_channel_post(-1007, "news"), None)
    assert post.channel_post is not None and post.channel_post.text == "news"

    plain = fake.send_text(ALICE, "my answer")
    edited = Update.de_json(fake.edit_text(ALICE, plain["message"]["message_id"], "v2"), None)
    assert edited.edited_message is not None and edited.edited_message.text == "v2"
    ids = [update.update_id for update in (start_update, location, media, group, post, edited)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_reply_to_includes_the_bot_message(fake: FakeTelegram) -> None:
    fake.send_text(ALICE, "/start")
    _, body = fake.handle("sendMessage", {"chat_id": ALICE.id, "text": "What made you smile?"})
    bot_message = body["result"]
    update = Update.de_json(
        fake.send_text(ALICE, "You did", reply_to_message_id=bot_message["message_id"]), None
    )
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.text == "What made you smile?"
    assert update.message.reply_to_message.from_user is not None
    assert update.message.reply_to_message.from_user.is_bot


def test_inject_raw_update_registers_the_chat(fake: FakeTelegram) -> None:
    raw = {
        "message": {
            "message_id": 77,
            "date": 1,
            "chat": {"id": -100321, "type": "supergroup", "title": "Fans"},
            "text": "raw",
        }
    }
    update = fake.inject(raw)
    assert update["update_id"] == 1
    status, body = fake.handle("sendMessage", {"chat_id": -100321, "text": "hi"})
    assert status == 200 and body["result"]["message_id"] == 78
    assert fake.inject({"update_id": 50, "poll": {}})["update_id"] == 50
    assert fake.send_text(ALICE, "next")["update_id"] == 51


def test_get_updates_offset_limit_and_long_poll(fake: FakeTelegram) -> None:
    first = fake.send_text(ALICE, "one")["update_id"]
    fake.send_text(ALICE, "two")
    fake.send_text(ALICE, "three")

    _, body = fake.handle("getUpdates", {"limit": 2})
    assert [u["message"]["text"] for u in body["result"]] == ["one", "two"]
    _, body = fake.handle("getUpdates", {"offset": first + 2})
    assert [u["message"]["text"] for u in body["result"]] == ["three"]
    assert fake.pending_updates() == 1
    _, body = fake.handle("getUpdates", {"offset": first + 3, "timeout": 0.1})
    assert body == {"ok": True, "result": []}
    assert fake.pending_updates() == 0

    answers: list[dict[str, Any]] = []

    def long_poll() -> None:
        answers.append(fake.handle("getUpdates", {"offset": first + 3, "timeout": AN_HOUR})[1])

    poller = threading.Thread(target=long_poll, daemon=True)
    poller.start()
    fake.wait_for(lambda: fake.polls_waiting() == 1, what="the long poll waiting")
    fake.send_text(BOB, "late")  # arrives while the poll waits: it must end the poll
    poller.join(GUARD_SECONDS)  # (only ends the test if the poll waits out its hour)
    assert not poller.is_alive(), "the long poll did not end when the update came"
    (body,) = answers
    assert [u["message"]["text"] for u in body["result"]] == ["late"]


def test_sync_wait_for_message_sees_calls_from_another_thread(fake: FakeTelegram) -> None:
    def send_later() -> None:
        fake.handle("sendMessage", {"chat_id": BOB.id, "text": "first"})
        fake.handle("sendMessage", {"chat_id": BOB.id, "text": "Your nudge"})

    timer = threading.Timer(0.05, send_later)
    timer.start()
    message = fake.wait_for_message(BOB.id, count=2, timeout=5)
    timer.join()
    assert isinstance(message, SentMessage) and message.text == "Your nudge"
    assert fake.wait_for_message(BOB.id, containing="first").message_id == 1
    with pytest.raises(AssertionError, match="timed out"):
        fake.wait_for(lambda: False, timeout=0.05)


def test_webhook_methods_and_conflict(fake: FakeTelegram) -> None:
    fake.send_text(ALICE, "queued")
    assert fake.handle("setWebhook", {"url": "https://example.org/hook"})[0] == 200
    status, body = fake.handle("getUpdates", {})
    assert status == 409 and "webhook is active" in body["description"]
    info = fake.handle("getWebhookInfo", {})[1]["result"]
    assert info["url"] == "https://example.org/hook" and info["pending_update_count"] == 1
    assert fake.handle("deleteWebhook", {"drop_pending_updates": True})[0] == 200
    assert fake.pending_updates() == 0
    assert fake.handle("noSuchMethod", {}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


def test_html_parser_offsets_use_utf16() -> None:
    text, entities = parse_html('💞 <b>us</b> <pre><code class="language-py">x</code></pre>')
    assert text == "💞 us x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "pre", "offset": 6, "length": 1, "language": "py"},
    ]
    with pytest.raises(HtmlError, match='Unsupported start tag "br"'):
        parse_html("a<br/>b")
    with pytest.raises(HtmlError, match="Can't find end of the entity"):
        parse_html("Tom & Jerry")


def test_decode_value_mirrors_ptb_encoding() -> None:
    assert decode_value("text", "123") == "123"
    assert decode_value("caption", "true") == "true"
    assert decode_value("callback_query_id", "4812000000000001") == "4812000000000001"
    assert decode_value("chat_id", "-100123") == -100123
    assert decode_value("chat_id", "@channel") == "@channel"
    assert decode_value("disable_notification", "true") is True
    assert decode_value("reply_markup", '{"inline_keyboard": []}') == {"inline_keyboard": []}
    assert decode_value("custom_field", '"x"') == '"x"'


# ------------------------------------------------------------------------- HTTP server


def test_raw_http_requests(server: FakeBotApiServer, fake: FakeTelegram) -> None:
    with httpx.Client(base_url=server.base_url.removesuffix("/bot")) as client:
        wrong = client.post("/bot1:nope/getMe")
        assert wrong.status_code == 401
        assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        as_json = client.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 5, "text": "j"})
        assert as_json.json()["result"]["text"] == "j"
        as_query = client.get(f"/bot{TOKEN}/sendMessage", params={"chat_id": 5, "text": "42"})
        assert as_query.json()["result"]["text"] == "42"
        unknown = client.post(f"/bot{TOKEN}/fooBar")
        assert unknown.status_code == 404
    assert fake.texts_to(5) == ["j", "42"]


def test_server_releases_thread_and_port(fake: FakeTelegram) -> None:
    server = FakeBotApiServer(fake)
    server.start()
    port = server.port
    assert any(thread.name == "fake-bot-api" for thread in threading.enumerate())
    server.stop()
    assert not any(thread.name == "fake-bot-api" for thread in threading.enumerate())
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
