"""SPSS files keep every label's text or say which they shortened; formats and levels fit."""

import io

import pyreadstat
import pytest
from django.core.management import call_command

from reports import datasets, spss

pytestmark = pytest.mark.django_db

PREFIX = "label shortened to fit the .sav: "


def export_sav(tmp_path, language):
    path = tmp_path / f"{language}.sav"
    out = io.StringIO()
    call_command(
        "export",
        "gt2024-kazakhstan",
        "--format",
        "sav",
        "--all",
        "--lang",
        language,
        "--output",
        str(path),
        stdout=out,
    )
    listed = [
        line[len(PREFIX) :] for line in out.getvalue().splitlines() if line.startswith(PREFIX)
    ]
    return path, listed


def listed_as(listed, whose, full):
    return any(line.startswith(f"{whose}: {full} (written as ") for line in listed)


def size(text):
    return len(text.encode("utf-8"))


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_no_label_read_back_lost_text_without_being_listed(
    kazakhstan_fieldwork, tmp_path, language
):
    path, listed = export_sav(tmp_path, language)
    _, meta = pyreadstat.read_sav(str(path))
    cols = datasets.columns(kazakhstan_fieldwork, language)
    shortened, texts = 0, []
    for col in cols:
        written = meta.column_names_to_labels[col.name]
        assert size(written) <= spss.VARIABLE_LABEL_BYTES
        if written != col.label:
            shortened += 1
            texts.append(col.label)
            assert written.endswith(spss.MARK) or f"{spss.MARK} — " in written
            assert listed_as(listed, col.name, col.label), col.name
        for code, full in col.value_labels.items():
            written = meta.variable_value_labels[col.name][code]
            assert size(written) <= spss.VALUE_LABEL_BYTES
            if written != full:
                shortened += 1
                texts.append(full)
                assert written.endswith(spss.MARK)
                assert full.startswith(written[: -len(spss.MARK)].rstrip())
                assert listed_as(listed, f"{col.name} = {code}", full), (col.name, code)
    # The demo's Kazakh and Russian texts do run past the limits, so this checked something,
    # and nothing is listed that was not shortened.
    assert shortened == len(listed) > 0
    # and the file's documents hold each one's full text
    documents = " ".join(line.strip() for line in meta.notes)
    assert all(" ".join(text.split()) in documents for text in texts)


def test_a_grid_rows_text_survives_when_the_question_is_shortened(kazakhstan_fieldwork, tmp_path):
    path, _ = export_sav(tmp_path, "ru")
    _, meta = pyreadstat.read_sav(str(path))
    nelb, refinery = (meta.column_names_to_labels[n] for n in ("proj_nelb", "proj_refinery"))
    assert nelb != refinery
    assert refinery.endswith("Модернизация Шымкентского нефтеперерабатывающего завода")


def test_fit_cuts_on_a_character_boundary_and_marks_the_cut():
    text = "ә" * 57 + " " + "ё" * 100  # two bytes a letter
    cut = spss.fit(text, spss.VALUE_LABEL_BYTES)
    assert size(cut) <= spss.VALUE_LABEL_BYTES and cut.endswith(spss.MARK)
    assert cut == "ә" * 57 + spss.MARK  # at the space, which kept most of the text
    assert spss.fit("short", 120) == "short"
    odd = spss.fit("a" + "ж" * 200, 256)  # the limit falls inside a letter
    assert size(odd) <= 256 and odd.startswith("a" + "ж" * 100)


def test_formats_are_whole_numbers_and_levels_follow_the_questionnaire(
    kazakhstan_fieldwork, tmp_path
):
    path, _ = export_sav(tmp_path, "ru")
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    formats, measures = meta.original_variable_types, meta.variable_measure
    for name in ("region", "sco_support", "study_willing", "proj_nelb", "sco_impact_security"):
        assert formats[name] == "F3.0", name  # codes up to 17, missing codes -98 and -99
    assert formats["age"] == "F3.0"  # 0 to 120
    assert formats["seconds"] == "F8.1" and measures["seconds"] == "scale"
    assert frame["seconds"].dropna().gt(0).all()
    assert measures["sco_support"] == measures["proj_nelb"] == "ordinal"  # declared
    assert measures["study_willing"] == measures["closer"] == "nominal"  # yes/no/hard to say
    assert measures["age"] == measures["weight"] == "scale"
    assert measures["sco_impact_security"] == "nominal"
