"""Synthetic fieldwork: panel members answering through the same path as people.

Each synthetic respondent is invited, starts, and answers page by page through the page
form (so every answer is validated exactly as a person's) and the services the views
call; completion reserves quota slots and enqueues validation as for anyone. Answers
follow the distributions in demo/gt2024/answers.json, taken from the published figures,
and a share of respondents behave badly on purpose: speeders, straight-liners,
inattentive readers, duplicates and keyboard mashers, so quality control has work.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from respondents import flow, pages, services, simulated_runs
from respondents.models import Submission
from respondents.panel import PanelMember
from surveys.models import Survey
from surveys.questionnaire import Page, Question, Type, questionnaire_of

ANSWERS_FILE = Path(settings.BASE_DIR) / "demo" / "gt2024" / "answers.json"
USER_AGENTS = (
    "Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 Chrome/126.0 Mobile",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari",
)


@dataclass(frozen=True)
class Mix:
    """Shares of respondents who misbehave, each in one way."""

    speeder: float = 0.05
    straightliner: float = 0.03
    inattentive: float = 0.03
    duplicate: float = 0.02
    masher: float = 0.03
    ineligible: float = 0.04


@dataclass
class Outcome:
    statuses: Counter = field(default_factory=Counter)
    behaviours: Counter = field(default_factory=Counter)


def load_distributions(survey: Survey) -> dict[str, dict]:
    if not ANSWERS_FILE.exists():
        return {}
    return json.loads(ANSWERS_FILE.read_text(encoding="utf-8")).get(survey.slug, {})


class _Answerer:
    """A synthetic respondent answering page after page (`pages.PageAnswer`)."""

    def __init__(
        self,
        rng: random.Random,
        distributions: dict,
        behaviour: str,
        known: dict[str, Any],
        clock: simulated_runs.SimulatedClock | None = None,
    ) -> None:
        self.rng = rng
        self.distributions = distributions
        self.behaviour = behaviour
        self.known = known
        self.clock = clock

    def __call__(self, submission: Submission, page: Page) -> tuple[MultiValueDict, float | None]:
        data = self.page(page, submission.answers, self.known)
        seconds = _page_seconds(self.rng, self.behaviour, len(page.questions))
        if self.clock is None:
            return data, seconds
        # On the simulated clock the page is shown now and answered after a while, so
        # its time comes from when it was shown, as a person's does.
        services.submission_show_page(submission)
        self.clock.advance(seconds)
        return data, None

    def _weights(self, name: str, values: list[str]) -> list[float]:
        weights = self.distributions.get(name, {}).get("weights", {})
        return [float(weights.get(value, 0 if weights else 1)) for value in values]

    def single(self, name: str, values: list[str]) -> str:
        weights = self._weights(name, values)
        if not any(weights):
            weights = [1.0] * len(values)
        return self.rng.choices(values, weights=weights)[0]

    def multiple(self, question: Question, values: list[str]) -> list[str]:
        ticks = self.distributions.get(question.variable, {}).get("ticks", {})
        real = [v for v in values if v != "hard_to_say"]
        chosen = [v for v in real if self.rng.random() < ticks.get(v, 0.2 if not ticks else 0)]
        if not chosen:
            chosen = (
                ["hard_to_say"]
                if "hard_to_say" in values and self.rng.random() < 0.5
                else [self.rng.choice(real)]
            )
        if question.max_choices:
            chosen = chosen[: question.max_choices]
        return chosen

    def text(self, name: str) -> str:
        if self.behaviour == "masher":
            return self.rng.choice(["asdf", "фыва", "ааааа", "qwerty", "..."])
        texts = self.distributions.get(name, {}).get("texts") or ["—"]
        return self.rng.choice(texts)

    def page(self, page: Page, answers: dict[str, Any], known: dict[str, Any]) -> MultiValueDict:
        """Return the page's answers as a browser would post them."""
        data = MultiValueDict()
        answers = dict(answers)
        for question in page.questions:
            if not flow.is_relevant(question, answers, known):
                continue
            values = list(question.choice_values)
            kind = question.type
            if kind == Type.NOTE or question.server_filled:
                continue
            if question.choice_filter:
                values = _offered(question, values, answers, known)
                if not values:
                    continue  # nothing offered (no village in this district)
            if question.children:  # a roster: nobody listed (an empty repeat is an answer)
                data.setlist(question.variable, [])
                answers[question.variable] = []
                continue
            if question.variable in known:
                value = known[question.variable]
            elif question.attention_check:
                value = self._attention(question, values, answers)
            elif kind == Type.SINGLE:
                value = self.single(question.variable, values)
            elif kind == Type.MULTIPLE:
                value = self.multiple(question, values)
            elif kind == Type.GRID:
                rows = [row.variable for row in question.rows]
                if self.behaviour == "straightliner":
                    same = values[0]
                    picks = dict.fromkeys(rows, same)
                else:
                    picks = {row: self.single(row, values) for row in rows}
                for row, pick in picks.items():
                    data.setlist(row, [pick])
                    answers[row] = pick
                continue
            elif kind in (Type.INTEGER, Type.DECIMAL):
                value = self.rng.randint(
                    int(question.min_value or 0), int(question.max_value or 99)
                )
            elif kind == Type.DATE:
                value = (
                    timezone.localdate() - timedelta(days=self.rng.randint(0, 365))
                ).isoformat()
            elif kind == Type.TIME:
                value = f"{self.rng.randint(0, 23):02d}:{self.rng.randint(0, 59):02d}"
            elif kind == Type.DATETIME:
                moment = timezone.localtime() - timedelta(minutes=self.rng.randint(0, 10**5))
                value = moment.strftime("%Y-%m-%dT%H:%M")
            else:
                value = self.text(question.variable)
            data.setlist(question.variable, value if isinstance(value, list) else [str(value)])
            answers[question.variable] = value
        return data

    def _attention(self, question: Question, values: list[str], answers: dict) -> str:
        from surveys.expressions import Evaluator

        right = [v for v in values if Evaluator(answers).holds(question.attention_check, current=v)]
        wrong = [v for v in values if v not in right]
        if self.behaviour == "inattentive" and wrong:
            return self.rng.choice(wrong)
        return right[0] if right else self.rng.choice(values)


