"""recap: the pair's choice to get the picture with the check-in, and the pauses remembered

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not in a batch: on SQLite a batch copies `pairs` and drops the old table, and with
    # foreign keys on that drop unpairs every user (users.pair_id SET NULL) and deletes the
    # pairs' days (CASCADE). SQLite adds a column with a constant default in place.
    op.add_column(
        "pairs",
        sa.Column("recap_with_checkin", sa.Boolean(), nullable=False, server_default=sa.false()),
    )

    op.create_table(
        "pair_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pair_pauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pair_pauses_pair_id"), ["pair_id"], unique=False)

    # A pause running now is remembered from now on (when it began was not stored).
    now = datetime.now(UTC)
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO pair_pauses (pair_id, started_at, ends_at) "
            "SELECT id, :now, paused_until FROM pairs WHERE paused_until > :now"
        ).bindparams(
            sa.bindparam(
                "now",
                now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now,
                type_=sa.DateTime(timezone=True),
            )
        )
    )


def downgrade() -> None:
    op.drop_column("pairs", "recap_with_checkin")  # not in a batch either (see upgrade)

    with op.batch_alter_table("pair_pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pair_pauses_pair_id"))

    op.drop_table("pair_pauses")
