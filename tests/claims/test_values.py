"""Tests for claims.values: the claimset/1 spec's "Phrases the tracker must parse"."""

from datetime import date
from decimal import Decimal

import pytest

from claims.core.values import (
    DateInterval,
    PartialDate,
    Precision,
    Quantity,
    ValueParseError,
    convert,
    format_date_interval,
    format_quantity,
    normalize_name,
    normalize_unit,
    parse_date_phrase,
    parse_number,
    parse_partial_date,
    parse_quantity,
    parse_valid_phrase,
    unit_dimension,
    units_comparable,
)

D = Decimal
OPEN = None
PUBLISHED_2016 = PartialDate(2016)
PUBLISHED_2015_06_25 = PartialDate(2015, 6, 25)


def interval_of(q: Quantity) -> tuple[Decimal | None, Decimal | None, bool, bool]:
    return q.low, q.high, q.low_inclusive, q.high_inclusive


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("400", D(400)),
        ("80,000", D(80000)),
        ("1.5", D("1.5")),
        ("1.5 million", D(1500000)),
        ("2 thousand", D(2000)),
        ("ten", D(10)),
        ("a dozen", D(12)),
        ("dozen", D(12)),
        ("half a dozen", D(6)),
        ("four hundred", D(400)),
        ("a hundred", D(100)),
        ("forty-two", D(42)),
        ("one hundred and twenty", D(120)),
        ("two thousand five hundred", D(2500)),
        ("fifteen hundred", D(1500)),
        ("half a million", D(500000)),
        ("one and a half million", D(1500000)),
        ("  Four Hundred  ", D(400)),
    ],
    ids=lambda value: str(value).strip(),
)
def test_parse_number_reads_numerals_and_english_number_words(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["four hundredd", "ten ten", "twenty thirty", "two thousand three million", "1,00", "", "and"],
    ids=["misspelt-word", "repeated-unit", "two-tens", "scales-out-of-order", "bad-grouping",
         "empty", "connective-only"],
)  # fmt: skip
def test_parse_number_refuses_text_that_is_not_a_number_and_names_it(text):
    with pytest.raises(ValueParseError, match=f'cannot read "{text}" as a number'):
        parse_number(text)


# --- quantities: the spec's table, one case per phrase --------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        pytest.param("400", (D(400), D(400), True, True), id="N"),
        pytest.param("four hundred", (D(400), D(400), True, True), id="N-in-words"),
        pytest.param("about 500", (D(450), D(550), True, True), id="about-N"),
        pytest.param("around 500", (D(450), D(550), True, True), id="around-N"),
        pytest.param("approximately 500", (D(450), D(550), True, True), id="approximately-N"),
        pytest.param("roughly 500", (D(450), D(550), True, True), id="roughly-N"),
        pytest.param("some 500", (D(450), D(550), True, True), id="some-N"),
        pytest.param("an estimated 500", (D(450), D(550), True, True), id="an-estimated-N"),
        pytest.param("nearly 500", (D(450), D(500), True, True), id="nearly-N"),
        pytest.param("almost 500", (D(450), D(500), True, True), id="almost-N"),
        pytest.param("at least 400", (D(400), OPEN, True, True), id="at-least-N"),
        pytest.param("no fewer than 400", (D(400), OPEN, True, True), id="no-fewer-than-N"),
        pytest.param("no less than 400", (D(400), OPEN, True, True), id="no-less-than-N"),
        pytest.param("more than 400", (D(400), OPEN, False, True), id="more-than-N"),
        pytest.param("over 400", (D(400), OPEN, False, True), id="over-N"),
        pytest.param("upwards of 400", (D(400), OPEN, False, True), id="upwards-of-N"),
        pytest.param("up to 150", (D(0), D(150), True, True), id="up-to-N"),
        pytest.param("at most 150", (D(0), D(150), True, True), id="at-most-N"),
        pytest.param("no more than 150", (D(0), D(150), True, True), id="no-more-than-N"),
        pytest.param("fewer than 100", (D(0), D(100), True, False), id="fewer-than-N"),
        pytest.param("less than 100", (D(0), D(100), True, False), id="less-than-N"),
        pytest.param("under 100", (D(0), D(100), True, False), id="under-N"),
        pytest.param("between 10 and 20", (D(10), D(20), True, True), id="between-N-and-M"),
        pytest.param("10 to 20", (D(10), D(20), True, True), id="N-to-M"),
        pytest.param("10-20", (D(10), D(20), True, True), id="N-hyphen-M"),
        pytest.param("10\u201320", (D(10), D(20), True, True), id="N-en-dash-M"),
        pytest.param("ten to twenty", (D(10), D(20), True, True), id="N-to-M-in-words"),
        pytest.param("a few", (D(2), D(5), True, True), id="a-few"),
        pytest.param("several", (D(3), D(9), True, True), id="several"),
        pytest.param("dozens", (D(24), D(99), True, True), id="dozens"),
        pytest.param("hundreds", (D(200), D(999), True, True), id="hundreds"),
        pytest.param("thousands", (D(2000), D(9999), True, True), id="thousands"),
        pytest.param("only 7", (D(7), D(7), True, True), id="only-N"),
        pytest.param("just 7", (D(7), D(7), True, True), id="just-N"),
        pytest.param("400 or more", (D(400), OPEN, True, True), id="N-or-more"),
    ],
)
def test_parse_quantity_gives_the_spec_interval_for_each_phrase(phrase, expected):
    assert interval_of(parse_quantity(phrase)) == expected


