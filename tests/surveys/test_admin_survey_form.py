"""The survey's admin form as a person uses it: languages from lists, quota targets
changed inline or one by one, each change one audit entry, a save of nothing none."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from surveys.models import QuotaCell

pytestmark = pytest.mark.django_db

A = AuditEntry.Action


@pytest.fixture
def new_entries(demo):
    """The audit entries written after the demo's own (its import and going live)."""
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: AuditEntry.objects.filter(pk__gt=last).order_by("pk")


class FormValues(HTMLParser):
    """What a browser would post back from a page's main form, unchanged."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on"))
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.inside = False


def form_values(client, url: str, form_id: str) -> dict[str, list[str]]:
    page = client.get(url)
    assert page.status_code == 200
    parser = FormValues(form_id)
    parser.feed(page.content.decode())
    # A textarea's text starts after the newline the template puts after its tag.
    return {
        name: [value[1:] if value.startswith("\n") else value for value in values]
        for name, values in parser.data.items()
    }


def test_a_survey_saved_unchanged_writes_no_audit_entry(admin_client, demo, new_entries):
    survey = demo["gt2024-kazakhstan"]
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    data = form_values(admin_client, url, "survey_form")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(new_entries().values_list("action", flat=True)) == []


def test_one_target_changed_inline_writes_one_entry(admin_client, demo, new_entries):
    survey = demo["gt2024-kazakhstan"]
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    data = form_values(admin_client, url, "survey_form")
    cell = QuotaCell.objects.get(survey=survey, name="astana")
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("quota_cells-") and key.endswith("-id") and value == [str(cell.pk)]
    )
    data[f"quota_cells-{index}-target"] = [str(cell.target + 7)]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    entry = new_entries().get()
    assert entry.action == A.QUOTA_TARGET
    assert entry.details == {"field": "target", "from": cell.target, "to": cell.target + 7}


def test_one_target_changed_on_the_cells_page_writes_one_entry(admin_client, demo, new_entries):
    cell = QuotaCell.objects.get(survey__slug="gt2024-kazakhstan", name="astana")
    url = reverse("admin:surveys_quotacell_change", args=[cell.pk])
    data = form_values(admin_client, url, "quotacell_form")
    data["target"] = [str(cell.target + 3)]
    assert admin_client.post(url, data).status_code == 302
    assert list(new_entries().values_list("action", flat=True)) == [A.QUOTA_TARGET]
    # And saved again as it now is: nothing.
    again = form_values(admin_client, url, "quotacell_form")
    assert admin_client.post(url, again).status_code == 302
    assert new_entries().count() == 1


def test_a_label_and_a_target_changed_together_are_logged_once_each(admin_client, new_entries):
    cell = QuotaCell.objects.get(survey__slug="gt2024-kazakhstan", name="astana")
    url = reverse("admin:surveys_quotacell_change", args=[cell.pk])
    data = form_values(admin_client, url, "quotacell_form")
    data["target"] = [str(cell.target + 1)]
    data["label_ru"] = ["Астана (столица)"]
    assert admin_client.post(url, data).status_code == 302
    entries = {entry.action: entry for entry in new_entries()}
    assert set(entries) == {A.QUOTA_TARGET, A.QUESTIONNAIRE_CHANGE}
    change = entries[A.QUESTIONNAIRE_CHANGE].details["change"]
    assert [part["changed"]["fields"] for part in change] == [["Label"]]


def test_the_languages_are_chosen_from_lists_in_order(admin_client, demo):
    survey = demo["gt2024-kazakhstan"]
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    page = admin_client.get(url).content.decode()
    assert '<option value="kk" selected>Kazakh (kk)</option>' in page
    assert '<option value="ru" selected>Russian (ru)</option>' in page
    data = form_values(admin_client, url, "survey_form")
    assert data["languages_0"] == ["kk"] and data["languages_1"] == ["ru"]
    data["languages_0"], data["languages_1"] = ["ru"], ["kk"]
    assert admin_client.post(url, data).status_code == 302
    survey.refresh_from_db()
    assert survey.languages == ["ru", "kk"]


def test_a_language_chosen_twice_or_a_default_outside_them_is_refused(admin_client, demo):
    survey = demo["gt2024-kazakhstan"]
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    data = form_values(admin_client, url, "survey_form")
    data["languages_1"] = ["kk"]
    page = admin_client.post(url, data)
    assert page.status_code == 200
    assert "A language is chosen twice." in page.content.decode()
    data = form_values(admin_client, url, "survey_form")
    data["default_language"] = ["en"]
    page = admin_client.post(url, data)
    assert "The default language must be one of them." in page.content.decode()
    survey.refresh_from_db()
    assert (survey.languages, survey.default_language) == (["kk", "ru"], "kk")