def _page_seconds(rng: random.Random, behaviour: str, questions: int) -> float:
    per_question = rng.lognormvariate(2.3, 0.35)  # about 10 s, rarely under 5 or over 20
    seconds = max(3.0, per_question * max(questions, 1))
    return seconds * (0.12 if behaviour == "speeder" else 1.0)


def simulate_fieldwork(
    survey: Survey,
    respondents: int,
    *,
    seed: int | None = None,
    mix: Mix = Mix(),
    window: tuple[date, date | None] | None = None,
) -> Outcome:
    """Send `respondents` synthetic panel members through `survey`; return what happened.

    Their interviews are spread over the part of the fieldwork window already gone (the
    survey's dates, or `window`'s); raise ValueError when none of it has. Each run has
    panel ids of its own (see respondents.simulated_runs).
    """
    span = simulated_runs.fieldwork_window(survey, *(window or (None, None)))
    # The moments have a generator of their own, so a seed still gives the same answers.
    moments = simulated_runs.start_moments(random.Random(f"{seed}:moments"), respondents, span)
    prefix = simulated_runs.run_prefix()
    with simulated_runs.SimulatedClock(span.start) as clock:
        return _simulate(survey, seed, mix, clock, moments, prefix)


def _simulate(survey, seed, mix, clock, moments, prefix) -> Outcome:
    rng = random.Random(seed)
    distributions = load_distributions(survey)
    questionnaire = questionnaire_of(survey)
    geography = _geography(survey)
    outcome = Outcome()
    earlier: list[tuple[dict, str, str]] = []  # known answers, ip, user agent

    for number, moment in enumerate(moments, 1):
        clock.moment = moment
        behaviour = rng.choices(
            [
                "speeder",
                "straightliner",
                "inattentive",
                "duplicate",
                "masher",
                "ineligible",
                "good",
            ],
            weights=[
                mix.speeder,
                mix.straightliner,
                mix.inattentive,
                mix.duplicate,
                mix.masher,
                mix.ineligible,
                1
                - (
                    mix.speeder
                    + mix.straightliner
                    + mix.inattentive
                    + mix.duplicate
                    + mix.masher
                    + mix.ineligible
                ),
            ],
        )[0]
        if behaviour == "duplicate" and earlier:
            known, ip, agent = rng.choice(earlier)
        else:
            behaviour = "good" if behaviour == "duplicate" else behaviour
            known = _known(rng, distributions, geography, behaviour)
            ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            agent = rng.choice(USER_AGENTS)
            earlier.append((known, ip, agent))
        outcome.behaviours[behaviour] += 1
        (respondent,), _ = services.panel_invite(
            survey, [PanelMember(f"{prefix}{number:06d}", rng.choice(survey.languages), known)]
        )
        submission = services.submission_start(
            respondent, respondent.preferred_language, user_agent=agent, ip=ip
        )
        answerer = _Answerer(rng, distributions, behaviour, known, clock)
        submission, steps = pages.submission_answer_pages(submission, questionnaire, answerer)
        if steps and steps[-1].next is pages.Next.REFUSED:
            refused = steps[-1]
            raise RuntimeError(
                f"simulated answers were refused on {refused.page.name}: {refused.form.errors}"
            )
        outcome.statuses[submission.status] += 1
    return outcome


