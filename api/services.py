"""The API's own writes: ingestion made idempotent on the client's key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from api.models import IngestionKey
from respondents.ingestion import Interview, submission_ingest
from respondents.models import Submission
from surveys.models import Survey


class IdempotencyConflict(Exception):
    """The key was used before for different content."""

    def __init__(self, key: str, submission: Submission | None) -> None:
        self.key = key
        self.submission = submission
        super().__init__(key)


@dataclass(frozen=True)
class Ingested:
    submission: Submission
    created: bool


def content_fingerprint(content: Mapping[str, Any]) -> str:
    """Return a digest of the request's content that ignores key order and spacing."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submission_ingest_once(
    survey: Survey, interview: Interview, *, key: str, content: Mapping[str, Any], user=None
) -> Ingested:
    """Store the interview unless `key` already stored it; return the submission.

    The key's row is inserted first, in the same transaction as the submission. A
    concurrent replay blocks on the unique constraint until the first request commits
    (then it finds the row and returns its submission) or rolls back (then it goes on and
    stores the interview itself). The same key with other content raises
    IdempotencyConflict.
    """
    fingerprint = content_fingerprint(content)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IngestionKey.objects.create(
                    survey=survey, key=key, fingerprint=fingerprint, user=user
                )
        except IntegrityError:
            earlier = IngestionKey.objects.select_related("submission").get(survey=survey, key=key)
            if earlier.fingerprint != fingerprint:
                raise IdempotencyConflict(key, earlier.submission) from None
            return Ingested(earlier.submission, created=False)
        submission = submission_ingest(survey, interview)
        record.submission = submission
        record.save(update_fields=["submission"])
    return Ingested(submission, created=True)
