"""Couplet's Telegram side."""

import os

# Opt in to python-telegram-bot's timedelta API for durations now (it becomes the default in
# the next major version); bot/pacing.py reads `RetryAfter.retry_after` either way.
os.environ.setdefault("PTB_TIMEDELTA", "1")
