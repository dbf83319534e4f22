"""Values, times and dates of claims as people read them, the way a newsroom says them ("at
least 400 fighters", "6 December 2016"), not as intervals: the one place that writes them.

Every page, report, chart and explanation calls these functions, with either a Claim or a row
read with `.values()` (the detector's): fields are looked up by name on either, related names
as the row spells them (`predicate__unit`, `value_entity__name`).
"""

import calendar
import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from claims.core import values

# How a related field is found on a model instance, for a row's double-underscore name.
_RELATED = {
    "predicate__unit": ("predicate", "unit"),
    "value_entity__name": ("value_entity", "name"),
}


def _get(claim: Any, name: str) -> Any:
    if isinstance(claim, Mapping):
        return claim.get(name)
    if name in _RELATED:
        related, attribute = _RELATED[name]
        target = getattr(claim, related, None)
        return None if target is None else getattr(target, attribute)
    return getattr(claim, name)


def quantity_in_words(q: values.Quantity, unit: str | None = None) -> str:
    """ "at least 400 fighters", "more than 400", "fewer than 100", "4", "between 450 and 550".

    unit, when given, is written instead of q.unit (e.g. the predicate's plural "fighters").
    """
    low = None if q.low is None else values._format_decimal(q.low)
    high = None if q.high is None else values._format_decimal(q.high)
    if low is not None and high is not None and q.low == 0 and q.low_inclusive:
        low = None  # a count from zero: "fewer than 100"
    if low is not None and high is not None:
        if q.low == q.high:
            text = low
        elif q.low_inclusive and q.high_inclusive:
            text = f"between {low} and {high}"
        else:
            text = (
                f"{'at least' if q.low_inclusive else 'more than'} {low} and "
                f"{'at most' if q.high_inclusive else 'fewer than'} {high}"
            )
    elif low is not None:
        text = f"at least {low}" if q.low_inclusive else f"more than {low}"
    elif high is not None:
        text = f"at most {high}" if q.high_inclusive else f"fewer than {high}"
    else:
        text = "any number"
    shown_unit = unit if unit is not None else q.unit
    return f"{text} {shown_unit}" if shown_unit else text


def partial_date_in_words(day: values.PartialDate) -> str:
    """ "6 December 2016", "July 2015" or "2015", as precisely as the date is known."""
    if day.month is None:
        return str(day.year)
    month = calendar.month_name[day.month]
    if day.day is None:
        return f"{month} {day.year}"
    return f"{day.day} {month} {day.year}"


