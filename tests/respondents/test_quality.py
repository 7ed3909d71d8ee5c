import pytest

from respondents.quality import (
    RULES,
    Case,
    Grid,
    attention,
    duplicate,
    gibberish,
    gibberish_reason,
    run_rules,
    screening,
    speeder,
    straightliner,
)

MEDIANS = {"median_seconds": 300.0, "sample_size": 30}


def case(**kwargs):
    return Case(**{"answers": {}, "seconds": 300.0, **kwargs})


def test_every_rule_has_a_name_and_a_version():
    assert [rule.name for rule in RULES] == [
        "speeder",
        "straightliner",
        "attention",
        "duplicate",
        "screening",
        "gibberish",
        "interviewer_pace",
        "interviewer_pattern",
        "interviewer_short",
    ]
    assert all(rule.version >= 1 for rule in RULES)


class TestSpeeder:
    def test_an_interview_far_under_the_median_fails(self):
        result = speeder(case(seconds=100, speeder_fraction=0.4, **MEDIANS))
        assert not result.passed
        assert "median 300 s" in result.reason

    def test_an_interview_at_the_threshold_passes(self):
        assert speeder(case(seconds=120, speeder_fraction=0.4, **MEDIANS)).passed

    def test_nobody_is_a_speeder_before_there_is_a_median_to_trust(self):
        assert speeder(case(seconds=1, median_seconds=300.0, sample_size=19)).passed


class TestStraightliner:
    GRID = Grid("roles", ("r1", "r2", "r3", "r4", "r5"))

    def test_the_same_answer_down_five_rows_fails(self):
        answers = dict.fromkeys(self.GRID.rows, "1")
        result = straightliner(case(answers=answers, grids=[self.GRID]))
        assert not result.passed and "all 5 rows of roles" in result.reason

    def test_one_different_row_passes(self):
        answers = {**dict.fromkeys(self.GRID.rows, "1"), "r5": "2"}
        assert straightliner(case(answers=answers, grids=[self.GRID])).passed

    def test_a_grid_of_four_rows_is_never_judged(self):
        grid = Grid("short", ("a", "b", "c", "d"))
        assert straightliner(case(answers=dict.fromkeys(grid.rows, "1"), grids=[grid])).passed

    def test_a_grid_not_fully_answered_is_not_judged(self):
        answers = dict.fromkeys(self.GRID.rows[:4], "1")
        assert straightliner(case(answers=answers, grids=[self.GRID])).passed


class TestAttention:
    def test_the_wrong_option_fails(self):
        result = attention(case(answers={"att": "2"}, attention_checks={"att": ". = '4'"}))
        assert not result.passed and "att" in result.reason

    def test_the_asked_for_option_passes(self):
        assert attention(case(answers={"att": "4"}, attention_checks={"att": ". = '4'"})).passed

    def test_a_check_that_was_never_shown_holds_nothing_against_anyone(self):
        assert attention(case(answers={}, attention_checks={"att": ". = '4'"})).passed


def test_duplicate_names_the_earlier_submission():
    assert duplicate(case()).passed
    result = duplicate(case(duplicate_of=17))
    assert not result.passed and "17" in result.reason


class TestScreening:
    RULE = {"age": ". >= 18 and . <= 70"}

    def test_an_age_out_of_range_fails(self):
        assert not screening(case(answers={"age": 75}, screening=self.RULE)).passed

    def test_a_missing_screening_answer_fails(self):
        assert "missing" in screening(case(answers={}, screening=self.RULE)).reason

    def test_the_limits_themselves_pass(self):
        assert screening(case(answers={"age": 18}, screening=self.RULE)).passed
        assert screening(case(answers={"age": 70}, screening=self.RULE)).passed


@pytest.mark.parametrize(
    "text",
    [
        "asdf",
        "фыва",
        "йцукен",
        "qwer asdf",
        "ааааа",
        "хахаха",
        "...",
        "-",
        "   ",
        "вкпрт",
        "高高高高",
    ],
)
def test_mashing_and_empty_answers_are_gibberish(text):
    assert gibberish_reason(text)


@pytest.mark.parametrize(
    "text",
    [
        "нет",
        "IT",
        "ok",
        "工资高",
        "学习技术",
        "liberty",
        "property",
        "Xiaomi",
        "Опыт работы",
        "Жоғары жалақы",
        "Хорошая зарплата и опыт",
        "Qwerty Bank is good",
    ],
)
def test_short_real_answers_are_not_gibberish(text):
    assert gibberish_reason(text) is None


def test_gibberish_looks_only_at_open_answers_given():
    assert gibberish(case(answers={}, open_answers=["why"])).passed
    result = gibberish(case(answers={"why": "asdf"}, open_answers=["why"]))
    assert not result.passed and "why" in result.reason


def test_run_rules_records_every_result_and_fails_on_any():
    valid, results = run_rules(case(answers={"att": "1"}, attention_checks={"att": ". = '4'"}))
    assert not valid
    assert set(results) == {rule.name for rule in RULES}
    assert results["attention"]["passed"] is False
    assert results["speeder"] == {
        "version": 1,
        "passed": True,
        "reason": results["speeder"]["reason"],
    }
