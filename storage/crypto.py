"""Optional encryption at rest for answer texts and captions (Fernet: AES with HMAC).

With `ANSWER_ENCRYPTION_KEY` set, every answer text is stored as `enc1:<Fernet token>` and
opened only when read. Rows written before the key was set stay readable as they are
until `python -m bot encrypt-existing` seals them.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Text, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.db import Database

PREFIX = "enc1:"


class EncryptionKeyError(Exception):
    """The key is missing, malformed, or not the one the stored answers were sealed with."""


class _Keyring:
    cipher: Fernet | None = None


_keyring = _Keyring()


def configure(key: str | None) -> None:
    """Sets (or clears) the process's answer key. Raises EncryptionKeyError if malformed."""
    if key is None:
        _keyring.cipher = None
        return
    try:
        _keyring.cipher = Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        raise EncryptionKeyError("ANSWER_ENCRYPTION_KEY is not a valid Fernet key") from error


def seal(value: str) -> str:
    if _keyring.cipher is None or value.startswith(PREFIX):
        return value
    return PREFIX + _keyring.cipher.encrypt(value.encode("utf-8")).decode("ascii")


def unseal(value: str) -> str:
    if not value.startswith(PREFIX):
        return value
    if _keyring.cipher is None:
        raise EncryptionKeyError("answers are encrypted, but ANSWER_ENCRYPTION_KEY is not set")
    try:
        return _keyring.cipher.decrypt(value.removeprefix(PREFIX).encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise EncryptionKeyError(
            "ANSWER_ENCRYPTION_KEY does not open the stored answers"
        ) from error


class SealedText(TypeDecorator[str]):
    """Text sealed with the answer key when one is configured."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else unseal(value)


async def check_key_opens_answers(database: Database) -> None:
    """Fails with EncryptionKeyError, at start-up, if the key cannot open a stored answer."""
    async with database.engine.connect() as connection:
        sample = await connection.execute(
            text("SELECT text FROM answer_parts WHERE text LIKE :prefix LIMIT 1"),
            {"prefix": PREFIX + "%"},
        )
        row = sample.first()
    if row is not None:
        unseal(row[0])


async def encrypt_existing(database: Database) -> int:
    """Seals every answer text still stored in the clear; returns how many."""
    if _keyring.cipher is None:
        raise EncryptionKeyError("set ANSWER_ENCRYPTION_KEY first")
    async with database.engine.begin() as connection:
        rows = await connection.execute(
            text("SELECT id, text FROM answer_parts WHERE text IS NOT NULL AND text NOT LIKE :p"),
            {"p": PREFIX + "%"},
        )
        clear = rows.all()
        for row_id, value in clear:
            await connection.execute(
                text("UPDATE answer_parts SET text = :sealed WHERE id = :id"),
                {"sealed": seal(value), "id": row_id},
            )
    return len(clear)
