"""Invite codes: unguessable, deep-link safe, stored only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

INVITE_LIFETIME = timedelta(hours=48)
WRONG_CODE_LIMIT = 5
WRONG_CODE_WINDOW = timedelta(hours=1)

_CODE_BYTES = 18  # 144 bits -> 24 characters of A-Za-z0-9_-
_CODE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{24}$")


def new_invite_code() -> str:
    """A fresh single-use code: 144 random bits, URL-safe, fits a deep link."""
    return secrets.token_urlsafe(_CODE_BYTES)


def looks_like_invite_code(text: str) -> bool:
    """True when `text` has the shape of a code this bot makes (not that it exists)."""
    return bool(_CODE_SHAPE.match(text))


def hash_invite_code(code: str) -> str:
    """What is stored instead of the code (SHA-256 hex; the code carries 144 random bits)."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


class JoinVerdict(StrEnum):
    """What happens when someone tries to join with a code."""

    OK = "ok"
    RATE_LIMITED = "rate_limited"
    ALREADY_PAIRED = "already_paired"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    OWN_CODE = "own_code"
    EXPIRED = "expired"
    USED = "used"
    INVITER_PAIRED = "inviter_paired"

    @property
    def counts_as_wrong_code(self) -> bool:
        """Guesses (codes that never existed) count towards the hourly limit."""
        return self in (JoinVerdict.MALFORMED, JoinVerdict.UNKNOWN)


@dataclass(frozen=True)
class InviteFacts:
    """What is known about the invite a code points to."""

    inviter_id: int
    expires_at: datetime
    used: bool
    revoked: bool
    inviter_paired: bool


def judge_join(
    *,
    code: str,
    joiner_id: int,
    joiner_paired: bool,
    recent_wrong_codes: int,
    invite: InviteFacts | None,
    now: datetime,
) -> JoinVerdict:
    """Whether `joiner_id` may join with `code`, and if not, why (first reason wins)."""
    if recent_wrong_codes >= WRONG_CODE_LIMIT:
        return JoinVerdict.RATE_LIMITED
    if joiner_paired:
        return JoinVerdict.ALREADY_PAIRED
    if not looks_like_invite_code(code):
        return JoinVerdict.MALFORMED
    if invite is None:
        return JoinVerdict.UNKNOWN
    if invite.inviter_id == joiner_id:
        return JoinVerdict.OWN_CODE
    if invite.used or invite.revoked:
        return JoinVerdict.USED
    if now >= invite.expires_at:
        return JoinVerdict.EXPIRED
    if invite.inviter_paired:
        return JoinVerdict.INVITER_PAIRED
    return JoinVerdict.OK
