"""wrong codes outlive /delete

The wrong-code counts lose their foreign key to users (erasing a user no longer erases the
limit on guessing codes) and gain an index on `at` (old rows are deleted by it).

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _wrong_codes(*, with_foreign_key: bool) -> sa.Table:
    """The table as SQLite's batch mode recreates it (its key has no name to drop it by)."""
    user_id = (
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        )
        if with_foreign_key
        else sa.Column("user_id", sa.BigInteger(), nullable=False)
    )
    return sa.Table(
        "wrong_codes",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        user_id,
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_wrong_codes_user_at", "user_id", "at"),
    )


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _is_sqlite():
        table = _wrong_codes(with_foreign_key=False)
        with op.batch_alter_table("wrong_codes", copy_from=table, recreate="always") as batch_op:
            batch_op.create_index("ix_wrong_codes_at", ["at"], unique=False)
        return
    found = sa.inspect(op.get_bind()).get_foreign_keys("wrong_codes")
    for key in found:
        if key["referred_table"] == "users" and key["name"]:
            op.drop_constraint(key["name"], "wrong_codes", type_="foreignkey")
    op.create_index("ix_wrong_codes_at", "wrong_codes", ["at"], unique=False)


def downgrade() -> None:
    # The foreign key comes back: counts of users who no longer exist go first.
    op.execute("DELETE FROM wrong_codes WHERE user_id NOT IN (SELECT id FROM users)")
    if _is_sqlite():
        table = _wrong_codes(with_foreign_key=True)  # recreated without ix_wrong_codes_at
        with op.batch_alter_table("wrong_codes", copy_from=table, recreate="always"):
            pass
        return
    op.drop_index("ix_wrong_codes_at", table_name="wrong_codes")
    op.create_foreign_key(
        "wrong_codes_user_id_fkey",
        "wrong_codes",
        "users",
        ["user_id"],
        ["id"],
        ondelete="CASCADE",
    )
