"""`FakeTelegram`: an in-memory Telegram Bot API for tests.

Tests inject updates as the exact JSON Telegram sends (`send_text`, `press_button`, ...), the
bot under test talks to it through `FakeBotApiServer` (HTTP) or `FakeTelegramRequest`
(in-process), and tests inspect what the bot sent (`sent_to`, `wait_for_message`, ...).
All state is guarded by one lock: the HTTP server runs in another thread than the test.
"""

import asyncio
import contextlib
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from fakegram.content import (
    DEFAULT_SCOPE_KEY,
    NOT_COPIED,
    buttons_of,
    check_command,
    check_text,
    checked_markup,
    file_id_of,
    format_caption,
    format_text,
    inline_markup,
    media_json,
    parse_chat_id,
    parse_int,
    require_button,
    scope_key,
    str_param,
    unique_file_id,
    unix_now,
    user_text_content,
    with_entities,
    without_reply,
)
from fakegram.faults import (
    BLOCKED_DESCRIPTION,
    FaultPlan,
    SlidingWindowLimiter,
    injected_error,
    too_many_requests,
)
from fakegram.models import (
    ApiError,
    FakeResponse,
    FakeUser,
    RecordedCall,
    SentMessage,
    UploadedFile,
    bad_request,
)

Params = dict[str, Any]
JsonDict = dict[str, Any]

RATE_LIMITED_METHODS = frozenset({"sendmessage", "copymessage"})
# What Telegram allows a bot that pays for broadcasts (`allow_paid_broadcast`), per second.
PAID_BROADCAST_PER_SECOND = 1000.0

_MEDIA_METHODS = {
    "senddocument": "document",
    "sendphoto": "photo",
    "sendvoice": "voice",
    "sendvideo": "video",
    "sendvideonote": "video_note",
    "sendaudio": "audio",
    "sendanimation": "animation",
    "sendsticker": "sticker",
}
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass(slots=True)
class _Chat:
    info: JsonDict
    next_message_id: int = 1
    messages: dict[int, JsonDict] = field(default_factory=dict)
    sent: dict[int, SentMessage] = field(default_factory=dict)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class _Query:
    chat_id: int
    message_id: int
    answered: bool = False


@dataclass(frozen=True, slots=True)
class _StoredFile:
    file_id: str
    content: bytes
    file_path: str