def test_at_least_n_is_closed_below_and_open_above():
    q = parse_quantity("at least 400 fighters")
    assert (q.low, q.low_inclusive, q.high) == (D(400), True, None)


def test_fewer_than_n_is_closed_at_zero_and_open_at_n():
    q = parse_quantity("fewer than 100")
    assert (q.low, q.low_inclusive, q.high, q.high_inclusive) == (D(0), True, D(100), False)


def test_about_applies_ten_percent_exactly_in_decimal():
    q = parse_quantity("about 500")
    # str() shows the representation: 450, not 450.0 nor 450.00000000000006.
    assert (str(q.low), str(q.high)) == ("450", "550")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        pytest.param("about a dozen", (D("10.8"), D("13.2")), id="about-a-dozen"),
        pytest.param("some 1.5 million", (D(1350000), D(1650000)), id="some-1.5-million"),
        pytest.param("more than 80,000", (D(80000), None), id="more-than-80,000"),
        pytest.param("between one hundred and twenty and 200", (D(120), D(200)), id="and-inside-N"),
    ],
)
def test_parse_quantity_accepts_number_words_and_numerals_after_a_modifier(phrase, expected):
    q = parse_quantity(phrase)
    assert (q.low, q.high) == expected


@pytest.mark.parametrize(
    ("phrase", "low", "unit"),
    [
        pytest.param("at least 400 fighters", D(400), "fighter", id="plural-noun"),
        pytest.param("150 miles", D(150), "mi", id="known-unit"),
        pytest.param("150km", D(150), "km", id="unit-attached"),
        pytest.param("10-minute", D(10), "min", id="hyphenated-adjective"),
        pytest.param("between 10 and 20 km", D(10), "km", id="range-with-unit"),
        pytest.param("dozens of fighters", D(24), "fighter", id="vague-with-of"),
        pytest.param("four hundred rival governments", D(400), "rival government", id="two-words"),
        pytest.param("400", D(400), None, id="no-unit"),
    ],
)
def test_parse_quantity_reads_a_trailing_unit_and_normalises_it(phrase, low, unit):
    q = parse_quantity(phrase)
    assert (q.low, q.unit) == (low, unit)


