import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from respondents.models import Respondent
from tests.conftest import table_counts

pytestmark = pytest.mark.django_db


def write(tmp_path, text, name="panel.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def invite(tmp_path, panel, slug="gt2024-kazakhstan"):
    out = tmp_path / "links.csv"
    call_command("invite", slug, panel=str(panel), out=str(out))
    with out.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_each_member_gets_a_personal_link_in_the_output(kazakhstan, tmp_path):
    panel = write(
        tmp_path,
        "panel_id,language,region,age,gender\n"
        "kz-1,ru,almaty_city,34,female\nkz-2,kk,astana,,\nkz-3,,,29,male\n",
    )
    links = invite(tmp_path, panel)
    assert [row["panel_id"] for row in links] == ["kz-1", "kz-2", "kz-3"]
    tokens = [row["link"].rstrip("/").rsplit("/", 1)[1] for row in links]
    assert len(set(tokens)) == 3
    assert links[0]["link"].startswith("http://127.0.0.1:8000/s/")
    first = Respondent.objects.get(panel_id="kz-1")
    assert first.preferred_language == "ru"
    assert first.known == {"region": "almaty_city", "age": 34, "gender": "female"}
    assert Respondent.objects.get(panel_id="kz-2").known == {"region": "astana"}


def test_inviting_the_same_members_again_creates_no_duplicates_and_keeps_links(
    kazakhstan, tmp_path
):
    panel = write(tmp_path, "panel_id,region\nkz-1,astana\nkz-2,shymkent\n")
    first = invite(tmp_path, panel)
    again = invite(tmp_path, panel)
    assert Respondent.objects.count() == 2
    assert again == first


def test_a_byte_order_mark_from_excel_is_accepted(kazakhstan, tmp_path):
    panel = tmp_path / "excel.csv"
    panel.write_bytes("panel_id,region\nkz-9,astana\n".encode("utf-8-sig"))
    assert invite(tmp_path, panel)[0]["panel_id"] == "kz-9"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("panel_id,region\nok-1,astana\nbad,atlantis\n", "line 3: region 'atlantis'"),
        ("panel_id,age\nok-1,34\nbad,thirty\n", "line 3: age 'thirty' is not a whole number"),
        ("panel_id,language\nok-1,ru\nbad,fr\n", "line 3: language 'fr'"),
        (
            "panel_id,region\nok-1,astana\nok-1,shymkent\n",
            "line 3: panel_id 'ok-1' is already on line 2",
        ),
        ("panel_id,region\nok-1,astana\n,shymkent\n", "line 3: the panel_id is empty"),
        ("panel_id,region\nok-1,astana,extra\n", "line 2: more values than columns"),
        ("panel_id,shoe_size\nok-1,44\n", "line 1: the column 'shoe_size'"),
        ("member,region\nok-1,astana\n", "line 1: no panel_id column"),
    ],
)
def test_a_malformed_file_is_reported_by_line_and_nobody_is_invited(
    kazakhstan, tmp_path, text, message
):
    before = table_counts()
    with pytest.raises(CommandError) as raised:
        invite(tmp_path, write(tmp_path, text))
    assert message in str(raised.value)
    assert "nobody was invited" in str(raised.value)
    assert table_counts() == before
    assert not (tmp_path / "links.csv").exists()


def test_a_file_that_is_not_utf8_is_refused_clearly(kazakhstan, tmp_path):
    panel = tmp_path / "latin1.csv"
    panel.write_bytes("panel_id,region\nkz-ä,astana\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        invite(tmp_path, panel)


def test_an_unknown_survey_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="no survey 'nope'"):
        invite(tmp_path, write(tmp_path, "panel_id\nx\n"), slug="nope")
