"""Instances sent by OpenRosa clients: read them, and store them as submissions.

An instance goes through the same ingestion as an interview sent to the REST API
(`respondents.ingestion.submission_ingest`, which walks the page services: skip logic,
each page's validation, screening, quotas, completion, quality control and webhooks).
Whatever happens to it, the instance itself is kept (`ReceivedInstance`): accepted with
its submission, or rejected with the reason, for a field manager to see and to process
again. Its `instanceID` makes receiving idempotent: the same instance again changes
nothing and is answered as the first time.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyxform.errors import PyXFormError

from openrosa.models import ReceivedInstance
from openrosa.xform import NOT_ANSWERS, XForm, xform_of
from respondents.ingestion import IngestionError, Interview, submission_ingest
from respondents.models import Submission
from surveys.models import Survey
from surveys.questionnaire import Question, Questionnaire, Type, questionnaire_of

logger = logging.getLogger(__name__)

# Elements pyxform adds to a table-list group (a grid's header row): never answers.
GENERATED = re.compile(r"(generated_table_list_label|reserved_name_for_field_list_labels)_\d+")
INTEGER = re.compile(r"[+-]?\d{1,15}")
# A time of day as ODK clients write it (`06:05:00.000+06:00`): the time the interviewer
# entered, then milliseconds and the tablet's offset, which the answer leaves out (a web
# respondent's time and date-and-time answers are wall-clock times, without a zone).
CLIENT_TIME = re.compile(r"(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")


class InstanceError(Exception):
    """The XML is not an instance this server can even file (no form id, no instanceID)."""


# A leaf of an instance: the path to it, each step an element's name and its place among
# its parent's children of that name, and its text.
Leaf = tuple[tuple[tuple[str, int], ...], str]


@dataclass(frozen=True)
class Instance:
    """What an instance's XML says: which form, which instance, and every value in it."""

    form_id: str
    version: str
    instance_id: str
    leaves: tuple[Leaf, ...] = ()

    def value(self, name: str) -> str:
        """The text of the first leaf named `name` anywhere (metadata), or ""."""
        return next((text for path, text in self.leaves if path[-1][0] == name), "")


@dataclass(frozen=True)
class Contents:
    """An instance read against its form: the answers as the ingestion takes them, and
    what the tablet recorded of the interview."""

    answers: dict[str, Any]
    started: datetime.datetime | None
    ended: datetime.datetime | None
    device_id: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _moment(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment)


def _leaves(element: ET.Element, path: tuple[tuple[str, int], ...]) -> list[Leaf]:
    found: list[Leaf] = []
    seen: dict[str, int] = {}
    for child in element:
        name = _local(child.tag)
        place = seen.get(name, 0)
        seen[name] = place + 1
        step = (*path, (name, place))
        if len(child):
            found.extend(_leaves(child, step))
        else:
            found.append((step, (child.text or "").strip()))
    return found


