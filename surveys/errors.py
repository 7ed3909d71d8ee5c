"""The error a questionnaire write raises when it cannot be done."""


class SurveyError(Exception):
    """A write to a survey was refused; `errors` lists every reason, one line each."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))
