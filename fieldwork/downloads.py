"""A file sent as a download that no cache on the way keeps (exports, toplines)."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse


def attachment(file: IO[bytes], filename: str, content_type: str) -> FileResponse:
    """Return `file` as a download named `filename`, marked private and not to be stored."""
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
