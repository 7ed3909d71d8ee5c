"""Numbers on the field manager's pages, written as the interface language writes them."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def num(value, decimals=None):
    """`{{ 1213|num }}` is 1,213 in English, 1 213 in Russian; `{{ 55.94|num:1 }}` 55.9.

    Grouped whatever USE_THOUSAND_SEPARATOR says, so every page writes 1,213 alike; a
    value that is no number is shown as it is.
    """
    if value is None or value == "":
        return ""
    try:
        number = float(value) if decimals is not None else int(value)
    except (TypeError, ValueError):
        return value
    if decimals is not None:
        number = round(number, int(decimals))
        if number == 0:
            number = 0.0  # no "-0.0"
    return number_format(
        number, decimal_pos=None if decimals is None else int(decimals), force_grouping=True
    )
