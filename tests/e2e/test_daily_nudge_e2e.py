"""The daily nudge through the real process: restarts, a SIGKILL mid-wave, errors, blocks."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from fakegram import FakeTelegram
from testbed.couples import DUE, populate
from tests.e2e.conftest import StartBot, TestClock, rows


def nudge_counts(fake: FakeTelegram, user_ids: list[int]) -> Counter[int]:
    """How many daily nudges (not follow-ups or other lines) each user was sent."""
    counts: Counter[int] = Counter()
    wanted = set(user_ids)
    for call in fake.calls_for("sendMessage"):
        is_nudge = str(call.params.get("text", "")).startswith("<b>")
        if call.chat_id in wanted and call.status == 200 and is_nudge:
            counts[call.chat_id] += 1
    return counts


def test_restarts_before_during_and_after_the_due_minute_give_exactly_one_nudge(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    users = populate(db_path, 3)
    test_clock.set(DUE - timedelta(seconds=30))
    bot = start_bot()
    bot.let_ticks_pass()
    assert nudge_counts(fake, users) == Counter()
    bot.stop()  # a restart just before the due minute
    test_clock.set(DUE)
    bot = start_bot()
    fake.wait_for(lambda: len(nudge_counts(fake, users)) == 6, timeout=15)
    test_clock.set(DUE + timedelta(seconds=30))
    bot.stop()  # a restart within the due minute, after sending
    bot = start_bot()
    bot.let_ticks_pass()
    assert nudge_counts(fake, users) == Counter({user: 1 for user in users})
    bot.stop()  # down through the next morning's nudge, back 90 minutes late
    test_clock.set(DUE + timedelta(days=1, minutes=90))
    bot = start_bot()
    fake.wait_for(lambda: sum(nudge_counts(fake, users).values()) == 12, timeout=15)
    bot.let_ticks_pass()
    assert nudge_counts(fake, users) == Counter({user: 2 for user in users})


def test_a_sigkill_mid_wave_never_doubles_a_nudge_and_the_rest_still_arrive(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    users = populate(db_path, 250)  # 500 users, all due in the same minute
    fake.delay_next("sendMessage", 0.02, count=100_000)  # each send takes 20 ms at "Telegram"
    test_clock.set(DUE + timedelta(seconds=1))
    bot = start_bot(MAX_MESSAGES_PER_SECOND="0")
    fake.wait_for(lambda: len(fake.calls_for("sendMessage")) >= 150, timeout=30)
    bot.kill()
    sent_before_kill = len(fake.calls_for("sendMessage"))
    assert sent_before_kill < 500, "the wave finished before the kill; make sends slower"

    bot = start_bot(MAX_MESSAGES_PER_SECOND="0")
    fake.wait_for(lambda: len(nudge_counts(fake, users)) >= 500 - 8, timeout=60)
    bot.let_ticks_pass()
    counts = nudge_counts(fake, users)
    assert max(counts.values()) == 1, "someone got two nudges for one date"
    missing = set(users) - set(counts)
    # A nudge whose request may have been under way at the kill is never re-sent (at most
    # one group, 8, can be in that state); every other user gets theirs.
    maybe_sent = {
        user_id
        for (user_id,) in rows(db_path, "SELECT user_id FROM deliveries WHERE status = 'sending'")
    }
    assert missing <= maybe_sent
    assert len(maybe_sent) <= 8
    assert rows(db_path, "SELECT count(*) FROM deliveries") == [(500,)]


def test_slow_down_answers_and_a_blocked_partner_through_the_real_process(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    users = populate(db_path, 2)
    blocked, partner = users[0], users[1]
    fake.block(blocked)
    fake.fail_next("sendMessage", status=429, retry_after=1)
    test_clock.set(DUE)
    bot = start_bot()
    fake.wait_for(
        lambda: (
            any("can't reach" in m.text for m in fake.sent_to(partner))
            and len(nudge_counts(fake, users[2:])) == 2
        ),
        timeout=15,
    )
    bot.let_ticks_pass()
    assert fake.http_429 == 1
    assert nudge_counts(fake, users[2:]) == Counter({users[2]: 1, users[3]: 1})
    notices = [m.text for m in fake.sent_to(partner) if "can't reach" in m.text]
    assert len(notices) == 1
    assert f"U{blocked}" in notices[0]
    assert rows(db_path, "SELECT blocked_at IS NOT NULL FROM users WHERE id = ?", blocked) == [(1,)]


def test_today_shows_the_nudge_again_or_when_the_next_one_comes(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    from fakegram import FakeUser
    from tests.phone import Phone

    users = populate(db_path, 1)
    test_clock.set(DUE - timedelta(hours=1))
    start_bot()
    phone = Phone(fake, FakeUser(users[0], f"U{users[0]}"))
    (reply,) = phone.send("/today")
    assert "next nudge comes today at 08:00 (Europe/Berlin)" in reply.text
    test_clock.set(DUE)
    fake.wait_for(lambda: len(fake.sent_to(users[0])) == 2, timeout=10)
    nudge = fake.sent_to(users[0])[-1]
    (again,) = phone.send("/today")
    assert again.text == nudge.text
    assert fake.buttons(again) == fake.buttons(nudge)
    test_clock.set(DUE + timedelta(hours=17))  # 01:00 the next day in Berlin
    (later,) = phone.send("/today")
    assert "next nudge comes today at 08:00" in later.text


def test_sigterm_mid_wave_stops_within_ten_seconds_and_the_rest_come_after_a_restart(
    fake: FakeTelegram, start_bot: StartBot, test_clock: TestClock, db_path: Path
) -> None:
    users = populate(db_path, 250)
    fake.delay_next("sendMessage", 0.02, count=100_000)
    test_clock.set(DUE + timedelta(seconds=1))
    bot = start_bot(MAX_MESSAGES_PER_SECOND="0")
    fake.wait_for(lambda: len(fake.calls_for("sendMessage")) >= 100, timeout=30)
    # The promise itself is a deadline: not stopped ten seconds after SIGTERM, it is killed
    # (exit code -9), so the exit code says whether it stopped in time; nothing is timed.
    assert bot.stop(timeout=10) == 0
    sent_at_stop = len(nudge_counts(fake, users))
    assert sent_at_stop < 500
    assert rows(db_path, "SELECT count(*) FROM deliveries WHERE status = 'sending'") == [(0,)]
    bot = start_bot(MAX_MESSAGES_PER_SECOND="0")
    fake.wait_for(lambda: len(nudge_counts(fake, users)) == 500, timeout=60)
    bot.let_ticks_pass()
    assert max(nudge_counts(fake, users).values()) == 1
