"""Values written the way a newsroom says them ("at least 400 fighters"), not as intervals."""

import calendar

from claims import values


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
