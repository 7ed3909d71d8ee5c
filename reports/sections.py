"""Sections that apps above `reports` add to a survey's dashboard page.

The dashboard belongs to `reports`, but some of what a field manager watches there
belongs to apps that sit above it (a panel provider's outcomes, in `integrations`), which
`reports` never imports. Such an app registers here, in its `AppConfig.ready`, a function
that renders its section of the page for a survey, or returns "" when it has nothing to
show for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from surveys.models import Survey

Section = Callable[["HttpRequest", "Survey"], str]
_SECTIONS: list[Section] = []


def register(section: Section) -> None:
    """Add `section` to every survey page; registering the same function twice adds it once."""
    if section not in _SECTIONS:
        _SECTIONS.append(section)


def render(request: HttpRequest, survey: Survey) -> list[str]:
    """Return the registered sections' HTML for `survey`, leaving out the empty ones."""
    return [html for html in (section(request, survey) for section in _SECTIONS) if html]
