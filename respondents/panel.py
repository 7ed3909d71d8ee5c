"""Reading panel files: who to invite, in which language, and what is known of them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from surveys.models import Question, Survey

ID_COLUMNS = ("panel_id", "id")
LANGUAGE_COLUMNS = ("language", "lang")
MAX_ROWS = 1_000_000


class PanelFileError(Exception):
    """The panel file cannot be used; `errors` lists every reason with its line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class PanelMember:
    panel_id: str
    language: str = ""
    known: dict = field(default_factory=dict)


def _known_value(question: Question, raw: str, choices: set[str]) -> object:
    """Return `raw` as an answer to `question`, or raise ValueError saying why not."""
    if question.type == Question.Type.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise ValueError("is not a whole number") from None
    if question.type == Question.Type.DECIMAL:
        try:
            return str(Decimal(raw))
        except InvalidOperation:
            raise ValueError("is not a number") from None
    if question.type == Question.Type.SINGLE:
        if raw not in choices:
            raise ValueError("is not one of its answers")
        return raw
    if question.type == Question.Type.MULTIPLE:
        values = raw.split()
        if not set(values) <= choices:
            raise ValueError("is not one of its answers")
        return values
    return raw


def read_panel_file(survey: Survey, path: str | Path) -> list[PanelMember]:
    """Read and check a panel CSV; raise PanelFileError listing every bad line."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise PanelFileError([f"{path}: no such file"]) from None
    except UnicodeDecodeError:
        raise PanelFileError([f"{path}: not UTF-8 text; save the file as CSV UTF-8"]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    id_column = next((c for c in header if c.lower() in ID_COLUMNS), None)
    if id_column is None:
        raise PanelFileError([f"line 1: no panel_id column (the columns are {', '.join(header)})"])
    language_column = next((c for c in header if c.lower() in LANGUAGE_COLUMNS), None)
    questions = {
        q.variable: q
        for q in survey.questions.select_related("choice_list").prefetch_related(
            "choice_list__choices"
        )
    }
    errors = []
    variable_columns = [c for c in header if c not in (id_column, language_column) and c]
    for column in variable_columns:
        if column not in questions:
            errors.append(f"line 1: the column '{column}' is not a question of {survey.slug}")
    if errors:
        raise PanelFileError(errors)
    choices = {
        name: {c.value for c in q.choice_list.choices.all()} if q.choice_list else set()
        for name, q in questions.items()
    }

    members: list[PanelMember] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if len(members) >= MAX_ROWS:
            raise PanelFileError([f"line {line}: more than {MAX_ROWS:,} members in one file"])
        if None in row:
            errors.append(f"line {line}: more values than columns")
            continue
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        panel_id = row.get(id_column, "")
        if not panel_id:
            errors.append(f"line {line}: the panel_id is empty")
            continue
        if len(panel_id) > 100:
            errors.append(f"line {line}: the panel_id is longer than 100 characters")
            continue
        if panel_id in seen:
            errors.append(f"line {line}: panel_id '{panel_id}' is already on line {seen[panel_id]}")
            continue
        seen[panel_id] = line
        language = row.get(language_column, "") if language_column else ""
        if language and language not in survey.languages:
            errors.append(
                f"line {line}: language '{language}' is not one of {', '.join(survey.languages)}"
            )
            continue
        known = {}
        for column in variable_columns:
            raw = row.get(column, "")
            if not raw:
                continue
            try:
                known[column] = _known_value(questions[column], raw, choices[column])
            except ValueError as exc:
                errors.append(f"line {line}: {column} '{raw}' {exc}")
        members.append(PanelMember(panel_id, language, known))
    if errors:
        raise PanelFileError(errors)
    if not members:
        raise PanelFileError([f"{path}: the file lists no panel members"])
    return members
