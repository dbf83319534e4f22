"""From parsed values to a claim's columns: the one mapping the importer and the admin share.

Plain Python on top of claims/core/values.py. Quantities keep what was written (`quantity_given_*`)
and the interval compared, in the predicate's unit (`quantity_low`/`quantity_high`); date
intervals are stored as their first and last days with each end's precision.
"""

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from claims.core import values

# The claim columns that hold a value and its valid time, with the phrases they were read from:
# what the importer compares and writes, and what the admin's claim form lets an editor set.
VALUE_COLUMNS = (
    "value_as_written",
    "quantity_low",
    "quantity_high",
    "quantity_low_inclusive",
    "quantity_high_inclusive",
    "quantity_given_low",
    "quantity_given_high",
    "quantity_given_unit",
    "date_from",
    "date_from_precision",
    "date_to",
    "date_to_precision",
    "value_entity",
    "value_text",
    "valid_from",
    "valid_from_precision",
    "valid_to",
    "valid_to_precision",
    "valid_as_written",
)

_DETAIL = {values.Precision.YEAR: 0, values.Precision.MONTH: 1, values.Precision.DAY: 2}


def earliest_publication(dates: Iterable[values.PartialDate | None]) -> values.PartialDate | None:
    """The date a claim's relative and year-less phrases are read against (spec: the
    publication date of the claim's earliest appearance), or None when none is dated.

    Of two dates starting the same day the more precise wins: "2015-01-01" says more than "2015".
    """
    dated = [d for d in dates if d is not None]
    if not dated:
        return None
    return min(dated, key=lambda d: (d.first_day(), -_DETAIL[d.precision]))


def units_disagree(phrase_unit: str | None, field_unit: str) -> bool:
    """Whether a unit written in the phrase ("150 miles") and the unit field name different
    units. Convertible ones disagree too: "40 miles" with "km" is a mistake, not a conversion."""
    if not phrase_unit or not field_unit:
        return False
    try:
        return values.normalize_unit(phrase_unit) != values.normalize_unit(field_unit)
    except values.ValueParseError:
        return True


@functools.lru_cache(maxsize=1024)
def _unit_factor(from_unit: str, to_unit: str) -> Decimal:
    # Cached: an import converts the same pair of units for every claim of a predicate.
    return values.convert(Decimal(1), from_unit, to_unit)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def quantity_columns(
    quantity: values.Quantity, *, given_unit: str, predicate_unit: str
) -> dict[str, Any]:
    """The claim columns of a quantity written in `given_unit`, compared in `predicate_unit`.

    Raises ValueParseError when the two units are of different dimensions. Without either unit
    nothing is converted.
    """
    low, high = quantity.low, quantity.high
    if given_unit and predicate_unit:
        factor = _unit_factor(given_unit, predicate_unit)
        low = None if low is None else low * factor
        high = None if high is None else high * factor
    return {
        "quantity_low": _float(low),
        "quantity_high": _float(high),
        "quantity_low_inclusive": quantity.low_inclusive,
        "quantity_high_inclusive": quantity.high_inclusive,
        "quantity_given_low": _float(quantity.low),
        "quantity_given_high": _float(quantity.high),
        "quantity_given_unit": given_unit,
    }


def interval_columns(prefix: str, interval: values.DateInterval) -> dict[str, Any]:
    """`{prefix}_from`, `{prefix}_to` and their precisions ("date" or "valid")."""
    start, end = interval.start, interval.end
    return {
        f"{prefix}_from": start.first_day() if start else None,
        f"{prefix}_from_precision": start.precision.value if start else "",
        f"{prefix}_to": end.last_day() if end else None,
        f"{prefix}_to_precision": end.precision.value if end else "",
    }
