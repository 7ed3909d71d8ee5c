from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from fieldwork.errors import Refused
from respondents.models import Respondent, Submission, Verdict, VerdictOverride
from respondents.tasks import revalidate_enqueue
from respondents.validation import submission_override
from surveys.admin import SurveyAdmin


class OverrideForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"), choices=[(Verdict.VALID, _("Valid")), (Verdict.INVALID, _("Invalid"))]
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Respondent)
class RespondentAdmin(admin.ModelAdmin):
    list_display = ("panel_id", "survey", "source", "preferred_language", "created")
    list_filter = ("survey", "source")
    search_fields = ("panel_id",)
    # Respondents come from invitations and the open link; editing or deleting one here
    # would change who a submission belongs to, and the survey's counts.
    readonly_fields = [f.name for f in Respondent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OverrideInline(admin.TabularInline):
    model = VerdictOverride
    extra = 0
    can_delete = False
    readonly_fields = ("created", "user", "previous", "verdict", "reason")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "survey",
        "status",
        "verdict",
        "language",
        "mode",
        "interviewer",
        "started",
        "ended",
    )
    list_filter = ("survey", "status", "verdict", "mode", "slots__cell")
    search_fields = ("respondent__panel_id",)
    list_select_related = ("survey", "interviewer")
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [OverrideInline]
    actions = ["override_verdict", "revalidate"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Set the verdict, with a reason"))
    def override_verdict(self, request, queryset):
        form = OverrideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done, refused = 0, []
            for submission in queryset:
                try:
                    submission_override(
                        submission,
                        form.cleaned_data["verdict"],
                        form.cleaned_data["reason"],
                        request.user,
                    )
                    done += 1
                except Refused as exc:
                    refused.append(f"#{submission.pk}: {'; '.join(exc.errors)}")
            self.message_user(
                request, ngettext("%(n)d verdict set.", "%(n)d verdicts set.", done) % {"n": done}
            )
            for line in refused:
                self.message_user(request, line, level=messages.ERROR)
            return None
        return render(
            request,
            "admin/respondents/override.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Set the verdict"),
                "form": form,
                "submissions": queryset,
                "action": "override_verdict",
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Run quality control again"))
    def revalidate(self, request, queryset):
        _revalidate(self, request, queryset)


@admin.action(description=_("Run quality control again over every completed submission"))
def revalidate(modeladmin, request, queryset):
    """A survey's button for quality control, which belongs here, not to surveys."""
    _revalidate(modeladmin, request, Submission.objects.filter(survey__in=queryset))


def _revalidate(modeladmin, request, submissions) -> None:
    """Send `submissions` to quality control again and say how many went."""
    count = revalidate_enqueue(submissions)
    modeladmin.message_user(
        request,
        ngettext(
            "%(n)d submission sent to quality control.",
            "%(n)d submissions sent to quality control.",
            count,
        )
        % {"n": count},
    )


SurveyAdmin.actions = [*SurveyAdmin.actions, revalidate]
