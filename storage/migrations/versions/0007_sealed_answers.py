"""sealed answers: whether an answer text is sealed is a column, never read from the text

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00.000000

Until now a stored text starting with `enc1:` counted as sealed, so an answer a user typed
that way could not be read. From here `answer_parts.sealed` says it. An existing `enc1:<t>`
is marked sealed only if `<t>` is structurally a Fernet token; anything else is what a user
typed, and stays as typed. (Downgrading drops the mark: such a typed answer would again be
taken for a sealed one.)
"""

import base64
import binascii
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = "enc1:"
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_BATCH = 500


def _is_fernet_token(stored: str) -> bool:
    """`enc1:` then urlsafe base64 of: 0x80, an 8-byte time, a 16-byte IV, ciphertext a
    positive multiple of 16 bytes, a 32-byte HMAC. (Frozen copy of storage.crypto's.)"""
    token = stored.removeprefix(PREFIX)
    if token == stored or len(token) % 4 or not _TOKEN_TEXT.fullmatch(token):
        return False
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return False
    ciphertext = len(raw) - 1 - 8 - 16 - 32
    return raw[:1] == b"\x80" and ciphertext > 0 and ciphertext % 16 == 0


def upgrade() -> None:
    with op.batch_alter_table("answer_parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sealed", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    parts = sa.table(
        "answer_parts",
        sa.column("id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("sealed", sa.Boolean),
    )
    connection = op.get_bind()
    candidates = connection.execute(
        sa.select(parts.c.id, parts.c.text).where(parts.c.text.like(PREFIX + "%"))
    )
    sealed = [part_id for part_id, value in candidates if _is_fernet_token(value)]
    for start in range(0, len(sealed), _BATCH):
        connection.execute(
            sa.update(parts)
            .where(parts.c.id.in_(sealed[start : start + _BATCH]))
            .values(sealed=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("answer_parts", schema=None) as batch_op:
        batch_op.drop_column("sealed")
