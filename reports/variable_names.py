"""The dataset's variable names: unique, apart from the metadata, valid in every package.

A dataset column is named after what it holds: a question's variable, a grid row's, or
a multiple choice's variable and option joined by '_'. Those texts can collide once they
are made names SPSS, Stata and R accept (`q-1` and `q_1`, options `a-b` and `a.b` of a
question `m` beside a question `m_a_b`), can be a metadata column's name (`status`,
`weight`), and SPSS, which ignores case, would take `Q1` and `q1` for one variable. The
dataset never holds two columns of one name, in any format (CSV, XLSX, .sav, codebook):
each column gets its name here, by one deterministic rule (see ``assign``), so the same
questionnaire is exported under the same names every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# The longest name SPSS accepts (64 bytes; these names are ASCII).
MAX_LENGTH = 64
# SPSS's reserved words, which cannot name a variable.
SPSS_RESERVED = frozenset(
    ("ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH")
)
NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def valid_name(text: str) -> str:
    """Return `text` as a name every package accepts: ASCII letters, digits and '_',
    starting with a letter, at most MAX_LENGTH characters."""
    name = NOT_NAME.sub("_", text)
    if not re.match(r"[A-Za-z]", name):
        name = f"v_{name}"
    if name.upper() in SPSS_RESERVED:
        name = f"v_{name}"
    return name[:MAX_LENGTH]


def unique_names(
    wanted: Sequence[str], reserved: Iterable[str], *, generated: Sequence[bool] = ()
) -> list[str]:
    """Return one distinct name per text of `wanted`, none of them in `reserved`.

    Names are compared ignoring case (as SPSS does). A text that is already a valid
    name keeps it when it can; a text that had to change (a '-' or '.' in it, too long,
    a reserved word) and a name that is `generated` (a multiple choice's option column:
    its question's variable joined to the option) give way to names taken as they are.
    So the rule, applied in three rounds, each in column order:

    1. a question's own variable (or grid row's) that is a valid name takes it, unless
       a metadata column or an earlier column has it;
    2. then a generated name that is valid as it is, on the same terms;
    3. every other column, and every column whose name was taken, gets its valid name
       followed by the first of `_2`, `_3`... that is free (cut to fit MAX_LENGTH).
    """
    generated = list(generated) or [False] * len(wanted)
    taken = {name.lower() for name in reserved}
    names: list[str | None] = [None] * len(wanted)
    candidates = [valid_name(text) for text in wanted]
    for round_generated in (False, True):
        for index, text in enumerate(wanted):
            candidate = candidates[index]
            if generated[index] != round_generated or candidate != text:
                continue
            if candidate.lower() not in taken:
                taken.add(candidate.lower())
                names[index] = candidate
    for index, candidate in enumerate(candidates):
        if names[index] is not None:
            continue
        if candidate.lower() not in taken:
            name = candidate
        else:
            number = 2
            while True:
                suffix = f"_{number}"
                name = candidate[: MAX_LENGTH - len(suffix)] + suffix
                if name.lower() not in taken:
                    break
                number += 1
        taken.add(name.lower())
        names[index] = name
    return names  # type: ignore[return-value]
