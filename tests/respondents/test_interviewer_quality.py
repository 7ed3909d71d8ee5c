"""The interviewer rules: runs of interviews minutes apart, copied answers, short medians."""

from respondents.quality import (
    Case,
    Interview,
    interviewer_pace,
    interviewer_pattern,
    interviewer_short,
)

NINE = 1_718_000_000.0  # a morning, in Unix seconds
ANSWERS = {f"q{i}": str(i % 5) for i in range(20)}


def case(**kwargs):
    return Case(**{"answers": {}, "seconds": 900.0, "interviewer": 7, "started": NINE, **kwargs})


def others(starts_and_lengths, answers=None):
    return [
        Interview(100 + i, NINE + start, length, answers or {})
        for i, (start, length) in enumerate(starts_and_lengths)
    ]


def test_a_self_completed_interview_passes_every_interviewer_rule():
    for rule in (interviewer_pace, interviewer_pattern, interviewer_short):
        result = rule(Case(answers=ANSWERS, seconds=10.0))
        assert result.passed and result.reason == "no interviewer"


def test_six_interviews_ending_minutes_apart_fail_the_pace_rule():
    # 15-minute interviews, each starting 2 minutes after the one before ended.
    run = others([(17 * 60 * k, 900.0) for k in range(1, 6)])
    result = interviewer_pace(case(interviewer_others=run))
    assert not result.passed
    assert result.reason == (
        "one of 6 interviews by the same interviewer each starting at most 3 min after "
        "the last ended, 06:13 UTC to 07:53 UTC"
    )


def test_interviews_ten_minutes_apart_pass_the_pace_rule():
    spread = others([(25 * 60 * k, 900.0) for k in range(1, 8)])  # 10 minutes between
    assert interviewer_pace(case(interviewer_others=spread)).passed


def test_five_in_a_run_are_not_yet_a_run():
    run = others([(17 * 60 * k, 900.0) for k in range(1, 5)])
    assert interviewer_pace(case(interviewer_others=run)).passed


def test_two_interviews_at_once_fail_the_pace_rule():
    result = interviewer_pace(case(interviewer_others=others([(300.0, 900.0)])))
    assert not result.passed
    assert "overlaps submission 100" in result.reason and "by 10 min" in result.reason


def test_answers_copied_from_another_interview_fail_the_pattern_rule():
    copied = {**ANSWERS, "q0": "changed"}  # 19 of 20 the same
    result = interviewer_pattern(
        case(answers=ANSWERS, interviewer_others=others([(-7200, 900.0)], copied))
    )
    assert not result.passed
    assert result.reason == "19 of 20 answers as in submission 100 by the same interviewer"


def test_answers_that_differ_in_a_few_places_pass_the_pattern_rule():
    different = {**ANSWERS, "q0": "x", "q1": "x", "q2": "x"}  # 17 of 20
    assert interviewer_pattern(
        case(answers=ANSWERS, interviewer_others=others([(-7200, 900.0)], different))
    ).passed


def test_too_few_shared_answers_say_nothing():
    few = {name: ANSWERS[name] for name in list(ANSWERS)[:9]}
    assert interviewer_pattern(
        case(answers=few, interviewer_others=others([(-7200, 900.0)], few))
    ).passed


def test_an_interviewer_far_quicker_than_the_peers_fails_the_short_rule():
    own = others([(-3600 * k, 300.0) for k in range(1, 5)])
    result = interviewer_short(
        case(seconds=300.0, interviewer_others=own, peer_seconds=[900.0] * 20)
    )
    assert not result.passed
    assert "median interview 5 min, under 50% of the other interviewers' 15 min" in result.reason


def test_an_interviewer_at_the_peers_pace_passes_the_short_rule():
    own = others([(-3600 * k, 800.0) for k in range(1, 5)])
    assert interviewer_short(
        case(seconds=800.0, interviewer_others=own, peer_seconds=[900.0] * 20)
    ).passed


def test_the_short_rule_waits_for_enough_interviews():
    own = others([(-3600 * k, 300.0) for k in range(1, 4)])  # 4 of theirs
    result = interviewer_short(
        case(seconds=300.0, interviewer_others=own, peer_seconds=[900.0] * 20)
    )
    assert result.passed and result.reason == "too few interviews to compare"
