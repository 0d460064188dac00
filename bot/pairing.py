"""Pairing: /invite, /join <code>, the deep link /start <code>, and /unpair."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot import keyboards, preferences, texts
from bot.chat import (
    language_of,
    redraw,
    send_now,
    sender_id,
    too_long_to_parse,
    update_language,
)
from bot.context import Context, services
from bot.i18n import say
from bot.keyboards import row_id
from bot.onboarding import ask_next_step
from bot.unit import Unit, unit_of_work
from nudges.invites import (
    INVITE_LIFETIME,
    WRONG_CODE_WINDOW,
    InviteFacts,
    JoinVerdict,
    hash_invite_code,
    judge_join,
    looks_like_invite_code,
    new_invite_code,
)
from storage import invites, pairs, users
from storage.models import OnboardingStep, User

log = logging.getLogger(__name__)


@unit_of_work
async def invite(unit: Unit[User]) -> None:
    """/invite, or the invite button: a fresh single-use code and its deep link."""
    query = unit.update.callback_query
    if query is not None:
        unit.then(query.answer)
    code = new_invite_code()
    user = unit.sender
    partner = await users.partner_of(session=unit.session, user=user)
    if partner is not None:
        unit.reply(texts.already_paired(partner.first_name))
        return
    await invites.create(
        session=unit.session,
        inviter_id=user.id,
        code_hash=hash_invite_code(code),
        now=unit.now,
        lifetime=INVITE_LIFETIME,
    )
    link = create_deep_linked_url(unit.services.bot_username, code)
    hours = int(INVITE_LIFETIME.total_seconds() // 3600)
    unit.reply(texts.invite_made(link, code, hours), keyboards.share_invite(link, unit.language))


async def join(update: Update, context: Context) -> None:
    """/join <code>."""
    if not context.args:
        await send_now(
            context, sender_id(update), texts.JOIN_USAGE, language=update_language(update)
        )
        return
    await _join_with(update, context, " ".join(context.args))


async def start_with_code(update: Update, context: Context) -> None:
    """/start <code>: what the deep link `t.me/<bot>?start=<code>` sends."""
    await _join_with(update, context, " ".join(context.args or []))


async def _join_with(update: Update, context: Context, code: str) -> None:
    if too_long_to_parse(code):  # no code is: not even counted as a guess
        await send_now(
            context, sender_id(update), texts.JOIN_MALFORMED, language=update_language(update)
        )
        return
    try:
        await _pair_by_code(update, context, code)
    except pairs.PairingRace:
        await send_now(
            context, sender_id(update), texts.JOIN_USED, language=update_language(update)
        )


@unit_of_work
async def _pair_by_code(unit: Unit[User], code: str) -> None:
    session, joiner, now = unit.session, unit.sender, unit.now
    inviter: User | None = None
    facts: InviteFacts | None = None
    found = None
    if looks_like_invite_code(code):
        found = await invites.find_by_hash(session=session, code_hash=hash_invite_code(code))
    if found is not None:
        inviter = await users.find(session=session, user_id=found.inviter_id)
        facts = InviteFacts(
            inviter_id=found.inviter_id,
            expires_at=found.expires_at,
            used=found.used_at is not None,
            revoked=found.revoked_at is not None,
            inviter_paired=inviter is not None and inviter.pair_id is not None,
        )
    verdict = judge_join(
        code=code,
        joiner_id=joiner.id,
        joiner_paired=joiner.pair_id is not None,
        recent_wrong_codes=await invites.count_wrong_codes_since(
            session=session, user_id=joiner.id, since=now - WRONG_CODE_WINDOW
        ),
        invite=facts,
        now=now,
    )
    if verdict.counts_as_wrong_code:
        await invites.record_wrong_code(session=session, user_id=joiner.id, now=now)
    if verdict == JoinVerdict.OK and found is not None and inviter is not None:
        if await invites.mark_used(session=session, invite=found, now=now):
            await pairs.form(session=session, inviter=inviter, joiner=joiner, now=now)
        else:
            verdict = JoinVerdict.USED
    partner = await users.partner_of(session=session, user=joiner)

    if verdict != JoinVerdict.OK or inviter is None:
        unit.reply(_refusal(verdict, inviter, partner))
        return
    unit.reply(texts.paired_with(inviter.first_name))
    unit.notify(inviter, texts.paired_with(joiner.first_name))
    # Where the two live: one tap, for both. A joiner still setting up is asked the next
    # onboarding question instead, and the inviter (set up already) gets the one tap.
    if joiner.onboarding_step == OnboardingStep.DONE:
        unit.reply(texts.ASK_LIVING, preferences.ask_living(unit.language))
    else:
        unit.notify(inviter, texts.ASK_LIVING, preferences.ask_living(language_of(inviter)))
        ask_next_step(unit)


async def forget_wrong_codes(context: Context) -> None:
    """The schedule's job: wrong codes older than the limit's window count no more, and
    are deleted (they outlive /delete, so nothing else removes them)."""
    now = services(context).clock()
    async with services(context).database.transaction() as session:
        forgotten = await invites.forget_wrong_codes(
            session=session, before=now - WRONG_CODE_WINDOW
        )
    if forgotten:
        log.debug("forgot %d wrong invite codes", forgotten)


def _refusal(verdict: JoinVerdict, inviter: User | None, partner: User | None) -> str:
    if verdict == JoinVerdict.ALREADY_PAIRED and partner is not None:
        return texts.already_paired(partner.first_name)
    if verdict == JoinVerdict.INVITER_PAIRED and inviter is not None:
        return texts.join_inviter_paired(inviter.first_name)
    return {
        JoinVerdict.RATE_LIMITED: texts.JOIN_RATE_LIMITED,
        JoinVerdict.MALFORMED: texts.JOIN_MALFORMED,
        JoinVerdict.UNKNOWN: texts.JOIN_UNKNOWN,
        JoinVerdict.OWN_CODE: texts.JOIN_OWN_CODE,
        JoinVerdict.EXPIRED: texts.JOIN_EXPIRED,
        JoinVerdict.USED: texts.JOIN_USED,
    }.get(verdict, texts.JOIN_UNKNOWN)


@unit_of_work
async def unpair(unit: Unit[User]) -> None:
    """/unpair: asks for a confirmation first."""
    user = unit.sender
    partner = await users.partner_of(session=unit.session, user=user)
    if partner is None or user.pair_id is None:
        unit.reply(texts.UNPAIR_NOT_PAIRED)
        return
    unit.reply(
        texts.unpair_confirm(partner.first_name),
        keyboards.confirm_unpair(user.pair_id, unit.language),
    )


async def unpair_button(update: Update, context: Context) -> None:
    """`unpair:yes:<pair id>` or `unpair:no`; a stale or forged button changes nothing."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    if query.data == "unpair:no":
        await query.answer()
        await redraw(query, say(texts.UNPAIR_KEPT, update_language(update)))
        return
    await _end_pair(update, context, row_id(query.data.removeprefix("unpair:yes:")))


@unit_of_work
async def _end_pair(unit: Unit[User], pair_id: int | None) -> None:
    query = unit.update.callback_query
    assert query is not None
    user = unit.sender
    if pair_id is None or user.pair_id != pair_id:
        members: list[User] = []
    else:
        members = await pairs.end(session=unit.session, pair_id=user.pair_id, now=unit.now)
    partner = next((member for member in members if member.id != user.id), None)
    if partner is None:
        unit.then(lambda: query.answer(unit.say(texts.BUTTON_EXPIRED), show_alert=True))
        return
    unit.then(query.answer)
    unit.then(lambda: redraw(query, unit.say(texts.unpaired(partner.first_name))))
    unit.notify(partner, texts.partner_unpaired(user.first_name))