def test_parse_quantity_ignores_case_and_surrounding_whitespace():
    assert parse_quantity("  AT LEAST 400  Fighters ") == Quantity(
        low=D(400), high=None, unit="fighter"
    )


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        pytest.param("blah", 'cannot read "blah" as a quantity', id="garbage"),
        pytest.param("", 'cannot read "" as a quantity', id="empty"),
        pytest.param("four hundredd", 'cannot read "four hundredd" as a quantity', id="typo"),
        pytest.param("about", 'cannot read "about" as a quantity', id="modifier-only"),
        pytest.param("several dozen", "cannot read", id="vague-plus-number"),
        pytest.param(
            "between 9 and 3", '"between 9 and 3" .*9 is more than 3', id="low-above-high"
        ),
        pytest.param("9-3", '"9-3" .*9 is more than 3', id="hyphen-low-above-high"),
        pytest.param("fewer than 0", "empty", id="empty-interval"),
    ],
)
def test_parse_quantity_refuses_anything_else_with_a_message_naming_the_phrase(phrase, message):
    with pytest.raises(ValueParseError, match=message):
        parse_quantity(phrase)


def test_quantity_accepts_int_ends_and_stores_them_as_decimal():
    q = Quantity(low=400, high=None)
    assert isinstance(q.low, Decimal)
    assert q.low == D(400)


def test_quantity_refuses_a_low_end_above_its_high_end():
    with pytest.raises(ValueParseError, match="low end 5 is above its high end 3"):
        Quantity(low=D(5), high=D(3))


def test_quantity_refuses_float_ends_because_they_are_already_inexact():
    with pytest.raises(TypeError):
        Quantity(low=0.9, high=None)


# --- units ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("km", "km"), ("Kilometres", "km"), ("kilometers", "km"), ("kilometre", "km"),
        ("miles", "mi"), ("mile", "mi"), ("mi", "mi"),
        ("m", "m"), ("metres", "m"), ("meter", "m"),
        ("seconds", "s"), ("secs", "s"), ("s", "s"),
        ("minutes", "min"), ("mins", "min"), ("min", "min"),
        ("hours", "h"), ("hrs", "h"), ("h", "h"),
        ("days", "d"), ("day", "d"), ("weeks", "wk"),
        ("fighters", "fighter"), ("people", "people"), ("governments", "government"),
        ("airstrikes", "airstrike"), ("casualties", "casualty"), ("  Fighters ", "fighter"),
    ],
    ids=lambda value: value.strip(),
)  # fmt: skip
def test_normalize_unit_gives_the_canonical_symbol_or_a_singular_noun(unit, expected):
    assert normalize_unit(unit) == expected


@pytest.mark.parametrize(
    ("unit", "dimension"),
    [("miles", "length"), ("km", "length"), ("minutes", "time"), ("days", "time"),
     ("fighters", "fighter")],
    ids=["miles", "km", "minutes", "days", "unknown-unit-is-its-own-dimension"],
)  # fmt: skip
def test_unit_dimension_names_length_time_or_the_unit_itself(unit, dimension):
    assert unit_dimension(unit) == dimension


@pytest.mark.parametrize(
    ("a", "b", "comparable"),
    [("km", "miles", True), ("hours", "minutes", True), ("fighters", "fighter", True),
     ("km", "minutes", False), ("fighters", "km", False), ("fighters", "people", False)],
    ids=["km-miles", "hours-minutes", "plural-singular", "length-time", "noun-length",
         "two-nouns"],
)  # fmt: skip
def test_units_comparable_only_within_one_dimension(a, b, comparable):
    assert units_comparable(a, b) is comparable


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        pytest.param(D(150), "miles", "km", D("241.401600"), id="miles-to-km"),
        pytest.param(D(2), "km", "m", D(2000), id="km-to-m"),
        pytest.param(D("1609.344"), "m", "mi", D(1), id="m-to-miles"),
        pytest.param(D(90), "minutes", "hours", D("1.5"), id="minutes-to-hours"),
        pytest.param(D(2), "hours", "minutes", D(120), id="hours-to-minutes"),
        pytest.param(D(3), "days", "hours", D(72), id="days-to-hours"),
        pytest.param(D(2), "weeks", "days", D(14), id="weeks-to-days"),
        pytest.param(D(1), "min", "s", D(60), id="minutes-to-seconds"),
    ],
)
def test_convert_uses_exact_decimal_factors(value, from_unit, to_unit, expected):
    assert convert(value, from_unit, to_unit) == expected


