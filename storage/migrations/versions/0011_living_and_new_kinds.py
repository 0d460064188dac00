"""living and new kinds: where the pair lives (replacing long_distance); choice and guess
picks and "Not today" on deliveries; answer parts marked as a guess

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVING = sa.Enum("together", "nearby", "long-distance", name="living", native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("living", LIVING, nullable=True))
    op.execute(
        "UPDATE pairs SET living = CASE WHEN long_distance THEN 'long-distance' ELSE 'together' END"
    )
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_column("long_distance")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pick", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("guess_pick", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("skipped_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("answer_parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("guess", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("answer_parts", schema=None) as batch_op:
        batch_op.drop_column("guess")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("skipped_at")
        batch_op.drop_column("guess_pick")
        batch_op.drop_column("pick")
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("long_distance", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE pairs SET long_distance = CASE WHEN living = 'long-distance' THEN "
        f"{sa.true().compile(dialect=op.get_bind().dialect)} ELSE "
        f"{sa.false().compile(dialect=op.get_bind().dialect)} END"
    )
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_column("living")
