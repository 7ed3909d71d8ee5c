from django import forms, template
from django.utils import translation

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    """Return mapping[key], or an empty string: `{{ survey.title|get_item:code }}`."""
    return (mapping or {}).get(key, "")


@register.filter
def language_choice(form, survey):
    """The welcome form's language field through crispy-forms: `{{ form|language_choice:survey }}`.

    Rendered once per survey version, interface language and preselected language
    (respondents.rendering).
    """
    from respondents.rendering import language_choice_html

    return language_choice_html(form, survey)


@register.simple_tag(takes_context=True)
def survey_title(context, survey) -> str:
    """The survey's title in the respondent's language: `{% survey_title survey %}`.

    That is the page's `language` when the view gives one, else the language the page
    is rendered in (the views render a respondent's pages in their language).
    """
    language = context.get("language") or translation.get_language()
    return survey.text(survey.title, language) or survey.slug


@register.simple_tag
def error_summary(form) -> list[dict]:
    """Each refused answer of a page form, for the summary above the questions.

    One entry per question (a grid's rows are one question each), in page order, with
    the id of the control the link focuses and the question's text.
    """
    if form is None or not form.errors:
        return []
    entries = []
    for name, field in form.fields.items():
        errors = form.errors.get(name)
        if not errors:
            continue
        bound = form[name]
        # A group of radios or boxes has no control of its own: the link goes to its first.
        grouped = isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)
        target = f"{bound.auto_id}_0" if grouped else bound.auto_id
        entries.append({"target": target, "label": field.label, "message": errors[0]})
    return entries


@register.simple_tag
def page_has_required(page) -> bool:
    """Whether a question of `page` needs an answer (the page then explains the mark)."""
    return any(question.required for question in page.questions)
