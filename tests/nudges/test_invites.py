from datetime import UTC, datetime, timedelta

import pytest

from nudges.invites import (
    InviteFacts,
    JoinVerdict,
    hash_invite_code,
    judge_join,
    looks_like_invite_code,
    new_invite_code,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CODE = "A" * 24


def facts(**changes: object) -> InviteFacts:
    values: dict[str, object] = {
        "inviter_id": 1,
        "expires_at": NOW + timedelta(hours=1),
        "used": False,
        "revoked": False,
        "inviter_paired": False,
    }
    values.update(changes)
    return InviteFacts(**values)  # type: ignore[arg-type]


def verdict(**changes: object) -> JoinVerdict:
    values: dict[str, object] = {
        "code": CODE,
        "joiner_id": 2,
        "joiner_paired": False,
        "recent_wrong_codes": 0,
        "invite": facts(),
        "now": NOW,
    }
    values.update(changes)
    return judge_join(**values)  # type: ignore[arg-type]


def test_codes_are_deep_link_safe_unguessable_and_distinct() -> None:
    codes = {new_invite_code() for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        assert looks_like_invite_code(code)
        assert len(code) == 24  # 144 bits in base64url


def test_only_the_hash_is_stored_and_it_is_stable() -> None:
    code = new_invite_code()
    assert hash_invite_code(code) == hash_invite_code(code)
    assert code not in hash_invite_code(code)
    assert len(hash_invite_code(code)) == 64


@pytest.mark.parametrize("text", ["", "abc", "A" * 23, "A" * 25, "A" * 23 + "!", "А" * 24])
def test_malformed_codes_are_recognised(text: str) -> None:
    assert not looks_like_invite_code(text)


def test_a_good_code_joins() -> None:
    assert verdict() == JoinVerdict.OK


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"recent_wrong_codes": 5}, JoinVerdict.RATE_LIMITED),
        ({"joiner_paired": True}, JoinVerdict.ALREADY_PAIRED),
        ({"code": "not a code"}, JoinVerdict.MALFORMED),
        ({"invite": None}, JoinVerdict.UNKNOWN),
        ({"joiner_id": 1}, JoinVerdict.OWN_CODE),
        ({"invite": facts(used=True)}, JoinVerdict.USED),
        ({"invite": facts(revoked=True)}, JoinVerdict.USED),
        ({"invite": facts(expires_at=NOW)}, JoinVerdict.EXPIRED),
        ({"invite": facts(inviter_paired=True)}, JoinVerdict.INVITER_PAIRED),
    ],
)
def test_each_refusal_has_its_reason(changes: dict[str, object], expected: JoinVerdict) -> None:
    assert verdict(**changes) == expected


def test_four_wrong_codes_still_allow_a_fifth_try_but_five_do_not() -> None:
    assert verdict(recent_wrong_codes=4) == JoinVerdict.OK
    assert verdict(recent_wrong_codes=5) == JoinVerdict.RATE_LIMITED


def test_only_guesses_count_as_wrong_codes() -> None:
    assert JoinVerdict.UNKNOWN.counts_as_wrong_code
    assert JoinVerdict.MALFORMED.counts_as_wrong_code
    assert not JoinVerdict.EXPIRED.counts_as_wrong_code
    assert not JoinVerdict.OWN_CODE.counts_as_wrong_code