def test_convert_leaves_a_value_in_the_same_normalised_unit_unchanged():
    assert str(convert(D("1.50"), "fighters", "fighter")) == "1.50"


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [("kg", "km"), ("km", "minutes"), ("fighters", "people")],
    ids=["unknown-to-length", "length-to-time", "two-nouns"],
)
def test_convert_refuses_units_of_different_dimensions(from_unit, to_unit):
    with pytest.raises(ValueParseError, match=f'cannot convert "{from_unit}" to "{to_unit}"'):
        convert(D(1), from_unit, to_unit)


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("al-Bunyan al-Marsous", "Albunyan Almarsous"),
        ("U.S.", "US"),
        ("Misrātah", "Misratah"),
        ("Ansar al-Sharia", "ansar_al_sharia"),
        ("Qadhafi\u2019s", "Qadhafis"),
        ("Qadhafi's", "QADHAFIS"),
        ("Islamic\tState", "IslamicState"),
    ],
    ids=["hyphens-and-spaces", "dots", "accents", "underscores", "curly-apostrophe",
         "straight-apostrophe", "other-whitespace"],
)  # fmt: skip
def test_normalize_name_makes_spelling_variants_equal(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_normalize_name_keeps_different_names_different():
    assert normalize_name("ISIS") != normalize_name("ISIL")


def test_normalize_name_is_case_folded():
    assert normalize_name("U.S.") == "us"


# --- partial dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("partial", "precision", "first", "last", "iso"),
    [
        pytest.param(PartialDate(2015), Precision.YEAR, date(2015, 1, 1), date(2015, 12, 31),
                     "2015", id="year"),
        pytest.param(PartialDate(2015, 7), Precision.MONTH, date(2015, 7, 1), date(2015, 7, 31),
                     "2015-07", id="month"),
        pytest.param(PartialDate(2016, 2), Precision.MONTH, date(2016, 2, 1), date(2016, 2, 29),
                     "2016-02", id="leap-february"),
        pytest.param(PartialDate(2015, 2), Precision.MONTH, date(2015, 2, 1), date(2015, 2, 28),
                     "2015-02", id="common-february"),
        pytest.param(PartialDate(2015, 7, 1), Precision.DAY, date(2015, 7, 1), date(2015, 7, 1),
                     "2015-07-01", id="day"),
    ],
)  # fmt: skip
def test_partial_date_covers_its_whole_period(partial, precision, first, last, iso):
    assert (partial.precision, partial.first_day(), partial.last_day(), partial.isoformat()) == (
        precision,
        first,
        last,
        iso,
    )


@pytest.mark.parametrize(
    ("precision", "expected"),
    [(Precision.YEAR, PartialDate(2015)), (Precision.MONTH, PartialDate(2015, 6)),
     (Precision.DAY, PartialDate(2015, 6, 25))],
    ids=["year", "month", "day"],
)  # fmt: skip
def test_partial_date_from_date_truncates_to_the_precision(precision, expected):
    assert PartialDate.from_date(date(2015, 6, 25), precision) == expected


