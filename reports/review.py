"""The review queue: submissions quality control flagged, shown in the survey's language."""

from __future__ import annotations

import re

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from respondents.models import Submission, Verdict, VerdictOverride
from respondents.quality import RULES
from respondents.selectors import submissions_matching
from surveys.models import Survey
from surveys.questionnaire import Question, Questionnaire, Type, questionnaire_of


def rule_names() -> list[str]:
    return [rule.name for rule in RULES]


def flagged(survey: Survey, *, rule: str = "", cell: str = "") -> QuerySet[Submission]:
    """Return the survey's completed submissions that failed a quality rule."""
    submissions = submissions_matching(
        survey, status=Submission.Status.COMPLETED, cell=cell
    ).exclude(qc_verdict__in=["", Verdict.VALID])
    if rule in rule_names():
        submissions = submissions.filter(**{f"qc_results__{rule}__passed": False})
    overrides = VerdictOverride.objects.select_related("user").order_by("created")
    return (
        submissions.select_related("respondent")
        .prefetch_related(Prefetch("overrides", queryset=overrides))
        .order_by("-ended")
    )


def describe(survey: Survey, submissions, language: str | None = None) -> list[dict]:
    """Return each submission with its failed rules as sentences, the last verdict a
    person set (who, when, why), and its answers as labels in `language`."""
    questionnaire = questionnaire_of(survey)
    language = language if language in questionnaire.languages else questionnaire.default_language
    text = lambda value: questionnaire.text(value, language)  # noqa: E731
    labels_of = {q.variable: _labels(q, questionnaire, language) for q in questionnaire.questions()}
    items = []
    for submission in submissions:
        answers = {**submission.respondent.known, **submission.answers}
        rows = []
        for question in questionnaire.questions():
            labels = labels_of[question.variable]
            if question.type == Type.GRID:
                for row in question.rows:
                    if row.variable in answers:
                        rows.append(
                            (
                                f"{text(question.label)} — {text(row.label)}",
                                labels.get(answers[row.variable], answers[row.variable]),
                            )
                        )
                continue
            if not question.answer_names or question.variable not in answers:
                continue
            value = answers[question.variable]
            if isinstance(value, list):
                shown = "; ".join(labels.get(v, v) for v in value)
            else:
                shown = labels.get(str(value), value)
            rows.append((text(question.label), shown))
        items.append(
            {
                "submission": submission,
                "failed": [
                    (name, reason_sentence(name, result["reason"], questionnaire, language))
                    for name, result in submission.qc_results.items()
                    if not result["passed"]
                ],
                "override": (list(submission.overrides.all()) or [None])[-1],
                "answers": rows,
            }
        )
    return items


def _labels(question: Question, questionnaire: Questionnaire, language: str) -> dict[str, str]:
    """Return each of the question's choice values with its text in `language`."""
    return {choice.value: questionnaire.text(choice.label, language) for choice in question.choices}


# The reasons quality control stores (respondents.quality), read back as sentences.
SPEEDER = re.compile(r"^(?P<seconds>\d+) s, under (?P<share>\d+)% of the median (?P<median>\d+) s$")
STRAIGHT = re.compile(r"^'(?P<value>.*)' in all (?P<rows>\d+) rows of (?P<variable>\S+)$")
FAILS = re.compile(r"^(?P<variable>\S+) = (?P<answer>'.*'|\S+) fails (?P<condition>.+)$")
EXPECTED = re.compile(r"^\. = '(?P<value>[^']*)'$")
MISSING = re.compile(r"^(?P<variable>\S+) is missing$")
DUPLICATE = re.compile(r"^same person as submission (?P<id>\d+)$")
GIBBERISH = re.compile(r"^(?P<variable>[^:\s]+): (?P<why>[^(]+) \((?P<text>.*)\)$")
OVERLAP = re.compile(
    r"^overlaps submission (?P<id>\d+) by the same interviewer by (?P<minutes>\d+) min$"
)
PACE = re.compile(
    r"^one of (?P<n>\d+) interviews by the same interviewer each starting at most "
    r"(?P<gap>\d+) min after the last ended, (?P<start>\S+) UTC to (?P<end>\S+) UTC$"
)
PATTERN = re.compile(
    r"^(?P<same>\d+) of (?P<shared>\d+) answers as in submission (?P<id>\d+) by the same "
    r"interviewer$"
)
SHORT = re.compile(
    r"^the interviewer's median interview (?P<mine>\d+) min, under (?P<share>\d+)% of the "
    r"other interviewers' (?P<theirs>\d+) min$"
)
GIBBERISH_WHY = {
    "empty": lambda: _("it is empty"),
    "no words": lambda: _("it has no words"),
    "one character repeated": lambda: _("it is one character repeated"),
    "characters repeated": lambda: _("it is characters repeated"),
    "keys typed along the keyboard": lambda: _("it is keys typed along the keyboard"),
    "letters that make no word": lambda: _("its letters make no word"),
}


