# Kazakh numbers as CLDR writes them (Django ships no Kazakh formats): 1 213,5.
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space
NUMBER_GROUPING = 3