def test_partial_dates_of_mixed_precision_sort_by_start_then_coarser_first():
    dates = [PartialDate(2016), PartialDate(2015, 7, 1), PartialDate(2015, 7), PartialDate(2015)]
    assert sorted(dates) == [
        PartialDate(2015),
        PartialDate(2015, 7),
        PartialDate(2015, 7, 1),
        PartialDate(2016),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2015", PartialDate(2015)), ("2015-07", PartialDate(2015, 7)),
     ("2015-07-01", PartialDate(2015, 7, 1)), (" 2016-02-29 ", PartialDate(2016, 2, 29))],
    ids=["year", "month", "day", "leap-day"],
)  # fmt: skip
def test_parse_partial_date_reads_the_iso_partial_forms(text, expected):
    assert parse_partial_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("2015-02-30", "February 2015 has no day 30", id="no-such-day"),
        pytest.param("2015-02-29", "February 2015 has no day 29", id="not-a-leap-year"),
        pytest.param("2015-13", "13 is not a month", id="no-such-month"),
        pytest.param("2015-7", 'cannot read "2015-7" as a date', id="one-digit-month"),
        pytest.param("July 2015", 'cannot read "July 2015" as a date', id="words"),
        pytest.param("", 'cannot read "" as a date', id="empty"),
    ],
)
def test_parse_partial_date_refuses_other_text_and_invalid_dates(text, message):
    with pytest.raises(ValueParseError, match=message):
        parse_partial_date(text)


# --- date phrases --------------------------------------------------------------------------------


def day(y, m, d):
    return PartialDate(y, m, d)


def month(y, m):
    return PartialDate(y, m)


@pytest.mark.parametrize(
    ("phrase", "reference", "start", "end"),
    [
        pytest.param("2015", None, PartialDate(2015), PartialDate(2015), id="year"),
        pytest.param("July 2015", None, month(2015, 7), month(2015, 7), id="month-year"),
        pytest.param("Jul 2015", None, month(2015, 7), month(2015, 7), id="abbreviated-month"),
        pytest.param("1 August 2016", None, day(2016, 8, 1), day(2016, 8, 1), id="day-month-year"),
        pytest.param("August 1, 2016", None, day(2016, 8, 1), day(2016, 8, 1),
                     id="month-day-comma"),
        pytest.param("August 1 2016", None, day(2016, 8, 1), day(2016, 8, 1), id="month-day-year"),
        pytest.param("2016-08-01", None, day(2016, 8, 1), day(2016, 8, 1), id="iso-day"),
        pytest.param("2015-07", None, month(2015, 7), month(2015, 7), id="iso-month"),
        pytest.param("August 1", PUBLISHED_2016, day(2016, 8, 1), day(2016, 8, 1),
                     id="year-less-day"),
        pytest.param("May", PUBLISHED_2016, month(2016, 5), month(2016, 5),
                     id="spec-May-in-a-source-of-2016"),
        pytest.param("beginning of July 2015", None, day(2015, 7, 1), day(2015, 7, 10),
                     id="beginning-of-month"),
        pytest.param("early July 2015", None, day(2015, 7, 1), day(2015, 7, 10),
                     id="early-month"),
        pytest.param("mid-July 2015", None, day(2015, 7, 11), day(2015, 7, 20), id="mid-month"),
        pytest.param("mid July 2015", None, day(2015, 7, 11), day(2015, 7, 20),
                     id="mid-month-no-hyphen"),
        pytest.param("end of July 2015", None, day(2015, 7, 21), day(2015, 7, 31),
                     id="end-of-month"),
        pytest.param("late July 2015", None, day(2015, 7, 21), day(2015, 7, 31), id="late-month"),
        pytest.param("late February 2016", None, day(2016, 2, 21), day(2016, 2, 29),
                     id="late-leap-february"),
        pytest.param("beginning of July", PUBLISHED_2015_06_25, day(2015, 7, 1), day(2015, 7, 10),
                     id="spec-beginning-of-July-year-less"),
        pytest.param("late July", PUBLISHED_2015_06_25, day(2015, 7, 21), day(2015, 7, 31),
                     id="late-month-year-less"),
        pytest.param("early 2015", None, month(2015, 1), month(2015, 4), id="early-year"),
        pytest.param("mid-2015", None, month(2015, 5), month(2015, 8), id="mid-year"),
        pytest.param("late 2015", None, month(2015, 9), month(2015, 12), id="late-year"),
        pytest.param("end of 2015", None, month(2015, 9), month(2015, 12), id="end-of-year"),
        pytest.param("last year", PUBLISHED_2015_06_25, PartialDate(2014), PartialDate(2014),
                     id="last-year"),
        pytest.param("late last year", PUBLISHED_2015_06_25, month(2014, 9), month(2014, 12),
                     id="spec-late-last-year-in-a-source-of-2015-06-25"),
        pytest.param("early last year", PUBLISHED_2015_06_25, month(2014, 1), month(2014, 4),
                     id="early-last-year"),
        pytest.param("mid last year", PUBLISHED_2015_06_25, month(2014, 5), month(2014, 8),
                     id="mid-last-year"),
        pytest.param("last month", PUBLISHED_2015_06_25, month(2015, 5), month(2015, 5),
                     id="last-month"),
        pytest.param("last month", PartialDate(2015, 1), month(2014, 12), month(2014, 12),
                     id="last-month-across-new-year"),
        pytest.param("this year", PUBLISHED_2015_06_25, PartialDate(2015), PartialDate(2015),
                     id="this-year"),
        pytest.param("in 2015", None, PartialDate(2015), PartialDate(2015), id="in-year"),
        pytest.param("in May", PUBLISHED_2016, month(2016, 5), month(2016, 5), id="in-month"),
        pytest.param("  EARLY july 2015 ", None, day(2015, 7, 1), day(2015, 7, 10),
                     id="case-and-whitespace"),
    ],
)  # fmt: skip
def test_parse_date_phrase_gives_the_spec_interval_for_each_phrase(phrase, reference, start, end):
    assert parse_date_phrase(phrase, reference) == DateInterval(start=start, end=end)


