"""The phrase forms added for reading news text (issue 12): each is read by claims.values."""

from decimal import Decimal

import pytest

from claims.core.values import (
    PartialDate,
    ValueParseError,
    format_date_interval,
    parse_date_phrase,
    parse_number,
    parse_quantity,
)

D = Decimal
THURSDAY_2015_06_25 = PartialDate(2015, 6, 25)


def interval_of(q):
    return q.low, q.high, q.low_inclusive, q.high_inclusive


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("75 000", D(75000)),
        ("1 500 000", D(1500000)),
        ("75\u00a0000", D(75000)),
        ("2.5 million", D(2500000)),
    ],
)
def test_numbers_grouped_by_spaces_and_decimal_millions_are_read(text, expected):
    assert parse_number(text) == expected


def test_a_space_group_of_other_than_three_digits_is_refused():
    with pytest.raises(ValueParseError):
        parse_number("75 00")


@pytest.mark.parametrize(
    ("phrase", "low", "high"),
    [("several hundred", 300, 900), ("several thousand fighters", 3000, 9000)],
)
def test_several_hundred_and_several_thousand_have_the_spec_intervals(phrase, low, high):
    assert interval_of(parse_quantity(phrase)) == (D(low), D(high), True, True)


@pytest.mark.parametrize(
    ("phrase", "expected", "unit"),
    [
        ("a week", (D(1), D(1), True, True), "wk"),
        ("an hour", (D(1), D(1), True, True), "h"),
        ("more than a week", (D(1), None, False, True), "wk"),
        ("nearly an hour", (D("0.9"), D(1), True, True), "h"),
    ],
)
def test_a_or_an_before_a_counted_noun_is_one(phrase, expected, unit):
    quantity = parse_quantity(phrase)
    assert interval_of(quantity) == expected
    assert quantity.unit == unit


def test_a_bare_article_is_no_quantity_and_a_hundred_stays_a_hundred():
    with pytest.raises(ValueParseError):
        parse_quantity("a")
    assert parse_quantity("a hundred fighters").low == D(100)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("75 000 to 80 000 people", (D(75000), D(80000), True, True)),
        ("10\u201320 km", (D(10), D(20), True, True)),
        ("300 to 400", (D(300), D(400), True, True)),
    ],
)
def test_ranges_with_to_or_a_dash_and_space_grouped_ends(phrase, expected):
    assert interval_of(parse_quantity(phrase)) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", "2015-06-25"),
        ("yesterday", "2015-06-24"),
        ("Thursday", "2015-06-25"),
        ("on Thursday", "2015-06-25"),
        ("Friday", "2015-06-19"),
        ("on Monday", "2015-06-22"),
        ("last week", "2015-06-15 to 2015-06-21"),
    ],
)
def test_days_relative_to_the_publication_day(phrase, expected):
    assert format_date_interval(parse_date_phrase(phrase, THURSDAY_2015_06_25)) == expected


def test_a_day_relative_phrase_needs_a_publication_date_with_a_day():
    with pytest.raises(ValueParseError, match="relative to a day"):
        parse_date_phrase("yesterday", PartialDate(2015, 6))
    with pytest.raises(ValueParseError, match="needs the publication date"):
        parse_date_phrase("Thursday")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two thirds", D(2) / D(3)),
        ("three-quarters", D("0.75")),
        ("a third", D(1) / D(3)),
        ("one fifth", D("0.2")),
    ],
)
def test_fractions_are_shares(text, expected):
    assert parse_number(text) == expected


def test_a_fraction_of_a_whole_or_more_is_refused_and_a_third_of_something_is_a_share():
    with pytest.raises(ValueParseError):
        parse_number("four thirds")
    quantity = parse_quantity("a third city")
    assert (quantity.low, quantity.unit) == (D(1) / D(3), "city")
