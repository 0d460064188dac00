"""Optional encryption at rest for answer texts and captions (Fernet: AES with HMAC).

With `ANSWER_ENCRYPTION_KEY` set, every answer text is stored sealed: `enc1:<Fernet token>`
in `answer_parts.text`, and `answer_parts.sealed` true; a check-in's two free texts the same
way (`SEALED_COLUMNS` lists every such column and its flag). Whether a value is sealed is
read from its flag only, which no user writes: a user may well type `enc1:…` themselves.

The key may be a comma-separated list: the first key seals, every key is tried to open
(MultiFernet), so a key is rotated by putting the new one first and running
`python -m bot rotate-key`, which re-seals every sealed column under it (`rotate`).

This module is the one place that seals (`stored_form`) and opens (`text_of`) an answer. A
sealed value that no configured key opens is a problem of that one row: `text_of` logs its
id (never its content) and returns `UNREADABLE`; the bot shows a line saying so.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Final, Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import AnswerPart, Checkin

log = logging.getLogger(__name__)

PREFIX = "enc1:"
SAMPLE = 20  # the latest sealed values of each column start-up tries the key on
BATCH = 500  # rows re-sealed per transaction by `rotate`


class EncryptionKeyError(Exception):
    """The key is missing, malformed, or not the one the stored answers were sealed with."""


class Unreadable(Enum):
    """A sealed answer that no configured key opens."""

    ANSWER = "unreadable"


UNREADABLE: Final = Unreadable.ANSWER


@dataclass
class _Keyring:
    keys: list[Fernet] = field(default_factory=list)
    cipher: MultiFernet | None = None


_keyring = _Keyring()


def parse_keys(value: str) -> list[Fernet]:
    """The Fernet keys of a comma-separated list (spaces around commas are fine). Raises
    EncryptionKeyError naming the position of a malformed one (never the key itself)."""
    entries = [entry.strip() for entry in value.split(",")]
    keys = []
    for position, entry in enumerate(entries, start=1):
        try:
            keys.append(Fernet(entry.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            problem = "is empty" if not entry else "is not a valid key"
            if len(entries) == 1:
                raise EncryptionKeyError(f"ANSWER_ENCRYPTION_KEY {problem}") from None
            raise EncryptionKeyError(
                f"ANSWER_ENCRYPTION_KEY: key {position} of {len(entries)} {problem}"
            ) from None
    return keys


def configure(value: str | None) -> None:
    """Sets (or clears) the process's answer keys. Raises EncryptionKeyError if malformed."""
    if value is None:
        _keyring.keys, _keyring.cipher = [], None
        return
    keys = parse_keys(value)
    _keyring.keys, _keyring.cipher = keys, MultiFernet(keys)


def stored_form(value: str | None) -> tuple[str | None, bool]:
    """What to store for an answer text, and whether it is sealed: sealed with the first
    key when one is configured, else as it is."""
    if value is None or _keyring.cipher is None:
        return value, False
    return PREFIX + _keyring.cipher.encrypt(value.encode("utf-8")).decode("ascii"), True


def _open(stored: str) -> str:
    """The text of a sealed value; raises InvalidToken if no configured key opens it."""
    if _keyring.cipher is None or not stored.startswith(PREFIX):
        raise InvalidToken
    return _keyring.cipher.decrypt(_token(stored)).decode("utf-8")


def _token(stored: str) -> bytes:
    """The Fernet token in a sealed value (`enc1:<token>`)."""
    return stored.removeprefix(PREFIX).encode("ascii", errors="replace")


def _opens(key: Fernet, token: bytes) -> bool:
    try:
        key.decrypt(token)
    except InvalidToken:
        return False
    return True


def text_of(part: AnswerPart) -> str | Literal[Unreadable.ANSWER] | None:
    """The words of an answer part as its author wrote them (None for media without a
    caption), or UNREADABLE if it is sealed and no configured key opens it."""
    return opened(part.text, sealed=part.sealed, what=f"answer part {part.id}")


def opened(
    stored: str | None, *, sealed: bool, what: str
) -> str | Literal[Unreadable.ANSWER] | None:
    """Any stored answer text (an answer part's, a check-in's) as written, or UNREADABLE if
    it is sealed and no configured key opens it (`what` names the row in the log)."""
    if not sealed or stored is None:
        return stored
    try:
        return _open(stored)
    except (InvalidToken, UnicodeDecodeError):
        log.warning("%s is sealed and no configured key opens it", what)
        return UNREADABLE


_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def looks_like_a_token(stored: str) -> bool:
    """Whether `stored` is `enc1:` and structurally a Fernet token: urlsafe base64 of the
    version byte 0x80, an 8-byte time, a 16-byte IV, ciphertext a positive multiple of 16
    bytes, and a 32-byte HMAC. (A copy of this check is frozen in migration 0007.)"""
    token = stored.removeprefix(PREFIX)
    if token == stored or len(token) % 4 or not _TOKEN_TEXT.fullmatch(token):
        return False
    try:
        raw = base64.urlsafe_b64decode(token)
    except (binascii.Error, ValueError):
        return False
    ciphertext = len(raw) - 1 - 8 - 16 - 32
    return raw[:1] == b"\x80" and ciphertext > 0 and ciphertext % 16 == 0


@dataclass(frozen=True)
class SealedColumn:
    """A text column stored sealed when its flag column says so."""

    model: type[AnswerPart] | type[Checkin]
    text: str  # the attribute holding the text (sealed or not)
    sealed: str  # the attribute saying whether it is sealed
    name: str  # one row of it, in logs and reports ("{id}": the row's id)
    plural: str  # its values, in start-up's refusal

    def name_of(self, row_id: int) -> str:
        return self.name.format(id=row_id)

    def columns(self) -> tuple[Mapped[int | None], Mapped[str | None], Mapped[bool]]:
        """The id, text and flag columns, for queries."""
        return (
            col(self.model.id),
            col(getattr(self.model, self.text)),
            col(getattr(self.model, self.sealed)),
        )


