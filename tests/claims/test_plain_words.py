from decimal import Decimal

import pytest

from claims.core.display import quantity_in_words
from claims.core.values import Quantity


def q(low, high, low_inclusive=True, high_inclusive=True) -> Quantity:
    return Quantity(
        low=None if low is None else Decimal(low),
        high=None if high is None else Decimal(high),
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
    )


@pytest.mark.parametrize(
    ("quantity", "text"),
    [
        (q(400, None), "at least 400 fighters"),
        (q(400, None, low_inclusive=False), "more than 400 fighters"),
        (q(None, 100, high_inclusive=False), "fewer than 100 fighters"),
        (q(0, 100, high_inclusive=False), "fewer than 100 fighters"),
        (q(None, 100), "at most 100 fighters"),
        (q(4, 4), "4 fighters"),
        (q(450, 550), "between 450 and 550 fighters"),
        (q(450, 550, high_inclusive=False), "at least 450 and fewer than 550 fighters"),
    ],
)
def test_quantities_are_written_as_a_newsroom_says_them_not_as_intervals(quantity, text):
    assert quantity_in_words(quantity, "fighters") == text
