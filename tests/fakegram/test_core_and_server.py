"""The fake's core alone (updates, long polls, webhooks, the HTML parser) and its HTTP server."""

import socket
import threading
from typing import Any

import httpx
import pytest
from telegram import (
    Update,
)

from fakegram import (
    FakeBotApiServer,
    FakeTelegram,
    SentMessage,
)
from fakegram.htmltext import HtmlError, parse_html
from fakegram.params import decode_value
from tests.fakegram.conftest import (
    ALICE,
    AN_HOUR,
    BOB,
    GROUP_ID,
    GUARD_SECONDS,
    TOKEN,
)

pytestmark = pytest.mark.filterwarnings(
    "ignore:Deprecated since version v22.2:telegram.warnings.PTBDeprecationWarning"
)


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
