"""The error a questionnaire write raises when it cannot be done."""

from fieldwork.errors import Refused


class SurveyError(Refused):
    """A write to a survey or its questionnaire was refused; `errors` lists every reason."""
