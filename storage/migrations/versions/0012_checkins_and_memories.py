"""weekly check-ins and on this day: the check-ins, their schedule, a pair's memory offers

Existing pairs' members get a check-in due instant long past: the first tick finds it too
late to send anything and plans the offer from there (see storage/checkins.py).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-04 16:45:07.507447
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Due long ago: too late to send anything, so the first tick only plans.
LONG_PAST = datetime(2000, 1, 1, tzinfo=UTC)


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column(
            "step",
            sa.Enum(
                "feeling",
                "appreciated",
                "more_of",
                "done",
                "closed",
                name="checkinstep",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("feeling", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("appreciated", sa.Text(), nullable=True),
        sa.Column("appreciated_sealed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("more_of", sa.Text(), nullable=True),
        sa.Column("more_of_sealed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "week_of", name="uq_checkins_user_week"),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_pair_week", ["pair_id", "week_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checkin_on", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("checkin_weekday", sa.Integer(), server_default="6", nullable=False)
        )
        batch_op.add_column(
            sa.Column("checkin_time", sa.Time(), server_default="19:00:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("counsellor_line_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("memory_offered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("memory_of", sa.Date(), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkin_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("checkin_offered_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_users_checkin_due_at"), ["checkin_due_at"], unique=False
        )

    users = sa.table(
        "users",
        sa.column("pair_id", sa.Integer()),
        sa.column("checkin_due_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        users.update()
        .where(users.c.pair_id.is_not(None))
        .values(checkin_due_at=_as_stored(LONG_PAST))
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_checkin_due_at"))
        batch_op.drop_column("checkin_offered_at")
        batch_op.drop_column("checkin_due_at")

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_column("memory_of")
        batch_op.drop_column("memory_offered_on")
        batch_op.drop_column("counsellor_line_at")
        batch_op.drop_column("checkin_time")
        batch_op.drop_column("checkin_weekday")
        batch_op.drop_column("checkin_on")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_user_id"))
        batch_op.drop_index("ix_checkins_pair_week")

    op.drop_table("checkins")


def _as_stored(instant: datetime) -> datetime:
    """As storage.types.UTCDateTime binds it: naive UTC on SQLite, aware elsewhere."""
    if op.get_bind().dialect.name == "sqlite":
        return instant.replace(tzinfo=None)
    return instant
