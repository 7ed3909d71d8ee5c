"""Panel providers: entering a survey from a provider's link, and going back to it.

A provider sends each panel member to `/p/<survey>/<provider>/?pid=...` (optionally
signed); `provider_entry` creates or resumes that member's respondent, and `exit_url`
says where the member goes back to once the interview has ended.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse

from fieldwork.formulas import neutralise
from integrations import signing
from integrations.models import Outcome, Provider, ProviderRespondent
from respondents import stats
from respondents.known import KnownAnswers  # known answers checked as the page checks them
from respondents.models import Respondent, Submission, Verdict
from respondents.tokens import new_token

logger = logging.getLogger(__name__)

# Bounds on what one entry link may carry into the database.
MAX_PARAMETERS = 30
MAX_VALUE_LENGTH = 500
TEST_ID_PREFIX = "test-"


class EntryRefused(Exception):
    """A provider's link cannot start the survey: `reason` says why, `status` the HTTP code.

    Reasons: unsigned, tampered (403); no_id, bad_id, bad_value (400); finished, taken (409).
    """

    STATUS = {
        "unsigned": 403,
        "tampered": 403,
        "no_id": 400,
        "bad_id": 400,
        "bad_value": 400,
        "finished": 409,
        "taken": 409,
    }

    def __init__(self, reason: str, detail: str = "", language: str = "") -> None:
        self.reason = reason
        self.status = self.STATUS[reason]
        self.detail = detail
        self.language = language
        super().__init__(f"{reason}: {detail}" if detail else reason)


def _parameters(raw_query: str) -> dict[str, str]:
    query, _ = signing.query_without_sig(raw_query)
    pairs = parse_qsl(query, keep_blank_values=True)
    if len(pairs) > MAX_PARAMETERS or any(len(v) > MAX_VALUE_LENGTH for _, v in pairs):
        raise EntryRefused("bad_value", "too many or too long parameters")
    if any("\x00" in name or "\x00" in value for name, value in pairs):
        # Kept with the respondent, and PostgreSQL cannot store NUL in text or JSON.
        raise EntryRefused("bad_value", "a parameter contains a NUL character")
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value.strip())  # the first of repeated parameters counts
    return params


def _prefilled(provider: Provider, params: dict[str, str]) -> dict:
    """Return the pre-filled answers the link carries, checked like a panel file's."""
    wanted = {param: name for param, name in provider.prefill.items() if params.get(param)}
    if not wanted:
        return {}
    checker = KnownAnswers(provider.survey, list(wanted.values()))
    raw = {}
    for param, name in wanted.items():
        if name not in checker.questions:
            logger.warning("provider %s pre-fills %s, which is not a question", provider.pk, name)
            continue
        raw.setdefault(name, params[param])
    known, refused = checker.check(raw)
    if refused:
        name, reason = refused[0]
        param = next(param for param, variable in wanted.items() if variable == name)
        raise EntryRefused("bad_value", f"{param} '{params[param]}' {reason}")
    return known


def _finished(respondent: Respondent) -> Submission | None:
    submission = Submission.objects.filter(respondent=respondent).first()
    return submission if submission is not None and not submission.is_open else None


def provider_entry(provider: Provider, path: str, raw_query: str) -> Respondent:
    """Return the respondent a provider's link stands for, creating it the first time.

    Raise EntryRefused when the link's signature is missing or wrong (for a provider
    with a secret), when it carries no usable id or a pre-filled value the question
    would not accept, or when the id has already finished the survey.
    """
    if provider.secret:
        problem = signing.verify_link(path, raw_query, provider.secret)
        if problem:
            raise EntryRefused(problem)
    params = _parameters(raw_query)
    survey = provider.survey
    language = params.get("lang", "") if params.get("lang") in survey.languages else ""
    external_id = params.get(provider.id_parameter, "")
    if not external_id:
        raise EntryRefused("no_id", provider.id_parameter, language)
    # The respondent's panel id is "<provider>:<id>", unique per survey like any other.
    if len(external_id) > 100 - len(provider.slug) - 1 or not external_id.isprintable():
        raise EntryRefused("bad_id", provider.id_parameter, language)
    known = _prefilled(provider, params)

    link = _link(provider, external_id)
    if link is None:
        try:
            with transaction.atomic():
                respondent = Respondent.objects.create(
                    survey=survey,
                    token=new_token(),
                    panel_id=f"{provider.slug}:{external_id}",
                    preferred_language=language,
                    known=known,
                )
                ProviderRespondent.objects.create(
                    provider=provider, respondent=respondent, external_id=external_id, params=params
                )
                stats.count(survey.pk, invited=1)
            return respondent
        except IntegrityError:  # the same link opened twice at once, or the id is taken
            link = _link(provider, external_id)
            if link is None:
                raise EntryRefused("taken", external_id, language) from None
    finished = _finished(link.respondent)
    if finished is not None:
        raise EntryRefused("finished", external_id, finished.language)
    return link.respondent


def _link(provider: Provider, external_id: str) -> ProviderRespondent | None:
    return (
        ProviderRespondent.objects.filter(provider=provider, external_id=external_id)
        .select_related("respondent__survey")
        .first()
    )


