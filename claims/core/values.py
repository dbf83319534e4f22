"""Parsing of claim values: quantity and date phrases, units, and names.

Plain Python with no Django imports, so the rules of the claimset/1 spec ("Phrases the
tracker must parse") can be tested without a database. Every parser raises
ValueParseError with a message that can be shown to the user as it is.

All arithmetic is Decimal: interval ends are compared for contradictions, and a float
0.9 * 500 that comes out as 450.00000000000006 would make "about 500" miss 450.
"""

from __future__ import annotations

import calendar
import difflib
import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

__all__ = [
    "DateInterval",
    "PartialDate",
    "Precision",
    "Quantity",
    "ValueParseError",
    "convert",
    "format_date_interval",
    "format_quantity",
    "normalize_name",
    "normalize_unit",
    "parse_date_phrase",
    "parse_number",
    "parse_partial_date",
    "parse_quantity",
    "parse_valid_phrase",
    "unit_dimension",
    "units_comparable",
]


class ValueParseError(ValueError):
    """A phrase or value the tracker cannot read.

    The message is a complete sentence fragment for the user, e.g.
    'cannot read "four hundredd" as a quantity'.
    """


# --- names -------------------------------------------------------------------------------------

# Apostrophes include the modifier letters used in transliterated Arabic names
# (al-Qaʿida, Shariʿa), which are letters to Unicode and survive NFKD.
_NAME_APOSTROPHES = frozenset("'`\u2018\u2019\u00b4\u02bc\u02bb\u02bd\u02be\u02bf")


def normalize_name(s: str) -> str:
    """Return the comparison key of an entity or predicate name.

    Case-folded, accents stripped (NFKD, combining marks dropped), and hyphens and other
    dashes, dots, whitespace, apostrophes and underscores removed:
    "al-Bunyan al-Marsous" and "Albunyan Almarsous" give the same key, as do "U.S." and "US".
    """
    decomposed = unicodedata.normalize("NFKD", s.casefold())
    return "".join(ch for ch in decomposed if not _is_ignored_in_names(ch))


def _is_ignored_in_names(ch: str) -> bool:
    return (
        unicodedata.combining(ch) != 0
        or ch.isspace()
        or ch in _NAME_APOSTROPHES
        or ch in "._"
        or unicodedata.category(ch) == "Pd"
    )


# --- numbers -----------------------------------------------------------------------------------

_SMALL_NUMBERS = {
    word: Decimal(value)
    for value, word in enumerate(
        (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        )
    )
}
_TENS = {
    word: Decimal(10 * (index + 2))
    for index, word in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    )
}
_SCALES = {
    "thousand": Decimal(10**3),
    "million": Decimal(10**6),
    "billion": Decimal(10**9),
}
_DOZEN = Decimal(12)
# Default decimal context precision; integers longer than this cannot be quantized to units.
_DECIMAL_DIGITS = 28
_HALF = Decimal("0.5")
_NUMBER_WORDS = frozenset(
    {*_SMALL_NUMBERS, *_TENS, *_SCALES, "hundred", "dozen", "half", "and", "a", "an"}
)
# Numerals with thousands separators must group by three, so "1,00" is refused, not read as 100.
_NUMERAL_RE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def parse_number(text: str) -> Decimal:
    """Read a numeral or an English number phrase.

    Numerals: "400", "80,000", "1.5", optionally followed by one multiplier word
    ("1.5 million", "2 thousand", "2 dozen"). Words: "ten", "a dozen", "forty-two",
    "four hundred", "one hundred and twenty", "two thousand five hundred", "a hundred",
    "half a million", "one and a half million". Fractions: "two thirds", "three-quarters",
    "a fifth". Case and surrounding whitespace are ignored.
    """
    cleaned = _join_space_groups(" ".join(text.lower().split()))
    value = _parse_fraction(cleaned)
    if value is None:
        value = (
            _parse_numeral_phrase(cleaned)
            if cleaned[:1].isdigit()
            else _parse_number_words(cleaned)
        )
    if value is None:
        raise ValueParseError(f'cannot read "{text.strip()}" as a number')
    return _tidy(value)


_DENOMINATORS = {
    "third": 3,
    "quarter": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}
_FRACTION_RE = re.compile(
    r"(?P<numerator>.+?)[ \-\u2010\u2011](?P<denominator>"
    + "|".join(f"{word}s?" for word in _DENOMINATORS)
    + ")"
)


def _parse_fraction(text: str) -> Decimal | None:
    """A share written as a fraction: "two thirds", "three-quarters", "a fifth" (2/3, 3/4, 1/5).

    The value is the fraction itself, rounded to the decimal context's 28 digits.
    """
    match = _FRACTION_RE.fullmatch(text)
    if match is None:
        return None
    numerator_text = match.group("numerator")
    if numerator_text in ("a", "an", "one"):
        numerator = Decimal(1)
    else:
        numerator = _parse_number_words(numerator_text)
        if numerator is None or numerator != numerator.to_integral_value():
            return None
    denominator = _DENOMINATORS[match.group("denominator").rstrip("s")]
    if numerator >= denominator:
        return None  # "four thirds" is not how a share is written
    return numerator / denominator


