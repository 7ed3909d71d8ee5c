"""Quota design: allocating a sample target across cells."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Protocol

from surveys.expressions import ExpressionError, validate


class _Cell(Protocol):
    name: str
    condition: str


def condition_errors(cells: Iterable[_Cell], known: set[str]) -> list[str]:
    """Return what is wrong with the cells' conditions, given the survey's answer names."""
    errors = []
    for cell in cells:
        try:
            validate(cell.condition, known, allow_current=False)
        except ExpressionError as exc:
            errors.append(f"quota cell '{cell.name}': condition '{cell.condition}': {exc}")
    return errors


def allocate_largest_remainder(total: int, weights: Mapping[str, int | float]) -> dict[str, int]:
    """Split `total` across keys in proportion to `weights`; the parts sum exactly to it.

    Each key first gets the whole part of its exact share (Hamilton's method); the seats
    left over go to the largest fractional remainders, ties going to the larger weight
    and then to the earlier key, so the result does not depend on anything but the input.
    """
    if total < 0:
        raise ValueError("the total to allocate cannot be negative")
    if not weights:
        raise ValueError("there are no cells to allocate to")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("population sizes cannot be negative")
    # Exact arithmetic: float shares can put a remainder on the wrong side of a tie.
    exact = {key: Fraction(weight) for key, weight in weights.items()}
    whole = sum(exact.values())
    if whole == 0:
        raise ValueError("the population sizes sum to zero")
    shares = {key: total * weight / whole for key, weight in exact.items()}
    allocation = {key: int(share) for key, share in shares.items()}
    position = {key: index for index, key in enumerate(weights)}
    leftover = total - sum(allocation.values())
    ranked = sorted(
        weights,
        key=lambda key: (-(shares[key] - allocation[key]), -exact[key], position[key]),
    )
    for key in ranked[:leftover]:
        allocation[key] += 1
    return allocation
