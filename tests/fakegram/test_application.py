"""A real python-telegram-bot `Application` polling the fake."""

import contextlib
from collections.abc import AsyncIterator

import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from fakegram import (
    FakeBotApiServer,
    FakeTelegram,
    FakeTelegramRequest,
)
from tests.fakegram.conftest import (
    ALICE,
    BOB,
    GROUP_ID,
    TOKEN,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


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