# "75 000": thousands grouped by spaces (any Unicode space, collapsed to one above), as in
# British, French and UN style. Each group after the first has exactly three digits.
_SPACE_GROUPED_RE = re.compile(r"\d{1,3}(?: \d{3})+(?![\d,])")


def _join_space_groups(text: str) -> str:
    match = _SPACE_GROUPED_RE.match(text)
    if match is None:
        return text
    return match.group().replace(" ", "") + text[match.end() :]


def _parse_numeral_phrase(text: str) -> Decimal | None:
    numeral, _, multiplier = text.partition(" ")
    if not _NUMERAL_RE.fullmatch(numeral):
        return None
    value = Decimal(numeral.replace(",", ""))
    if not multiplier:
        return value
    factor = _multiplier_factor(multiplier)
    return None if factor is None else value * factor


def _multiplier_factor(word: str) -> Decimal | None:
    if word in _SCALES:
        return _SCALES[word]
    return {"hundred": Decimal(100), "dozen": _DOZEN}.get(word)


def _number_word_tokens(text: str) -> list[str]:
    """Split number words, folding the idioms with "a" into plain tokens.

    "a hundred" becomes "one hundred", "half a million" becomes "half million", and
    "and a half" becomes one "+half" token, so the grammar below needs no look-ahead.
    """
    tokens = text.replace("-", " ").split()
    folded: list[str] = []
    index = 0
    while index < len(tokens):
        word = tokens[index]
        following = tokens[index + 1 : index + 3]
        if word == "and" and following == ["a", "half"]:
            folded.append("+half")
            index += 3
            continue
        if word == "half" and following[:1] == ["a"]:
            folded.append("half")
            index += 2
            continue
        if word in ("a", "an") and following[:1] and following[0] in {"hundred", "dozen", *_SCALES}:
            word = "one"
        folded.append(word)
        index += 1
    return folded


@dataclass
class _WordNumber:
    """Running state of the number-word grammar.

    `total` holds finished scale groups ("two thousand"), `hundreds` and `rest` the group
    being read ("five hundred" + "twenty"), and `last` the kind of the previous word, which
    decides what may come next: "ten ten" and "four hundred hundred" are refused rather
    than summed.
    """

    total: Decimal = Decimal(0)
    hundreds: Decimal = Decimal(0)
    rest: Decimal = Decimal(0)
    last: str = "start"
    smallest_scale: Decimal | None = None

    def value(self) -> Decimal | None:
        if self.last in ("start", "and"):
            return None
        return self.total + self.hundreds + self.rest


def _parse_number_words(text: str) -> Decimal | None:
    state = _WordNumber()
    for word in _number_word_tokens(text):
        if not _read_number_word(state, word):
            return None
    return state.value()


def _read_number_word(state: _WordNumber, word: str) -> bool:
    """Apply one word to the state; False when the word cannot come here."""
    if state.last == "dozen":
        return False  # "a dozen" ends a number; "a dozen thousand" is not English
    if word in _SMALL_NUMBERS or word in _TENS:
        return _read_digit_word(state, word)
    if word == "half":
        if state.last != "start":
            return False
        state.rest, state.last = _HALF, "half"
    elif word == "+half":
        if state.last not in ("small", "tens"):
            return False
        state.rest += _HALF
        state.last = "half"
    elif word == "hundred":
        return _read_hundred(state)
    elif word == "dozen":
        return _read_dozen(state)
    elif word in _SCALES:
        return _read_scale(state, _SCALES[word])
    elif word == "and":
        if state.last not in ("hundred", "scale"):
            return False
        state.last = "and"
    else:
        return False
    return True


def _read_digit_word(state: _WordNumber, word: str) -> bool:
    starts_group = state.last in ("start", "hundred", "scale", "and")
    if word in _TENS:
        if not starts_group:
            return False
        state.rest, state.last = _TENS[word], "tens"
        return True
    value = _SMALL_NUMBERS[word]
    if state.last == "tens" and 1 <= value <= 9:
        state.rest += value  # "forty-two"
    elif starts_group:
        state.rest = value
    else:
        return False
    state.last = "small"
    return True


def _read_dozen(state: _WordNumber) -> bool:
    if state.last not in ("start", "small", "tens", "half") or state.hundreds:
        return False
    state.rest = (state.rest if state.last != "start" else Decimal(1)) * _DOZEN
    state.last = "dozen"
    return True


def _read_hundred(state: _WordNumber) -> bool:
    if state.last == "start":
        state.rest = Decimal(1)  # a bare "hundred", like a bare "dozen"
    elif state.last not in ("small", "tens", "half") or state.hundreds:
        return False
    # "fifteen hundred" and "twenty-five hundred" are English; hence any rest below 100.
    state.hundreds, state.rest, state.last = state.rest * 100, Decimal(0), "hundred"
    return True


