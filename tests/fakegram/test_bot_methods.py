"""Bot API methods of the fake, called through the real python-telegram-bot `Bot`."""

import asyncio

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

from fakegram import (
    FakeTelegram,
)
from tests.fakegram.conftest import (
    ALICE,
    AN_HOUR,
    BOB,
    GUARD_SECONDS,
    KEYBOARD,
    BotFactory,
    retry_seconds,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


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


async def test_paid_broadcasts_have_a_rate_of_their_own(bot: Bot, fake: FakeTelegram) -> None:
    fake.rate_limit(3, paid_broadcast=6)
    outcomes = []
    for number in range(8):
        try:
            await bot.send_message(ALICE.id, f"paid {number}", allow_paid_broadcast=True)
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
    for number in range(4):  # ordinary sends still have the token's own 3 a second
        try:
            await bot.send_message(ALICE.id, f"ordinary {number}")
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
    assert outcomes == ["ok"] * 6 + ["429"] * 2 + ["ok"] * 3 + ["429"]