@pytest.mark.parametrize(
    ("phrase", "reference", "message"),
    [
        pytest.param("May", None,
                     '"May" has no year: it needs the publication date of a source',
                     id="month-without-reference"),
        pytest.param("August 1", None, '"August 1" has no year', id="day-without-reference"),
        pytest.param("beginning of July", None, '"beginning of July" has no year',
                     id="part-of-month-without-reference"),
        pytest.param("last year", None, '"last year" is relative: it needs the publication date',
                     id="last-year-without-reference"),
        pytest.param("late last year", None, '"late last year" is relative',
                     id="late-last-year-without-reference"),
        pytest.param("last month", None, '"last month" is relative',
                     id="last-month-without-reference"),
        pytest.param("last month", PartialDate(2015), "needs a publication date with a month",
                     id="last-month-with-a-year-only-reference"),
    ],
)  # fmt: skip
def test_parse_date_phrase_says_when_a_phrase_needs_a_reference(phrase, reference, message):
    with pytest.raises(ValueParseError, match=message):
        parse_date_phrase(phrase, reference)


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        pytest.param("blah", 'cannot read "blah" as a date', id="garbage"),
        pytest.param("", 'cannot read "" as a date', id="empty"),
        pytest.param("2015-02-30", "February 2015 has no day 30", id="invalid-iso-date"),
        pytest.param("30 February 2015", "February 2015 has no day 30", id="invalid-day-in-words"),
        pytest.param("Smarch 2015", 'cannot read "Smarch 2015" as a date', id="unknown-month"),
    ],
)
def test_parse_date_phrase_refuses_what_is_not_a_date(phrase, message):
    with pytest.raises(ValueParseError, match=message):
        parse_date_phrase(phrase)