def outcome_of(submission: Submission) -> str | None:
    """Return the provider outcome of an ended submission (None while it is open)."""
    if submission.status == Submission.Status.COMPLETED:
        if submission.verdict == Verdict.INVALID:
            return Outcome.QUALITY_TERMINATED
        return Outcome.COMPLETE
    return {
        Submission.Status.SCREENED_OUT: Outcome.SCREENED_OUT,
        Submission.Status.OVER_QUOTA: Outcome.OVER_QUOTA,
    }.get(submission.status)


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return ""  # a pass-through parameter this respondent's link did not carry


def fill_exit(link: ProviderRespondent, submission: Submission, outcome: str) -> str | None:
    """Return the provider's exit URL for `outcome`, filled in and signed, or None.

    Placeholders: {pid} (also under the id parameter's own name), {survey}, {provider},
    {submission}, {outcome}, {language}, and any parameter the entry link carried.
    Every value is URL-encoded.
    """
    provider = link.provider
    template = provider.exit_template(outcome)
    if not template:
        return None
    values = _Values({name: quote(value, safe="") for name, value in link.params.items()})
    fixed = {
        "pid": link.external_id,
        provider.id_parameter: link.external_id,
        "survey": provider.survey.slug,
        "provider": provider.slug,
        "submission": str(submission.pk),
        "outcome": str(outcome),
        "language": submission.language,
    }
    values.update({name: quote(value, safe="") for name, value in fixed.items()})
    try:
        url = template.format_map(values)
    except (ValueError, KeyError, AttributeError, IndexError):
        logger.exception("provider %s has an exit URL that cannot be filled in", provider.pk)
        return None
    return signing.sign_link(url, provider.secret) if provider.secret else url


def exit_url(submission: Submission) -> str | None:
    """Return where an ended submission's respondent goes back to, if a provider sent them."""
    outcome = outcome_of(submission)
    if outcome is None:
        return None
    link = (
        ProviderRespondent.objects.filter(respondent_id=submission.respondent_id)
        .select_related("provider__survey")
        .first()
    )
    return fill_exit(link, submission, outcome) if link is not None else None


def entry_url(provider: Provider, base_url: str, external_id: str) -> str:
    """Return the provider's entry link for `external_id`, signed when it has a secret."""
    path = reverse("integrations:entry", args=[provider.survey.slug, provider.slug])
    url = f"{path}?{quote(provider.id_parameter, safe='')}={quote(external_id, safe='')}"
    if provider.secret:
        url = signing.sign_link(url, provider.secret)
    return base_url.rstrip("/") + url


def test_link(provider: Provider, base_url: str) -> str:
    """Return a signed sample entry link with a random test id (it starts a real respondent)."""
    return entry_url(provider, base_url, TEST_ID_PREFIX + secrets.token_hex(4))


def entry_template(provider: Provider, base_url: str) -> str:
    """Return the entry link as the provider writes it, with its id placeholder."""
    path = reverse("integrations:entry", args=[provider.survey.slug, provider.slug])
    return f"{base_url.rstrip('/')}{path}?{provider.id_parameter}=<id>"


@dataclass
class ProviderCounts:
    provider: Provider
    started: int
    completed: int
    screened_out: int
    over_quota: int
    quality_terminated: int
    test_link: str = ""


def provider_counts(survey, base_url: str = "") -> list[ProviderCounts]:
    """Return each provider of `survey` with its respondents' outcomes, in one query."""
    status = "respondents__respondent__submission__status"
    verdict = "respondents__respondent__submission__verdict"
    providers = survey.providers.order_by("name").annotate(
        n_started=Count("respondents__respondent__submission"),
        n_completed=Count("pk", filter=Q(**{status: Submission.Status.COMPLETED})),
        n_screened_out=Count("pk", filter=Q(**{status: Submission.Status.SCREENED_OUT})),
        n_over_quota=Count("pk", filter=Q(**{status: Submission.Status.OVER_QUOTA})),
        n_quality=Count(
            "pk",
            filter=Q(**{status: Submission.Status.COMPLETED, verdict: Verdict.INVALID}),
        ),
    )
    return [
        ProviderCounts(
            provider=p,
            started=p.n_started,
            completed=p.n_completed,
            screened_out=p.n_screened_out,
            over_quota=p.n_over_quota,
            quality_terminated=p.n_quality,
            test_link=test_link(p, base_url) if base_url and p.active else "",
        )
        for p in providers
    ]


RECONCILIATION_COLUMNS = ["id", "outcome", "status", "verdict", "started", "ended", "exit_url"]


def reconciliation_csv(provider: Provider) -> str:
    """Return the provider's respondents with their final outcome, as CSV text.

    This is what a provider reconciles its rewards against: a complete judged invalid
    after the respondent left shows here as quality_terminated.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(RECONCILIATION_COLUMNS)
    links = (
        ProviderRespondent.objects.filter(provider=provider)
        .select_related("provider__survey", "respondent__submission")
        .order_by("created")
    )
    for link in links.iterator(chunk_size=1000):
        submission = getattr(link.respondent, "submission", None)
        outcome = outcome_of(submission) if submission is not None else None
        writer.writerow(
            [
                neutralise(link.external_id),  # an id from outside must not run in Excel
                outcome or "",
                submission.status if submission else "not_started",
                submission.verdict if submission else "",
                submission.started.isoformat() if submission else "",
                submission.ended.isoformat() if submission and submission.ended else "",
                (fill_exit(link, submission, outcome) or "") if outcome else "",
            ]
        )
    return out.getvalue()
