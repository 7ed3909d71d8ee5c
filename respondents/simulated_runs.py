"""What sets one run of the fieldwork simulation apart: when its interviews happen, and
the panel ids of its respondents.

A simulated interview takes place at a moment drawn from the fieldwork window (the part of
it already gone), not when the simulation runs: the invitation, the start, each page, the
end, a verdict given at once and the day the interview counts on all follow that moment.
They follow it because the services read Django's clock (`timezone.now`), which
`SimulatedClock` replaces for the length of one interview, advancing it by each page's
time; no service takes a clock argument that only a simulation would use. The clock is
the process's, so a simulation runs in a process of its own (a management command, a
test), never in a web server's, and two simulations run side by side as two processes.

Each run also has its own panel ids (`sim-<run>-<number>`), so simulations started side
by side on one survey never claim the same id.
"""

from __future__ import annotations

import datetime
import random
import secrets
from dataclasses import dataclass

from django.utils import timezone

from respondents.models import Respondent
from surveys.models import Survey

PANEL_PREFIX = "sim-"
# An interview drawn near the window's end still ends inside it (and not in the future).
LONGEST_INTERVIEW = datetime.timedelta(hours=1)
WITHOUT_DATES = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """The span simulated interviews start in (aware datetimes)."""

    start: datetime.datetime
    end: datetime.datetime


def fieldwork_window(
    survey: Survey,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    *,
    now: datetime.datetime | None = None,
) -> Window:
    """Return the span in which `survey`'s simulated interviews start.

    The fieldwork dates given (`end` None: open), else the survey's, from the first day's
    midnight (in the project's time zone) to the end of the last day or now, whichever
    comes first, less
    the longest interview, so that every interview ends inside the window and in the past.
    A survey without dates: the last day. Raise ValueError if no time of the window has
    gone yet.
    """
    now = now or timezone.now()
    if start is None:
        start, end = survey.fieldwork_start, survey.fieldwork_end
    if start is None:
        return Window(now - WITHOUT_DATES, now - LONGEST_INTERVIEW)
    if end is not None and end < start:
        raise ValueError(f"the fieldwork window ends ({end}) before it starts ({start})")
    zone = timezone.get_current_timezone()
    begins = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min), zone)
    ends = now
    if end is not None:
        after = end + datetime.timedelta(days=1)
        midnight = datetime.datetime.combine(after, datetime.time.min)
        ends = min(now, timezone.make_aware(midnight, zone))
    span = ends - begins
    if span <= datetime.timedelta(0):
        raise ValueError(f"the fieldwork window starts on {start}: none of it has gone yet")
    return Window(begins, ends - min(LONGEST_INTERVIEW, span / 2))


def start_moments(rng: random.Random, count: int, window: Window) -> list[datetime.datetime]:
    """Return `count` moments spread at random over `window`, earliest first."""
    seconds = (window.end - window.start).total_seconds()
    return sorted(
        window.start + datetime.timedelta(seconds=rng.uniform(0, seconds)) for _ in range(count)
    )


class SimulatedClock:
    """Django's clock, stopped at a moment of the simulation's choosing and moved on by it.

    Used as a context manager: inside it `timezone.now()` returns `moment`, which
    `advance` moves forward; leaving it puts the real clock back.
    """

    def __init__(self, moment: datetime.datetime) -> None:
        self.moment = moment
        self._real = None

    def now(self) -> datetime.datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += datetime.timedelta(seconds=seconds)

    def __enter__(self) -> SimulatedClock:
        if timezone.now is not _real_now:
            raise RuntimeError("a simulated clock is already running in this process")
        self._real = timezone.now
        timezone.now = self.now
        return self

    def __exit__(self, *exc) -> None:
        timezone.now = self._real


_real_now = timezone.now


def run_prefix() -> str:
    """Return a panel-id prefix no simulated respondent of any survey has yet.

    Drawn from the operating system's randomness, not the run's seed: a run repeated with
    its seed answers the same way, under ids of its own.
    """
    while True:
        prefix = f"{PANEL_PREFIX}{secrets.token_hex(4)}-"
        if not Respondent.objects.filter(panel_id__startswith=prefix).exists():
            return prefix
