"""pause and settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 03:50:54.899130
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The eight topics every pair starts with (spark is opt-in and never a topic).
ALL_TOPICS = "appreciation,closeness,together,feelings,curiosity,dreams,memories,care"


def upgrade() -> None:
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("topics", sa.String(length=200), nullable=False, server_default=ALL_TOPICS)
        )
        batch_op.add_column(sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("paused_by", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weekdays", sa.Integer(), nullable=False, server_default="127")
        )
        batch_op.add_column(
            sa.Column("spark", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("awaiting", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column("welcome_back", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("welcome_back")
        batch_op.drop_column("awaiting")
        batch_op.drop_column("spark")
        batch_op.drop_column("weekdays")

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_column("paused_by")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("topics")