class FakeTelegram:
    """The fake Telegram: update queue, chats, messages, recorded calls, injected faults."""

    def __init__(
        self,
        token: str,
        *,
        bot_id: int = 7000001,
        bot_username: str = "couplet_test_bot",
        bot_first_name: str = "Couplet",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock` times the recorded calls and the rate limit (seconds, any origin): a
        virtual loop's `time` in tests that run on virtual time."""
        self.token = token
        self._clock = clock
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.calls: list[RecordedCall] = []
        self.http_429 = 0
        self.menu_button: JsonDict | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._updates_ready = threading.Condition(self._lock)
        # Long polls waiting on other threads' event loops, woken as soon as an update comes.
        self._poll_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._blocked_polls = 0  # long polls blocking a thread in `handle`
        self._version = 0
        self._calls_by_method: dict[str, list[RecordedCall]] = {}
        self._updates: deque[JsonDict] = deque()
        self._next_update_id = 1
        self._chats: dict[int, _Chat] = {}
        self._queries: dict[str, _Query] = {}
        self._query_ids = itertools.count(4_812_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._answers: list[Params] = []
        self._commands: dict[str, list[JsonDict]] = {}
        self._webhook_url = ""
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._faults = FaultPlan()
        self._blocked: set[int] = set()
        self._limiter: SlidingWindowLimiter | None = None
        self._paid_limiter: SlidingWindowLimiter | None = None
        self._outage: ApiError | None = None
        self._methods: dict[str, Callable[[Params], Any]] = self._method_table()

    def _method_table(self) -> dict[str, Callable[[Params], Any]]:
        table: dict[str, Callable[[Params], Any]] = {
            "getme": self._get_me,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendmessage": self._send_message,
            "copymessage": self._copy_message,
            "editmessagetext": self._edit_message_text,
            "editmessagecaption": self._edit_message_caption,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "getfile": self._get_file,
        }
        for method, kind in _MEDIA_METHODS.items():
            table[method] = self._media_sender(kind)
        return table

    # ----------------------------------------------------------------- injecting updates

    def send_text(
        self, user: FakeUser, text: str, *, reply_to_message_id: int | None = None
    ) -> JsonDict:
        """The user sends `text` in their private chat with the bot."""
        with self._lock:
            chat = self._private_chat(user)
            reply = None
            if reply_to_message_id is not None:
                reply = self._existing_message(chat, reply_to_message_id)
            message = self._user_message(chat, user.to_dict(), user_text_content(text))
            if reply is not None:
                message["reply_to_message"] = without_reply(reply)
            return self._enqueue({"message": message})

    def send_location(self, user: FakeUser, latitude: float, longitude: float) -> JsonDict:
        """The user shares a location in their private chat."""
        location = {"latitude": latitude, "longitude": longitude}
        return self.send_message_json(user, location=location)

    def send_message_json(self, user: FakeUser, **fields: Any) -> JsonDict:
        """The user sends a private message with arbitrary extra fields (voice=..., ...)."""
        with self._lock:
            chat = self._private_chat(user)
            message = self._user_message(chat, user.to_dict(), fields)
            return self._enqueue({"message": message})

    def send_photo(
        self,
        user: FakeUser,
        content: bytes,
        *,
        width: int,
        height: int,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JsonDict:
        """The user sends a photo (its bytes downloadable through getFile), with a caption."""
        with self._lock:
            file_id = self._store_file("photo", content, None)
            size = {
                "file_id": file_id,
                "file_unique_id": unique_file_id(file_id),
                "width": width,
                "height": height,
                "file_size": len(content),
            }
            fields: JsonDict = {"photo": [size]}
            if caption:
                fields["caption"] = caption
            chat = self._private_chat(user)
            reply = None
            if reply_to_message_id is not None:
                reply = self._existing_message(chat, reply_to_message_id)
            message = self._user_message(chat, user.to_dict(), fields)
            if reply is not None:
                message["reply_to_message"] = without_reply(reply)
            return self._enqueue({"message": message})

    def send_group_text(
        self,
        user: FakeUser,
        chat_id: int,
        text: str,
        *,
        chat_type: str = "group",
        title: str = "Friends",
    ) -> JsonDict:
        """The user writes `text` in a group or supergroup (negative `chat_id`)."""
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, got {chat_id}")
        with self._lock:
            chat = self._remember_chat({"id": chat_id, "type": chat_type, "title": title})
            message = self._user_message(chat, user.to_dict(), user_text_content(text))
            return self._enqueue({"message": message})

    def send_channel_post(self, chat_id: int, text: str, *, title: str = "News") -> JsonDict:
        """A post in a channel the bot is a member of."""
        with self._lock:
            info = {"id": chat_id, "type": "channel", "title": title}
            chat = self._remember_chat(info)
            message = self._user_message(chat, None, {"sender_chat": info, "text": text})
            return self._enqueue({"channel_post": message})

    def press_button(
        self, user: FakeUser, message_id: int, callback_data: str, *, forged: bool = False
    ) -> JsonDict:
        """The user taps an inline button of a bot message; `forged=True` skips the check
        that the message really has a button with this `callback_data`."""
        with self._lock:
            chat = self._chat_of(user)
            message = self._existing_message(chat, message_id)
            if not forged:
                require_button(message, callback_data)
            query_id = str(next(self._query_ids))
            self._queries[query_id] = _Query(user.id, message_id)
            query = {
                "id": query_id,
                "from": user.to_dict(),
                "message": message,
                "chat_instance": f"{user.id}00{self.bot_user['id']}",
                "data": callback_data,
            }
            return self._enqueue({"callback_query": query})

    def press_button_text(self, user: FakeUser, message_id: int, label: str) -> JsonDict:
        """Like `press_button`, finding the button by its visible text."""
        with self._lock:
            message = self._existing_message(self._chat_of(user), message_id)
            data = dict(buttons_of(message.get("reply_markup"))).get(label)
            if data is None:
                raise AssertionError(
                    f"message {message_id} has no button {label!r}; "
                    f"buttons: {buttons_of(message.get('reply_markup'))}"
                )
            return self.press_button(user, message_id, data)

    def edit_text(self, user: FakeUser, message_id: int, new_text: str) -> JsonDict:
        """The user edits a text message they sent earlier (an `edited_message` update)."""
        with self._lock:
            chat = self._chat_of(user)
            message = self._existing_message(chat, message_id)
            if message.get("from", {}).get("id") != user.id:
                raise AssertionError(f"message {message_id} was not sent by user {user.id}")
            edited = {k: v for k, v in message.items() if k != "entities"}
            edited.update(user_text_content(new_text), edit_date=unix_now())
            chat.messages[message_id] = edited
            return self._enqueue({"edited_message": edited})

    def inject(self, update: JsonDict) -> JsonDict:
        """Queue a raw update; `update_id` is assigned when missing."""
        with self._lock:
            if "update_id" in update:
                self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
            else:
                update = {"update_id": self._take_update_id(), **update}
            self._register_chats(update)
            self._queue(update)
            return update

    def add_file(self, content: bytes, *, file_id: str | None = None) -> str:
        """Make a file downloadable through getFile (e.g. a voice note a user sent)."""
        with self._lock:
            return self._store_file("file", content, file_id)

    def _private_chat(self, user: FakeUser) -> _Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = self._chats[user.id] = _Chat(user.private_chat())
        else:
            chat.info = user.private_chat()
        return chat

    def _chat_of(self, user: FakeUser) -> _Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            raise AssertionError(f"user {user.id} has no chat with the bot yet")
        return chat

    def _remember_chat(self, info: JsonDict) -> _Chat:
        chat = self._chats.get(info["id"])
        if chat is None:
            chat = self._chats[info["id"]] = _Chat(dict(info))
        return chat

    def _existing_message(self, chat: _Chat, message_id: int) -> JsonDict:
        message = chat.messages.get(message_id)
        if message is None:
            raise AssertionError(
                f"no message {message_id} in chat {chat.info['id']}; "
                f"existing ids: {list(chat.messages)[-20:]}"
            )
        return message

    def _user_message(self, chat: _Chat, sender: JsonDict | None, content: JsonDict) -> JsonDict:
        message: JsonDict = {"message_id": chat.take_message_id()}
        if sender is not None:
            message["from"] = sender
        message.update(chat=chat.info, date=unix_now())
        message.update(content)
        chat.messages[message["message_id"]] = message
        return message

    def _register_chats(self, update: JsonDict) -> None:
        for value in update.values():
            if not isinstance(value, dict):
                continue
            message = value.get("message") if "chat_instance" in value else value
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                self._register_message(message)

    def _register_message(self, message: JsonDict) -> None:
        chat = self._remember_chat(message["chat"])
        message_id = message.get("message_id")
        if isinstance(message_id, int):
            chat.messages.setdefault(message_id, message)
            chat.next_message_id = max(chat.next_message_id, message_id + 1)

    def _take_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _enqueue(self, payload: JsonDict) -> JsonDict:
        update = {"update_id": self._take_update_id(), **payload}
        self._queue(update)
        return update

    def _queue(self, update: JsonDict) -> None:
        self._updates.append(update)
        self._updates_ready.notify_all()
        for loop, woken in self._poll_waiters:
            loop.call_soon_threadsafe(woken.set)
        self._touch()

    # ----------------------------------------------------------------- answering calls

    def handle(self, method: str, params: Params) -> tuple[int, JsonDict]:
        """Answer one Bot API call (blocking for getUpdates long polls and injected delays)."""
        response = self.respond(method, params)
        if response.delay:
            time.sleep(response.delay)
        return response.status, response.body

    def respond(self, method: str, params: Params, *, block: bool = True) -> FakeResponse:
        """Answer one call and say how long the transport should delay the answer.

        With `block=False` getUpdates never waits (transports wait with
        `async_wait_updates` first, so they do not block their event loop)."""
        with self._lock:
            chat_id = self._call_chat_id(params)
            try:
                result = self._run(method, params, chat_id, block)
            except ApiError as error:
                return self._finish(method, params, chat_id, error.body())
            return self._finish(method, params, chat_id, {"ok": True, "result": result})

    def _run(self, method: str, params: Params, chat_id: int | None, block: bool) -> Any:
        key = method.lower()
        if self._outage is not None:
            raise self._outage
        failure = self._faults.take_failure(key)
        if failure is not None:
            raise failure
        if key == "getupdates":
            return self._get_updates(params, block)
        handler = self._methods.get(key)
        if handler is None:
            raise ApiError(404, "Not Found")
        if chat_id is not None and chat_id in self._blocked:
            raise ApiError(403, BLOCKED_DESCRIPTION)
        if key in RATE_LIMITED_METHODS and not self._allowed_by_rate_limit(params):
            raise too_many_requests(1)
        return handler(params)

    def _allowed_by_rate_limit(self, params: Params) -> bool:
        """Ordinary sends share the token's rate; sends with `allow_paid_broadcast` share
        PAID_BROADCAST_PER_SECOND instead (Telegram charges Stars for them)."""
        paid = str(params.get("allow_paid_broadcast", "")).lower() == "true"
        limiter = self._paid_limiter if paid else self._limiter
        return limiter is None or limiter.allow(self._clock())

    def _call_chat_id(self, params: Params) -> int | None:
        chat_id = parse_chat_id(params.get("chat_id"))
        if chat_id is None and "callback_query_id" in params:
            query = self._queries.get(str(params["callback_query_id"]))
            return query.chat_id if query else None
        return chat_id

    def _finish(
        self, method: str, params: Params, chat_id: int | None, body: JsonDict
    ) -> FakeResponse:
        status = 200 if body["ok"] else int(body["error_code"])
        if status == 429:
            self.http_429 += 1
        call = RecordedCall(method, params, chat_id, self._clock(), status, body.get("description"))
        self.calls.append(call)
        self._calls_by_method.setdefault(method, []).append(call)
        self._touch()
        return FakeResponse(status, body, self._faults.take_delay(method))

    def _touch(self) -> None:
        self._version += 1
        self._changed.notify_all()

    # ----------------------------------------------------------------- Bot API methods

    def _get_me(self, params: Params) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: Params, block: bool) -> list[JsonDict]:
        if self._webhook_url:
            raise ApiError(409, _WEBHOOK_ACTIVE)
        self._confirm(parse_int(params.get("offset")))
        timeout = float(params.get("timeout") or 0)
        if block and timeout > 0 and not self._updates:
            self._blocked_polls += 1
            self._touch()
            try:
                self._updates_ready.wait_for(lambda: bool(self._updates), timeout)
            finally:
                self._blocked_polls -= 1
        limit = min(max(parse_int(params.get("limit")) or 100, 1), 100)
        return list(itertools.islice(self._updates, limit))

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def _delete_webhook(self, params: Params) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, params: Params) -> bool:
        self._webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: Params) -> JsonDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            check_command(command)
        self._commands[scope_key(params)] = [dict(command) for command in commands]
        return True

    def _get_my_commands(self, params: Params) -> list[JsonDict]:
        return [dict(command) for command in self._commands.get(scope_key(params), [])]

    def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(scope_key(params), None)
        return True

    def _set_chat_menu_button(self, params: Params) -> bool:
        self.menu_button = params.get("menu_button")
        return True

    def _get_chat_menu_button(self, params: Params) -> JsonDict:
        return self.menu_button or {"type": "commands"}

    def _send_chat_action(self, params: Params) -> bool:
        self._target_chat(params)
        if not params.get("action"):
            raise bad_request("action is empty")
        return True

    def _get_chat(self, params: Params) -> JsonDict:
        chat = self._chats.get(parse_chat_id(params.get("chat_id")) or 0)
        if chat is None:
            raise bad_request("chat not found")
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        extra = {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}
        return {**chat.info, **extra}

    def _get_file(self, params: Params) -> JsonDict:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": unique_file_id(stored.file_id),
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    def _send_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params)
        raw = str_param(params, "text")
        text, entities = format_text(raw, params.get("parse_mode"), params.get("entities"))
        check_text(text)
        content = with_entities({"text": text}, "entities", entities)
        sent = self._store_bot_message(
            chat,
            content,
            params,
            kind="text",
            text=text,
            raw_text=raw,
            entities=entities,
            parse_mode=params.get("parse_mode"),
        )
        return sent.message

    def _media_sender(self, kind: str) -> Callable[[Params], JsonDict]:
        return lambda params: self._send_media(kind, params)

    def _send_media(self, kind: str, params: Params) -> JsonDict:
        chat = self._target_chat(params)
        media = params.get(kind)
        if not isinstance(media, UploadedFile | str) or not media:
            raise bad_request(f"there is no {kind} in the request")
        raw = str_param(params, "caption")
        caption, entities = format_caption(raw, params)
        upload = media if isinstance(media, UploadedFile) else None
        file_id = self._store_file(kind, upload.content, None) if upload else str(media)
        content = {kind: media_json(kind, file_id, upload, params)}
        if caption:
            content["caption"] = caption
        with_entities(content, "caption_entities", entities)
        sent = self._store_bot_message(
            chat,
            content,
            params,
            kind=kind,
            text=caption,
            raw_text=raw,
            entities=entities,
            parse_mode=params.get("parse_mode"),
            file_id=file_id,
            file_name=upload.filename if upload else None,
            file_bytes=upload.content if upload else None,
            mime_type=upload.mime_type if upload else None,
        )
        return sent.message

    def _copy_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params)
        from_chat_id = parse_chat_id(params.get("from_chat_id"))
        source_chat = self._chats.get(from_chat_id or 0)
        if source_chat is None or from_chat_id is None:
            raise bad_request("chat not found")
        message_id = parse_int(params.get("message_id")) or 0
        source = source_chat.messages.get(message_id)
        if source is None:
            raise bad_request("message to copy not found")
        content = {k: v for k, v in source.items() if k not in NOT_COPIED}
        if "caption" in params and "text" not in content:
            content.pop("caption_entities", None)
            caption, entities = format_caption(str_param(params, "caption"), params)
            content["caption"] = caption
            with_entities(content, "caption_entities", entities)
        text = content.get("text", content.get("caption", ""))
        sent = self._store_bot_message(
            chat,
            content,
            params,
            kind="copy",
            text=text,
            raw_text=text,
            entities=list(content.get("entities", content.get("caption_entities", []))),
            file_id=file_id_of(content),
            copied_from=(from_chat_id, message_id),
        )
        return {"message_id": sent.message_id}

    def _edit_message_text(self, params: Params) -> JsonDict:
        chat, sent = self._editable(params)
        if "text" not in sent.message:
            raise bad_request("there is no text in the message to edit")
        raw = str_param(params, "text")
        text, entities = format_text(raw, params.get("parse_mode"), params.get("entities"))
        check_text(text)
        markup = checked_markup(params)
        if (text, entities, markup) == (sent.text, sent.entities, inline_markup(sent.reply_markup)):
            raise bad_request(_NOT_MODIFIED)
        fields = with_entities({"text": text, "entities": None}, "entities", entities)
        message = self._apply_edit(chat, sent, fields, markup)
        sent.text, sent.raw_text, sent.entities = text, raw, entities
        sent.parse_mode = params.get("parse_mode")
        return message

    def _edit_message_caption(self, params: Params) -> JsonDict:
        chat, sent = self._editable(params)
        if "text" in sent.message:
            raise bad_request("there is no caption in the message to edit")
        raw = str_param(params, "caption")
        caption, entities = format_caption(raw, params)
        markup = checked_markup(params)
        current = (sent.text, sent.entities, inline_markup(sent.reply_markup))
        if (caption, entities, markup) == current:
            raise bad_request(_NOT_MODIFIED)
        fields = {"caption": caption or None, "caption_entities": entities or None}
        message = self._apply_edit(chat, sent, fields, markup)
        sent.text, sent.raw_text, sent.entities = caption, raw, entities
        return message

    def _edit_message_reply_markup(self, params: Params) -> JsonDict:
        chat, sent = self._editable(params)
        markup = checked_markup(params)
        if markup == inline_markup(sent.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        return self._apply_edit(chat, sent, {}, markup)

    def _delete_message(self, params: Params) -> bool:
        chat = self._target_chat(params)
        message_id = parse_int(params.get("message_id")) or 0
        if chat.messages.pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        chat.sent.pop(message_id, None)
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        query = self._queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answered:
            raise bad_request(_QUERY_TOO_OLD)
        query.answered = True
        self._answers.append(dict(params))
        return True

    # ----------------------------------------------------------------- message storage

    def _target_chat(self, params: Params) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat_id = parse_chat_id(raw)
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is not None:
            return chat
        if chat_id is None or chat_id <= 0:
            raise bad_request("chat not found")
        info = {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        chat = self._chats[chat_id] = _Chat(info)
        return chat

    def _store_bot_message(
        self, chat: _Chat, content: JsonDict, params: Params, **details: Any
    ) -> SentMessage:
        markup = checked_markup(params)
        reply = self._reply_target(chat, params)
        message_id = chat.take_message_id()
        message: JsonDict = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": chat.info,
            "date": unix_now(),
            **content,
        }
        if reply is not None:
            message["reply_to_message"] = reply
        if inline_markup(markup) is not None:
            message["reply_markup"] = markup
        sent = SentMessage(
            message_id=message_id,
            chat_id=chat.info["id"],
            reply_markup=markup,
            message=message,
            **details,
        )
        chat.messages[message_id] = message
        chat.sent[message_id] = sent
        return sent

    def _reply_target(self, chat: _Chat, params: Params) -> JsonDict | None:
        reply = params.get("reply_parameters")
        options = reply if isinstance(reply, dict) else params
        message_id = options.get("message_id" if options is reply else "reply_to_message_id")
        if message_id is None:
            return None
        target = chat.messages.get(parse_int(message_id) or 0)
        if target is None and not options.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return without_reply(target) if target is not None else None

    def _editable(self, params: Params) -> tuple[_Chat, SentMessage]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._target_chat(params)
        message_id = parse_int(params.get("message_id")) or 0
        if message_id not in chat.messages:
            raise bad_request("message to edit not found")
        sent = chat.sent.get(message_id)
        if sent is None:
            raise bad_request("message can't be edited")
        return chat, sent

    def _apply_edit(
        self, chat: _Chat, sent: SentMessage, fields: JsonDict, markup: JsonDict | None
    ) -> JsonDict:
        message = {k: v for k, v in sent.message.items() if k != "reply_markup"}
        message.update(fields)
        message = {k: v for k, v in message.items() if v is not None}
        message["edit_date"] = unix_now()
        if markup is not None:
            message["reply_markup"] = markup
        chat.messages[sent.message_id] = message
        sent.message = message
        sent.edits += 1
        if markup is not None or inline_markup(sent.reply_markup) is not None:
            sent.reply_markup = markup
        return message

    def _store_file(self, kind: str, content: bytes, file_id: str | None) -> str:
        file_id = file_id or f"fake-{kind}-{next(self._file_ids)}"
        stored = _StoredFile(file_id, content, f"{kind}s/{file_id}")
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return file_id

    # ----------------------------------------------------------------- inspection

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Snapshots of the bot's messages currently in the chat, oldest first."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return [replace(sent) for sent in chat.sent.values()] if chat else []

    def texts_to(self, chat_id: int) -> list[str]:
        """The visible texts (captions for media) of the bot's messages in the chat."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return [sent.text for sent in chat.sent.values()] if chat else []

    def last_to(self, chat_id: int) -> SentMessage | None:
        """The bot's latest message in the chat, if any."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None or not chat.sent:
                return None
            return replace(next(reversed(chat.sent.values())))

    def chat_log(self, chat_id: int) -> list[JsonDict]:
        """Every message in the chat as it is now (the user's and the bot's, edits applied),
        oldest first: what the chat shows."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [dict(chat.messages[key]) for key in sorted(chat.messages)]

    def reply_keyboard(self, chat_id: int) -> JsonDict | None:
        """The reply keyboard the chat shows under its input field: the latest one the bot
        sent, unless a later `remove_keyboard` took it away or it was one-time and the user
        has written since."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                return None
            for message_id in sorted(chat.sent, reverse=True):
                markup = chat.sent[message_id].reply_markup or {}
                if markup.get("remove_keyboard"):
                    return None
                if "keyboard" not in markup:
                    continue
                used = markup.get("one_time_keyboard") and any(
                    key > message_id and key not in chat.sent for key in chat.messages
                )
                return None if used else dict(markup)
            return None

    def file_by_id(self, file_id: str) -> bytes | None:
        """Bytes of a stored file (one the bot uploaded or a user sent) by its file id."""
        with self._lock:
            stored = self._files.get(file_id)
            return stored.content if stored else None

    @property
    def version(self) -> int:
        """Grows with every call answered, update queued and fault changed."""
        with self._lock:
            return self._version

    def message_json(self, chat_id: int, message_id: int) -> JsonDict | None:
        """The stored Message JSON (bot's or user's) with that id in that chat."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return chat.messages.get(message_id) if chat else None

    @staticmethod
    def buttons(message: SentMessage) -> list[tuple[str, str]]:
        """`(text, callback_data or url)` of inline buttons; `(text, text)` for reply keyboards."""
        return buttons_of(message.reply_markup)

    def callback_answers(self) -> list[Params]:
        """Params of every successful answerCallbackQuery, in order."""
        with self._lock:
            return [dict(answer) for answer in self._answers]

    @property
    def commands(self) -> list[JsonDict]:
        """The command list set for the default scope and language."""
        with self._lock:
            return [dict(command) for command in self._commands.get(DEFAULT_SCOPE_KEY, [])]

    def calls_for(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method (as PTB names it, e.g. "sendMessage")."""
        with self._lock:
            return list(self._calls_by_method.get(method, []))

    def clear_calls(self) -> None:
        """Forget recorded calls (messages and chats stay)."""
        with self._lock:
            self.calls.clear()
            self._calls_by_method.clear()

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return len(self._updates)

    def long_polls_waiting(self) -> int:
        """getUpdates calls the HTTP server holds open right now, waiting for an update."""
        with self._lock:
            return len(self._poll_waiters)

    def file_content(self, file_path: str) -> bytes | None:
        """Bytes of a file by the `file_path` getFile reported."""
        with self._lock:
            stored = self._files_by_path.get(file_path)
            return stored.content if stored else None

    # ----------------------------------------------------------------- waiting

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0, *, what: str = "condition"
    ) -> None:
        """Block until `predicate()` holds; re-checked after every recorded call.

        Do not use it on the event loop the bot runs on: use `async_wait_for` there."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                seen = self._version
            if predicate():
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(what, timeout))
            with self._changed:
                if self._version == seen:
                    self._changed.wait(min(remaining, 0.05))

    async def async_wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for a diagnostic AssertionError
        *,
        what: str = "condition",
        interval: float = 0.005,
    ) -> None:
        """Like `wait_for`, but sleeps asynchronously so the bot's event loop keeps running."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(what, timeout))
            await asyncio.sleep(interval)

    def wait_for_message(
        self,
        chat_id: int,
        *,
        containing: str | None = None,
        count: int | None = None,
        timeout: float = 10.0,
    ) -> SentMessage:
        """Wait until the chat has a bot message (containing the text; at least `count` such
        messages if given); return the `count`-th match, or else the latest."""
        found: list[SentMessage] = []
        ready = self._message_probe(chat_id, containing, count, found)
        try:
            self.wait_for(ready, timeout, what=_goal(chat_id, containing, count))
        except AssertionError as error:
            raise AssertionError(f"{error}\ntexts in chat: {self.texts_to(chat_id)!r}") from None
        return found[count - 1] if count else found[-1]

    async def async_wait_for_message(
        self,
        chat_id: int,
        *,
        containing: str | None = None,
        count: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for a diagnostic AssertionError
    ) -> SentMessage:
        """Async `wait_for_message`."""
        found: list[SentMessage] = []
        ready = self._message_probe(chat_id, containing, count, found)
        try:
            await self.async_wait_for(ready, timeout, what=_goal(chat_id, containing, count))
        except AssertionError as error:
            raise AssertionError(f"{error}\ntexts in chat: {self.texts_to(chat_id)!r}") from None
        return found[count - 1] if count else found[-1]

    def polls_waiting(self) -> int:
        """Long polls (getUpdates with a timeout) waiting right now for an update to come."""
        with self._lock:
            return self._blocked_polls + len(self._poll_waiters)

    def wait_until_consumed(self, timeout: float = 10.0) -> None:
        """Block until the bot has fetched and confirmed every queued update."""
        self.wait_for(lambda: self.pending_updates() == 0, timeout, what="updates consumed")

    async def async_wait_until_consumed(
        self,
        timeout: float = 10.0,  # noqa: ASYNC109 - a deadline for a diagnostic AssertionError
    ) -> None:
        """Async `wait_until_consumed`."""
        await self.async_wait_for(
            lambda: self.pending_updates() == 0, timeout, what="updates consumed"
        )

    async def async_wait_updates(
        self, params: Params, *, stop: Callable[[], bool] | None = None
    ) -> None:
        """For transports: wait (asynchronously) until a getUpdates call with `params` would
        return something, or its `timeout` passes; then call `respond(..., block=False)`."""
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        offset = parse_int(params.get("offset")) or 0
        with self._lock:
            if not (self._webhook_url or self._failing("getUpdates")):
                self._confirm(offset)  # Telegram confirms when the request arrives
        woken = asyncio.Event()
        waiter = (asyncio.get_running_loop(), woken)
        with self._lock:
            self._poll_waiters.add(waiter)
            self._touch()
        try:
            while not self._poll_ready(offset) and time.monotonic() < deadline:
                if stop is not None and stop():
                    return
                woken.clear()
                if self._poll_ready(offset):
                    break
                # Woken by `_queue` at once; the short timeout only re-checks `stop`, faults
                # and the webhook switch.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), 0.05)
        finally:
            with self._lock:
                self._poll_waiters.discard(waiter)

    def _poll_ready(self, offset: int) -> bool:
        with self._lock:
            if self._webhook_url or self._failing("getUpdates"):
                return True
            return bool(self._updates) and self._updates[-1]["update_id"] >= offset

    def _failing(self, method: str) -> bool:
        return self._outage is not None or self._faults.has_failure(method)

    def _message_probe(
        self, chat_id: int, containing: str | None, count: int | None, found: list[SentMessage]
    ) -> Callable[[], bool]:
        def ready() -> bool:
            found[:] = [
                sent
                for sent in self.sent_to(chat_id)
                if containing is None or containing in sent.text
            ]
            return len(found) >= (count or 1)

        return ready

    def _timeout_report(self, what: str, timeout: float) -> str:
        with self._lock:
            recent = self.calls[-15:]
            pending = len(self._updates)
        lines = [
            f"timed out after {timeout:.1f}s waiting for {what}",
            f"{len(self.calls)} calls recorded, {pending} updates pending; last calls:",
            *(_describe(call) for call in recent),
            "(if the bot runs on this thread's event loop, use the async_* waits)",
        ]
        return "\n".join(lines)

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next `count` calls of `method` with an error (not delivered)."""
        with self._lock:
            self._faults.add_failure(
                method, injected_error(status, retry_after, description), count
            )

    def go_down(self, status: int = 502) -> None:
        """Every call, of every method, answers `status` (nothing is delivered) until
        `come_back`: Telegram's front end is up, the Bot API behind it is not."""
        with self._lock:
            self._outage = injected_error(status, None, None)
            self._touch()

    def come_back(self) -> None:
        """Ends `go_down`."""
        with self._lock:
            self._outage = None
            self._touch()

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        """Delay the answers to the next `count` calls of `method` (still delivered)."""
        with self._lock:
            self._faults.add_delay(method, seconds, count)

    def block(self, chat_id: int) -> None:
        """Every call targeting the chat answers 403 `bot was blocked by the user`."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo `block`."""
        with self._lock:
            self._blocked.discard(chat_id)

    def rate_limit(
        self, per_second: float | None, *, paid_broadcast: float = PAID_BROADCAST_PER_SECOND
    ) -> None:
        """Enforce the token's sendMessage/copyMessage rate (429, retry_after 1), and
        `paid_broadcast` a second for sends with `allow_paid_broadcast`; None: both off."""
        with self._lock:
            self._limiter = SlidingWindowLimiter(per_second) if per_second else None
            self._paid_limiter = SlidingWindowLimiter(paid_broadcast) if per_second else None

    def clear_faults(self) -> None:
        """Drop queued failures and delays, blocks and the rate limit."""
        with self._lock:
            self._faults.clear()
            self._blocked.clear()
            self._limiter = None
            self._paid_limiter = None
            self._outage = None


def _goal(chat_id: int, containing: str | None, count: int | None) -> str:
    goal = f"{count or 1} bot message(s) in chat {chat_id}"
    return goal + (f" containing {containing!r}" if containing is not None else "")


def _describe(call: RecordedCall) -> str:
    params = {k: v for k, v in call.params.items() if not isinstance(v, UploadedFile)}
    shown = repr(params)
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return f"  {call.method} chat={call.chat_id} -> {call.status} {shown}"
