"""Test mode: links a field manager answers to try the survey, counted nowhere.

A test link is a respondent whose source is "test"; its submission carries `is_test`
from the start. It walks the same page services as every other respondent, meets the
same screening and quota checks, is validated by the same rules and announced to
webhooks (marked `"test": true`), but takes no quota place and moves no count: the
dashboard, the cells, the sample target, exports (unless asked for) and raking never
see it. `data_discard` deletes all of a survey's test data in one transaction.
See docs/decisions/0026-test-submissions-and-quota-places.md.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from audit import services as audit
from respondents.models import Respondent, Submission
from respondents.tokens import new_token
from surveys import schedule
from surveys.errors import SurveyError
from surveys.models import Survey

# At most this many test links in one go: a test is a handful of people, not a panel.
MAX_TEST_LINKS = 50


def links_make(survey: Survey, count: int, *, user=None, request=None) -> list[Respondent]:
    """Make `count` new test links for `survey`; return their respondents.

    Refused for a closed survey (its answers are read-only) and for a count outside
    1 to MAX_TEST_LINKS.
    """
    errors = []
    if not 1 <= count <= MAX_TEST_LINKS:
        errors.append(
            _("Make between 1 and %(most)d test links at a time.") % {"most": MAX_TEST_LINKS}
        )
    if schedule.phase(survey) == schedule.Phase.CLOSED:
        errors.append(_("The survey is closed: it takes no more answers, test ones included."))
    if errors:
        raise SurveyError(errors)
    with transaction.atomic():
        made = Respondent.objects.bulk_create(
            Respondent(survey=survey, token=new_token(), source=Respondent.Source.TEST)
            for _n in range(count)
        )
        audit.record(
            audit.Action.TEST_LINKS,
            user=user,
            request=request,
            survey=survey,
            target=survey.slug,
            details={"count": count},
        )
    return made


def links_of(survey: Survey) -> QuerySet[Respondent]:
    """Return the survey's test links, newest first, with their submissions."""
    return (
        Respondent.objects.filter(survey=survey, source=Respondent.Source.TEST)
        .select_related("submission")
        .order_by("-created", "-pk")
    )


def counts_of(survey: Survey) -> dict[str, int]:
    """Return how many test links the survey has, started, completed and valid."""
    links = Respondent.objects.filter(survey=survey, source=Respondent.Source.TEST).count()
    submissions = Submission.objects.filter(survey=survey, is_test=True).aggregate(
        started=Count("pk"),
        completed=Count("pk", filter=Q(status=Submission.Status.COMPLETED)),
        valid=Count("pk", filter=Q(verdict=Submission.Verdict.VALID)),
    )
    return {"links": links, **submissions}


def data_discard(survey: Survey, *, user=None, request=None) -> dict[str, int]:
    """Delete every test link of `survey` with its submission; return how many.

    One transaction, with its audit entry: before or after going live, and on a closed
    survey too (test data is not the survey's answers). Real respondents, their
    submissions and every count are left exactly as they were.
    """
    with transaction.atomic():
        links = Respondent.objects.filter(survey=survey, source=Respondent.Source.TEST)
        counts = {
            "links": links.count(),
            "submissions": Submission.objects.filter(survey=survey, is_test=True).count(),
        }
        # A submission is a test exactly when its respondent is one; both filters say so,
        # so that nothing real could be caught by either.
        Submission.objects.filter(survey=survey, is_test=True).delete()
        links.delete()
        audit.record(
            audit.Action.TEST_DATA_DISCARD,
            user=user,
            request=request,
            survey=survey,
            target=survey.slug,
            details=counts,
        )
    return counts
