"""The codebook says what each variable is, on which base, and counts what the CSV holds."""

import csv
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from reports.toplines import toplines

pytestmark = pytest.mark.django_db


def export(tmp_path, fmt, name, *args):
    path = tmp_path / name
    call_command("export", "gt2024-kazakhstan", "--format", fmt, "--output", str(path), *args)
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("args", [(), ("--all",)])
def test_codebook_counts_are_the_csv_exports_counts(kazakhstan_fieldwork, tmp_path, args):
    data = export(tmp_path, "csv", "data.csv", *args)
    book = export(tmp_path, "codebook", "codebook.csv", *args)
    entries = defaultdict(list)
    for line in book:
        entries[line["variable"]].append(line)
    assert set(entries) == set(data[0])  # every variable, metadata included
    checked = 0
    for variable, lines in entries.items():
        column = [row[variable] for row in data]
        first = lines[0]
        assert int(first["respondents"]) == len(data)
        assert int(first["answered"]) == sum(value != "" for value in column), variable
        if first["type"] == "meta":
            continue
        assert int(first["asked"]) == int(first["answered"]) + int(first["skipped"])
        assert int(first["asked"]) + int(first["not_asked"]) == len(data)
        if first["type"] not in ("single", "option"):
            continue
        # the CSV leaves skipped and not-asked cells empty: what it holds was answered
        answered = [value for value in column if value != ""]
        assert int(first["answered"]) == len(answered), variable
        found = Counter(answered)
        for line in lines:
            assert int(line["count"]) == found.get(line["value"], 0), (variable, line["value"])
            share = int(line["count"]) / len(answered) if answered else 0.0
            assert line["percent_of_answered"] == f"{share:.1%}"
        assert sum(int(line["count"]) for line in lines) == len(answered), variable
        checked += 1
    assert checked > 80


def test_a_follow_up_asked_of_some_has_them_as_its_base(kazakhstan_fieldwork, tmp_path):
    data = export(tmp_path, "csv", "data.csv")
    book = {
        (line["variable"], line["value"]): line
        for line in export(tmp_path, "codebook", "codebook.csv")
    }
    line = book[("china_model_value_for_kazakhstan", "1")]
    successful = [row for row in data if row["china_model"] in ("1", "2")]
    assert int(line["asked"]) == len(successful) < len(data)
    assert int(line["not_asked"]) == len(data) - len(successful)


def test_codebook_shares_are_the_toplines_shares(kazakhstan_fieldwork, tmp_path):
    book = {
        (line["variable"], line["value"]): line
        for line in export(tmp_path, "codebook", "codebook.csv")
    }
    tables = {table.item.variable: table for table in toplines(kazakhstan_fieldwork).tables}
    for variable, value, column in (
        ("sco_impact", "independence", "sco_impact_independence"),
        ("china_model_value", "for_kazakhstan", "china_model_value_for_kazakhstan"),
        ("sco_support", "1", "sco_support"),
        ("proj_nelb", "1", "proj_nelb"),
    ):
        table = tables[variable]
        row = next(r for r in table.rows if r.value == value)
        code = "1" if column != variable else value
        line = book[(column, code)]
        assert int(line["answered"]) == table.base, variable
        assert line["percent_of_answered"] == f"{row.share:.1%}", variable


def test_each_grid_row_and_option_has_its_own_full_text(kazakhstan_fieldwork, tmp_path):
    book = {line["variable"]: line for line in export(tmp_path, "codebook", "codebook.csv")}
    nelb, refinery = book["proj_nelb"], book["proj_refinery"]
    assert nelb["text_ru"] != refinery["text_ru"]
    assert refinery["text_ru"].endswith(
        " — Модернизация Шымкентского нефтеперерабатывающего завода"
    )
    assert refinery["text_kk"].endswith(" — Шымкент мұнай өңдеу зауытын жаңғырту")
    assert book["occupation"]["text_ru"] == "Каково ваше основное занятие в настоящее время?"
    option = book["sco_impact_independence"]["text_ru"]
    assert option.endswith("и сохранить национальную независимость")  # the option, in full
    assert book["seconds"]["measure"] == "scale" and book["seconds"]["text_ru"]
