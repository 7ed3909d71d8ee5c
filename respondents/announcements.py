"""Verdicts announced to the apps that subscribed, by an explicit call of the verdict's service.

The services that record a verdict or an over-quota ending call `announce` inside the
transaction that stores it. Each subscriber (integrations' webhooks subscribe in their
app's `ready`) writes what it needs in that same transaction, so it commits or rolls back
with the verdict, and acts outside the database only once it commits (an outbox: a
webhook delivery row is written with the verdict and sent by a task after the commit).
respondents never imports its subscribers (tests/test_layers.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from respondents.models import Submission
from surveys.models import Survey

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judged:
    """A verdict just recorded: "valid", "invalid" or "over_quota" for `submission`.

    `survey` is the submission's survey as the verdict's service read it; its
    `subscribers_version` was read with the locked submission.
    """

    submission: Submission
    event: str
    survey: Survey


Subscriber = Callable[[Judged], object]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Have `subscriber` called with every verdict recorded from now on (once, however
    often it subscribes)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def announce(submission: Submission, event: str, survey: Survey | None = None) -> None:
    """Tell every subscriber; a failing subscriber is logged and never fails the verdict.

    A subscriber that writes must do so in a savepoint of its own, so that its failure
    leaves the verdict's transaction usable.
    """
    judged = Judged(submission, str(event), survey if survey is not None else submission.survey)
    for subscriber in list(_subscribers):
        try:
            subscriber(judged)
        except Exception:
            logger.exception(
                "%s failed on submission %s (%s)", subscriber, submission.pk, judged.event
            )
