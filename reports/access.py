"""Roles and what they may see: administrator, field manager, viewer, interviewer.

Roles are Django groups holding the permissions of reports.Assignment; a user sees a
survey when assigned to it (or when allowed to see every survey). Anything else is a 404,
so a survey's existence is not revealed by guessing its address.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from surveys.models import Survey

ADMINISTRATORS, FIELD_MANAGERS, VIEWERS = "Administrators", "Field managers", "Viewers"
# Uploading a questionnaire, publishing and copying a survey are administrators' alone:
# they decide what every respondent is asked and when fieldwork may start, which is the
# study's decision, not the field's (docs/decisions, "who publishes"). Field managers
# preview and download the questionnaire of their surveys.
MANAGE_QUESTIONNAIRES = "manage_questionnaires"
INTERVIEWERS = "Interviewers"
ROLES = {
    ADMINISTRATORS: [
        "view_dashboard",
        "review_submissions",
        "export_data",
        "see_all_surveys",
        "run_fieldwork",
        "edit_targets",
        "assign_users",
        MANAGE_QUESTIONNAIRES,
        "collect_interviews",
    ],
    FIELD_MANAGERS: [
        "view_dashboard",
        "review_submissions",
        "export_data",
        "run_fieldwork",
        "edit_targets",
    ],
    VIEWERS: ["view_dashboard"],
    # Interviewers only fetch the forms of their surveys and send interviews (openrosa/).
    INTERVIEWERS: ["collect_interviews"],
}


def roles_ensure(**kwargs) -> None:
    """Create the role groups with their permissions; run after every migrate."""
    from django.contrib.auth.models import Group, Permission

    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="reports", codename__in=codenames)
        )


def surveys_for(user, permission: str = "view_dashboard") -> QuerySet[Survey]:
    """Return the surveys `user` may reach with `permission` (a reports codename)."""
    if not user.is_authenticated or not user.has_perm(f"reports.{permission}"):
        return Survey.objects.none()
    if user.has_perm("reports.see_all_surveys"):
        return Survey.objects.all()
    return Survey.objects.filter(assignments__user=user)


def survey_for(user, slug: str, permission: str = "view_dashboard") -> Survey:
    """Return the survey `slug` if `user` may reach it with `permission`, else 404."""
    survey = surveys_for(user, permission).filter(slug=slug).first()
    if survey is None:
        raise Http404
    return survey
