"""CPU time of drawing one /recap picture (target: at most 150 ms).

    python -m bench.recap
    python -m bench.recap --rounds 50 --sample docs/recap-sample.png

Draws the sample eight weeks below (every kind of day, a pause week, a long note with an
emoji the font cannot draw, a Cyrillic name) in this process: first once cold (the font
found and loaded, as the bot's first picture after a start), then `--rounds` times warm, as
every later one. Prints the CPU time (`time.process_time`) of the cold one and the median,
p95 and maximum of the warm ones, and the PNG's size. `--sample PATH` also writes the
picture there (docs/recap-sample.png is made this way).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from bot.picture import draw
from nudges.recap import Counts, DayMark, RecapFacts, window

TODAY = date(2026, 11, 26)


def sample_facts() -> RecapFacts:
    """Eight weeks of a couple: mostly both answering, some quiet days, a pause week."""
    first, last = window(TODAY)
    rng = random.Random(2026)
    choices = [DayMark.BOTH] * 5 + [DayMark.ONE] * 2 + [DayMark.QUIET, DayMark.NONE]
    marks = {}
    day = first
    while day <= last:
        marks[day] = rng.choice(choices)
        day += timedelta(days=1)
    for n in range(7):  # the fourth week: paused
        marks[first + timedelta(weeks=3, days=n)] = DayMark.PAUSED
    return RecapFacts(
        today=TODAY,
        marks=marks,
        counts=Counts(both_showed_up=42, notes=17, plans=5),
        note=(
            "Thank you for making soup when I was ill 🍲 and for walking the dog in the rain "
            "every single morning this week. You're the best."
        ),
        note_from="Саша",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sample", type=Path, help="also write the picture here")
    args = parser.parse_args()
    facts = sample_facts()

    started = time.process_time()
    picture = draw(facts)
    cold = time.process_time() - started
    warm = []
    for _ in range(args.rounds):
        started = time.process_time()
        draw(facts)
        warm.append(time.process_time() - started)
    warm.sort()
    p95 = warm[min(len(warm) - 1, round(0.95 * (len(warm) - 1)))]
    print(f"picture {picture.size[0]}x{picture.size[1]}, {len(picture.png):,} bytes")
    print(f"cold (font loaded): {cold * 1000:.1f} ms CPU")
    print(
        f"warm, {args.rounds} rounds: median {statistics.median(warm) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {warm[-1] * 1000:.1f} ms CPU"
    )
    if args.sample is not None:
        args.sample.write_bytes(picture.png)
        print(f"wrote {args.sample}")


if __name__ == "__main__":
    main()
