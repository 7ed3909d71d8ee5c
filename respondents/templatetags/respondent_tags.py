from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    """Return mapping[key], or an empty string: `{{ survey.title|get_item:code }}`."""
    return (mapping or {}).get(key, "")
