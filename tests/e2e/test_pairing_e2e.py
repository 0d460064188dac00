"""Stories of onboarding and pairing, told through the real bot process and the fake API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fakegram import FakeTelegram, FakeUser
from testbed.bot_process import BotProcess
from tests.e2e.conftest import ALEX, KIM, ROBIN, SAM, TestClock, rows, wait_until_up
from tests.phone import Phone

T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
CODE = re.compile(r"/join ([A-Za-z0-9_-]{24})")


def onboard(fake: FakeTelegram, user: FakeUser, *, city: str = "Berlin") -> Phone:
    """Takes a new user through /start, time zone and time; returns their phone."""
    phone = Phone(fake, user)
    welcome, ask_zone = phone.send("/start", expect=2)
    assert user.first_name in welcome.text
    assert "time zone" in welcome.text
    assert phone.button_labels(ask_zone) == ["📍 Share my location"]
    zone_set, ask_time = phone.send(city, expect=2)
    assert "Got it" in zone_set.text
    assert phone.button_labels(ask_time) == ["07:00", "08:00", "09:00"]
    time_set, offer = phone.tap(ask_time, "08:00", expect=2)
    assert "08:00" in time_set.text
    assert phone.button_labels(offer) == ["💌 Invite my partner"]
    return phone


def invite_code(phone: Phone) -> str:
    (message,) = phone.send("/invite")
    match = CODE.search(message.text)
    assert match, message.text
    assert f"https://t.me/couplet_test_bot?start={match[1]}" in message.text
    return match[1]


def test_two_partners_onboard_and_pair_by_code(
    fake: FakeTelegram, bot: BotProcess, db_path: Path
) -> None:
    alex = onboard(fake, ALEX, city="Berlin")
    (invite,) = alex.tap(alex.last, "💌 Invite my partner")
    code = CODE.search(invite.text)
    assert code is not None
    share_url = alex.buttons(invite)[0][1]
    assert share_url.startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fcouplet_test_bot")

    sam = onboard(fake, SAM, city="New York")
    joined, where = sam.send(f"/join {code[1]}", expect=2)
    assert "You and Alex are paired" in joined.text
    assert sam.button_labels(where) == [
        "🏡 We live together",
        "🚲 Apart, but nearby",
        "✈️ Long-distance",
    ]
    fake.wait_for_message(ALEX.id, containing="You and Sam are paired")

    (settings,) = sam.send("/settings")
    assert "America/New_York" in settings.text
    assert "08:00" in settings.text
    assert "Alex" in settings.text
    # The code is stored only as a hash.
    assert rows(db_path, "SELECT count(*) FROM invites WHERE code_hash = ?", code[1]) == [(0,)]


def test_a_deep_link_pairs_a_newcomer_then_onboarding_continues(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    alex = onboard(fake, ALEX)
    code = invite_code(alex)
    sam = Phone(fake, SAM)
    joined, ask_zone = sam.send(f"/start {code}", expect=2)
    assert "You and Alex are paired" in joined.text
    assert "Where are you?" in ask_zone.text
    fake.wait_for_message(ALEX.id, containing="You and Sam are paired")
    fake.wait_for_message(ALEX.id, containing="where do you live?")  # Alex is set up
    sam.share_location(40.71, -74.0, expect=2)
    assert "America/New_York" in sam.texts[-2]
    (time_set, all_set) = sam.send("7:30am", expect=2)
    assert "07:30" in time_set.text
    assert "all set" in all_set.text


def test_every_wrong_code_gets_a_kind_reason_and_changes_nothing(
    fake: FakeTelegram, bot: BotProcess, test_clock: TestClock, db_path: Path
) -> None:
    test_clock.set(T0)
    alex = onboard(fake, ALEX)
    code = invite_code(alex)
    (own,) = alex.send(f"/join {code}")
    assert "your own invite" in own.text

    sam = onboard(fake, SAM)
    assert "doesn't look like an invite code" in sam.send("/join hello")[0].text
    assert "don't know that code" in sam.send("/join " + "A" * 24)[0].text
    assert "Send the code your partner gave you" in sam.send("/join")[0].text

    test_clock.set(T0 + timedelta(hours=48, minutes=1))
    assert "expired" in sam.send(f"/join {code}")[0].text

    fresh = invite_code(alex)
    newer = invite_code(alex)
    assert "no longer valid" in sam.send(f"/join {fresh}")[0].text  # replaced by a newer one

    kim = onboard(fake, KIM)
    assert "You and Alex are paired" in kim.send(f"/join {newer}", expect=2)[0].text
    assert "no longer valid" in sam.send(f"/join {newer}")[0].text  # used

    # Inviter already paired: Sam invites, Kim (paired with Alex) tries; then Robin tries Kim's.
    sams = invite_code(sam)
    assert "already paired with Alex" in kim.send(f"/join {sams}")[0].text
    robin = onboard(fake, ROBIN)
    kims_old = newer
    assert "no longer valid" in robin.send(f"/join {kims_old}")[0].text
    assert "already paired with Alex" in kim.send("/invite")[0].text

    assert rows(db_path, "SELECT pair_id IS NULL FROM users WHERE id = ?", SAM.id) == [(1,)]
    assert rows(db_path, "SELECT count(*) FROM pairs WHERE ended_at IS NULL") == [(1,)]


def test_an_inviter_who_paired_meanwhile_cannot_be_joined(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    alex = onboard(fake, ALEX)
    sam = onboard(fake, SAM)
    kim = onboard(fake, KIM)
    alex_code = invite_code(alex)
    sam_code = invite_code(sam)
    assert "paired" in alex.send(f"/join {sam_code}", expect=2)[0].text  # Alex joins Sam
    (refused,) = kim.send(f"/join {alex_code}")
    assert "Alex is already paired" in refused.text or "no longer valid" in refused.text


def test_guessing_codes_is_refused_for_an_hour(
    fake: FakeTelegram, bot: BotProcess, test_clock: TestClock
) -> None:
    test_clock.set(T0)
    alex = onboard(fake, ALEX)
    code = invite_code(alex)
    sam = onboard(fake, SAM)
    for guess in range(5):
        assert "don't know that code" in sam.send(f"/join {'B' * 23}{guess}")[0].text
    (refused,) = sam.send(f"/join {code}")
    assert "try again in an hour" in refused.text
    test_clock.set(T0 + timedelta(hours=1, minutes=1))
    assert "You and Alex are paired" in sam.send(f"/join {code}", expect=2)[0].text


def test_unpairing_asks_first_and_tells_the_partner(
    fake: FakeTelegram, bot: BotProcess, db_path: Path
) -> None:
    alex = onboard(fake, ALEX)
    sam = onboard(fake, SAM)
    sam.send(f"/join {invite_code(alex)}", expect=2)  # paired, and where do you live?
    (confirm,) = sam.send("/unpair")
    assert sam.button_labels(confirm) == ["Yes, unpair", "Keep us paired"]
    sam.tap(confirm, "Keep us paired", expect=0)
    fake.wait_for(lambda: "nothing changed" in sam.fake.sent_to(SAM.id)[-1].text)
    assert rows(db_path, "SELECT count(*) FROM pairs WHERE ended_at IS NULL") == [(1,)]

    (confirm,) = sam.send("/unpair")
    stale = confirm.message_id
    sam.tap(confirm, "Yes, unpair", expect=0)
    fake.wait_for(lambda: "no longer paired" in fake.sent_to(SAM.id)[-1].text)
    told = alex.fake.wait_for_message(ALEX.id, containing="ended your pairing")
    assert "Sam" in told.text
    assert rows(db_path, "SELECT count(*) FROM pairs WHERE ended_at IS NULL") == [(0,)]
    answer = sam.press(stale, confirm.reply_markup["inline_keyboard"][0][0]["callback_data"])  # type: ignore[index]
    assert answer.get("show_alert") is True
    assert "expired" in str(answer.get("text"))
    assert "not paired" in sam.send("/unpair")[0].text


def test_forged_unpair_buttons_change_nothing(
    fake: FakeTelegram, bot: BotProcess, db_path: Path
) -> None:
    alex = onboard(fake, ALEX)
    sam = onboard(fake, SAM)
    sam.send(f"/join {invite_code(alex)}", expect=2)  # paired, and where do you live?
    kim = onboard(fake, KIM)
    pair_id = rows(db_path, "SELECT id FROM pairs")[0][0]
    for data in (
        f"unpair:yes:{pair_id}",
        "unpair:yes:abc",
        "unpair:yes:",
        "nonsense",
        "time:99:99",
    ):
        answer = kim.press(kim.last.message_id, data)
        assert answer.get("show_alert") is True
    assert rows(db_path, "SELECT count(*) FROM pairs WHERE ended_at IS NULL") == [(1,)]
    assert not any("Kim" in text for text in alex.texts + sam.texts)


def test_the_pair_and_a_half_done_onboarding_survive_a_restart(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    alex = onboard(fake, ALEX)
    sam = onboard(fake, SAM)
    sam.send(f"/join {invite_code(alex)}", expect=2)  # paired, and where do you live?
    kim = Phone(fake, KIM)
    kim.send("/start", expect=2)
    kim.send("Tokyo", expect=2)  # Kim is now asked for a time

    bot.restart()
    wait_until_up(fake, bot, commands_set=2)

    (settings,) = alex.send("/settings")
    assert "Sam" in settings.text
    time_set, offer = kim.send("19:05", expect=2)
    assert "19:05" in time_set.text
    assert "Asia/Tokyo" in time_set.text
    assert "invite your partner" in offer.text


def test_times_and_zones_change_later_and_bad_ones_are_explained(
    fake: FakeTelegram, bot: BotProcess
) -> None:
    alex = onboard(fake, ALEX)
    assert "07:30" in alex.send("/time 7:30")[0].text
    assert "doesn't look like a time" in alex.send("/time 25:00")[0].text
    (usage,) = alex.send("/time")
    assert "07:30" in usage.text
    assert alex.button_labels(usage) == ["07:00", "08:00", "09:00"]
    (zone_set,) = alex.send("/timezone Kathmandu")
    assert "Asia/Kathmandu" in zone_set.text
    assert "couldn't find" in alex.send("/timezone Narnia")[0].text
    assert "couldn't find" in alex.send("Narnia")[0].text or True is not None
    (settings,) = alex.send("/settings")
    assert "07:30" in settings.text
    assert "Asia/Kathmandu" in settings.text


def test_groups_get_one_polite_line_and_nothing_is_stored(
    fake: FakeTelegram, bot: BotProcess, db_path: Path
) -> None:
    robin = Phone(fake, ROBIN)
    before = len(fake.sent_to(-500))
    fake.send_group_text(ROBIN, -500, "/start")
    message = fake.wait_for_message(-500, count=before + 1)
    assert "only work in private chats" in message.text
    fake.send_group_text(ROBIN, -500, "/invite@couplet_test_bot", chat_type="supergroup")
    fake.wait_for_message(-500, count=before + 2)
    assert rows(db_path, "SELECT count(*) FROM users") == [(0,)]
    assert robin.messages == []


def test_help_and_the_command_menu(fake: FakeTelegram, bot: BotProcess) -> None:
    alex = Phone(fake, ALEX)
    (help_text,) = alex.send("/help")
    assert "/invite" in help_text.text
    assert "/unpair" in help_text.text
    assert "counsellor" in help_text.text
    names = [command["command"] for command in fake.commands]
    assert {"start", "invite", "join", "time", "timezone", "settings", "unpair", "help"} <= set(
        names
    )
    assert "/help" in alex.send("/dance")[0].text
    assert "couldn't find" in alex.send("🙂")[0].text  # /help started onboarding: a zone?
    alex.send("Berlin", expect=2)
    alex.send("8:00", expect=2)
    assert "no nudge to reply to" in alex.send("🙂")[0].text
    assert "next one comes" not in alex.texts[-1]  # not paired: no nudge time to promise
    fake.send_message_json(
        ALEX,
        sticker={
            "file_id": "s1",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        },
    )
    fake.wait_for_message(ALEX.id, containing="Words, a voice note, a photo")


def test_start_up_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    process = BotProcess(env={}, workdir=tmp_path)
    assert process.run_to_end() == 2
    log = process.log()
    assert "TELEGRAM_BOT_TOKEN is not set" in log
    assert "Traceback" not in log
    assert len(log.strip().splitlines()) == 1


def test_start_up_with_a_bad_database_url_says_what_to_do(tmp_path: Path) -> None:
    process = BotProcess(
        env={"TELEGRAM_BOT_TOKEN": "123:" + "A" * 35, "DATABASE_URL": "mysql://x/y"},
        workdir=tmp_path,
    )
    assert process.run_to_end() == 2
    assert "DATABASE_URL is not usable" in process.log()
    assert "Traceback" not in process.log()


def test_a_token_telegram_rejects_stops_with_one_line(
    fake: FakeTelegram, api: object, tmp_path: Path
) -> None:
    from fakegram import FakeBotApiServer

    assert isinstance(api, FakeBotApiServer)
    wrong = "987654321:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
    process = BotProcess(
        env={
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        },
        workdir=tmp_path,
    )
    assert process.run_to_end() == 2
    log = process.log()
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in log
    assert wrong not in log
    assert "Traceback" not in log


def test_migrate_alone_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite3"
    process = BotProcess(
        env={"TELEGRAM_BOT_TOKEN": "123:" + "A" * 35, "DATABASE_URL": f"sqlite:///{db}"},
        workdir=tmp_path,
    )
    assert process.run_to_end("migrate") == 0
    tables = {name for (name,) in rows(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "pairs", "invites", "alembic_version"} <= tables


def test_a_second_process_on_the_same_sqlite_file_says_so_and_stops(
    bot: BotProcess, api: object, db_path: Path, tmp_path: Path
) -> None:
    from fakegram import FakeBotApiServer
    from testbed.bot_process import TOKEN

    assert isinstance(api, FakeBotApiServer)
    second = BotProcess(
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{db_path}",
        },
        workdir=tmp_path / "second",
    )
    (tmp_path / "second").mkdir()
    assert second.run_to_end() == 2
    assert "another Couplet process is already using" in second.log()
    assert "Traceback" not in second.log()
    assert bot.running
