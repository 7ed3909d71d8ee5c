import pytest

from surveys.quotas import allocate_largest_remainder


def test_parts_sum_exactly_to_the_total():
    populations = {"a": 2_161_000, "b": 1_239_900, "c": 1_138_000, "d": 736_700, "e": 539_000}
    for total in (0, 1, 7, 813, 1213, 99_999):
        allocation = allocate_largest_remainder(total, populations)
        assert sum(allocation.values()) == total
        assert list(allocation) == list(populations)


def test_each_part_is_its_share_rounded_up_or_down():
    populations = {"a": 5, "b": 3, "c": 2}
    allocation = allocate_largest_remainder(7, populations)
    # exact shares 3.5, 2.1, 1.4: the leftover seat goes to the largest remainder (a)
    assert allocation == {"a": 4, "b": 2, "c": 1}


def test_hamilton_method_example():
    # Shares 4.2, 3.6 and 2.2 of 10: whole parts 4, 3, 2 and one seat to the .6 remainder.
    assert allocate_largest_remainder(10, {"x": 42, "y": 36, "z": 22}) == {"x": 4, "y": 4, "z": 2}


def test_ties_are_broken_the_same_way_every_time():
    first = allocate_largest_remainder(2, {"a": 1, "b": 1, "c": 1})
    assert first == {"a": 1, "b": 1, "c": 0}
    assert allocate_largest_remainder(2, {"a": 1, "b": 1, "c": 1}) == first


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        (10, {}, "no cells"),
        (10, {"a": 0, "b": 0}, "sum to zero"),
        (10, {"a": -1, "b": 3}, "negative"),
        (-1, {"a": 1}, "negative"),
    ],
)
def test_it_refuses_impossible_allocations(total, weights, message):
    with pytest.raises(ValueError, match=message):
        allocate_largest_remainder(total, weights)