def as_date(value) -> datetime.date | None:
    """A date column's value: SQLite's raw cursors hand ISO strings, PostgreSQL dates."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def partial_date(day, precision: str) -> values.PartialDate | None:
    """A stored day and its precision as the partial date it stands for."""
    day = as_date(day)
    if day is None:
        return None
    return values.PartialDate.from_date(day, values.Precision(precision or "day"))


def partial_date_text(day, precision: str) -> str:
    """ "2016-12-06", "2015-07", "2015", or "" for no date."""
    partial = partial_date(day, precision)
    return "" if partial is None else partial.isoformat()


def dates_text(start, start_precision, end, end_precision) -> str:
    """A date interval for people: "2015-07-01 to 2015-07-10", "from 2015-07", "2015"."""
    return values.format_date_interval(
        values.DateInterval(partial_date(start, start_precision), partial_date(end, end_precision))
    )


def period_text(start, end) -> str:
    """A stretch of days as briefly as it can be said: "2015-07", "2015", "2015-06-25"."""
    start, end = as_date(start), as_date(end)
    if start is None and end is None:
        return "at any time"
    if start is not None and end is not None:
        for precision in (values.Precision.YEAR, values.Precision.MONTH):
            whole = values.PartialDate.from_date(start, precision)
            if whole.first_day() == start and whole.last_day() == end:
                return whole.isoformat()
            if whole.first_day() == start:
                last = values.PartialDate.from_date(end, precision)
                if last.last_day() == end and precision == values.Precision.MONTH:
                    return f"{whole.isoformat()} to {last.isoformat()}"
        if start == end:
            return start.isoformat()
        return f"{start.isoformat()} to {end.isoformat()}"
    if start is not None:
        return f"from {start.isoformat()}"
    return f"until {end.isoformat()}"


def same_unit(a: str, b: str) -> bool:
    try:
        return values.normalize_unit(a) == values.normalize_unit(b)
    except values.ValueParseError:
        return a.strip().lower() == b.strip().lower()


def number_text(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e15 else str(value)


def _decimal(value: float | None) -> Decimal | None:
    # Through str: Decimal(0.1) would show the float's binary expansion.
    return None if value is None else Decimal(str(value))


def _interval_text(low, high, low_inclusive: bool, high_inclusive: bool, unit: str | None) -> str:
    try:
        quantity = values.Quantity(
            low=_decimal(low),
            high=_decimal(high),
            low_inclusive=low_inclusive,
            high_inclusive=high_inclusive,
        )
    except values.ValueParseError:  # an empty interval, e.g. (5, 5): show what is stored
        return f"{low}, {high} {unit or ''}".strip()
    return quantity_in_words(quantity, unit)


def _quantity_interval(claim: Any) -> str:
    predicate_unit = _get(claim, "predicate__unit") or ""
    given_unit = _get(claim, "quantity_given_unit") or ""
    # Without a predicate unit nothing was converted: the figures are in the given unit.
    unit = predicate_unit or given_unit or None
    low_inclusive = _get(claim, "quantity_low_inclusive")
    high_inclusive = _get(claim, "quantity_high_inclusive")
    text = _interval_text(
        _get(claim, "quantity_low"),
        _get(claim, "quantity_high"),
        low_inclusive,
        high_inclusive,
        unit,
    )
    if predicate_unit and given_unit and not same_unit(given_unit, predicate_unit):
        given = _interval_text(
            _get(claim, "quantity_given_low"),
            _get(claim, "quantity_given_high"),
            low_inclusive,
            high_inclusive,
            given_unit,
        )
        text = f"{text} (given as {given})"
    return text


def _quantity_written(claim: Any) -> str:
    unit = _get(claim, "quantity_given_unit") or _get(claim, "predicate__unit") or ""
    written = _get(claim, "value_as_written")
    if written:
        words = {w.strip(".,").lower() for w in written.split()}
        if unit and not _mentions_unit(words, unit):
            return f"{written} {unit}"
        return written
    low, high = _get(claim, "quantity_given_low"), _get(claim, "quantity_given_high")
    if low is not None and low == high:
        return f"{number_text(low)} {unit}".strip()
    return _interval_text(
        low,
        high,
        _get(claim, "quantity_low_inclusive"),
        _get(claim, "quantity_high_inclusive"),
        unit or None,
    )


def _quantity_plain(claim: Any) -> str:
    low, high, unit = _get(claim, "quantity_low"), _get(claim, "quantity_high"), ""
    given_low, given_high = _get(claim, "quantity_given_low"), _get(claim, "quantity_given_high")
    if _get(claim, "quantity_given_unit") and (given_low, given_high) != (None, None):
        low, high, unit = given_low, given_high, _get(claim, "quantity_given_unit")
    if low is not None and low == high:
        text = number_text(low)
    else:
        text = (
            f"{'' if low is None else number_text(low)}–{'' if high is None else number_text(high)}"
        )
    return f"{text} {unit}".strip()


def _mentions_unit(words: set[str], unit: str) -> bool:
    try:
        wanted = values.normalize_unit(unit)
        return any(values.normalize_unit(w) == wanted for w in words if w.isalpha() or w == "%")
    except values.ValueParseError:
        return unit.lower() in words


# The three ways a value is shown: `interval`, what it was parsed to (claim pages and reports);
# `written`, the words of the source with the unit (flag explanations); `plain`, short figures
# in the unit the source gave (chart labels).
STYLES = ("interval", "written", "plain")


def value_text(claim: Any, *, style: str = "interval", with_negation: bool = True) -> str | None:
    """A claim's value for people, "not ..." when negated (unless the caller shows negation
    apart, as the charts do); None when it has none."""
    if style not in STYLES:
        raise ValueError(f"style {style!r}: one of {', '.join(STYLES)}")
    value_type = _get(claim, "value_type")
    written = _get(claim, "value_as_written") or ""
    if value_type == "quantity":
        text = {
            "interval": _quantity_interval,
            "written": _quantity_written,
            "plain": lambda c: written or _quantity_plain(c),
        }[style](claim)
    elif value_type == "date":
        text = (written if style != "interval" else "") or dates_text(
            _get(claim, "date_from"),
            _get(claim, "date_from_precision"),
            _get(claim, "date_to"),
            _get(claim, "date_to_precision"),
        )
    elif value_type == "entity":
        text = _get(claim, "value_entity__name") or ("?" if style == "written" else None)
    elif value_type == "text":
        text = _get(claim, "value_text") or written or ("?" if style == "written" else "")
    else:
        return None
    if text is None:
        return None
    return f"not {text}" if with_negation and _get(claim, "negated") else text


def valid_time_text(claim: Any) -> str:
    """The time a claim holds for people: its valid time, or else when its earliest dated
    appearance was published (`holds_from`/`holds_to`)."""
    if _get(claim, "valid_from") is not None or _get(claim, "valid_to") is not None:
        return dates_text(
            _get(claim, "valid_from"),
            _get(claim, "valid_from_precision"),
            _get(claim, "valid_to"),
            _get(claim, "valid_to_precision"),
        )
    holds_from, holds_to = _get(claim, "holds_from"), _get(claim, "holds_to")
    if holds_from is None and holds_to is None:
        return "not given, and no appearance is dated: at any time"
    return "holds when its earliest appearance was published: " + dates_text(
        holds_from, "day", holds_to, "day"
    )
