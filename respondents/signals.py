"""Signals respondents sends, so other apps can react without respondents knowing them."""

from __future__ import annotations

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent inside the transaction that stores a verdict or an over-quota ending, with
# `submission`, `event` ("valid", "invalid" or "over_quota") and `survey` (the
# submission's survey as the sender read it for this request or task: its `updated`
# names its version); a receiver that acts outside the database defers that with
# transaction.on_commit.
submission_judged = Signal()


def judged(submission, event: str, survey=None) -> None:
    """Announce that `submission` was judged; a failing receiver never fails the caller."""
    from respondents.models import Submission

    for receiver, result in submission_judged.send_robust(
        sender=Submission,
        submission=submission,
        event=event,
        survey=survey if survey is not None else submission.survey,
    ):
        if isinstance(result, Exception):
            logger.error(
                "%s failed on submission %s (%s)",
                receiver,
                submission.pk,
                event,
                exc_info=(type(result), result, result.__traceback__),
            )