def instance_parse(xml: bytes) -> Instance:
    """Read an instance's XML. Raises InstanceError when it cannot be filed at all.

    A document type is refused before parsing: an instance never has one, and entities
    are how an XML document makes a parser do harm.
    """
    head = xml[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in xml.lower():
        raise InstanceError(_("An instance may not declare a document type or entities."))
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        message = _("The instance is not well-formed XML: %(error)s") % {"error": exc}
        raise InstanceError(message) from None
    form_id = root.get("id", "")
    if not form_id:
        raise InstanceError(_("The instance does not say which form it fills (no id)."))
    instance = Instance(
        form_id=form_id,
        version=root.get("version", ""),
        instance_id="",
        leaves=tuple(_leaves(root, ())),
    )
    instance_id = instance.value("instanceID")
    if not instance_id:
        raise InstanceError(_("The instance has no meta/instanceID."))
    if len(instance_id) > 100:
        raise InstanceError(_("The instance's instanceID is longer than 100 characters."))
    return dataclasses.replace(instance, instance_id=instance_id)


class ContentsError(Exception):
    """The instance's values do not fit its form (a question answered twice)."""


def _typed(question: Question | None, text: str) -> Any:
    """An answer as the ingestion takes it: a number as a number, a list as a list.

    A text that is not what its question takes is passed on as it is, for the ingestion
    to name it (`answers.age: expected an integer`).
    """
    if question is None:
        return text
    if question.type == Type.INTEGER and INTEGER.fullmatch(text):
        return int(text)
    if question.type == Type.MULTIPLE:
        return text.split()
    if question.type == Type.TIME and (time := CLIENT_TIME.fullmatch(text)):
        return time[1]
    if question.type == Type.DATETIME:
        day, _t, clock = text.partition("T")
        if clock and (time := CLIENT_TIME.fullmatch(clock)):
            return f"{day}T{time[1]}"
    return text


def instance_contents(
    instance: Instance, questionnaire: Questionnaire, meta: dict[str, str]
) -> Contents:
    """Read `instance`'s values as answers to `questionnaire`; `meta` names the elements
    that record the interview's start, end and device (`XForm.meta`).

    Groups (pages, grids) only nest the answers. A repeat's element comes once per entry:
    its answer is the list of its entries that hold an answer, as on the web. What the
    server fills (metadata, calculations) is left to the server, whatever the tablet
    computed. Raises ContentsError when a question outside a repeat is answered twice.
    """
    repeats = {q.variable: q for q in questionnaire.questions() if q.children}
    recorded = set(meta.values())
    answers: dict[str, Any] = {}
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    twice: set[str] = set()
    for path, text in instance.leaves:
        name = path[-1][0]
        if name in NOT_ANSWERS or GENERATED.fullmatch(name) or name in recorded:
            continue
        repeat = next(((step, repeats[step[0]]) for step in path[:-1] if step[0] in repeats), None)
        if repeat is None:
            question = questionnaire.question_of(name)
            target = answers
        else:
            (repeat_name, place), parent = repeat
            question = parent.child(name)
            target = entries.setdefault((repeat_name, place), {})
            answers.setdefault(repeat_name, [])
        if question is not None and question.server_filled:
            continue
        if name in target:
            twice.add(name)
        if text:
            target[name] = _typed(question, text)
    if twice:
        names = ", ".join(sorted(twice))
        raise ContentsError(_("The instance answers %(names)s more than once.") % {"names": names})
    for (repeat_name, _place), entry in sorted(entries.items()):
        if entry:
            answers[repeat_name].append(entry)
    answers = {name: value for name, value in answers.items() if value != []}
    return Contents(
        answers=answers,
        started=_moment(instance.value(meta["start"])),
        ended=_moment(instance.value(meta["end"])),
        device_id=instance.value(meta["deviceid"])[:100],
    )


def _outcome(survey: Survey, instance: Instance, interviewer, user_agent: str, any_version: bool):
    """Try to store the instance as a submission: return (submission, None) or (None, why)."""
    xform = _xform(survey)
    current = xform.version if xform else ""
    if not any_version and instance.version != current:
        return None, _(
            "Filled in version %(old)s of the form; the current version is %(new)s. "
            "Get the blank form again on the tablet; a field manager can process this "
            "one with the current questionnaire."
        ) % {"old": instance.version or "?", "new": current or "?"}
    questionnaire = questionnaire_of(survey)
    try:
        contents = instance_contents(instance, questionnaire, _meta(xform))
    except ContentsError as wrong:
        return None, str(wrong)
    interview = Interview(
        language=survey.default_language,
        answers=contents.answers,
        started=contents.started,
        ended=contents.ended,
        collected_by=user_agent,
        device_id=contents.device_id,
        username=interviewer.get_username() if interviewer is not None else "",
        mode=Submission.Mode.CAPI,
        interviewer=interviewer,
    )
    try:
        return submission_ingest(survey, interview), None
    except IngestionError as refused:
        return None, str(refused)


def _xform(survey: Survey) -> XForm | None:
    """The form tablets now get for `survey`; None for a draft, which they never get, or
    when pyxform cannot make one (logged; the instance is kept, rejected)."""
    if survey.status == Survey.Status.DRAFT:
        return None
    try:
        return xform_of(survey)
    except PyXFormError:
        logger.exception("the XForm of survey %s cannot be generated", survey.slug)
        return None


def _meta(xform: XForm | None) -> dict[str, str]:
    return dict(xform.meta if xform else XForm.meta)


def instance_receive(
    survey: Survey, xml: bytes, instance: Instance, interviewer, *, user_agent: str = ""
) -> tuple[ReceivedInstance, bool]:
    """Keep an instance sent by `interviewer` and try to store it as a submission.

    Returns the instance as kept and whether it is new: an instance already received
    (its instanceID) is returned as it stands, and nothing is stored again.
    """
    existing = ReceivedInstance.objects.filter(
        survey=survey, instance_id=instance.instance_id
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            received = ReceivedInstance.objects.create(
                survey=survey,
                instance_id=instance.instance_id,
                interviewer=interviewer,
                form_version=instance.version[:100],
                device_id=instance.value(_meta(_xform(survey))["deviceid"])[:100],
                xml=xml.decode("utf-8"),
                state=ReceivedInstance.State.REJECTED,
                reason="-",
            )
            _process(received, survey, instance, interviewer, user_agent, any_version=False)
    except IntegrityError:
        # The same instance arrived twice at once: the other request stored it.
        return ReceivedInstance.objects.get(survey=survey, instance_id=instance.instance_id), False
    return received, True


def _process(
    received: ReceivedInstance,
    survey: Survey,
    instance: Instance,
    interviewer,
    user_agent: str,
    *,
    any_version: bool,
) -> None:
    submission, reason = _outcome(survey, instance, interviewer, user_agent, any_version)
    received.submission = submission
    received.state = (
        ReceivedInstance.State.ACCEPTED if submission else ReceivedInstance.State.REJECTED
    )
    received.reason = reason or ""
    received.processed = timezone.now()
    received.attempts += 1
    received.save(update_fields=["submission", "state", "reason", "processed", "attempts"])


def instance_process_again(received: ReceivedInstance) -> ReceivedInstance:
    """Process a rejected instance again, with the survey's questionnaire as it now is.

    A person asked for it, so an instance filled in an older version of the form is
    tried against the current questionnaire; its answers still pass every check, or it
    stays rejected with the new reason. An accepted instance is left as it is.
    """
    with transaction.atomic():
        locked = ReceivedInstance.objects.select_for_update().get(pk=received.pk)
        if locked.state == ReceivedInstance.State.ACCEPTED:
            return locked
        survey = Survey.objects.get(pk=locked.survey_id)
        instance = instance_parse(locked.xml.encode("utf-8"))
        _process(
            locked,
            survey,
            instance,
            locked.interviewer,
            "",
            any_version=True,
        )
    return locked
