"""The daily nudge, in process: real PTB bot, fake Bot API, real databases, a frozen clock."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot
from telegram.request import RequestData

from bot import texts
from bot.dispatch import CLAIM_LEASE, Dispatcher
from bot.pacing import pace_for
from fakegram import FakeTelegram, FakeTelegramRequest, FakeUser
from nudges.choice import Living
from nudges.library import Kind, nudges_by_id
from storage import claiming, outcomes, users
from storage.db import Database
from tests.bot.app_harness import a_paired_couple, running_app
from tests.bot.conftest import TOKEN
from tests.conftest import FrozenClock
from tests.storage.factories import a_couple

PAUSE = "⏸ Busy week? Pause"
ALEX, SAM = 1, 2
# Monday 23 November 2026. Berlin is UTC+1, New York UTC-5.
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def dispatcher(database: Database, bot: ExtBot[None], clock: FrozenClock) -> Dispatcher:
    return Dispatcher(
        database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), batch_size=64
    )


def nudges_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    """The nudge texts a chat received (the line of the nudge itself, without the hint)."""
    return [m.text.split("\n\n")[1] for m in fake.sent_to(chat_id) if m.text.count("\n\n") == 2]


async def at(clock: FrozenClock, when: datetime, run: Dispatcher) -> None:
    clock.now = when
    await run.run()


async def test_both_partners_get_the_same_nudge_each_at_their_own_local_morning(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, a_zone="Europe/Berlin", b_zone="America/New_York", now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)

    await at(clock, MONDAY, run)  # pairing is not a reason to send anything
    await at(clock, datetime(2026, 11, 23, 6, 59, tzinfo=UTC), run)
    assert nudges_to(fake, ALEX) == nudges_to(fake, SAM) == []

    await at(clock, datetime(2026, 11, 23, 7, 0, tzinfo=UTC), run)  # 08:00 in Berlin
    assert len(nudges_to(fake, ALEX)) == 1
    assert nudges_to(fake, SAM) == []
    await at(clock, datetime(2026, 11, 23, 12, 59, tzinfo=UTC), run)
    assert nudges_to(fake, SAM) == []
    await at(clock, datetime(2026, 11, 23, 13, 0, tzinfo=UTC), run)  # 08:00 in New York
    assert nudges_to(fake, SAM) == nudges_to(fake, ALEX)

    for day in (24, 25, 26):
        await at(clock, datetime(2026, 11, day, 7, 0, 5, tzinfo=UTC), run)
        await at(clock, datetime(2026, 11, day, 13, 0, 5, tzinfo=UTC), run)
    alex, sam = nudges_to(fake, ALEX), nudges_to(fake, SAM)
    assert alex == sam
    assert len(alex) == 4
    assert len(set(alex)) == 4


async def test_a_nudge_message_shows_its_category_and_the_buttons_its_kind_needs(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    kinds: Counter[Kind] = Counter()
    for day in range(40):
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    by_text = {nudge.text: nudge for nudge in nudges_by_id().values()}
    for message in fake.sent_to(ALEX):
        title, body, hint = message.text.split("\n\n")
        nudge = by_text[body]
        kinds[nudge.kind] += 1
        assert nudge.category.value.capitalize() in title
        labels = [label for label, _ in fake.buttons(message)]
        last = [texts.NOT_TODAY_BUTTON, PAUSE]  # every nudge can be set aside or paused
        expected = {
            Kind.ACTION: ["Done ✅", *last],
            Kind.PLAN: ["I'm in 🙌", "Not this time", *last],
            Kind.QUESTION: last,
            Kind.APPRECIATION: last,
            Kind.CHOICE: [*nudge.options, *last],
            Kind.GUESS: [*nudge.options, *last],
        }[nudge.kind]
        assert labels == expected
        if nudge.kind in (Kind.QUESTION, Kind.APPRECIATION):
            assert "Sam" in hint
        for _, data in fake.buttons(message):
            # Callback data never names another user: "<action>:<delivery id>[:<option>]"
            # (an option's index is a small number that may equal a test user's id).
            assert str(SAM) not in data.split(":")[:2]
    assert len(kinds) >= 3


async def test_nothing_is_sent_twice_however_often_the_dispatcher_runs(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        for n in range(10):
            await a_couple(session, 100 + 2 * n, 101 + 2 * n, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    clock.now = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    await run.run()
    await run.run()
    other = dispatcher(database, telegram_bot, clock)
    await other.run()
    clock.now += timedelta(hours=2)
    await run.run()
    for user_id in range(100, 120):
        assert len(fake.sent_to(user_id)) == 1, user_id


async def test_downtime_is_caught_up_within_three_hours_and_skipped_after(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, a_zone="Europe/Berlin", b_zone="Asia/Tokyo", now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    # Alex's 08:00 Berlin (07:00 UTC) is 2h59m late: still sent. Sam's 08:00 Tokyo
    # (23:00 UTC the day before... i.e. Tuesday's at 23:00 UTC Monday) comes later.
    await at(clock, datetime(2026, 11, 23, 9, 59, tzinfo=UTC), run)
    assert len(nudges_to(fake, ALEX)) == 1
    # The bot is down all of Tuesday morning in Berlin: 4 hours late is too late.
    await at(clock, datetime(2026, 11, 24, 11, 0, tzinfo=UTC), run)
    assert len(nudges_to(fake, ALEX)) == 1
    # Sam's Tuesday 08:00 Tokyo was 23:00 UTC Monday: 12 hours late, skipped too.
    assert nudges_to(fake, SAM) == []
    # Wednesday comes as usual for both.
    await at(clock, datetime(2026, 11, 24, 23, 0, tzinfo=UTC), run)
    await at(clock, datetime(2026, 11, 25, 7, 0, tzinfo=UTC), run)
    assert len(nudges_to(fake, ALEX)) == 2
    assert len(nudges_to(fake, SAM)) == 1
    assert nudges_to(fake, SAM)[0] == nudges_to(fake, ALEX)[1]


async def test_telegram_saying_slow_down_is_waited_out_and_the_nudge_goes_once(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    fake.fail_next("sendMessage", status=429, retry_after=1)
    await at(clock, MONDAY + timedelta(hours=1), dispatcher(database, telegram_bot, clock))
    assert fake.http_429 == 1
    assert len(nudges_to(fake, ALEX)) == 1
    assert len(nudges_to(fake, SAM)) == 1


async def test_server_errors_are_retried_later_and_the_nudge_still_goes_once(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    fake.fail_next("sendMessage", status=500, count=2)
    await at(clock, MONDAY + timedelta(hours=1), run)
    assert nudges_to(fake, ALEX) == nudges_to(fake, SAM) == []
    await at(clock, MONDAY + timedelta(hours=1, seconds=10), run)  # not yet: backing off
    assert nudges_to(fake, ALEX) == []
    await at(clock, MONDAY + timedelta(hours=1, minutes=1), run)
    assert len(nudges_to(fake, ALEX)) == 1
    assert nudges_to(fake, SAM) == nudges_to(fake, ALEX)
    await at(clock, MONDAY + timedelta(hours=2), run)
    assert len(nudges_to(fake, ALEX)) == 1


async def test_a_timeout_after_the_request_went_out_counts_as_sent(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    fake.delay_next("sendMessage", 1.0, count=2)  # longer than the 0.5 s read timeout
    await at(clock, MONDAY + timedelta(hours=1), run)
    await at(clock, MONDAY + timedelta(hours=1, minutes=10), run)
    assert len(fake.calls_for("sendMessage")) == 2  # one each, never again
    async with database.transaction() as session:
        statuses = (await session.exec(text("SELECT status FROM deliveries"))).all()
    assert sorted(row[0] for row in statuses) == ["sent", "sent"]


async def test_a_user_who_blocked_the_bot_pauses_the_pair_and_the_partner_hears_once(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    fake.block(SAM)
    await at(clock, MONDAY + timedelta(hours=1), run)
    told = [m.text for m in fake.sent_to(ALEX) if "can't reach Sam" in m.text]
    assert len(told) == 1
    assert "guilt" not in told[0]
    for day in range(1, 4):  # paused for both: nothing more, no repeat of the notice
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    assert len(nudges_to(fake, ALEX)) == 1
    assert len([m for m in fake.sent_to(ALEX) if "can't reach Sam" in m.text]) == 1

    fake.unblock(SAM)
    async with database.transaction() as session:  # Sam says hi again (e.g. /start)
        sam = await users.find(session=session, user_id=SAM)
        assert sam is not None
        assert await users.welcome_back_if_blocked(session=session, user=sam, now=clock.now)
    await at(clock, MONDAY + timedelta(days=4, hours=1), run)
    assert len(nudges_to(fake, ALEX)) == 2
    assert len(nudges_to(fake, SAM)) == 1


async def test_claimed_but_unsent_nudges_of_a_dead_process_are_sent_once_later(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY + timedelta(hours=1))
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    claimed = await claiming.claim_due_nudges(  # a process claims, then dies
        database,
        now=clock.now,
        limit=10,
        lease=timedelta(minutes=2),
        catch_up=timedelta(hours=3),
    )
    assert len(claimed) == 2
    # ... after marking one as sending
    async with database.transaction() as session:
        await outcomes.mark_sending(session=session, nudges=[claimed[0]])
    run = dispatcher(database, telegram_bot, clock)
    await run.run()  # the lease still holds
    assert fake.calls_for("sendMessage") == []
    await at(clock, clock.now + timedelta(minutes=3), run)
    sent_to = [call.chat_id for call in fake.calls_for("sendMessage")]
    assert sent_to == [claimed[1].user_id]  # the one that may have gone is never resent
    await at(clock, clock.now + timedelta(hours=1), run)
    assert len(fake.calls_for("sendMessage")) == 1


async def test_moving_the_time_later_brings_todays_nudge_only_if_it_has_not_gone(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    async with database.transaction() as session:  # Sam: 08:00 -> 10:00 before it went
        sam = await users.find(session=session, user_id=SAM)
        assert sam is not None
        await users.set_nudge_time(session=session, user=sam, value=time(10, 0), now=clock.now)
    await at(clock, datetime(2026, 11, 23, 7, 0, tzinfo=UTC), run)
    assert len(nudges_to(fake, ALEX)) == 1
    assert nudges_to(fake, SAM) == []
    async with database.transaction() as session:  # Alex: 08:00 -> 11:00 after it went
        alex = await users.find(session=session, user_id=ALEX)
        assert alex is not None
        await users.set_nudge_time(session=session, user=alex, value=time(11, 0), now=clock.now)
    await at(clock, datetime(2026, 11, 23, 9, 0, tzinfo=UTC), run)  # 10:00 Berlin
    await at(clock, datetime(2026, 11, 23, 10, 0, tzinfo=UTC), run)  # 11:00 Berlin
    assert len(nudges_to(fake, SAM)) == 1
    assert len(nudges_to(fake, ALEX)) == 1
    await at(clock, datetime(2026, 11, 24, 10, 0, tzinfo=UTC), run)
    assert len(nudges_to(fake, ALEX)) == 2


async def test_a_long_distance_pair_never_gets_a_nudge_that_needs_both_in_one_place(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, living=Living.LONG_DISTANCE, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    for day in range(60):
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    by_text = {nudge.text: nudge for nudge in nudges_by_id().values()}
    received = [by_text[body] for body in nudges_to(fake, ALEX)]
    assert len(received) == 60
    assert not any(nudge.needs_together for nudge in received)


async def _set_spark(database: Database, user_id: int, on: bool) -> None:
    async with database.transaction() as session:
        user = await users.find(session=session, user_id=user_id)
        assert user is not None
        user.spark = on


def _spark_count(fake: FakeTelegram, chat_id: int) -> int:
    return sum(1 for m in fake.sent_to(chat_id) if m.text.startswith("✨ Spark"))


async def test_spark_nudges_come_only_while_both_partners_opted_in(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    await _set_spark(database, ALEX, True)  # one opted in: nothing changes
    for day in range(10):
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    assert _spark_count(fake, ALEX) == _spark_count(fake, SAM) == 0

    await _set_spark(database, SAM, True)  # both: spark joins the rotation
    for day in range(10, 30):
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    both = _spark_count(fake, ALEX)
    assert both >= 2
    assert _spark_count(fake, SAM) == both

    await _set_spark(database, SAM, False)  # either opts out: they stop
    for day in range(30, 50):
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    assert _spark_count(fake, ALEX) == both
    assert _spark_count(fake, SAM) == both


async def test_topics_limit_the_categories_and_nudge_days_skip_days(
    database: Database, telegram_bot: ExtBot[None], fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    async with database.transaction() as session:
        _, sam, pair = await a_couple(session, now=MONDAY)
        pair.topics = "curiosity,dreams"
        sam.weekdays = 0b1100000  # weekends only
        await users.set_nudge_time(session=session, user=sam, value=time(8, 0), now=MONDAY)
    run = dispatcher(database, telegram_bot, clock)
    for day in range(14):
        await at(clock, MONDAY + timedelta(days=day, hours=1), run)
    titles = {m.text.split("\n")[0] for m in fake.sent_to(ALEX)}
    assert titles == {"🔭 Curiosity", "🌱 Dreams"}
    assert len(fake.sent_to(ALEX)) == 14
    assert len(fake.sent_to(SAM)) == 4  # two weekends


BY_STATUS = "SELECT status, count(*) FROM deliveries GROUP BY status"


class WatchingTelegram(FakeTelegramRequest):
    """The fake Bot API, looking into the database as each nudge request arrives."""

    def __init__(self, fake: FakeTelegram, database: Database) -> None:
        super().__init__(fake)
        self.database = database
        self.on_arrival: list[tuple[int, str, int]] = []  # chat, its status, rows sending
        self.crash_after: tuple[int, asyncio.Future[Any]] | None = None  # cancel it, as SIGKILL
        self.after_each: Callable[[], Awaitable[None]] | None = None
        self.stop_after: tuple[int, Dispatcher] | None = None
        self.in_flight = self.most_in_flight = 0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        self.in_flight += 1  # from its arrival (looking into the database takes a while)
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self._answer(url, method, request_data, **kwargs)
        finally:
            self.in_flight -= 1

    async def _answer(
        self, url: str, method: str, request_data: RequestData | None, **kwargs: Any
    ) -> tuple[int, bytes]:
        if url.endswith("/sendMessage") and request_data is not None:
            chat_id = int(request_data.parameters["chat_id"])
            async with self.database.transaction() as session:
                (status,) = (
                    await session.exec(
                        text("SELECT status FROM deliveries WHERE user_id = :user"),
                        params={"user": chat_id},
                    )
                ).one()
                (sending,) = (
                    await session.exec(
                        text("SELECT count(*) FROM deliveries WHERE status = 'sending'")
                    )
                ).one()
            self.on_arrival.append((chat_id, status, sending))
            if self.crash_after and len(self.on_arrival) == self.crash_after[0]:
                self.crash_after[1].cancel()
            if self.after_each is not None:
                await self.after_each()
            if self.stop_after and len(self.on_arrival) == self.stop_after[0]:
                self.stop_after[1].stopping = True  # as SIGTERM does
        return await super().do_request(url, method, request_data, **kwargs)


async def thirty_couples_watched(
    database: Database, fake: FakeTelegram, *, pace: float | None = None
) -> tuple[WatchingTelegram, ExtBot[Any]]:
    """Sixty users (ids 100–159) due Monday morning, and a bot that watches each send
    (`pace`: paced at that many messages a second, in memory)."""
    async with database.transaction() as session:
        for n in range(30):
            await a_couple(session, 100 + 2 * n, 101 + 2 * n, now=MONDAY)
    watching = WatchingTelegram(fake, database)
    bot: ExtBot[Any] = ExtBot(
        TOKEN,
        request=watching,
        defaults=Defaults(parse_mode=ParseMode.HTML),
        rate_limiter=pace_for(None, pace) if pace else None,
    )
    return watching, bot


async def test_each_nudge_is_committed_as_sending_before_its_request_reaches_telegram(
    database: Database, fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY + timedelta(hours=1))
    watching, bot = await thirty_couples_watched(database, fake)
    async with bot:
        run = Dispatcher(
            database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), batch_size=16
        )
        report = await run.run()

    assert report.sent == 60
    assert sorted(chat for chat, _, _ in watching.on_arrival) == list(range(100, 160))
    assert {status for _, status, _ in watching.on_arrival} == {"sending"}
    assert max(sending for _, _, sending in watching.on_arrival) <= run.most_sending
    assert 1 < watching.most_in_flight <= run.concurrency  # requests overlap, within bounds
    async with database.transaction() as session:
        statuses = (await session.exec(text(BY_STATUS))).all()
    assert [tuple(row) for row in statuses] == [("sent", 60)]


async def test_paced_a_crash_leaves_the_nudges_waiting_for_their_slots_claimed_not_sending(
    database: Database, fake: FakeTelegram
) -> None:
    """Paced, a nudge is marked `sending` at its slot, not while it waits for one: a crash
    then leaves the waiting ones claimed (sent later, once their lease runs out) rather than
    `sending` (taken as sent: never sent). At 10 a second the next slot is 100 ms away when
    the wave is cut off, as a SIGKILL would, during the third request."""
    clock = FrozenClock(MONDAY + timedelta(hours=1))
    watching, bot = await thirty_couples_watched(database, fake, pace=10)
    async with bot:
        run = Dispatcher(
            database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), batch_size=16
        )
        wave = asyncio.ensure_future(run.run())
        watching.crash_after = (3, wave)
        with pytest.raises(asyncio.CancelledError):
            await wave

    reached = {chat for chat, _, _ in watching.on_arrival}
    async with database.transaction() as session:
        sending = {
            user
            for (user,) in await session.exec(
                text("SELECT user_id FROM deliveries WHERE status = 'sending'")
            )
        }
        statuses = dict((await session.exec(text(BY_STATUS))).all())
    assert len(reached) == 3
    assert sending <= reached  # every nudge marked `sending` reached Telegram
    assert statuses.get("claimed", 0) == 16 - statuses.get("sent", 0) - len(sending)


async def test_a_wave_renews_its_claims_so_another_instance_takes_over_none_of_them(
    database: Database, fake: FakeTelegram
) -> None:
    """Two seconds pass with each send, so the wave outlasts its claims' first lease four
    times; another instance claiming meanwhile finds nothing of it to take over."""
    clock = FrozenClock(MONDAY + timedelta(hours=1))
    watching, bot = await thirty_couples_watched(database, fake)
    taken_over: list[claiming.DueNudge] = []

    async def another_instance_claims() -> None:
        clock.now += timedelta(seconds=2)
        taken_over.extend(
            await claiming.claim_due_nudges(
                database, now=clock(), limit=64, lease=CLAIM_LEASE, catch_up=timedelta(hours=3)
            )
        )

    watching.after_each = another_instance_claims
    async with bot:
        run = Dispatcher(
            database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), batch_size=64
        )
        report = await run.run()

    assert clock() - (MONDAY + timedelta(hours=1)) > 3 * CLAIM_LEASE
    assert taken_over == []
    assert report.sent == 60
    assert sorted(chat for chat, _, _ in watching.on_arrival) == list(range(100, 160))


async def test_a_stop_mid_wave_hands_the_unsent_back_and_they_go_once_later(
    database: Database, fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY + timedelta(hours=1))
    watching, bot = await thirty_couples_watched(database, fake)
    async with bot:
        run = Dispatcher(
            database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), batch_size=32
        )
        watching.stop_after = (4, run)  # in the first group
        stopped = await run.run()
        async with database.transaction() as session:
            statuses = dict((await session.exec(text(BY_STATUS))).all())
        assert stopped.sent == len(fake.calls_for("sendMessage")) < 60
        assert "sending" not in statuses  # what flew at the stop was recorded
        assert statuses["sent"] == stopped.sent
        assert statuses.get("claimed", 0) > 0  # claimed but unsent: handed back

        again = Dispatcher(
            database=database, bot=bot, clock=clock, catch_up=timedelta(hours=3), batch_size=32
        )
        await again.run()

    assert sorted(call.chat_id for call in fake.calls_for("sendMessage")) == list(range(100, 160))


async def test_a_claim_taken_over_by_a_later_claim_of_the_same_process_is_sent_once(
    database: Database,
) -> None:
    """The lease ran out while the nudges still waited in this process (a slow wave, or the
    clock jumped): its next claim takes them over under a new token, and both copies can
    land in one group. Only the newer copy may be sent; the e2e test with three processes
    and a SIGKILL once sent five users two nudges this way."""
    now = MONDAY + timedelta(hours=1)
    async with database.transaction() as session:
        await a_couple(session, now=MONDAY)

    async def claim(at: datetime) -> list[claiming.DueNudge]:
        return await claiming.claim_due_nudges(
            database, now=at, limit=10, lease=timedelta(minutes=2), catch_up=timedelta(hours=3)
        )

    async def mark_sending(nudges: list[claiming.DueNudge]) -> list[claiming.DueNudge]:
        async with database.transaction() as session:
            return await outcomes.mark_sending(session=session, nudges=nudges)

    first = await claim(now)
    again = await claim(now + timedelta(minutes=3))  # the lease ran out
    assert {n.delivery_id for n in again} == {n.delivery_id for n in first}
    assert {n.claim_token for n in first}.isdisjoint({n.claim_token for n in again})
    assert await mark_sending([*first, *again]) == again
    assert await mark_sending(again) == []


async def test_with_paid_broadcast_the_nudges_are_paid_broadcasts_and_replies_are_not(
    database_url: str, fake: FakeTelegram
) -> None:
    clock = FrozenClock(MONDAY)
    settings = {"PAID_BROADCAST": "true", "MAX_MESSAGES_PER_SECOND": "29"}
    async with running_app(
        fake, database_url=database_url, clock=clock, token=TOKEN, settings=settings
    ) as app:
        await a_paired_couple(app, FakeUser(ALEX, "Alex"), FakeUser(SAM, "Sam"), now=MONDAY)
        clock.now = datetime(2026, 11, 23, 7, 0, 5, tzinfo=UTC)  # 08:00 in Berlin
        report = await app.services.dispatcher.run()
        await app.send(FakeUser(ALEX, "Alex"), "/help")
        assert app.errors == []

    assert report.sent == 2
    calls = fake.calls_for("sendMessage")
    nudges = [call for call in calls if call.params.get("reply_markup")]
    assert len(nudges) == 2 and all(call.params["allow_paid_broadcast"] for call in nudges)
    (help_reply,) = [call for call in calls if call not in nudges]
    assert "allow_paid_broadcast" not in help_reply.params
