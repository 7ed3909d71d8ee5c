"""Reading panel files: who to invite, in which language, and what is known of them.

A panel file can list hundreds of thousands of members, so it is read as a stream, twice:
`PanelFile.check` reads it through once and reports every bad line (nobody is invited from
a file with one), `PanelFile.members` reads it again and yields the members one by one,
for the invitation to write in batches. Memory holds the ids seen (to refuse a repeated
one), never the file or its members.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fieldwork.errors import Refused
from respondents.known import KnownAnswers
from surveys.definition import CONTROL_CHARACTERS
from surveys.models import Survey

ID_COLUMNS = ("panel_id", "id")
LANGUAGE_COLUMNS = ("language", "lang")
MAX_ROWS = 1_000_000
MAX_ID_LENGTH = 100
# A line longer than this is no panel member (csv's own limit, raised from 128 KB).
MAX_LINE = 100_000
# Lines listed in a report, and members named as ineligible; the rest are counted.
MAX_LISTED = 200


class PanelFileError(Refused):
    """The panel file cannot be used; `errors` lists every reason with its line."""


@dataclass(frozen=True)
class PanelMember:
    panel_id: str
    language: str = ""
    known: dict = field(default_factory=dict)


@dataclass
class PanelCheck:
    """What reading a good panel file found."""

    members: int = 0
    # (line, panel id, the question whose screening the known answers fail)
    ineligible: list[tuple[int, str, str]] = field(default_factory=list)
    ineligible_count: int = 0


class PanelFile:
    """A panel CSV for one survey (UTF-8, Excel's BOM is fine)."""

    def __init__(self, survey: Survey, path: str | Path) -> None:
        self.survey = survey
        self.path = Path(path)
        self._known: KnownAnswers | None = None

    def check(self) -> PanelCheck:
        """Read the whole file; raise PanelFileError listing every bad line."""
        result = PanelCheck()
        errors: list[str] = []
        for line, member, problems in self._read(errors):
            if problems:
                errors.extend(f"line {line}: {problem}" for problem in problems)
                continue
            result.members += 1
            failed = self._known.screened_out_by(member.known) if member.known else None
            if failed is not None:
                result.ineligible_count += 1
                if len(result.ineligible) < MAX_LISTED:
                    result.ineligible.append((line, member.panel_id, failed))
        if errors:
            shown = errors[:MAX_LISTED]
            if len(errors) > MAX_LISTED:
                shown.append(f"... and {len(errors) - MAX_LISTED:,} more problems")
            raise PanelFileError(shown)
        if not result.members:
            raise PanelFileError([f"{self.path}: the file lists no panel members"])
        return result

    def members(self) -> Iterator[PanelMember]:
        """Yield each member of a file `check` found good."""
        errors: list[str] = []
        for _line, member, problems in self._read(errors):
            if problems or errors:
                raise PanelFileError(errors or problems)  # the file changed since check()
            yield member

    # Reading --------------------------------------------------------------------------

    def _read(self, errors: list[str]) -> Iterator[tuple[int, PanelMember | None, list[str]]]:
        """Yield (line, member, problems) per line; file-wide problems go to `errors`."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            raise PanelFileError([f"{self.path}: no such file"]) from None
        except OSError as exc:
            raise PanelFileError([f"{self.path}: {exc.strerror or exc}"]) from None
        with handle:
            lines = _Lines(handle)
            reader = csv.reader(lines)
            try:
                header = [name.strip() for name in next(reader, [])]
            except csv.Error as exc:
                raise PanelFileError([f"line 1: cannot be read as CSV ({exc})"]) from None
            header_problems = lines.take_problems()
            if header_problems:
                raise PanelFileError([f"line 1: {problem}" for problem in header_problems])
            columns = self._columns(header)
            seen: dict[str, int] = {}
            count = 0
            while True:
                line = lines.number + 1
                try:
                    values = next(reader, None)
                except csv.Error as exc:
                    # the line cannot be split (a field longer than MAX_LINE, an open quote)
                    yield line, None, [f"cannot be read as CSV ({exc})"]
                    break
                if values is None:
                    break
                line = reader.line_num
                problems = lines.take_problems()
                if not any(value.strip() for value in values) and not problems:
                    continue
                count += 1
                if count > MAX_ROWS:
                    errors.append(f"line {line}: more than {MAX_ROWS:,} members in one file")
                    break
                member, more = self._member(columns, values, seen, line)
                yield line, member, problems + more

    def _columns(self, header: list[str]) -> tuple[int, int | None, list[tuple[int, str]], int]:
        lowered = [name.lower() for name in header]
        id_at = next((i for i, name in enumerate(lowered) if name in ID_COLUMNS), None)
        if id_at is None:
            raise PanelFileError(
                [f"line 1: no panel_id column (the columns are {', '.join(header)})"]
            )
        language_at = next((i for i, name in enumerate(lowered) if name in LANGUAGE_COLUMNS), None)
        variables = [
            (i, name) for i, name in enumerate(header) if i not in (id_at, language_at) and name
        ]
        self._known = KnownAnswers(self.survey, [name for _, name in variables])
        unknown = [
            f"line 1: the column '{name}' is not a question of {self.survey.slug}"
            for _, name in variables
            if name not in self._known.questions
        ]
        if unknown:
            raise PanelFileError(unknown)
        return id_at, language_at, variables, len(header)

    def _member(
        self, columns, values: list[str], seen: dict[str, int], line: int
    ) -> tuple[PanelMember | None, list[str]]:
        id_at, language_at, variables, width = columns
        if len(values) > width:
            return None, ["more values than columns"]
        values = [value.strip() for value in values] + [""] * max(0, width - len(values))
        panel_id = values[id_at]
        if not panel_id:
            return None, ["the panel_id is empty"]
        if len(panel_id) > MAX_ID_LENGTH:
            return None, [f"the panel_id is longer than {MAX_ID_LENGTH} characters"]
        if panel_id in seen:
            return None, [f"panel_id '{panel_id}' is already on line {seen[panel_id]}"]
        seen[panel_id] = line
        language = values[language_at] if language_at is not None else ""
        if language and language not in self.survey.languages:
            return None, [f"language '{language}' is not one of {', '.join(self.survey.languages)}"]
        raw = {name: values[i] for i, name in variables if values[i]}
        known, refused = self._known.check(raw)
        if refused:
            return None, [f"{name} '{_shown(raw[name])}' {reason}" for name, reason in refused]
        return PanelMember(panel_id, language, known), []


class _Lines:
    """The file's physical lines, numbered, with control characters taken out and noted.

    csv stops at a NUL with a bare error; here every line holding a control character
    is reported with its number, and reading goes on to find the others.
    """

    def __init__(self, handle) -> None:
        self.handle = handle  # binary: each line is decoded alone, so a bad one is named
        self.number = 0
        self.problems: list[str] = []

    def __iter__(self):
        return self

    def __next__(self) -> str:
        data = self.handle.readline(MAX_LINE + 1)
        if not data:
            raise StopIteration
        self.number += 1
        if len(data) > MAX_LINE:
            self.problems.append(f"the line is longer than {MAX_LINE:,} bytes")
            while data and not data.endswith(b"\n"):  # skip the rest of the line
                data = self.handle.readline(MAX_LINE + 1)
            return "\n"
        if self.number == 1 and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.problems.append("not UTF-8 text; save the file as CSV UTF-8")
            text = data.decode("utf-8", errors="replace")
        if CONTROL_CHARACTERS.search(text):
            self.problems.append(
                f"contains a control character ({_control_names(text)}), which no panel id "
                "or answer may hold"
            )
            text = CONTROL_CHARACTERS.sub("", text)
        return text

    def take_problems(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def _control_names(text: str) -> str:
    found = dict.fromkeys(CONTROL_CHARACTERS.findall(text))
    return ", ".join(f"U+{ord(c):04X}" for c in found)


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


def read_panel_file(survey: Survey, path: str | Path) -> list[PanelMember]:
    """Read and check a panel CSV; raise PanelFileError listing every bad line.

    Holds every member in memory: for a large file use PanelFile (check, then members).
    """
    panel = PanelFile(survey, path)
    panel.check()
    return list(panel.members())
