"""The review queue: submissions quality control flagged, shown in the survey's language."""

from __future__ import annotations

from django.db.models import QuerySet

from respondents.models import Submission, Verdict
from respondents.quality import RULES
from surveys.models import Question, Survey


def rule_names() -> list[str]:
    return [rule.name for rule in RULES]


def flagged(survey: Survey, *, rule: str = "", cell: str = "") -> QuerySet[Submission]:
    """Return the survey's completed submissions that failed a quality rule."""
    submissions = survey.submissions.filter(status=Submission.Status.COMPLETED).exclude(
        qc_verdict__in=["", Verdict.VALID]
    )
    if rule in rule_names():
        submissions = submissions.filter(**{f"qc_results__{rule}__passed": False})
    if cell:
        submissions = submissions.filter(slots__cell__name=cell)
    return submissions.select_related("respondent").order_by("-ended")


def describe(survey: Survey, submissions) -> list[dict]:
    """Return each submission with its failed rules and its answers as labels."""
    questions = list(
        Question.objects.filter(survey=survey)
        .exclude(type=Question.Type.NOTE)
        .select_related("choice_list")
        .prefetch_related("rows", "choice_list__choices")
        .order_by("position")
    )
    labels_of = {question.pk: _labels(question, survey) for question in questions}
    items = []
    for submission in submissions:
        answers = {**submission.respondent.known, **submission.answers}
        rows = []
        for question in questions:
            labels = labels_of[question.pk]
            if question.type == Question.Type.GRID:
                for row in question.rows.all():
                    if row.variable in answers:
                        rows.append(
                            (
                                f"{survey.text(question.label)} — {survey.text(row.label)}",
                                labels.get(answers[row.variable], answers[row.variable]),
                            )
                        )
                continue
            if question.variable not in answers:
                continue
            value = answers[question.variable]
            if isinstance(value, list):
                shown = "; ".join(labels.get(v, v) for v in value)
            else:
                shown = labels.get(str(value), value)
            rows.append((survey.text(question.label), shown))
        items.append(
            {
                "submission": submission,
                "failed": [
                    (name, result["reason"])
                    for name, result in submission.qc_results.items()
                    if not result["passed"]
                ],
                "answers": rows,
            }
        )
    return items


def _labels(question: Question, survey: Survey) -> dict[str, str]:
    if question.choice_list is None:
        return {}
    return {
        choice.value: survey.text(choice.label) for choice in question.choice_list.choices.all()
    }