CELL_CONDITION = re.compile(r"^\$\{(?P<variable>[^}]+)\} = '(?P<value>[^']*)'$")


def _geography(survey: Survey) -> tuple[str, dict[str, float]] | None:
    """Return the question the quota cells split on, and how often to pick each answer.

    Answers are drawn in proportion to the cells' targets, with a few answers outside
    every cell (such as "another city"), which screening then turns away.
    """
    weights: dict[str, dict[str, float]] = {}
    for cell in survey.quota_cells.all():
        match = CELL_CONDITION.match(cell.condition)
        if match:
            weights.setdefault(match["variable"], {})[match["value"]] = max(cell.target, 1)
    if not weights:
        return None
    variable = max(weights, key=lambda name: len(weights[name]))
    question = survey.questions.filter(variable=variable).select_related("choice_list").first()
    chosen = weights[variable]
    if question is not None and question.choice_list is not None:
        outside = sum(chosen.values()) * 0.03
        for choice in question.choice_list.choices.all():
            chosen.setdefault(choice.value, outside)
    return variable, chosen


def _known(rng, distributions, geography, behaviour) -> dict[str, Any]:
    """What the panel knows of a member: region or city, age, gender."""
    known: dict[str, Any] = {}
    if geography is not None:
        variable, weights = geography
        known[variable] = rng.choices(list(weights), weights=list(weights.values()))[0]
    if behaviour == "ineligible":
        known["age"] = rng.choice([16, 17, 71, 74, 78])
    else:
        known["age"] = rng.randint(18, 70)
    weights = distributions.get("gender", {}).get("weights", {"male": 1, "female": 1})
    known["gender"] = rng.choices(list(weights), weights=list(weights.values()))[0]
    return known


def _offered(question: Question, values: list[str], answers: dict, known: dict) -> list[str]:
    """The choices a filtered select offers given the answers so far (as the browser)."""
    from surveys.expressions import Evaluator, parse

    evaluator = Evaluator({**known, **answers})
    tree = parse(question.choice_filter)
    rows = {choice.value: choice.filters for choice in question.choices}
    return [value for value in values if evaluator.passes(tree, rows.get(value, ()), value)]