@pytest.mark.parametrize(
    ("phrase", "reference", "first", "last"),
    [
        pytest.param("since June", PUBLISHED_2015_06_25, date(2015, 6, 1), None, id="since"),
        pytest.param("from July 2015", None, date(2015, 7, 1), None, id="from"),
        pytest.param("since late July 2015", None, date(2015, 7, 21), None, id="since-part"),
        pytest.param("until 2015-06-25", None, None, date(2015, 6, 25), id="until"),
        pytest.param("till June 2015", None, None, date(2015, 6, 30), id="till"),
        pytest.param("to 2016", None, None, date(2016, 12, 31), id="to"),
        pytest.param("until early 2015", None, None, date(2015, 4, 30), id="until-part"),
        pytest.param("from May to July", PUBLISHED_2015_06_25, date(2015, 5, 1),
                     date(2015, 7, 31), id="from-X-to-Y"),
        pytest.param("between 2014 and 2016", None, date(2014, 1, 1), date(2016, 12, 31),
                     id="between-X-and-Y"),
        pytest.param("1 May 2015 until late June 2015", None, date(2015, 5, 1),
                     date(2015, 6, 30), id="X-until-Y"),
        pytest.param("July 2015", None, date(2015, 7, 1), date(2015, 7, 31), id="plain-phrase"),
        pytest.param("late last year", PUBLISHED_2015_06_25, date(2014, 9, 1),
                     date(2014, 12, 31), id="plain-relative-phrase"),
    ],
)  # fmt: skip
def test_parse_valid_phrase_reads_open_and_closed_ranges(phrase, reference, first, last):
    interval = parse_valid_phrase(phrase, reference)
    assert (interval.first_day(), interval.last_day()) == (first, last)


def test_since_keeps_the_precision_of_its_date():
    assert parse_valid_phrase("since July 2015") == DateInterval(start=month(2015, 7), end=None)


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        pytest.param("since blah", 'cannot read "since blah" as a date or a date range',
                     id="garbage-after-since"),
        pytest.param("between 2014", 'cannot read "between 2014"', id="between-without-and"),
        pytest.param("from 2016 to 2015", "wrong way round", id="reversed-range"),
        pytest.param("from May to July", '"May" has no year', id="range-without-reference"),
    ],
)  # fmt: skip
def test_parse_valid_phrase_refuses_unreadable_or_reversed_ranges(phrase, message):
    with pytest.raises(ValueParseError, match=message):
        parse_valid_phrase(phrase)


def test_date_interval_refuses_a_start_after_its_end():
    with pytest.raises(ValueParseError):
        DateInterval(start=PartialDate(2016), end=PartialDate(2015, 12))


# --- formatting ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit", "text"),
    [
        pytest.param(Quantity(low=D(400), high=None), "fighters", "[400, open) fighters",
                     id="at-least"),
        pytest.param(Quantity(low=D(0), high=D(100), high_inclusive=False), "fighters",
                     "[0, 100) fighters", id="fewer-than"),
        pytest.param(parse_quantity("about 500"), "fighters", "[450, 550] fighters", id="about"),
        pytest.param(Quantity(low=D(400), high=None, low_inclusive=False), None, "(400, open)",
                     id="more-than-no-unit"),
        pytest.param(Quantity(low=D("6.30"), high=D("7.7")), None, "[6.3, 7.7]", id="decimals"),
        pytest.param(parse_quantity("at most 5 km"), None, "[0, 5] km", id="quantity-own-unit"),
    ],
)  # fmt: skip
def test_format_quantity_writes_a_readable_interval(quantity, unit, text):
    assert format_quantity(quantity, unit) == text


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        pytest.param(parse_date_phrase("early July 2015"), "2015-07-01 to 2015-07-10",
                     id="closed"),
        pytest.param(DateInterval(start=month(2015, 7), end=None), "from 2015-07", id="from"),
        pytest.param(DateInterval(start=None, end=day(2015, 6, 25)), "until 2015-06-25",
                     id="until"),
        pytest.param(parse_date_phrase("2015"), "2015", id="whole-year"),
    ],
)  # fmt: skip
def test_format_date_interval_writes_a_readable_interval(interval, text):
    assert format_date_interval(interval) == text
