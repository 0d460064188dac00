"""The tables. Every instant is an aware UTC datetime; every zone an IANA name."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from nudges.checkin import DEFAULT_TIME, DEFAULT_WEEKDAY
from nudges.choice import Living
from nudges.library import MAIN_CATEGORIES
from storage.types import UTCDateTime

ALL_TOPICS = ",".join(category.value for category in MAIN_CATEGORIES)


def _stored_as_text(values: type[StrEnum]) -> Enum:
    """A StrEnum column stored as its values in a VARCHAR (no database enum type)."""
    return Enum(
        values,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class OnboardingStep(StrEnum):
    """Which onboarding question the user is answering; `done` when there is none."""

    TIMEZONE = "timezone"
    TIME = "time"
    DONE = "done"


class User(SQLModel, table=True):
    """A person talking to the bot. The id is their Telegram user id (= private chat id)."""

    __tablename__ = "users"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_name: str = Field(max_length=128)
    timezone: str | None = Field(default=None, max_length=64)
    nudge_time: time | None = None
    onboarding_step: OnboardingStep = Field(
        default=OnboardingStep.TIMEZONE,
        sa_column=Column(_stored_as_text(OnboardingStep), nullable=False),
    )
    pair_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("pairs.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    follow_ups: bool = True
    weekdays: int = Field(default=0b1111111)  # bit n = weekday n (Monday = 0) gets a nudge
    spark: bool = False  # opted in to the spark category (used only if both did)
    awaiting: str | None = Field(default=None, max_length=24)  # a typed answer it waits for
    welcome_back: bool = False  # the next nudge starts with a welcome-back line
    next_due_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True, index=True)
    )
    last_nudge_date: date | None = None
    blocked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The weekly check-in (bot/checkin.py): when this user's next one (or its first offer)
    # is due, and when the offer reached them.
    checkin_due_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True, index=True)
    )
    checkin_offered_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    # The language the bot speaks with this person (nudges.languages.Language): from
    # Telegram's language code at first contact, then /language. None: not known (English).
    language: str | None = Field(default=None, max_length=8)


class Pair(SQLModel, table=True):
    """Two partners, from pairing until one of them unpairs.

    `user_a_id` invited, `user_b_id` joined; an ended pair keeps its members for history
    (plain ids, no foreign key: `users.pair_id` points the other way, and erasing a user
    clears their id here). A user's current pair is `User.pair_id`, so nobody is ever in two
    active pairs.
    """

    __tablename__ = "pairs"

    id: int | None = Field(default=None, primary_key=True)
    user_a_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    user_b_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True, index=True)
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    seed: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    # Where the pair lives (asked once after pairing); None until one of them answers.
    living: Living | None = Field(
        default=None, sa_column=Column(_stored_as_text(Living), nullable=True)
    )
    topics: str = Field(default=ALL_TOPICS, max_length=200)  # comma-separated categories
    paused_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    paused_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # The weekly check-in, opted in per pair, on a day and time the pair picks (each partner
    # gets it at that time in their own zone).
    checkin_on: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    checkin_weekday: int = Field(
        default=DEFAULT_WEEKDAY,
        sa_column=Column(Integer, nullable=False, server_default=str(DEFAULT_WEEKDAY)),
    )
    checkin_time: time = Field(
        default=DEFAULT_TIME,
        sa_column=Column(Time, nullable=False, server_default=DEFAULT_TIME.strftime("%H:%M:%S")),
    )
    counsellor_line_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    # "On this day": the local date a memory was last offered on, and the day it brought back.
    memory_offered_on: date | None = None
    memory_of: date | None = None
    # The /recap picture also comes with the weekly check-in's reveal (shared, off at first).
    recap_with_checkin: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )


class PairPause(SQLModel, table=True):
    """One pause of a pair, from when it was asked for to when it ended (or will end).

    `Pair.paused_until` is what the scheduler reads; these rows only remember the pauses for
    the /recap picture. A new pause while one runs moves its end; /resume ends it now.
    """

    __tablename__ = "pair_pauses"

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(
        sa_column=Column(ForeignKey("pairs.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class ProcessedUpdate(SQLModel, table=True):
    """A webhook update that was fully handled: a redelivery of it changes nothing twice."""

    __tablename__ = "processed_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False, index=True))


class SendPace(SQLModel, table=True):
    """The next free send slot of the whole deployment, one row per pace (`free`: Telegram's
    free rate for the token; `paid`: paid broadcasts). Every instance takes its slots here,
    by the database's clock (storage/pace.py); used on PostgreSQL only."""

    __tablename__ = "send_pace"

    name: str = Field(primary_key=True, max_length=16)
    next_slot: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Invite(SQLModel, table=True):
    """A single-use invite. Only the SHA-256 of the code is stored."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    inviter_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    code_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class WrongCode(SQLModel, table=True):
    """One wrong invite code tried by a user; counted to rate-limit guessing.

    A plain user id, no foreign key: the count outlives `/delete` (or erasing would reset
    the limit). It holds no content, and rows older than the limit's window are deleted
    (`invites.forget_wrong_codes`, on a schedule).
    """

    __tablename__ = "wrong_codes"
    __table_args__ = (
        Index("ix_wrong_codes_user_at", "user_id", "at"),
        Index("ix_wrong_codes_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class PairDay(SQLModel, table=True):
    """The nudge chosen for a pair on a local date: both partners get this one."""

    __tablename__ = "pair_days"
    __table_args__ = (UniqueConstraint("pair_id", "local_date", name="uq_pair_days_pair_date"),)

    id: int | None = Field(default=None, primary_key=True)
    pair_id: int = Field(
        sa_column=Column(ForeignKey("pairs.id", ondelete="CASCADE"), nullable=False)
    )
    local_date: date
    nudge_id: str = Field(max_length=40)


class DeliveryStatus(StrEnum):
    """A delivery's life: claimed (will be sent) -> sending -> sent; or an ending elsewhere.

    `sending` that never got an answer (a crash mid-request) is taken as sent: a nudge may
    be lost in a crash, but it is never sent twice.
    """

    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    FAILED = "failed"


class Delivery(SQLModel, table=True):
    """One nudge for one user on one local date (at most one, by the unique constraint)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "local_date", name="uq_deliveries_user_date"),
        Index("ix_deliveries_status_lease", "status", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    pair_id: int | None = Field(
        default=None,
        sa_column=Column(ForeignKey("pairs.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    local_date: date
    nudge_id: str = Field(max_length=40)
    due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: DeliveryStatus = Field(
        default=DeliveryStatus.CLAIMED,
        sa_column=Column(_stored_as_text(DeliveryStatus), nullable=False),
    )
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    attempts: int = 0
    claim_token: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Replies (see bot/answers.py): when this user answered, and what came of it.
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    revealed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    shared_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    hearted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    plan_choice: str | None = Field(default=None, max_length=8)
    # Choice and guess nudges with options: the option tapped (its index) about oneself,
    # and the one guessed for the partner.
    pick: int | None = None
    guess_pick: int | None = None
    # "Not today": set aside by this user (no follow-up; the partner is never told).
    skipped_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    follow_up_due_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True, index=True)
    )
    follow_up_sent_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    # When the sender was told this answer holds all the parts it may (storage/answers.py).
    full_told_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )


class AnswerPart(SQLModel, table=True):
    """One message of a user's answer to a delivery (a second message adds a part)."""

    __tablename__ = "answer_parts"
    __table_args__ = (
        UniqueConstraint("delivery_id", "message_id", name="uq_answer_parts_message"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(
        sa_column=Column(
            ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    content_type: str = Field(max_length=16)
    # As stored: sealed (see storage/crypto.py) when `sealed`, else the words as written.
    # Read it through `crypto.text_of`, never directly.
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sealed: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    file_id: str | None = Field(default=None, max_length=256)
    # A guess nudge answered in words: this part is the guess about the partner (the others
    # are the answer about oneself).
    guess: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class CheckinStep(StrEnum):
    """Where a check-in stands: the question it waits for, `done` once answered, `closed`
    when it ended unanswered (the next one came, or the pair ended)."""

    FEELING = "feeling"
    APPRECIATED = "appreciated"
    MORE_OF = "more_of"
    DONE = "done"
    CLOSED = "closed"


class Checkin(SQLModel, table=True):
    """One partner's weekly check-in (one per user and local date of the check-in).

    The two free texts are stored like answer texts: sealed when a key is set (see
    storage/crypto.py), read only through `storage.checkins`."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("user_id", "week_of", name="uq_checkins_user_week"),
        Index("ix_checkins_pair_week", "pair_id", "week_of"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    pair_id: int = Field(
        sa_column=Column(ForeignKey("pairs.id", ondelete="CASCADE"), nullable=False)
    )
    week_of: date  # the local date it was sent on
    step: CheckinStep = Field(
        default=CheckinStep.FEELING,
        sa_column=Column(_stored_as_text(CheckinStep), nullable=False),
    )
    feeling: str | None = Field(default=None, max_length=16)
    appreciated: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    appreciated_sealed: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    more_of: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    more_of_sealed: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    sent_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    revealed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
