"""Where a respondent goes when their submission ends, when somebody else sent them.

A panel provider sends its members to the survey and wants them back with the outcome;
the provider's links belong to `integrations`, which respondents never imports. So an
app that sends respondents registers here (in its `AppConfig.ready`) a function that
returns the address to send an ended submission's respondent back to, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from respondents.models import Submission

ExitResolver = Callable[["Submission"], "str | None"]
_RESOLVERS: list[ExitResolver] = []


def register(resolver: ExitResolver) -> None:
    """Add `resolver`; registering the same function twice adds it once."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def exit_url(submission: Submission) -> str | None:
    """Return where the ended submission's respondent goes back to, or None to stay here."""
    for resolver in _RESOLVERS:
        url = resolver(submission)
        if url:
            return url
    return None