def _read_scale(state: _WordNumber, scale: Decimal) -> bool:
    if state.last == "and":
        return False
    if state.smallest_scale is not None and scale >= state.smallest_scale:
        return False  # "two thousand three million" has its scales out of order
    group = state.hundreds + state.rest if state.last != "start" else Decimal(1)
    state.total += group * scale
    state.hundreds, state.rest = Decimal(0), Decimal(0)
    state.smallest_scale, state.last = scale, "scale"
    return True


def _tidy(value: Decimal) -> Decimal:
    """Drop a meaningless exponent or trailing zeros: 450.0 becomes 450, 0.50 becomes 0.5.

    Equality is unaffected; this is for readable output and stable representations.
    """
    if value == value.to_integral_value() and value.adjusted() < _DECIMAL_DIGITS:
        return value.quantize(Decimal(1))
    return value.normalize()


# --- units -------------------------------------------------------------------------------------

_UNIT_SYMBOLS = {
    **dict.fromkeys(("km", "kms", "kilometre", "kilometres", "kilometer", "kilometers"), "km"),
    **dict.fromkeys(("mi", "mile", "miles"), "mi"),
    **dict.fromkeys(("m", "metre", "metres", "meter", "meters"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), "min"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("wk", "wks", "week", "weeks"), "wk"),
}
# Each unit's size in its dimension's base unit (metres, seconds); exact by definition.
_UNIT_SIZES: dict[str, tuple[str, Decimal]] = {
    "m": ("length", Decimal(1)),
    "km": ("length", Decimal(1000)),
    "mi": ("length", Decimal("1609.344")),
    "s": ("time", Decimal(1)),
    "min": ("time", Decimal(60)),
    "h": ("time", Decimal(3600)),
    "d": ("time", Decimal(86400)),
    "wk": ("time", Decimal(604800)),
}
_INVARIANT_NOUNS = frozenset(
    {"people", "police", "personnel", "news", "series", "species", "aircraft", "sheep", "status"}
)
_IRREGULAR_PLURALS = {
    "children": "child",
    "men": "man",
    "women": "woman",
    "lives": "life",
    "persons": "person",
}


def normalize_unit(unit: str) -> str:
    """Return the canonical spelling of a unit.

    Known units become their symbol ("kilometres" -> "km", "minutes" -> "min"). Any other
    unit is lower-cased with its last word made singular ("fighters" -> "fighter",
    "rival governments" -> "rival government"), so "fighter" and "fighters" compare equal.
    A blank unit raises ValueParseError; a quantity without a unit has unit None instead.
    """
    words = unit.lower().split()
    if not words:
        raise ValueParseError("a unit cannot be empty")
    text = " ".join(words)
    if text in _UNIT_SYMBOLS:
        return _UNIT_SYMBOLS[text]
    return " ".join([*words[:-1], _singular(words[-1])])


def _singular(word: str) -> str:
    if word in _INVARIANT_NOUNS:
        return word
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # casualties
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]  # witnesses, churches, boxes
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 2:
        return word[:-1]
    return word


def unit_dimension(unit: str) -> str:
    """Return "length" or "time" for known units, else the normalised unit itself.

    Units with the same dimension can be converted into each other; an unknown unit is
    its own dimension, so "fighters" is comparable with "fighter" and nothing else.
    """
    symbol = normalize_unit(unit)
    return _UNIT_SIZES[symbol][0] if symbol in _UNIT_SIZES else symbol


def units_comparable(a: str, b: str) -> bool:
    return unit_dimension(a) == unit_dimension(b)


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert value between units of one dimension.

    Exact whenever the result is a terminating decimal (150 mi is exactly 241.4016 km);
    otherwise rounded to the decimal context's 28 digits (1 km is about 0.6214 mi).
    Raises ValueParseError for units of different dimensions.
    """
    source, target = normalize_unit(from_unit), normalize_unit(to_unit)
    if source == target:
        return value
    if unit_dimension(source) != unit_dimension(target):
        raise ValueParseError(f'cannot convert "{from_unit.strip()}" to "{to_unit.strip()}"')
    # Multiply before dividing: the base-unit value is exact, so only the last step can round.
    return _tidy(value * _UNIT_SIZES[source][1] / _UNIT_SIZES[target][1])


# --- quantities --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A numeric interval; an end of None is open.

    Exclusive ends come from "more than N" (N, open) and "fewer than N" [0, N). Ends given
    as int or str are stored as Decimal, so Quantity(low=400, high=None) works.
    """

    low: Decimal | None
    high: Decimal | None
    low_inclusive: bool = True
    high_inclusive: bool = True
    unit: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _as_decimal(self.low))
        object.__setattr__(self, "high", _as_decimal(self.high))
        if self.low is None or self.high is None:
            return
        if self.low > self.high:
            raise ValueParseError(
                f"the interval is empty: its low end {_format_decimal(self.low)} "
                f"is above its high end {_format_decimal(self.high)}"
            )
        if self.low == self.high and not (self.low_inclusive and self.high_inclusive):
            raise ValueParseError(
                f"the interval is empty: it excludes its only value {_format_decimal(self.low)}"
            )


