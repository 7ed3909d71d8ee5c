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

import datetime
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openrosa.models import ReceivedInstance
from openrosa.xform import META_NAMES, xform_of
from respondents.ingestion import IngestionError, Interview, submission_ingest
from respondents.models import Submission
from surveys.models import Survey
from surveys.questionnaire import Questionnaire, Type, questionnaire_of

# Elements pyxform adds to a table-list group (a grid's header row): never answers.
GENERATED = re.compile(r"(generated_table_list_label|reserved_name_for_field_list_labels)_\d+")
INTEGER = re.compile(r"[+-]?\d{1,15}")


class InstanceError(Exception):
    """The XML is not an instance this server can even file (no form id, no instanceID)."""


@dataclass(frozen=True)
class Instance:
    """What an instance's XML says: which form, which instance, when, and its answers."""

    form_id: str
    version: str
    instance_id: str
    answers: dict[str, str] = field(default_factory=dict)  # variable -> text as sent
    started: datetime.datetime | None = None
    ended: datetime.datetime | None = None
    device_id: str = ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _moment(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else timezone.make_aware(moment)


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
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for element in root.iter():
        if element is root or len(element):
            continue
        name = _local(element.tag)
        text = (element.text or "").strip()
        if name in values:
            repeated.add(name)
        values[name] = text
    if repeated:
        raise InstanceError(
            _("The instance repeats %(names)s: this server's forms have no repeats.")
            % {"names": ", ".join(sorted(repeated))}
        )
    instance_id = values.get("instanceID", "")
    if not instance_id:
        raise InstanceError(_("The instance has no meta/instanceID."))
    if len(instance_id) > 100:
        raise InstanceError(_("The instance's instanceID is longer than 100 characters."))
    answers = {
        name: text
        for name, text in values.items()
        if text and name not in META_NAMES and not GENERATED.fullmatch(name)
    }
    return Instance(
        form_id=form_id,
        version=root.get("version", ""),
        instance_id=instance_id,
        answers=answers,
        started=_moment(values.get("start", "")),
        ended=_moment(values.get("end", "")),
        device_id=values.get("deviceid", "")[:100],
    )


def typed_answers(questionnaire: Questionnaire, texts: dict[str, str]) -> dict[str, Any]:
    """Return the answers as the ingestion takes them: numbers as numbers, lists as lists.

    A text that is not what its question takes is passed on as it is, for the ingestion
    to name it (`answers.age: expected an integer`).
    """
    answers: dict[str, Any] = {}
    for name, text in texts.items():
        question = questionnaire.question_of(name)
        if question is None:
            answers[name] = text
        elif question.type == Type.INTEGER and INTEGER.fullmatch(text):
            answers[name] = int(text)
        elif question.type == Type.MULTIPLE:
            answers[name] = text.split()
        else:
            answers[name] = text
    return answers


def _outcome(survey: Survey, instance: Instance, interviewer, user_agent: str, any_version: bool):
    """Try to store the instance as a submission: return (submission, None) or (None, why)."""
    current = xform_of(survey).version if survey.status != Survey.Status.DRAFT else ""
    if not any_version and instance.version != current:
        return None, _(
            "Filled in version %(old)s of the form; the current version is %(new)s. "
            "Get the blank form again on the tablet; a field manager can process this "
            "one with the current questionnaire."
        ) % {"old": instance.version or "?", "new": current or "?"}
    questionnaire = questionnaire_of(survey)
    interview = Interview(
        language=survey.default_language,
        answers=typed_answers(questionnaire, instance.answers),
        started=instance.started,
        ended=instance.ended,
        collected_by=user_agent,
        mode=Submission.Mode.CAPI,
        interviewer=interviewer,
    )
    try:
        return submission_ingest(survey, interview), None
    except IngestionError as refused:
        return None, str(refused)


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
                device_id=instance.device_id,
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
