"""A person's phone in tests: what they send, and what the bot sends back to them."""

from __future__ import annotations

from fakegram import FakeTelegram, FakeUser, SentMessage


class Phone:
    def __init__(self, fake: FakeTelegram, user: FakeUser) -> None:
        self.fake = fake
        self.user = user

    @property
    def messages(self) -> list[SentMessage]:
        return self.fake.sent_to(self.user.id)

    @property
    def texts(self) -> list[str]:
        return self.fake.texts_to(self.user.id)

    @property
    def last(self) -> SentMessage:
        message = self.fake.last_to(self.user.id)
        assert message is not None, f"{self.user.first_name} has received nothing"
        return message

    def _expect(self, before: int, expect: int, timeout: float) -> list[SentMessage]:
        self.fake.wait_for(
            lambda: len(self.messages) >= before + expect,
            timeout,
            what=f"{expect} new message(s) to {self.user.first_name}; has {self.texts!r}",
        )
        return self.messages[before:]

    def send(self, text: str, *, expect: int = 1, timeout: float = 10) -> list[SentMessage]:
        """Sends a text; returns the (at least `expect`) new messages the bot answered with."""
        before = len(self.messages)
        self.fake.send_text(self.user, text)
        return self._expect(before, expect, timeout)

    def share_location(
        self, latitude: float, longitude: float, *, expect: int = 1
    ) -> list[SentMessage]:
        before = len(self.messages)
        self.fake.send_location(self.user, latitude, longitude)
        return self._expect(before, expect, 10)

    def tap(self, message: SentMessage, label: str, *, expect: int = 1) -> list[SentMessage]:
        """Taps the button with this label; waits for `expect` new messages (0: just the answer)."""
        before = len(self.messages)
        answers = len(self.fake.callback_answers())
        self.fake.press_button_text(self.user, message.message_id, label)
        self.fake.wait_for(
            lambda: len(self.fake.callback_answers()) > answers,
            10,
            what="the button press to be answered",
        )
        return self._expect(before, expect, 10)

    def press(self, message_id: int, data: str) -> dict[str, object]:
        """Presses a button with this callback data, real or forged; returns the answer."""
        answers = len(self.fake.callback_answers())
        self.fake.press_button(self.user, message_id, data, forged=True)
        self.fake.wait_for(
            lambda: len(self.fake.callback_answers()) > answers,
            10,
            what="the button press to be answered",
        )
        return self.fake.callback_answers()[-1]

    def buttons(self, message: SentMessage | None = None) -> list[tuple[str, str]]:
        return self.fake.buttons(message or self.last)

    def button_labels(self, message: SentMessage | None = None) -> list[str]:
        return [label for label, _ in self.buttons(message)]
