# Chinese numbers grouped by thousands, as CLDR and the mainland's statistics write them
# (1,213); Django's own zh_Hans formats group nothing.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
