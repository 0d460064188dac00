"""daily nudges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:10:10.843825
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pair_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("nudge_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_id", "local_date", name="uq_pair_days_pair_date"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("nudge_id", sa.String(length=40), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "claimed",
                "sending",
                "sent",
                "skipped",
                "blocked",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "local_date", name="uq_deliveries_user_date"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deliveries_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index("ix_deliveries_status_lease", ["status", "lease_until"], unique=False)

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seed", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("long_distance", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_nudge_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_next_due_at"), ["next_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_next_due_at"))
        batch_op.drop_column("blocked_at")
        batch_op.drop_column("last_nudge_date")
        batch_op.drop_column("next_due_at")

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_column("long_distance")
        batch_op.drop_column("seed")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_status_lease")
        batch_op.drop_index(batch_op.f("ix_deliveries_pair_id"))

    op.drop_table("deliveries")
    op.drop_table("pair_days")