SEALED_COLUMNS: Final = (
    SealedColumn(AnswerPart, "text", "sealed", "answer part {id}", "answers"),
    SealedColumn(
        Checkin, "appreciated", "appreciated_sealed", "check-in {id} (appreciated)", "check-ins"
    ),
    SealedColumn(Checkin, "more_of", "more_of_sealed", "check-in {id} (more_of)", "check-ins"),
)


async def check_key_opens_answers(database: Database) -> None:
    """At start-up: fails with EncryptionKeyError if anything is sealed and no key is set,
    or if, in some sealed column, the key opens none of the latest sealed values. Only
    values that are structurally Fernet tokens count: a row damaged into something else is
    that row's problem (shown as unreadable), never a reason to stop."""
    async with database.transaction() as session:
        latest = [(column, await _latest_sealed(session, column)) for column in SEALED_COLUMNS]
    samples = [(column, sample) for column, sample in latest if sample]
    if not samples:
        return
    if _keyring.cipher is None:
        raise EncryptionKeyError("answers are encrypted, but ANSWER_ENCRYPTION_KEY is not set")
    unopened = []
    for column, sample in samples:
        names = [column.name_of(row_id) for row_id, value in sample if not _opens_any(value)]
        if len(names) == len(sample):
            raise EncryptionKeyError(
                f"ANSWER_ENCRYPTION_KEY does not open the stored {column.plural}"
            )
        unopened += names
    if unopened:
        log.warning("no configured key opens %s", _listed(unopened))


async def _latest_sealed(session: AsyncSession, column: SealedColumn) -> list[tuple[int, str]]:
    """The column's latest `SAMPLE` sealed values that are structurally Fernet tokens."""
    id_, text, sealed = column.columns()
    result = await session.exec(
        select(id_, text).where(sealed, text.is_not(None)).order_by(id_.desc()).limit(SAMPLE)
    )
    return [(row_id, value) for row_id, value in result if looks_like_a_token(value or "")]


def _opens_any(stored: str) -> bool:
    try:
        _open(stored)
    except (InvalidToken, UnicodeDecodeError):
        return False
    return True


@dataclass
class Rotation:
    """What `rotate` did over every sealed column: values re-sealed under the first key,
    values sealed that were stored in the clear, and the sealed values no key opens (left as
    they are), named by row and column ("answer part 12", "check-in 3 (appreciated)")."""

    resealed: int = 0
    sealed_from_clear: int = 0
    unreadable: list[str] = field(default_factory=list)

    @property
    def touched(self) -> int:
        return self.resealed + self.sealed_from_clear


async def rotate(
    database: Database, *, batch_size: int = BATCH, batches: int | None = None
) -> Rotation:
    """Re-seals every sealed value of every column in `SEALED_COLUMNS` under the first key
    and seals those stored in the clear: column after column, `batch_size` rows per
    transaction in id order (`batches`: stop after that many transactions in all).

    Resumable: a value the first key already opens is skipped, so a run stopped half-way
    (a crash, or `batches`) continues where it left off when run again, and a second full
    run touches nothing. A value written meanwhile by the running bot is left to it: each
    update applies only if the row still holds what was read."""
    if _keyring.cipher is None or not _keyring.keys:
        raise EncryptionKeyError("set ANSWER_ENCRYPTION_KEY first")
    report = Rotation()
    left = batches
    for column in SEALED_COLUMNS:
        after: int | None = 0
        while after is not None and (left is None or left > 0):
            async with database.transaction() as session:
                after = await _rotate_batch(session, column, after, batch_size, report)
            if after is not None and left is not None:
                left -= 1
    if report.unreadable:
        log.warning("no configured key opens %s", _listed(report.unreadable))
    return report


async def _rotate_batch(
    session: AsyncSession, column: SealedColumn, after: int, size: int, report: Rotation
) -> int | None:
    """Re-seals (or seals) the column's next `size` values after row `after`, counting in
    `report`; the last row id it read, or None when none was left."""
    assert _keyring.cipher is not None
    first, cipher = _keyring.keys[0], _keyring.cipher
    id_, text, sealed = column.columns()
    result = await session.exec(
        select(id_, text, sealed).where(id_ > after, text.is_not(None)).order_by(id_).limit(size)
    )
    rows = list(result)
    for row_id, value, is_sealed in rows:
        assert row_id is not None and value is not None
        if not is_sealed:
            new_value, _ = stored_form(value)
            report.sealed_from_clear += await _replace(session, column, row_id, value, new_value)
            continue
        token = _token(value)
        if _opens(first, token):
            continue  # already under the first key
        try:
            new_value = PREFIX + cipher.rotate(token).decode("ascii")
        except InvalidToken:
            report.unreadable.append(column.name_of(row_id))
            continue
        report.resealed += await _replace(session, column, row_id, value, new_value)
    return rows[-1][0] if rows else None


async def _replace(
    session: AsyncSession, column: SealedColumn, row_id: int, old: str, new: str | None
) -> int:
    """Writes `new` (sealed) over `old` if the row still holds `old`; 1 if it did."""
    id_, text, _ = column.columns()
    result = await session.exec(
        update(column.model)
        .where(id_ == row_id, text == old)
        .values({column.text: new, column.sealed: True})
    )
    return int(result.rowcount)


def _listed(names: Sequence[str], shown: int = 50) -> str:
    listed = ", ".join(names[:shown])
    return listed + (f" and {len(names) - shown} more" if len(names) > shown else "")
