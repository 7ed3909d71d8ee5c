"""A small bilingual (Kazakh and Russian) XLSForm for the questionnaire pages' tests.

Four pages: age (screening 18 to 70) and region; whether the respondent has been to
China; a follow-up shown only to those who have (skip logic); a closing comment.
`second=True` is the next version: a question added, one reworded, a choice added and
a skip condition changed. `broken=True` carries one mistake: the follow-up's condition
names a question that does not exist.
"""

from __future__ import annotations

KK, RU = "label::Kazakh (kk)", "label::Russian (ru)"
SETTINGS = {
    "form_title::Kazakh (kk)": "Қытай туралы сауалнама",
    "form_title::Russian (ru)": "Опрос о Китае",
}


def rows(*, second: bool = False, broken: bool = False) -> list[dict]:
    follow_up = "${been} = '1'" if not second else "${been} = '1' and ${age} >= 18"
    if broken:
        follow_up = "${beeen} = '1'"
    survey = [
        {"type": "begin group", "name": "p_who", KK: "Сіз туралы", RU: "О вас"},
        {
            "type": "integer",
            "name": "age",
            KK: "Жасыңыз нешеде?",
            RU: "Сколько вам лет?",
            "required": "yes",
            "screening": ". >= 18 and . <= 70",
        },
        {
            "type": "select_one region",
            "name": "region",
            KK: "Қай өңірде тұрасыз?",
            RU: "В каком регионе вы живёте?" if not second else "Где вы живёте?",
            "required": "yes",
        },
        {"type": "end group"},
        {"type": "begin group", "name": "p_been", KK: "Саяхат", RU: "Поездки"},
        {
            "type": "select_one yesno",
            "name": "been",
            KK: "Қытайда болдыңыз ба?",
            RU: "Бывали ли вы в Китае?",
            "required": "yes",
        },
        {"type": "end group"},
        {
            "type": "begin group",
            "name": "p_visit",
            KK: "Сапар",
            RU: "Поездка",
            "relevant": follow_up,
        },
        {
            "type": "text",
            "name": "visit_city",
            KK: "Қай қалада болдыңыз?",
            RU: "В каком городе вы были?",
            "required": "yes",
        },
        {"type": "end group"},
        {"type": "begin group", "name": "p_end", KK: "Соңы", RU: "Конец"},
        {"type": "text", "name": "comment", KK: "Пікіріңіз", RU: "Ваш комментарий"},
    ]
    if second:
        survey.append({"type": "integer", "name": "trips", KK: "Неше рет?", RU: "Сколько раз?"})
    survey.append({"type": "end group"})
    return survey


def choices(*, second: bool = False) -> list[dict]:
    listed = [
        {"list_name": "yesno", "name": "1", KK: "Иә", RU: "Да"},
        {"list_name": "yesno", "name": "2", KK: "Жоқ", RU: "Нет"},
        {"list_name": "region", "name": "astana", KK: "Астана", RU: "Астана"},
        {"list_name": "region", "name": "almaty", KK: "Алматы", RU: "Алматы"},
    ]
    if second:
        listed.append({"list_name": "region", "name": "shymkent", KK: "Шымкент", RU: "Шымкент"})
    return listed


DESIGN = {"sample_target": "100", "fieldwork_start": "2026-06-10", "fieldwork_end": "2026-06-24"}


def write(make_form, name: str = "form.csv", *, design: bool = False, **options):
    """Write the form with `make_form` (tests.conftest) and return its path; with
    `design`, its settings carry a sample target and fieldwork dates."""
    settings = {**SETTINGS, **(DESIGN if design else {})}
    return make_form(
        rows(**options), choices(second=options.get("second", False)), settings, name=name
    )
