"""What management commands share: finding the survey they are asked about."""

from django.core.management.base import CommandError

from surveys.models import Survey


def survey_or_error(slug: str) -> Survey:
    """Return the survey `slug`, or stop the command saying there is none."""
    survey = Survey.objects.filter(slug=slug).first()
    if survey is None:
        raise CommandError(f"there is no survey '{slug}'")
    return survey
