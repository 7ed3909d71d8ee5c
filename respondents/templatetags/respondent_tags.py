from django import template

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
