"""regex(): RE2 on the server, the same answers in the browser, unsupported parts reported."""

import json
import shutil
import subprocess

import pytest

from surveys.expressions import Evaluator, UnsupportedExpression, parse, tree_as_data
from surveys.models import Question, Survey
from surveys.patterns import browser_pattern, matches
from surveys.services import survey_import_xlsform
from surveys.xlsform.reader import XLSFormError

EN = "label::English (en)"


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("+77011234567", r"^\+7[0-9]{10}$", True),
        ("+7701123456", r"^\+7[0-9]{10}$", False),
        ("id AB123456 here", r"[A-Z]{2}[0-9]{6}", True),  # matches anywhere, as in ODK
        ("id AB123456 here", r"^[A-Z]{2}[0-9]{6}$", False),
        ("Алматы", r"^\p{Cyrillic}+$", True),
        ("北京", r"^.{2}$", True),  # characters, not bytes
        ("a\nb", r"^a.b$", False),  # '.' is not a newline
    ],
)
def test_regex_matches_like_odk(value, pattern, expected):
    assert Evaluator({"v": value}).holds(f"regex(${{v}}, '{pattern}')") is expected


def test_a_number_answer_is_matched_as_its_text():
    assert Evaluator({"n": 1234}).holds(r"regex(${n}, '^\d{4}$')")
    assert not Evaluator({}).holds(r"regex(${n}, '^\d{4}$')")  # unanswered is ''


def test_a_pattern_catastrophic_for_backtracking_is_answered():
    assert not matches("a" * 50_000 + "!", "(a+)+$")
    assert matches("a" * 50_000, "^(a+)+$")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (r"regex(., '(a)\1')", "invalid escape sequence"),  # back-reference
        ("regex(., '(?=a)b')", "invalid perl operator"),  # look-ahead
        ("regex(., '[a')", "missing ]"),
        ("regex(., ${other})", "must be a quoted text"),
    ],
)
def test_a_pattern_re2_does_not_run_is_refused_saying_why(text, words):
    with pytest.raises(UnsupportedExpression, match=words):
        parse(text)


@pytest.mark.parametrize(
    ("pattern", "javascript"),
    [
        (r"^\+7[0-9]{10}$", r"^\+7[0-9]{10}$"),
        (r"^\d{12}$", "^[0-9]{12}$"),
        (r"^[A-Z]{2}-\w+$", "^[A-Z]{2}-[0-9A-Za-z_]+$"),
        (r"^a.b\s$", "^a[^\\n]b[\\t\\n\\f\\r ]$"),
        ("^(yes|no)$", "^(yes|no)$"),
    ],
)
def test_a_portable_pattern_is_rewritten_for_the_browser(pattern, javascript):
    assert browser_pattern(pattern) == javascript


@pytest.mark.parametrize(
    "pattern",
    [
        "(a+)+$",
        "(a|aa)*b",
        "(x+y?){2}",
        "(?i)abc",
        r"\pL",
        "[[:alpha:]]",
        "a*b*c*",
        "x{1000}",
        r"\Aa",
    ],
)
def test_a_pattern_the_browser_might_read_otherwise_or_slowly_is_left_to_the_server(pattern):
    assert browser_pattern(pattern) is None
    call = tree_as_data(f"regex(., '{pattern}')")
    assert call["js"] is None


@pytest.mark.skipif(not shutil.which("node"), reason="needs node to run JavaScript's RegExp")
def test_the_browser_pattern_answers_as_re2_does():
    patterns = [
        r"^\+7[0-9]{10}$",
        r"^\d{3}-\d{2}$",
        r"^[A-Z]{2}\d{6}$",
        r"\bcat\b",
        r"^\S+@\S+$",
        r"^a.c$",
        r"^[^\d\s]+$",
        r"^(yes|no)?$",
        r"x{2,3}y",
    ]
    values = [
        "+77011234567",
        "123-45",
        "AB123456",
        "a cat!",
        "me@ex.kz",
        "a\nc",
        "abc",
        "a\u00a0c",
        "١٢٣-٤٥",
        "Straße",
        "",
        "yes",
        "xxy",
        "xy",
        "concat",
        "a\rc",
    ]
    cases = [(browser_pattern(p), p, v) for p in patterns for v in values]
    assert all(js is not None for js, _, _ in cases)
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([js, , v]) => new RegExp(js, 'u').test(v))));"
    )
    run = subprocess.run(
        ["node", "-e", script], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    browser = json.loads(run.stdout)
    server = [matches(v, p) for _, p, v in cases]
    differ = [case[1:] for case, b, s in zip(cases, browser, server, strict=True) if b != s]
    assert not differ
    assert any(server) and not all(server)


# Import -----------------------------------------------------------------------------------

ROWS = [
    {"type": "text", "name": "name", EN: "Name", "constraint": r"regex(., '^(\w+) \1$')"},
    {"type": "text", "name": "phone", EN: "Phone", "constraint": r"regex(., '^\+7\d{10}$')"},
    {"type": "text", "name": "city", EN: "City", "relevant": "regex(${phone}, '(?<=7)0')"},
    {"type": "integer", "name": "kids", EN: "Children", "constraint": "pulldata('f', 1)"},
]


@pytest.mark.django_db
def test_an_unsupported_pattern_is_reported_with_its_sheet_row_and_column(make_form):
    with pytest.raises(XLSFormError) as refused:
        survey_import_xlsform(make_form(ROWS, (), {"form_title": "T"}), "regex")
    errors = refused.value.errors
    assert any(
        e.startswith("survey sheet, row 2 (name), column 'constraint'") and "RE2" in e
        for e in errors
    )
    assert any(e.startswith("survey sheet, row 4 (city), column 'relevant'") for e in errors)
    assert any(e.startswith("survey sheet, row 5 (kids), column 'constraint'") for e in errors)
    assert not any("row 3 (phone)" in e for e in errors)
    assert not Survey.objects.filter(slug="regex").exists()


@pytest.mark.django_db
def test_skip_unsupported_leaves_out_only_the_expression_and_lists_it(make_form):
    result = survey_import_xlsform(
        make_form(ROWS, (), {"form_title": "T"}), "regex", skip_unsupported=True
    )
    questions = {q.variable: q for q in Question.objects.filter(survey=result.survey)}
    assert set(questions) == {"name", "phone", "city", "kids"}
    assert questions["name"].constraint == ""
    assert questions["phone"].constraint == r"regex(., '^\+7\d{10}$')"
    assert questions["city"].relevant == ""
    assert questions["kids"].constraint == ""
    assert len(result.skipped) == 3
    name, city, kids = result.skipped
    assert name.startswith("survey sheet, row 2 (name), column 'constraint'")
    assert "any answer of its type is accepted" in name
    assert city.startswith("survey sheet, row 4 (city), column 'relevant'")
    assert "asked of everyone" in city
    assert kids.startswith("survey sheet, row 5 (kids), column 'constraint'")
    assert "pulldata()" in kids
