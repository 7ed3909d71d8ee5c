"""Who is assigned to a survey, changed in /manage/ by administrators ("assign_users").

A user sees a survey when assigned to it, as far as their role allows (`reports.access`).
Each assignment made or removed is in the audit log.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from audit import services as audit
from reports import access
from reports.models import Assignment
from surveys.models import Survey

PERMISSION = "assign_users"


def assignments_copy(source: Survey, copy: Survey) -> None:
    """Assign to a new wave (`surveys.waves.survey_copy`) everyone assigned to its source,
    each in the audit log as copied."""
    for assignment in Assignment.objects.filter(survey=source).select_related("user"):
        Assignment.objects.create(user=assignment.user, survey=copy)
        audit.record(
            audit.Action.ASSIGNMENT,
            survey=copy,
            target=assignment.user.get_username(),
            details={"assigned": True, "copied_from": source.slug},
        )


def assignment_add(survey: Survey, person, *, user=None, request=None) -> bool:
    """Assign `person` to `survey`; return False if they already were (nothing written)."""
    try:
        with transaction.atomic():
            Assignment.objects.create(user=person, survey=survey)
            audit.record(
                audit.Action.ASSIGNMENT,
                user=user,
                request=request,
                survey=survey,
                target=person.get_username(),
                details={"assigned": True},
            )
    except IntegrityError:  # assigned already, perhaps a moment ago by someone else
        return False
    return True


def assignment_remove(survey: Survey, person, *, user=None, request=None) -> bool:
    """Take `person` off `survey`; return False if they were not assigned."""
    with transaction.atomic():
        removed, _ = Assignment.objects.filter(user=person, survey=survey).delete()
        if removed:
            audit.record(
                audit.Action.ASSIGNMENT,
                user=user,
                request=request,
                survey=survey,
                target=person.get_username(),
                details={"assigned": False},
            )
    return bool(removed)


def _roles(person) -> str:
    names = [str(_role_name(group.name)) for group in person.groups.all()]
    if person.is_superuser:
        names.insert(0, _("superuser"))
    return ", ".join(names) or "—"


def _role_name(name: str) -> str:
    return {
        access.ADMINISTRATORS: _("Administrator"),
        access.FIELD_MANAGERS: _("Field manager"),
        access.VIEWERS: _("Viewer"),
    }.get(name, name)


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(
        label=gettext_lazy("User"), queryset=get_user_model().objects.none()
    )

    def __init__(self, survey: Survey, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model()
            .objects.filter(is_active=True)
            .exclude(assignments__survey=survey)
            .order_by("username")
        )
        self.fields["user"].label_from_instance = lambda person: (
            f"{person.get_username()} ({_roles(person)})"
        )


def _survey(request: HttpRequest, slug: str) -> Survey:
    if not request.user.has_perm(f"reports.{PERMISSION}"):
        raise Http404
    return access.survey_for(request.user, slug)


@login_required
def assignments(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    form = AssignForm(survey, request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["user"]
        assignment_add(survey, person, user=request.user, request=request)
        messages.success(
            request, _("%(user)s is assigned to this survey.") % {"user": person.get_username()}
        )
        return redirect("reports:assignments", slug=slug)
    assigned = (
        Assignment.objects.filter(survey=survey)
        .select_related("user")
        .prefetch_related("user__groups")
        .order_by("user__username")
    )
    return render(
        request,
        "reports/assignments.html",
        {
            "survey": survey,
            "form": form,
            "assigned": [(a.user, _roles(a.user)) for a in assigned],
        },
    )


@login_required
@require_POST
def assignment_delete(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug)
    person = get_user_model().objects.filter(pk=request.POST.get("user", "")).first()
    if person is not None and assignment_remove(survey, person, user=request.user, request=request):
        messages.success(
            request,
            _("%(user)s is no longer assigned to this survey.") % {"user": person.get_username()},
        )
    return redirect("reports:assignments", slug=slug)