def _minutes(seconds: int) -> str:
    return _("%(m)d min %(s)02d s") % {"m": seconds // 60, "s": seconds % 60}


def reason_sentence(rule: str, reason: str, questionnaire: Questionnaire, language: str) -> str:
    """Return a quality rule's stored reason as a sentence naming questions and answers
    by their texts in `language`; a reason of an unknown shape as it was stored."""

    def labels(question: Question | None) -> dict[str, str]:
        return {} if question is None else _labels(question, questionnaire, language)

    def question_text(variable: str) -> str:
        question = questionnaire.question_of(variable)
        if question is None:
            return variable
        text = questionnaire.text(question.label, language)
        if question.type == Type.GRID:
            row = next((r for r in question.rows if r.variable == variable), None)
            if row is not None:
                text = f"{text} — {questionnaire.text(row.label, language)}"
        return text

    def answer_text(variable: str, value: str) -> str:
        value = value[1:-1] if value[:1] == value[-1:] == "'" else value
        return labels(questionnaire.question_of(variable)).get(value, value)

    if rule == "speeder" and (match := SPEEDER.match(reason)):
        return _("The interview took %(took)s, under %(share)s%% of the median (%(median)s).") % {
            "took": _minutes(int(match["seconds"])),
            "share": match["share"],
            "median": _minutes(int(match["median"])),
        }
    if rule == "straightliner" and (match := STRAIGHT.match(reason)):
        grid = questionnaire.question_of(match["variable"])
        if grid is None:  # the reason names the grid, whose rows hold the answers
            grid = next(
                (q for q in questionnaire.questions() if q.variable == match["variable"]), None
            )
        value = labels(grid).get(match["value"], match["value"])
        return _("The same answer, “%(answer)s”, in all %(rows)s rows of “%(question)s”.") % {
            "answer": value or match["value"],
            "rows": match["rows"],
            "question": questionnaire.text(grid.label, language) if grid else match["variable"],
        }
    if rule in ("attention", "screening") and (match := FAILS.match(reason)):
        variable = match["variable"]
        given = answer_text(variable, match["answer"])
        expected = EXPECTED.match(match["condition"].strip())
        if rule == "attention" and expected:
            return _(
                "The attention check “%(question)s” was answered “%(given)s” instead of"
                " “%(expected)s”."
            ) % {
                "question": question_text(variable),
                "given": given,
                "expected": answer_text(variable, expected["value"]),
            }
        if rule == "attention":
            return _("The attention check “%(question)s” was answered wrongly (“%(given)s”).") % {
                "question": question_text(variable),
                "given": given,
            }
        return _("The answer “%(given)s” to “%(question)s” is outside the survey's range.") % {
            "question": question_text(variable),
            "given": given,
        }
    if rule == "screening" and (match := MISSING.match(reason)):
        return _("The screening question “%(question)s” has no answer.") % {
            "question": question_text(match["variable"])
        }
    if rule == "duplicate" and (match := DUPLICATE.match(reason)):
        return _("The same person as submission #%(id)s.") % {"id": match["id"]}
    if rule == "interviewer_pace" and (match := OVERLAP.match(reason)):
        return _("It overlaps submission #%(id)s by the same interviewer by %(minutes)s min.") % {
            "id": match["id"],
            "minutes": match["minutes"],
        }
    if rule == "interviewer_pace" and (match := PACE.match(reason)):
        return _(
            "One of %(n)s interviews by the same interviewer, each begun at most %(gap)s min"
            " after the last one ended (%(start)s to %(end)s UTC)."
        ) % {k: match[k] for k in ("n", "gap", "start", "end")}
    if rule == "interviewer_pattern" and (match := PATTERN.match(reason)):
        return _(
            "%(same)s of %(shared)s answers are the same as in submission #%(id)s by the same"
            " interviewer."
        ) % {k: match[k] for k in ("same", "shared", "id")}
    if rule == "interviewer_short" and (match := SHORT.match(reason)):
        return _(
            "The interviewer's median interview is %(mine)s min, under %(share)s%% of the other"
            " interviewers' %(theirs)s min."
        ) % {k: match[k] for k in ("mine", "share", "theirs")}
    if rule == "gibberish" and (match := GIBBERISH.match(reason)):
        why = GIBBERISH_WHY.get(match["why"].strip())
        if why is not None:
            return _("The answer to “%(question)s” looks like no answer: %(why)s (%(text)s).") % {
                "question": question_text(match["variable"]),
                "why": why(),
                "text": match["text"],
            }
    return reason
