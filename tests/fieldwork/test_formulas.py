import pytest

from fieldwork.formulas import neutralise, restore


@pytest.mark.parametrize(
    "text", ["=1+1", "+7", "-5", "@SUM(A1)", "\tx", "＝1", "＋1", "－1", "＠A"]
)
def test_a_formula_start_ascii_or_fullwidth_gets_a_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "'plain", "a=b", "", "1-2"])
def test_other_texts_are_left_alone(text):
    assert neutralise(text) == text


@pytest.mark.parametrize("text", ["=1", "'=1", "''＋x", "'plain", "plain", "-"])
def test_restore_gives_back_what_neutralise_was_given(text):
    assert restore(neutralise(text)) == text
    assert not str(neutralise(text)).startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠"))


def test_values_that_are_not_text_pass_through():
    assert neutralise(3) == 3 and restore(None) is None
