"""One router for plain messages: it reads the sender once and decides where a message goes.

A text from someone new or onboarding answers onboarding's question; a text while a pause
waits for its date is that date; a text while the weekly check-in waits for one answers it;
anything else answers the latest nudge (or the one replied to). No feature module needs to
know another's state.
"""

from __future__ import annotations

from bot import answers, checkin, onboarding, pause
from bot.unit import Unit, unit_of_work_if_known
from storage.checkins import AWAITING_CHECKIN
from storage.models import OnboardingStep, User


@unit_of_work_if_known
async def on_plain_message(unit: Unit[User | None]) -> None:
    """A new private message that is no command and no location."""
    message = unit.update.effective_message
    if message is None:
        return
    known, text = unit.sender, message.text
    if text is not None and known is None:
        await onboarding.take_text(await unit.found_or_created(), text)
    elif text is not None and known is not None and known.onboarding_step != OnboardingStep.DONE:
        await onboarding.take_text(unit.with_sender(known), text)
    elif text is not None and known is not None and known.awaiting == pause.AWAITING_DATE:
        await pause.take_awaited_date(await unit.found_or_created(), text)
    elif text is not None and known is not None and known.awaiting == AWAITING_CHECKIN:
        await checkin.take_text(await unit.found_or_created(), message, text)
    else:
        await answers.take_message(unit, message)