def _as_decimal(value: Decimal | int | str | None) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        # A float has already lost the exact figure; a bool is a bug in the caller.
        raise TypeError(f"a quantity end must be Decimal, int or str, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueParseError(f'cannot read "{value}" as a number') from None
    if not number.is_finite():
        raise ValueParseError(f'cannot read "{value}" as a number')
    return number


_Interval = tuple[Decimal | None, Decimal | None, bool, bool]
_APPROXIMATE = (Decimal("0.9"), Decimal("1.1"))


def _exact(n: Decimal) -> _Interval:
    return n, n, True, True


def _about(n: Decimal) -> _Interval:
    return _APPROXIMATE[0] * n, _APPROXIMATE[1] * n, True, True


def _nearly(n: Decimal) -> _Interval:
    return _APPROXIMATE[0] * n, n, True, True


def _at_least(n: Decimal) -> _Interval:
    return n, None, True, True


def _more_than(n: Decimal) -> _Interval:
    return n, None, False, True


def _at_most(n: Decimal) -> _Interval:
    return Decimal(0), n, True, True


def _fewer_than(n: Decimal) -> _Interval:
    return Decimal(0), n, True, False


# Longest first, so "no more than" is not read as "no" + "more than".
_QUANTITY_MODIFIERS: tuple[tuple[str, Callable[[Decimal], _Interval]], ...] = tuple(
    sorted(
        [
            *((word, _about) for word in ("about", "around", "approximately", "roughly")),
            *((word, _about) for word in ("some", "an estimated", "estimated")),
            *((word, _nearly) for word in ("nearly", "almost")),
            *((word, _at_least) for word in ("at least", "no fewer than", "no less than")),
            *((word, _more_than) for word in ("more than", "over", "upwards of")),
            *((word, _at_most) for word in ("up to", "at most", "no more than")),
            *((word, _fewer_than) for word in ("fewer than", "less than", "under")),
            *((word, _exact) for word in ("only", "just", "exactly")),
        ],
        key=lambda pair: -len(pair[0]),
    )
)
# "400 or more fighters": the modifier after the number.
_QUANTITY_SUFFIXES: dict[str, Callable[[Decimal], _Interval]] = {
    "or more": _at_least,
    "or fewer": _at_most,
    "or less": _at_most,
}
_VAGUE_QUANTITIES = {
    "a few": (Decimal(2), Decimal(5)),
    "several": (Decimal(3), Decimal(9)),
    "several hundred": (Decimal(300), Decimal(900)),
    "several thousand": (Decimal(3000), Decimal(9000)),
    "dozens": (Decimal(24), Decimal(99)),
    "hundreds": (Decimal(200), Decimal(999)),
    "thousands": (Decimal(2000), Decimal(9999)),
}
_VAGUE_RE = re.compile(
    r"(a few|several hundred|several thousand|several|dozens|hundreds|thousands)"
    r"(?: of)?(?: (?P<unit>.+))?"
)
# Hyphen-minus, hyphen, non-breaking hyphen; dashes add figure dash, en dash and em dash.
_HYPHENS = "\\-\u2010\u2011"
_DASHES = _HYPHENS + "\u2012\u2013\u2014"
_UNIT_WORD_RE = re.compile(r"%|[^\W\d_]+(?:['\u2019.-][^\W\d_]+)*\.?")
# Words that join or qualify numbers; as a "unit" they mean the phrase was misread.
_NOT_UNIT_WORDS = _NUMBER_WORDS | {"or", "to", "than", "of", "from", "between", "more", "less"}
_NUMBER_WORD_SPELLINGS = sorted(_NUMBER_WORDS | {"hundreds", "dozens", "thousands"})


def parse_quantity(phrase: str) -> Quantity:
    """Read a quantity phrase from the spec's table into an interval.

    "at least 400 fighters" -> [400, open) with unit "fighter"; "about 500" -> [450, 550];
    "between 10 and 20 km" and "10-20 km" -> [10, 20]; "several" -> [3, 9]. An optional
    unit (one or more words) may follow the number; it is normalised with normalize_unit.
    """
    text = _clean_quantity_phrase(phrase)
    for reader in (_read_vague_quantity, _read_quantity_range, _read_single_quantity):
        quantity = reader(text, phrase)
        if quantity is not None:
            return quantity
    raise ValueParseError(f'cannot read "{phrase.strip()}" as a quantity')


def _clean_quantity_phrase(phrase: str) -> str:
    text = " ".join(phrase.lower().split())
    text = re.sub(rf"(\d)\s*[{_DASHES}]\s*(\d)", r"\1 - \2", text)  # "10-20", en dash too
    text = re.sub(rf"(\d)[{_HYPHENS}]([^\W\d_])", r"\1 \2", text)  # "10-minute": 10 minutes
    return re.sub(r"(\d)([^\W\d_]|%)", r"\1 \2", text)  # "150km"


def _read_vague_quantity(text: str, phrase: str) -> Quantity | None:
    match = _VAGUE_RE.fullmatch(text)
    if match is None:
        return None
    low, high = _VAGUE_QUANTITIES[match.group(1)]
    unit_text = match.group("unit") or ""
    if not _looks_like_unit(unit_text):
        return None
    return Quantity(low=low, high=high, unit=_unit_or_none(unit_text))


def _read_quantity_range(text: str, phrase: str) -> Quantity | None:
    """Read "between N and M", "N to M" and "N-M", each with an optional unit after M."""
    if text.startswith("between "):
        body, separators = text.removeprefix("between "), ("and",)
    else:
        body, separators = text.removeprefix("from "), ("to", "-")
    tokens = body.split()
    # Try every separator position: "between one hundred and twenty and two hundred" has three
    # "and"s, and only one split leaves a number on both sides.
    for index, token in enumerate(tokens):
        if token not in separators:
            continue
        low = _number_or_none(" ".join(tokens[:index]))
        high_and_unit = _number_and_unit(tokens[index + 1 :])
        if low is None or high_and_unit is None:
            continue
        high, unit = high_and_unit
        if low > high:
            raise ValueParseError(
                f'cannot read "{phrase.strip()}" as a quantity: '
                f"{_format_decimal(low)} is more than {_format_decimal(high)}"
            )
        return Quantity(low=low, high=high, unit=unit)
    return None


def _read_single_quantity(text: str, phrase: str) -> Quantity | None:
    interval_of: Callable[[Decimal], _Interval] = _exact
    for modifier, reader in _QUANTITY_MODIFIERS:
        if text.startswith(modifier + " "):
            text, interval_of = text[len(modifier) + 1 :], reader
            break
    tokens = text.split()
    if interval_of is _exact:
        tokens, interval_of = _take_suffix_modifier(tokens)
    number_and_unit = _number_and_unit(tokens)
    if number_and_unit is None:
        return None
    number, unit = number_and_unit
    low, high, low_inclusive, high_inclusive = interval_of(number)
    try:
        return Quantity(
            low=_tidy(low) if low is not None else None,
            high=_tidy(high) if high is not None else None,
            low_inclusive=low_inclusive,
            high_inclusive=high_inclusive,
            unit=unit,
        )
    except ValueParseError as error:
        raise ValueParseError(f'cannot read "{phrase.strip()}" as a quantity: {error}') from None


def _take_suffix_modifier(tokens: list[str]) -> tuple[list[str], Callable[[Decimal], _Interval]]:
    """Find "or more"/"or fewer" after the number and return the tokens without it."""
    for index in range(1, len(tokens) - 1):
        reader = _QUANTITY_SUFFIXES.get(f"{tokens[index]} {tokens[index + 1]}")
        if reader is not None and _number_or_none(" ".join(tokens[:index])) is not None:
            return tokens[:index] + tokens[index + 2 :], reader
    return tokens, _exact


def _number_and_unit(tokens: list[str]) -> tuple[Decimal, str | None] | None:
    """Split tokens into the longest leading number and a valid unit after it.

    "a" or "an" directly before a counted noun is one of it: "a week", "more than an hour".
    Only with a noun: a bare "a" is no number, and "a hundred" or "a dozen" are read as
    number words first.
    """
    if (
        len(tokens) > 1
        and tokens[0] in ("a", "an")
        and _number_or_none(" ".join(tokens[:2])) is None  # "a third", "a dozen"
        and _number_or_none(" ".join(tokens)) is None
    ):
        unit_text = " ".join(tokens[1:])
        if _looks_like_unit(unit_text):
            return Decimal(1), _unit_or_none(unit_text)
    for end in range(len(tokens), 0, -1):
        number = _number_or_none(" ".join(tokens[:end]))
        if number is None:
            continue
        unit_text = " ".join(tokens[end:])
        if not _looks_like_unit(unit_text):
            # A shorter number would leave a longer, still invalid, tail.
            return None
        return number, _unit_or_none(unit_text)
    return None


def _number_or_none(text: str) -> Decimal | None:
    try:
        return parse_number(text) if text else None
    except ValueParseError:
        return None


@functools.lru_cache(maxsize=4096)  # the fuzzy check below is slow, and units repeat
def _looks_like_unit(text: str) -> bool:
    """True for no unit at all or for words that can name what is counted."""
    words = text.split()
    if not words:
        return True
    if any(not _UNIT_WORD_RE.fullmatch(word) or word in _NOT_UNIT_WORDS for word in words):
        return False
    # A misspelt number word would otherwise pass as a unit: "four hundredd" is not
    # four of something called "hundredd".
    return not difflib.get_close_matches(words[0], _NUMBER_WORD_SPELLINGS, cutoff=0.85)


def _unit_or_none(text: str) -> str | None:
    return normalize_unit(text) if text.strip() else None


# --- dates -------------------------------------------------------------------------------------


class Precision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day.

    Ordering is by (year, month, day) with a missing part sorting first, so 2015 sorts
    before 2015-01 and 2015-01 before 2015-01-01. (Ordering by the plain fields would
    compare None with an int and raise TypeError for dates of mixed precision.)
    """

    year: int = field(compare=False)
    month: int | None = field(default=None, compare=False)
    day: int | None = field(default=None, compare=False)
    _sort_key: tuple[int, int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_partial_date(self.year, self.month, self.day)
        object.__setattr__(self, "_sort_key", (self.year, self.month or 0, self.day or 0))

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        return Precision.YEAR if self.month is None else Precision.MONTH

    def first_day(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> date:
        month = self.month or 12
        return date(self.year, month, self.day or _days_in_month(self.year, month))

    def isoformat(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def from_date(cls, d: date, precision: Precision = Precision.DAY) -> PartialDate:
        """The part of d known at precision: from_date(2015-06-25, MONTH) is 2015-06."""
        precision = Precision(precision)
        if precision is Precision.YEAR:
            return cls(d.year)
        if precision is Precision.MONTH:
            return cls(d.year, d.month)
        return cls(d.year, d.month, d.day)


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _check_partial_date(year: int, month: int | None, day: int | None) -> None:
    if not 1 <= year <= 9999:
        raise ValueParseError(f"{year} is not a year between 1 and 9999")
    if month is None:
        if day is not None:
            raise ValueParseError("a date with a day must also have a month")
        return
    if not 1 <= month <= 12:
        raise ValueParseError(f"{month} is not a month: months run from 1 to 12")
    if day is not None and not 1 <= day <= _days_in_month(year, month):
        raise ValueParseError(
            f"{calendar.month_name[month]} {year} has no day {day}: "
            f"it has {_days_in_month(year, month)} days"
        )


_ISO_PARTIAL_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_partial_date(text: str) -> PartialDate:
    """Read strictly "2015", "2015-07" or "2015-07-01" (surrounding whitespace ignored)."""
    match = _ISO_PARTIAL_RE.fullmatch(text.strip())
    if match is None:
        raise ValueParseError(
            f'cannot read "{text.strip()}" as a date: expected 2015, 2015-07 or 2015-07-01'
        )
    year, month, day = match.groups()
    try:
        return PartialDate(int(year), _int_or_none(month), _int_or_none(day))
    except ValueParseError as error:
        raise ValueParseError(f'cannot read "{text.strip()}" as a date: {error}') from None


def _int_or_none(text: str | None) -> int | None:
    return None if text is None else int(text)


@dataclass(frozen=True)
class DateInterval:
    """From start.first_day() to end.last_day(); a None end is open.

    A whole day, month or year has start == end: "July 2015" is start=end=2015-07.
    """

    start: PartialDate | None
    end: PartialDate | None

    def __post_init__(self) -> None:
        if (
            self.start is not None
            and self.end is not None
            and self.start.first_day() > self.end.last_day()
        ):
            raise ValueParseError(
                f"the dates are the wrong way round: {self.start} is after {self.end}"
            )

    def first_day(self) -> date | None:
        return None if self.start is None else self.start.first_day()

    def last_day(self) -> date | None:
        return None if self.end is None else self.end.last_day()


class _UnreadableDate(ValueParseError):
    """The words are not a date phrase at all.

    Kept apart from errors about a phrase that was recognised (no reference, no such day),
    so a range reader can try another split on this one and must report the others.
    """


_MONTHS = {
    **{name.lower(): number for number, name in enumerate(calendar.month_name) if name},
    **{name.lower(): number for number, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH = r"(?P<month>[a-z]+)\.?"
_YEAR = r"(?P<year>\d{4})"
_DAY_DATE_RES = (
    re.compile(rf"{_DAY} (?:of )?{_MONTH}(?: {_YEAR})?"),  # 1 August 2016, 1 August
    re.compile(rf"{_MONTH} {_DAY}(?: {_YEAR})?"),  # August 1 2016, August 1 (commas dropped)
)
_MONTH_DATE_RE = re.compile(rf"{_MONTH}(?: {_YEAR})?")  # July 2015, Jul 2015, May
_PART_RE = re.compile(
    r"(?:the )?(?P<part>early|beginning of|start of|mid|middle of|late|end of)"
    r" (?:the )?(?P<rest>.+)"
)
_PART_WORDS = {
    "early": "early",
    "beginning of": "early",
    "start of": "early",
    "mid": "mid",
    "middle of": "mid",
    "late": "late",
    "end of": "late",
}
# The spec's thirds of a month (in days; None = the month's last day) and of a year (in months).
_PART_OF_MONTH = {"early": (1, 10), "mid": (11, 20), "late": (21, None)}
_PART_OF_YEAR = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}
_RELATIVE_YEARS = {"this year": 0, "last year": -1}
_RELATIVE_MONTHS = {"this month": 0, "last month": -1}
_RELATIVE_DAYS = {"today": 0, "yesterday": -1}
_WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)}


def parse_date_phrase(phrase: str, reference: PartialDate | None = None) -> DateInterval:
    """Read a date phrase from the spec's list into an interval of partial dates.

    reference is the publication date the phrase was written at; year-less and relative
    phrases ("May", "beginning of July", "late last year", "last month") need it, and raise
    ValueParseError without it. Examples: "May" with reference 2016 is 2016-05; "late last
    year" with reference 2015-06-25 is 2014-09 to 2014-12; "mid-July 2015" is 2015-07-11 to
    2015-07-20. A leading "in" or "on" is ignored.
    """
    text = re.sub(r"^(?:in|on) ", "", _clean_date_phrase(phrase))
    interval = _read_date(text, phrase.strip(), reference)
    if interval is None:
        raise _UnreadableDate(f'cannot read "{phrase.strip()}" as a date')
    return interval


def _clean_date_phrase(phrase: str) -> str:
    text = phrase.lower().replace(",", " ")
    text = re.sub(rf"\bmid[{_DASHES}]", "mid ", text)
    return " ".join(text.split())


def _read_date(text: str, phrase: str, reference: PartialDate | None) -> DateInterval | None:
    part = _PART_RE.fullmatch(text)
    if part is not None:
        return _read_part_of_period(
            _PART_WORDS[part.group("part")], part.group("rest"), phrase, reference
        )
    month = _read_month(text, phrase, reference)
    if month is not None:
        return _whole(_partial_date(phrase, *month))
    year = _read_year(text, phrase, reference)
    if year is not None:
        return _whole(_partial_date(phrase, year))
    day = _read_day(text, phrase, reference)
    if day is not None:
        return _whole(day)
    return _read_relative_day(text, phrase, reference)


def _read_relative_day(
    text: str, phrase: str, reference: PartialDate | None
) -> DateInterval | None:
    """ "today", "yesterday", a weekday name and "last week", against the publication day.

    A weekday is the latest such day on or before the publication day (news reports what
    happened: "on Thursday" in a Friday paper is the day before); "last week" is Monday to
    Sunday of the week before the publication day's week.
    """
    if text in _RELATIVE_DAYS:
        day = _require_day_reference(reference, phrase) + timedelta(days=_RELATIVE_DAYS[text])
        return _whole(PartialDate.from_date(day))
    if text in _WEEKDAYS:
        published = _require_day_reference(reference, phrase)
        day = published - timedelta(days=(published.weekday() - _WEEKDAYS[text]) % 7)
        return _whole(PartialDate.from_date(day))
    if text == "last week":
        published = _require_day_reference(reference, phrase)
        monday = published - timedelta(days=published.weekday() + 7)
        return DateInterval(
            start=PartialDate.from_date(monday),
            end=PartialDate.from_date(monday + timedelta(days=6)),
        )
    return None


def _whole(period: PartialDate) -> DateInterval:
    return DateInterval(start=period, end=period)


def _read_part_of_period(
    part: str, text: str, phrase: str, reference: PartialDate | None
) -> DateInterval | None:
    """Early, mid or late in a month (thirds in days) or in a year (thirds in months)."""
    month = _read_month(text, phrase, reference)
    if month is not None:
        year, month_number = month
        first, last = _PART_OF_MONTH[part]
        start = _partial_date(phrase, year, month_number, first)
        return DateInterval(
            start=start,
            end=PartialDate(year, month_number, last or _days_in_month(year, month_number)),
        )
    year = _read_year(text, phrase, reference)
    if year is not None:
        first, last = _PART_OF_YEAR[part]
        return DateInterval(
            start=_partial_date(phrase, year, first), end=_partial_date(phrase, year, last)
        )
    return None


def _read_year(text: str, phrase: str, reference: PartialDate | None) -> int | None:
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    if text in _RELATIVE_YEARS:
        return _require_reference(reference, phrase).year + _RELATIVE_YEARS[text]
    return None


def _read_month(text: str, phrase: str, reference: PartialDate | None) -> tuple[int, int] | None:
    """(year, month) for "July 2015", "Jul 2015", "2015-07", "May", "last month"."""
    if re.fullmatch(r"\d{4}-\d{2}", text):
        partial = parse_partial_date(text)
        return partial.year, partial.month or 1
    if text in _RELATIVE_MONTHS:
        year, month = _require_month_reference(reference, phrase)
        return _shift_month(year, month, _RELATIVE_MONTHS[text])
    match = _MONTH_DATE_RE.fullmatch(text)
    if match is None or match.group("month") not in _MONTHS:
        return None
    return _year_or_reference(match.group("year"), phrase, reference), _MONTHS[match.group("month")]


def _read_day(text: str, phrase: str, reference: PartialDate | None) -> PartialDate | None:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return parse_partial_date(text)
    for pattern in _DAY_DATE_RES:
        match = pattern.fullmatch(text)
        if match is None or match.group("month") not in _MONTHS:
            continue
        year = _year_or_reference(match.group("year"), phrase, reference)
        return _partial_date(phrase, year, _MONTHS[match.group("month")], int(match.group("day")))
    return None


def _partial_date(
    phrase: str, year: int, month: int | None = None, day: int | None = None
) -> PartialDate:
    """PartialDate(year, month, day), with an invalid date reported against the phrase."""
    try:
        return PartialDate(year, month, day)
    except ValueParseError as error:
        raise ValueParseError(f'cannot read "{phrase}" as a date: {error}') from None


def _year_or_reference(year: str | None, phrase: str, reference: PartialDate | None) -> int:
    if year is not None:
        return int(year)
    if reference is None:
        raise ValueParseError(f'"{phrase}" has no year: it needs the publication date of a source')
    return reference.year


def _require_reference(reference: PartialDate | None, phrase: str) -> PartialDate:
    if reference is None:
        raise ValueParseError(f'"{phrase}" is relative: it needs the publication date of a source')
    return reference


def _require_month_reference(reference: PartialDate | None, phrase: str) -> tuple[int, int]:
    reference = _require_reference(reference, phrase)
    if reference.month is None:
        raise ValueParseError(
            f'"{phrase}" is relative to a month: it needs a publication date with a month, '
            f"not just the year {reference.year}"
        )
    return reference.year, reference.month


def _require_day_reference(reference: PartialDate | None, phrase: str) -> date:
    reference = _require_reference(reference, phrase)
    if reference.day is None:
        raise ValueParseError(
            f'"{phrase}" is relative to a day: it needs a publication date with a day, '
            f"not just {reference.isoformat()}"
        )
    return reference.first_day()


def _shift_month(year: int, month: int, offset: int) -> tuple[int, int]:
    months = year * 12 + (month - 1) + offset
    return months // 12, months % 12 + 1


def parse_valid_phrase(phrase: str, reference: PartialDate | None = None) -> DateInterval:
    """Read a claim's valid time: any date phrase, or an open or closed range of them.

    "since X" and "from X" start at the start of X with an open end; "until X", "till X" and
    "to X" end at the end of X with an open start; "from X to Y", "between X and Y" and
    "X to Y" run from the start of X to the end of Y.
    """
    try:
        # Case is kept so that errors about a part ("May" has no year) quote it as written.
        interval = _read_valid_phrase(" ".join(phrase.split()), reference)
    except _UnreadableDate:
        interval = None
    if interval is None:
        raise ValueParseError(f'cannot read "{phrase.strip()}" as a date or a date range')
    return interval


def _read_valid_phrase(text: str, reference: PartialDate | None) -> DateInterval | None:
    first_word, _, rest = text.partition(" ")
    head = first_word.lower()
    if head == "between":
        return _read_date_range(rest, ("and",), reference)
    if head == "from":
        interval = _read_date_range(rest, _RANGE_WORDS, reference)
        if interval is not None:
            return interval
    if head in ("since", "from"):
        return DateInterval(start=parse_date_phrase(rest, reference).start, end=None)
    if head in ("until", "till", "to"):
        return DateInterval(start=None, end=parse_date_phrase(rest, reference).end)
    return _read_date_range(text, _RANGE_WORDS, reference) or parse_date_phrase(text, reference)


_RANGE_WORDS = ("to", "until", "till")


def _read_date_range(
    text: str, separators: tuple[str, ...], reference: PartialDate | None
) -> DateInterval | None:
    """Start of X to end of Y for "X <separator> Y"; None when no split gives two dates."""
    tokens = text.split()
    for index, token in enumerate(tokens):
        if token.lower() not in separators:
            continue
        try:
            first = parse_date_phrase(" ".join(tokens[:index]), reference)
            last = parse_date_phrase(" ".join(tokens[index + 1 :]), reference)
        except _UnreadableDate:
            continue  # not this split; a missing reference or a bad day is reported as it is
        return DateInterval(start=first.start, end=last.end)
    return None


# --- formatting --------------------------------------------------------------------------------


def _format_decimal(value: Decimal) -> str:
    return format(_tidy(value), "f")


def format_quantity(q: Quantity, unit: str | None = None) -> str:
    """Write q as an interval for people: "[400, open) fighters", "(400, open)", "[450, 550]".

    unit, when given, is written instead of q.unit (e.g. the predicate's plural "fighters").
    """
    left = "[" if q.low is not None and q.low_inclusive else "("
    right = "]" if q.high is not None and q.high_inclusive else ")"
    low = "open" if q.low is None else _format_decimal(q.low)
    high = "open" if q.high is None else _format_decimal(q.high)
    text = f"{left}{low}, {high}{right}"
    shown_unit = unit if unit is not None else q.unit
    return f"{text} {shown_unit}" if shown_unit else text


def format_date_interval(d: DateInterval) -> str:
    """Write d for people: "2015-07-01 to 2015-07-10", "from 2015-07", "until 2015-06-25".

    A whole day, month or year (start == end) is written once: "2015".
    """
    if d.start is not None and d.end is not None:
        if d.start == d.end:
            return d.start.isoformat()
        return f"{d.start.isoformat()} to {d.end.isoformat()}"
    if d.start is not None:
        return f"from {d.start.isoformat()}"
    if d.end is not None:
        return f"until {d.end.isoformat()}"
    return "at any time"
