"""replies

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:40:31.414312
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id", "message_id", name="uq_answer_parts_message"),
    )
    with op.batch_alter_table("answer_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_answer_parts_delivery_id"), ["delivery_id"], unique=False
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hearted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("plan_choice", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("follow_up_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("follow_up_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_deliveries_follow_up_due_at"), ["follow_up_due_at"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("follow_ups", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("follow_ups")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_follow_up_due_at"))
        batch_op.drop_column("follow_up_sent_at")
        batch_op.drop_column("follow_up_due_at")
        batch_op.drop_column("plan_choice")
        batch_op.drop_column("done_at")
        batch_op.drop_column("hearted_at")
        batch_op.drop_column("shared_at")
        batch_op.drop_column("revealed_at")
        batch_op.drop_column("answered_at")

    with op.batch_alter_table("answer_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_parts_delivery_id"))

    op.drop_table("answer_parts")
