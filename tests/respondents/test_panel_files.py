"""Panel files: bad bytes named by line, known answers checked as the page checks them,
ineligible members listed and ended at their link, a links file safe to open (14.6, 15.6)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from respondents.models import Respondent, Submission
from respondents.panel import PanelFile
from tests.conftest import table_counts
from tests.respondents.conftest import Respondent_
from tests.respondents.test_invitations import invite, write

pytestmark = pytest.mark.django_db


def refused(tmp_path, text: str) -> str:
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        invite(tmp_path, write(tmp_path, text))
    assert table_counts() == before
    assert not (tmp_path / "links.csv").exists()
    return str(raised.value)


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f"])
def test_a_control_character_is_refused_with_its_line(kazakhstan, tmp_path, character):
    message = refused(tmp_path, f"panel_id,region\nok-1,astana\nbad{character}2,astana\n")
    assert f"line 3: contains a control character (U+{ord(character):04X})" in message


def test_every_bad_line_is_reported_in_one_pass(kazakhstan, tmp_path):
    message = refused(tmp_path, "panel_id,age\na\x00,30\nb,200\nc,1_000\nd,30\n")
    assert "line 2: contains a control character" in message
    assert "line 3: age '200' is above the question's maximum, 120" in message
    assert "line 4: age '1_000' is not a whole number" in message
    assert "line 5" not in message


@pytest.mark.parametrize(
    ("age", "reason"),
    [
        ("1" + "0" * 30, "is above the question's maximum, 120"),
        ("200", "is above the question's maximum, 120"),
        ("-1", "is below the question's minimum, 0"),
        ("1_000", "is not a whole number"),
        ("٣٤", "is not a whole number"),  # Arabic-Indic 34
        ("３４", "is not a whole number"),  # fullwidth 34
        ("1e29", "is not a whole number"),
        ("34.0", "is not a whole number"),
    ],
)
def test_a_known_age_is_checked_as_the_page_checks_it(kazakhstan, tmp_path, age, reason):
    message = refused(tmp_path, f"panel_id,age\nbad,{age}\n")
    assert f"line 2: age '{age}' {reason}" in message


def test_a_known_answer_must_meet_the_question_constraint(china, tmp_path):
    question = china.questions.filter(type="integer").first()
    question.constraint = ". != 33"
    question.save()
    out = tmp_path / "links.csv"
    with pytest.raises(CommandError) as raised:
        call_command(
            "invite",
            china.slug,
            panel=str(write(tmp_path, f"panel_id,{question.variable}\nx,33\n")),
            out=str(out),
        )
    assert f"line 2: {question.variable} '33' is not accepted by the question's constraint" in str(
        raised.value
    )


def test_members_failing_screening_are_listed_and_end_at_their_link(kazakhstan, tmp_path, capsys):
    panel = write(tmp_path, "panel_id,region,age\nyoung,astana,16\nok,astana,34\nold,,75\n")
    links = {row["panel_id"]: row["link"] for row in invite(tmp_path, panel)}
    out = capsys.readouterr().out
    assert "2 members are ineligible" in out
    assert "line 2: young (screening of age)" in out and "line 4: old (screening of age)" in out
    assert "line 3" not in out
    young = Respondent_(Respondent.objects.get(panel_id="young"))
    response = young.start("ru")
    assert young.current_page(response) is None
    assert Submission.objects.get(respondent__panel_id="young").status == "screened_out"
    assert 'data-end="screened_out"' in response.content.decode()
    ok = Respondent_(Respondent.objects.get(panel_id="ok"))
    assert ok.current_page(ok.start("ru")) is not None
    assert set(links) == {"young", "ok", "old"}


@pytest.mark.parametrize("panel_id", ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "＝1", "＠x"])
def test_the_links_file_neutralises_a_formula_panel_id(kazakhstan, tmp_path, panel_id):
    text = f'panel_id,region\n"{panel_id}",astana\n'
    (row,) = invite(tmp_path, write(tmp_path, text))
    assert row["panel_id"] == "'" + panel_id
    assert Respondent.objects.get().panel_id == panel_id


def test_members_are_read_as_a_stream_after_the_check(kazakhstan, tmp_path):
    lines = "".join(f"m{i},astana,{18 + i % 50}\n" for i in range(5000))
    panel = PanelFile(kazakhstan, write(tmp_path, "panel_id,region,age\n" + lines))
    assert panel.check().members == 5000
    members = panel.members()
    first = next(members)
    assert (first.panel_id, first.known) == ("m0", {"region": "astana", "age": 18})
    assert sum(1 for _ in members) == 4999


def test_a_large_file_is_invited_in_batches_with_every_link(kazakhstan, tmp_path):
    lines = "".join(f"m{i},astana\n" for i in range(4500))
    rows = invite(tmp_path, write(tmp_path, "panel_id,region\n" + lines))
    assert len(rows) == Respondent.objects.count() == 4500
    assert [row["panel_id"] for row in rows[:2]] == ["m0", "m1"]
    assert len({row["link"] for row in rows}) == 4500
