"""The project's one error type: a service refused what it was asked to do.

Services raise `Refused` (or a subclass naming the case, such as
`respondents.verdicts.CellFull` or `surveys.errors.SurveyError`) with every reason, one
line each, written for the person who asked; views, commands and the API catch `Refused`
and show the reasons. Anything else that escapes a service is a fault, not a refusal.
"""

from __future__ import annotations


class Refused(Exception):
    """A request a service would not carry out; `errors` lists every reason, one line each."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))
