"""regex() in linear time: a pattern catastrophic for backtracking, against a plain one.

Both patterns run through the expression evaluator respondents' answers go through
(`surveys.expressions.Evaluator`, RE2 underneath), on the same answer of 50,000 a's and
a '!', in the same run: the ratio says what the catastrophic pattern costs beyond an
ordinary one; '^(a+)+$' (anchored at both ends) makes RE2 read the whole answer. Target:
milliseconds, also on an answer ten times longer. For
scale, it also times Python's backtracking `re` on the same pattern with 20 to 24 a's,
where every added letter doubles the time (at 50,000 it would not end).

    .venv/bin/python bench/regex_linear.py [--length 50000] [--rounds 200]

Needs nothing but the virtual environment.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATASTROPHIC = "regex(., '(a+)+$')"
# Anchored at both ends, so RE2 cannot answer from the end of the text: it reads it all.
ANCHORED = "regex(., '^(a+)+$')"
PLAIN = "regex(., '^[a!]+$')"


def per_call(evaluator, expression: str, answer: str, rounds: int) -> float:
    """Return the median seconds of one evaluation over `rounds` (parsing cached)."""
    evaluator.holds(expression, current=answer)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        evaluator.holds(expression, current=answer)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--length", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldwork.settings")
    import django

    django.setup()
    from surveys.expressions import Evaluator

    evaluator = Evaluator({})
    answer = "a" * args.length + "!"
    assert evaluator.holds(CATASTROPHIC, current=answer) is False
    assert evaluator.holds(PLAIN, current=answer) is True
    catastrophic = per_call(evaluator, CATASTROPHIC, answer, args.rounds)
    plain = per_call(evaluator, PLAIN, answer, args.rounds)
    anchored = per_call(evaluator, ANCHORED, answer, args.rounds)
    ten_times = per_call(evaluator, ANCHORED, "a" * args.length * 10 + "!", args.rounds // 10)
    print(f"answer: {args.length:,} a's and '!'; median of {args.rounds} evaluations")
    print(f"RE2, plain '^[a!]+$':        {plain * 1000:8.3f} ms")
    print(f"RE2, catastrophic '(a+)+$':  {catastrophic * 1000:8.3f} ms")
    print(f"RE2, catastrophic '^(a+)+$': {anchored * 1000:8.3f} ms")
    print(f"ratio catastrophic / plain:  {catastrophic / plain:8.2f}")
    print(f"ratio '^(a+)+$' / plain:     {anchored / plain:8.2f}")
    print(
        f"RE2, '^(a+)+$', answer 10 times longer: {ten_times * 1000:.3f} ms "
        f"({ten_times / anchored:.1f} times)"
    )
    pattern = re.compile("(a+)+$")
    for n in (20, 22, 24):
        start = time.perf_counter()
        pattern.search("a" * n + "!")
        elapsed = (time.perf_counter() - start) * 1000
        print(f"Python re, backtracking, {n} a's and '!': {elapsed:10.1f} ms")


if __name__ == "__main__":
    main()
