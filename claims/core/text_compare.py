"""Contradictions between claims' wordings: the detector "text/1".

The spec's rule, a contract: "Text-only claims, and a text-only claim against a structured one,
are compared on their wording: near-identical statements that differ in a number, a date, or a
negation are a contradiction; statements about different things are not, even when their
numbers differ."

A wording is reduced to a TextSignature by analyze():

- terms: the content lemmas (simplemma) and "@<entity_id>" for each entity mention found by an
  AliasMatcher. Stop words, hedges ("only", "still", "reportedly"), numbers, dates, the units
  of measure after numbers, and negation words are left out, so "At least 400 ISIS fighters
  managed to escape Sirte." and "Only around 150 ISIS fighters managed to escape from Sirte."
  have the same terms.
- quantities: each number mention, read with claims.values (modifiers such as "at least" and
  "about", ranges, number words, "dozens", "hundreds"), with the slot it fills: a unit's
  dimension ("150 miles"), the noun it counts ("400 ISIS fighters" counts fighters) or, for a
  bare number, the content word before it ("a population of 80,000").
- dates: each date phrase of the spec ("2015", "July 2015", "early July 2015", "1 August
  2016", "2016-08-01") as a first and last day. A year is read as a date only where English
  puts a year ("in 2015", "the 2015 offensive", "September 2017"), never as a count.
- negated: whether a negation ("not", "didn't", "never", "no longer", "denied") occurs.

compare() calls two wordings near-identical when the Dice similarity of their terms reaches
SIMILARITY_THRESHOLD, and then flags a negation that only one has, a slot whose values are all
disjoint between the sides, or dates that are all disjoint between the sides. The incremental
check finds candidate pairs through an inverted index of terms and pairs of terms (probes(),
probe_terms()); the full scan joins every distinct term set at once by prefix filtering
(SetJoin), which finds exactly the pairs at or above the threshold without comparing every
pair.

Plain Python with no Django imports, like claims.values.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

import simplemma

from claims.core import lexicon
from claims.core.values import (
    Quantity,
    ValueParseError,
    convert,
    normalize_unit,
    parse_date_phrase,
    parse_number,
    parse_quantity,
    unit_dimension,
)

__all__ = [
    "DETECTOR",
    "SIMILARITY_THRESHOLD",
    "AliasMatcher",
    "DateMention",
    "NegationMention",
    "NumberMention",
    "TextConflict",
    "TextSignature",
    "analyze",
    "compare",
    "conflicting",
    "digest",
    "from_digest",
    "PAIR_INDEX_MAX_TERMS",
    "Probe",
    "SetJoin",
    "index_keys",
    "pair_key",
    "prefix_length",
    "probe_terms",
    "probes",
    "required_overlap",
    "similarity",
    "size_window",
    "terms",
]

DETECTOR = "text/1"

# Dice similarity 2|A∩B|/(|A|+|B|) at or above which two wordings are near-identical. With c
# shared terms and d terms in only one of the sets, Dice >= 0.7 means d <= 0.86c: fewer
# differing terms than shared ones.
# - One added term passes from two shared terms on (2*2/5 = 0.8; "IS withdrew from Derna" vs
#   "IS withdrew from eastern Derna" is 2*3/7 = 0.86), and so does a light verb ("escaped
#   Sirte" vs "managed to escape from Sirte": 2*4/9 = 0.89).
# - One swapped term in a three-term statement does not (2*2/6 = 0.67): "IS took Sirte in
#   2015" and "IS lost Sirte in 2016" are different statements, and their different years are
#   no contradiction. From three shared terms on a swap passes (2*3/8 = 0.75): the rest of a
#   longer wording pins down what it is about.
# At 2/3 the three-term swap would pass; above 0.8 a two-term statement with one added
# detail would not. 0.7 sits between, with a margin from both.
SIMILARITY_THRESHOLD = 0.7

# The longest explanation we aim for, so a reviewer reads it on one line.
_EXPLANATION_LIMIT = 200


# --- entity mentions -----------------------------------------------------------------------------

# Apostrophes are dropped inside names as values.normalize_name drops them (al-Qa'ida = al-Qaida).
_APOSTROPHES = "'`\u2018\u2019\u00b4\u02bc\u02bb\u02bd\u02be\u02bf"
# Words of names: "U.S." (letters with dots), or letters and digits joined by apostrophes or
# dots. Hyphens and spaces separate words; a possessive "'s" is not part of the word.
_NAME_WORD_PATTERN = r"(?:[^\W_]\.){2,}|[^\W_]+(?:(?:['`\u2018\u2019\u00b4](?![sS]\b)|\.)[^\W_]+)*"
_NAME_WORD_RE = re.compile(_NAME_WORD_PATTERN)
# The same pattern, about twice as fast, for the usual all-ASCII text (where it means the same).
_NAME_WORD_RE_ASCII = re.compile(_NAME_WORD_PATTERN, re.ASCII)
_NAME_GAP_RE = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014]*")
_DROPPED_IN_NAME_WORDS = frozenset(_APOSTROPHES + ".")


@lru_cache(maxsize=1 << 16)
def _name_word_key(word: str) -> str:
    """The word with accents, apostrophes and dots removed, case kept: "U.S." -> "US"."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and ch not in _DROPPED_IN_NAME_WORDS
    )


@lru_cache(maxsize=1 << 16)
def _folded_key(word: str) -> str:
    return _name_word_key(word).casefold()


def _is_acronym(name: str) -> bool:
    """An alias written in capitals ("IS", "ISIS", "U.S."), matched case-sensitively."""
    return any(ch.isalpha() for ch in name) and name == name.upper()


class AliasMatcher:
    """Finds entity mentions by entity names and aliases, longest match first, on word boundaries.

    Aliases written in capitals (acronyms such as "IS", "ISIS", "US") match case-sensitively, so
    the verb "is" is not the Islamic State; other aliases match case-insensitively, ignoring
    accents, apostrophes and dots the way values.normalize_name does ("Qa'ida" = "Qaida",
    "U.S." = "US"). Words are split at spaces and hyphens, so "US-backed" mentions the US.

    The aliases are indexed by their first word, so building from ~100k aliases is a dict fill
    and find() looks at a few candidates per word of the text. When one alias names two
    entities, the pair given first wins.
    """

    def __init__(self, names: Iterable[tuple[int, str]]):
        # first folded word -> [(folded words, exact words or None, entity id)], longest first
        index: dict[str, list[tuple[tuple[str, ...], tuple[str, ...] | None, int]]] = {}
        seen: set[tuple[tuple[str, ...], tuple[str, ...] | None]] = set()
        for entity_id, name in names:
            words = _NAME_WORD_RE.findall(name)
            if not words:
                continue
            exact = tuple(_name_word_key(word) for word in words)
            folded = tuple(word.casefold() for word in exact)
            key = (folded, exact if _is_acronym(name) else None)
            if key in seen:
                continue
            seen.add(key)
            index.setdefault(folded[0], []).append((key[0], key[1], entity_id))
        for candidates in index.values():
            candidates.sort(key=lambda candidate: -len(candidate[0]))  # stable: first given wins
        self._index = index

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, entity_id) of each mention, left to right, non-overlapping."""
        pattern = _NAME_WORD_RE_ASCII if text.isascii() else _NAME_WORD_RE
        matches = list(pattern.finditer(text))
        words = [match.group() for match in matches]
        folded = [_folded_key(word) for word in words]
        index = self._index
        found: list[tuple[int, int, int]] = []
        position, count = 0, len(words)
        while position < count:
            candidates = index.get(folded[position])
            if candidates:
                hit = _match_at(text, matches, words, folded, position, candidates)
                if hit is not None:
                    length, entity_id = hit
                    end = matches[position + length - 1].end()
                    found.append((matches[position].start(), end, entity_id))
                    position += length
                    continue
            position += 1
        return found


def _match_at(
    text: str,
    matches: list[re.Match[str]],
    words: list[str],
    folded: list[str],
    position: int,
    candidates: list[tuple[tuple[str, ...], tuple[str, ...] | None, int]],
) -> tuple[int, int] | None:
    """(length in words, entity id) of the longest alias starting at position, or None."""
    for alias_words, exact_words, entity_id in candidates:
        length = len(alias_words)
        if position + length > len(words):
            continue
        if not all(folded[position + k] == alias_words[k] for k in range(1, length)):
            continue
        if exact_words is not None and any(
            _name_word_key(words[position + k]) != exact_words[k] for k in range(length)
        ):
            continue
        # The words of a name are separated by spaces or hyphens only, never by a comma.
        if all(
            _NAME_GAP_RE.fullmatch(
                text, matches[position + k - 1].end(), matches[position + k].start()
            )
            for k in range(1, length)
        ):
            return length, entity_id
    return None


# --- words ---------------------------------------------------------------------------------------

_STOP_WORDS = frozenset(
    """
    a an the and or but if then else than that this these those which who whom whose what when
    where why how it its itself they them their theirs themselves he him his himself she her hers
    herself we us our ours ourselves you your yours yourself i me my mine myself
    be am is are was were been being have has had having do does did doing done will would shall
    should can could may might must ca wo 's
    of in on at by for with from to into onto upon out off up down over under about above below
    across along among amid amidst around before after during since until till within without
    through throughout against between beneath beside besides beyond toward towards via per as
    near inside outside
    so such there here too very more most less least much many few some any each every all both
    either other another own same whether while although though because thus therefore however
    whereas whilst also not nor neither
    say says said saying according
    """.split()
)
# Words that soften or time-stamp a statement without changing what it states.
_HEDGES = frozenset(
    """
    only still reportedly allegedly apparently purportedly supposedly just even already yet
    indeed actually really likely probably possibly perhaps reported officially eventually
    finally now then later again ever once approximately roughly nearly almost estimated
    exactly around about some least
    """.split()
)
_NUMBER_WORD_VALUES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety"
).split()
_SCALE_WORDS = frozenset({"hundred", "thousand", "million", "billion"})
_NUMBER_CORE_WORDS = frozenset({*_NUMBER_WORD_VALUES, *_SCALE_WORDS, "dozen"})
_NUMBER_JOIN_WORDS = frozenset({"and", "a", "an", "half"})
_NUMBER_WORDS = _NUMBER_CORE_WORDS | frozenset(
    "half dozens hundreds thousands millions billions tens several few".split()
)
_NEGATION_WORDS = frozenset(
    """
    not never no none nobody nothing neither nor cannot deny denies denied denying
    dont didnt doesnt isnt wasnt werent arent hasnt havent hadnt wont cant couldnt wouldnt
    shouldnt
    """.split()
)
_DENIALS = frozenset({"deny", "denies", "denied", "denying"})
# Words that are no term; lemmas are checked against it too ("was" -> "be", "denied" -> "deny").
_NON_TERMS = _STOP_WORDS | _HEDGES | _NUMBER_WORDS | _NEGATION_WORDS
# An auxiliary before "not" belongs to the negation as written: "did not withdraw".
_AUXILIARIES = frozenset(
    "do does did is are was were has have had will would can could should may might must".split()
)


@lru_cache(maxsize=1 << 17)
def _term(word: str) -> str | None:
    """The term of a lower-cased word: its lemma, or None for a stop word, hedge or number."""
    if len(word) < 2 or word in _NON_TERMS or word.endswith("n't"):
        return None
    lemma = simplemma.lemmatize(word, lang="en").lower()
    return None if lemma in _NON_TERMS else lemma


# --- the same event in other words (claims/core/lexicon.json) ------------------------------------

_LEXICON = lexicon.lexicon()
# Terms at which a lexicon word or phrase may start: any other term is read as itself at once.
_EVENT_STARTS = _LEXICON.starts


def _is_number_token(low: str) -> bool:
    return low[:1].isdigit() or low in _NUMBER_WORDS


def _event_at(tokens: list[_Token], i: int) -> tuple[str, int] | None:
    """(the group's term, the index after it) for a lexicon word or phrase at tokens[i]."""
    if tokens[i].kind != _WORD:
        return None
    words = [token.low for token in tokens[max(0, i - 1) : i + 6]]
    offset = 1 if i > 0 else 0
    matched = _LEXICON.match(words, offset, is_number=_is_number_token)
    if matched is None:
        return None
    group, end = matched
    return group.term, i + end - offset


def _event_term(tokens: list[_Token], i: int, term: str) -> tuple[str, int]:
    """The term of the word at tokens[i] and the index after it: a lexicon group's term for
    a word or phrase of one (in its context), else the word's own term."""
    event = _event_at(tokens, i)
    return event if event is not None else (term, i + 1)


def _slot_term(term: str | None) -> str | None:
    """A counted noun or the word before a number, as the slot names it: a lexicon word is
    its group's ("40 dead" and "40 deaths" count one thing)."""
    if term is None:
        return None
    group = _LEXICON.word_group(term)
    return group.term if group is not None else term


# --- tokens --------------------------------------------------------------------------------------

_DASH_CHARS = frozenset("-\u2010\u2011\u2012\u2013\u2014")
# Words (letters, joined by hyphens or by apostrophes other than a possessive "'s": "didn't",
# "forty-two", "mid-July"), numbers with any letters glued on ("80,000", "150km", "3rd",
# "1990s"), and single other characters. Digits and hyphens are not joined to words, so
# "2016-08-01", "mid-2015" and "F-16" come out in pieces that the readers put together.
# Kept this simple (no look-behind, few alternatives) because it runs on every wording.
_SCAN_PATTERN = (
    r"(?P<w>[^\W\d_]+(?:'(?![sS]\b)[^\W\d_]+|[-\u2010\u2011][^\W\d_]+)*)"
    r"|(?P<n>\d+(?:[.,]\d+)*[^\W\d_]*)"
    r"|(?P<o>[^\w\s])"
)
_TOKEN_RE = re.compile(_SCAN_PATTERN)
_TOKEN_RE_ASCII = re.compile(_SCAN_PATTERN, re.ASCII)
_NUMBER_PART_RE = re.compile(r"\d+(?:[.,]\d+)*")
_WORD, _NUMBER, _ENTITY, _OTHER = "w", "n", "e", "o"


class _Token:
    __slots__ = ("end", "kind", "low", "start", "suffix", "text")

    def __init__(self, kind: str, text: str, low: str, start: int, end: int, suffix: str = ""):
        self.kind = kind
        self.text = text
        self.low = low
        self.start = start
        self.end = end
        self.suffix = suffix


def _tokenize(text: str, mentions: list[tuple[int, int, int]]) -> list[_Token]:
    """Tokens of text, each entity mention one token; text has its curly apostrophes
    straightened (same length, so positions are those of the text as written)."""
    tokens: list[_Token] = []
    pattern = _TOKEN_RE_ASCII if text.isascii() else _TOKEN_RE
    position = 0
    for start, end, entity_id in mentions:
        _scan(pattern, text, position, start, tokens)
        tokens.append(_Token(_ENTITY, text[start:end], f"@{entity_id}", start, end))
        position = end
    _scan(pattern, text, position, len(text), tokens)
    return tokens


def _scan(pattern: re.Pattern[str], text: str, start: int, end: int, tokens: list[_Token]) -> None:
    append = tokens.append
    for match in pattern.finditer(text, start, end):
        kind = match.lastgroup
        token_text = match.group()
        token_start, token_end = match.span()
        if kind == "w":
            append(_Token(_WORD, token_text, token_text.lower(), token_start, token_end))
        elif kind == "n":
            number = token_text
            if not token_text[-1].isdigit():
                number = _NUMBER_PART_RE.match(token_text).group()  # type: ignore[union-attr]
            suffix = token_text[len(number) :].lower()
            append(_Token(_NUMBER, number, number, token_start, token_end, suffix))
        else:
            append(_Token(_OTHER, token_text, token_text, token_start, token_end))


def _glued(before: _Token, after: _Token) -> bool:
    return before.end == after.start


def _identifier(tokens: list[_Token], j: int) -> str | None:
    """ "f-16" for the number of "F-16", "g7" for "G7": a name, not a count."""
    if j == 0 or not _glued(tokens[j - 1], tokens[j]):
        return None
    previous = tokens[j - 1]
    if previous.kind == _WORD:
        return f"{previous.low}{tokens[j].low}"
    if previous.low in _DASH_CHARS and j >= 2 and tokens[j - 2].kind == _WORD:
        if _glued(tokens[j - 2], previous):
            return f"{tokens[j - 2].low}-{tokens[j].low}"
    return None


# --- dates ---------------------------------------------------------------------------------------

_MONTH_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_PART_WORDS = frozenset({"early", "mid", "late"})
_PART_OF_WORDS = frozenset({"beginning", "start", "middle", "end"})
_RELATIVE_WORDS = frozenset({"last", "this", "next"})
_RELATIVE_PERIODS = frozenset({"year", "month", "week"})
_DATE_STARTS = _MONTH_WORDS | _PART_WORDS | _PART_OF_WORDS | _RELATIVE_WORDS
# Words after which a four-digit number is a year: "in 2015", "since 2014", "summer 2015".
_YEAR_PREPOSITIONS = frozenset(
    "in since during until till by before after from between spring summer autumn fall "
    "winter".split()
)
_SEASONS = frozenset({"spring", "summer", "autumn", "fall", "winter"})
_YEAR_RANGE_JOINERS = frozenset({"to", "and", "or", "until", "till", *_DASH_CHARS})
# "the 2015 offensive": a year used as an adjective after a determiner.
_DETERMINERS = frozenset("the a an its their his her this that these those our".split())
_ORDINAL_SUFFIXES = frozenset({"", "st", "nd", "rd", "th"})


@dataclass(frozen=True)
class DateMention:
    """A date phrase in a wording: the days it spans and the words as written."""

    first: date
    last: date
    words: str
    start: int
    end: int


@lru_cache(maxsize=1 << 14)
def _date_span(phrase: str) -> tuple[date, date] | None:
    try:
        interval = parse_date_phrase(phrase)
    except ValueParseError:
        return None
    first, last = interval.first_day(), interval.last_day()
    if first is None or last is None:
        return None
    return first, last


def _four_digits(token: _Token) -> bool:
    return (
        token.kind == _NUMBER
        and not token.suffix
        and len(token.text) == 4
        and token.text.isdigit()
        and 1000 <= int(token.text) <= 2999
    )


def _is_day(token: _Token) -> bool:
    return (
        token.kind == _NUMBER
        and token.suffix in _ORDINAL_SUFFIXES
        and len(token.text) <= 2
        and token.text.isdigit()
        and 1 <= int(token.text) <= 31
    )


def _is_year(tokens: list[_Token], j: int, *, joined: bool = True) -> bool:
    """Is the number at j a year standing alone? Only where English puts one."""
    if not _four_digits(tokens[j]):
        return False
    previous = tokens[j - 1].low if j > 0 else ""
    if previous in _YEAR_PREPOSITIONS:
        return True
    if previous == "of" and j >= 2 and tokens[j - 2].low in _SEASONS:
        return True  # the summer of 2015
    if previous in _YEAR_RANGE_JOINERS and j >= 2 and joined:
        return _is_year(tokens, j - 2, joined=False)  # in 2014-2016, between 2014 and 2016
    return (
        previous in _DETERMINERS and j + 1 < len(tokens) and tokens[j + 1].kind in (_WORD, _ENTITY)
    )


def _iso_date(tokens: list[_Token], j: int) -> tuple[str, int] | None:
    """ "2016-08-01" or "2015-07" written without spaces, as (phrase, end)."""
    if not _four_digits(tokens[j]):
        return None
    phrase, end = tokens[j].text, j
    for _ in range(2):
        if end + 2 >= len(tokens):
            break
        dash, digits = tokens[end + 1], tokens[end + 2]
        if not (
            dash.low == "-"
            and digits.kind == _NUMBER
            and not digits.suffix
            and len(digits.text) == 2
            and _glued(tokens[end], dash)
            and _glued(dash, digits)
        ):
            break
        phrase, end = f"{phrase}-{digits.text}", end + 2
    return (phrase, end + 1) if end > j else None


def _date_core(
    tokens: list[_Token], j: int, month: str | None, part: bool
) -> tuple[str, int] | None:
    """(phrase, end) of a date at j; phrase "" for a date without a year ("1 August",
    "last year"), which needs a publication date to be read.

    month is the month already read ("mid-July"); then j is just after it.
    """
    count = len(tokens)
    if month is None:
        token = tokens[j]
        iso = _iso_date(tokens, j)
        if iso is not None:
            return iso
        if (
            token.low in _RELATIVE_WORDS
            and j + 1 < count
            and tokens[j + 1].low in _RELATIVE_PERIODS
        ):
            return "", j + 2  # "late last year": relative to a publication date we do not have
        if token.kind == _WORD and token.low in _MONTH_WORDS:
            month, j = token.low, j + 1
        elif _is_day(token):
            k = j + 1
            if k < count and tokens[k].low == "of":
                k += 1
            if k >= count or tokens[k].low not in _MONTH_WORDS:
                return None
            day, month, k = token.text, tokens[k].low, k + 1
            if k < count and _four_digits(tokens[k]):
                return f"{day} {month} {tokens[k].text}", k + 1
            return "", k  # "1 August": a day, but its year is unknown here
        elif _four_digits(token) and (part or _is_year(tokens, j)):
            return token.text, j + 1
        else:
            return None
    if j < count and _is_day(tokens[j]):
        k = j + 1
        if k + 1 < count and tokens[k].low == "," and _four_digits(tokens[k + 1]):
            k += 1
        if k < count and _four_digits(tokens[k]):
            return f"{month} {tokens[j].text} {tokens[k].text}", k + 1
        return "", j + 1  # "September 11"
    if j < count and _four_digits(tokens[j]):
        return f"{month} {tokens[j].text}", j + 1
    return None  # a month name alone ("in July", or the verb "may")


def _read_date(tokens: list[_Token], i: int, text: str) -> tuple[DateMention | None, int] | None:
    """(mention, end) for a date phrase at i; mention None for words that are a date without a
    year ("1 August"), which are neither terms nor numbers; None when no date starts at i."""
    token = tokens[i]
    low = token.low
    part, month, j = "", None, i
    if low in _PART_WORDS:
        part, j = low, i + 1
        if j < len(tokens) and tokens[j].low in _DASH_CHARS:
            j += 1
    elif low in _PART_OF_WORDS:
        if i + 1 >= len(tokens) or tokens[i + 1].low != "of":
            return None
        part, j = f"{low} of", i + 2
    elif low.startswith("mid-") and low[4:] in _MONTH_WORDS:
        part, month, j = "mid", low[4:], i + 1
    if j >= len(tokens) and month is None:
        return None
    core = _date_core(tokens, j, month, bool(part))
    if core is None:
        return None
    phrase, end = core
    if not phrase:
        return None, end
    span = _date_span(f"{part} {phrase}" if part else phrase)
    if span is None:
        return None, end
    words = text[token.start : tokens[end - 1].end]
    return DateMention(span[0], span[1], words, token.start, tokens[end - 1].end), end


# --- numbers -------------------------------------------------------------------------------------

# Modifiers before a number, as claims.values reads them (a few synonyms mapped onto them).
_MODIFIERS: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): meaning
    for phrase, meaning in {
        **{word: word for word in ("about", "around", "approximately", "roughly", "some")},
        **{word: word for word in ("an estimated", "estimated", "nearly", "almost")},
        **{word: word for word in ("at least", "no fewer than", "no less than")},
        **{word: word for word in ("more than", "over", "upwards of")},
        **{word: word for word in ("up to", "at most", "no more than")},
        **{word: word for word in ("fewer than", "less than", "under")},
        **{word: word for word in ("only", "just", "exactly")},
        "close to": "nearly",
        "in excess of": "more than",
        "as many as": "up to",
        "not more than": "no more than",
        "not fewer than": "no fewer than",
        "not less than": "no less than",
    }.items()
}
_MODIFIERS_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _meaning in sorted(_MODIFIERS.items(), key=lambda item: -len(item[0])):
    _MODIFIERS_BY_FIRST.setdefault(_words[0], []).append((_words, _meaning))
_VAGUE_WORDS = frozenset({"several", "dozens", "hundreds", "thousands"})
# "tens of thousands": the spec's "dozens"/"hundreds" idea one scale up.
_VAGUE_SCALED = {
    ("tens", "thousands"): (20_000, 99_999),
    ("hundreds", "thousands"): (200_000, 999_999),
    ("tens", "millions"): (20_000_000, 99_999_999),
    ("hundreds", "millions"): (200_000_000, 999_999_999),
}
_QUANTITY_STARTS = frozenset(
    {
        *_MODIFIERS_BY_FIRST,
        *_NUMBER_CORE_WORDS,
        *_VAGUE_WORDS,
        "tens",
        "a",
        "an",
        "half",
        "between",
        "from",
        "$",
    }
)
# "the one who", "no one": the pronoun, not the number.
_ONE_AS_PRONOUN_AFTER = frozenset(
    "the this that any each every no which someone anyone everyone no-one".split()
)
# Endings of words that may stand between a number and the noun it counts ("400 heavily armed
# Libyan fighters"); capitalised words are skipped too.
_ADJECTIVE_SUFFIXES = tuple("ly ed ing al ic ive ous ian ese ish ful less".split())
_COUNTED_AFTER_OF = _DETERMINERS


@dataclass(frozen=True)
class NumberMention:
    """A number in a wording.

    quantity is its interval (unit set as below); unit is the normalised unit of measure
    ("mi", "km", "%") or of the counted noun ("fighter"), or None; slot is what the number is
    about: "dim:<dimension>" for a unit of measure, "noun:<lemma>" for a count, "of:<term>" for
    a bare number after a content word, "bare" otherwise. words is the number phrase as written
    ("At least 400", "150 miles") and noun the counted noun as written ("fighters") or "".
    """

    quantity: Quantity
    unit: str | None
    slot: str
    words: str
    noun: str
    start: int
    end: int


@lru_cache(maxsize=1 << 14)
def _number_value(phrase: str) -> Decimal | None:
    try:
        return parse_number(phrase)
    except ValueParseError:
        return None


@lru_cache(maxsize=1 << 15)
def _quantity_value(phrase: str, unit: str | None = None) -> Quantity | None:
    """The interval of a number phrase without its unit ("at least 400"), given the unit."""
    scaled = _VAGUE_SCALED.get(tuple(phrase.split()))
    if scaled is not None:
        return Quantity(low=scaled[0], high=scaled[1], unit=unit)
    try:
        quantity = parse_quantity(phrase)
    except ValueParseError:
        return None
    if unit is None:
        return quantity
    return Quantity(
        quantity.low, quantity.high, quantity.low_inclusive, quantity.high_inclusive, unit
    )


@lru_cache(maxsize=1 << 12)
def _measure_unit(word: str) -> str | None:
    """The unit symbol of a unit of measure ("miles" -> "mi", "%"), else None."""
    if word in ("%", "percent", "pc"):
        return "%"
    try:
        symbol = normalize_unit(word)
    except ValueParseError:
        return None
    return symbol if unit_dimension(symbol) in ("length", "time") else None


def _is_number_word(word: str) -> bool:
    if word in _NUMBER_CORE_WORDS:
        return True
    return "-" in word and all(part in _NUMBER_CORE_WORDS for part in word.split("-"))


def _number_core(tokens: list[_Token], j: int) -> tuple[str, int, str | None] | None:
    """(phrase for claims.values, end, attached unit) of a number at j, or None.

    Years and days of dates are not numbers here.
    """
    count = len(tokens)
    if j >= count:
        return None
    token = tokens[j]
    if token.kind == _NUMBER:
        if j > 0 and _identifier(tokens, j) is not None:
            return None
        unit = None
        if token.suffix:
            unit = _measure_unit(token.suffix) if token.suffix != "s" else None
            if unit is None:
                return None  # 3rd, 1990s, 3D
        if _read_date(tokens, j, "") is not None:
            return None
        phrase, end = token.text, j + 1
        if unit is None and end < count and tokens[end].low in (*_SCALE_WORDS, "dozen"):
            phrase, end = f"{phrase} {tokens[end].low}", end + 1  # 1.5 million
        return (phrase, end, unit) if _number_value(phrase) is not None else None
    if token.kind == _OTHER and token.text == "$":
        core = _number_core(tokens, j + 1)
        return None if core is None else (core[0], core[1], "dollar")
    if token.kind != _WORD:
        return None
    return _number_words(tokens, j)


def _number_words(tokens: list[_Token], j: int) -> tuple[str, int, str | None] | None:
    count = len(tokens)
    low = tokens[j].low
    following = tokens[j + 1].low if j + 1 < count else ""
    if low in _VAGUE_WORDS or low == "tens":
        scaled = (low, tokens[j + 2].low) if j + 2 < count and following == "of" else None
        if scaled in _VAGUE_SCALED:
            return " ".join(scaled), j + 3, None
        return (low, j + 1, None) if low in _VAGUE_WORDS else None
    if low == "a" and following == "few":
        return "a few", j + 2, None
    if not _is_number_word(low):
        if low not in ("a", "an", "half") or following not in (*_SCALE_WORDS, "dozen", "a"):
            return None
    if low == "one" and j > 0 and tokens[j - 1].low in _ONE_AS_PRONOUN_AFTER:
        return None
    end = j
    while end < count and tokens[end].kind == _WORD:
        word = tokens[end].low
        if not (_is_number_word(word) or word in _NUMBER_JOIN_WORDS):
            break
        end += 1
    for stop in range(end, j, -1):
        if tokens[stop - 1].low in ("and", "a", "an"):
            continue
        phrase = " ".join(token.low for token in tokens[j:stop])
        if _number_value(phrase) is not None:
            return phrase, stop, None
    return None


def _read_number(tokens: list[_Token], i: int, text: str) -> tuple[NumberMention, int] | None:
    """(mention, end) for a number phrase at i (modifier, number or range, unit); else None."""
    count = len(tokens)
    low = tokens[i].low
    modifier, j = "", i
    for words, meaning in _MODIFIERS_BY_FIRST.get(low, ()):
        if tuple(token.low for token in tokens[i : i + len(words)]) == words and _number_core(
            tokens, i + len(words)
        ):
            modifier, j = meaning, i + len(words)
            break
    core = _number_core(tokens, j)
    if core is None:
        if low not in ("between", "from"):
            return None
        return _read_range(tokens, i, text)
    phrase, end, unit = core
    if not modifier and end + 1 < count:
        joiner = tokens[end].low
        if joiner in ("or",) and tokens[end + 1].low in ("more", "fewer", "less"):
            phrase, end = f"{phrase} or {tokens[end + 1].low}", end + 2
        elif joiner == "to" or joiner in _DASH_CHARS:
            high = _number_core(tokens, end + 1)
            if high is not None:
                phrase, end, unit = f"{phrase} to {high[0]}", high[1], high[2] or unit
    if modifier:
        phrase = f"{modifier} {phrase}"
    if _quantity_value(phrase) is None:
        return None
    return _finish_number(tokens, i, end, phrase, unit, text)


def _read_range(tokens: list[_Token], i: int, text: str) -> tuple[NumberMention, int] | None:
    """ "between N and M", "from N to M"."""
    joiner = "and" if tokens[i].low == "between" else "to"
    low = _number_core(tokens, i + 1)
    if low is None or low[1] + 1 >= len(tokens) or tokens[low[1]].low != joiner:
        return None
    high = _number_core(tokens, low[1] + 1)
    if high is None:
        return None
    phrase = f"{low[0]} to {high[0]}"
    if _quantity_value(phrase) is None:
        return None
    return _finish_number(tokens, i, high[1], phrase, high[2] or low[2], text)


def _finish_number(
    tokens: list[_Token],
    i: int,
    end: int,
    phrase: str,
    unit: str | None,
    text: str,
) -> tuple[NumberMention, int]:
    """Add the unit or counted noun, and the slot, to a number read from tokens[i:end].

    Returns the mention and the index after it (after a unit of measure, which is part of the
    number phrase; a counted noun is not, and stays a term).
    """
    count = len(tokens)
    last = end
    if unit is None and end < count:
        token = tokens[end]
        if token.low == "%":
            unit, last = "%", end + 1
        elif token.low == "per" and end + 1 < count and tokens[end + 1].low == "cent":
            unit, last = "%", end + 2
        elif token.kind == _WORD:
            unit = _measure_unit(token.low)
            last = end + 1 if unit else end
        elif token.low in _DASH_CHARS and end + 1 < count and tokens[end + 1].kind == _WORD:
            unit = _measure_unit(tokens[end + 1].low)  # a 10-minute drive
            last = end + 2 if unit else end
    words = text[tokens[i].start : tokens[last - 1].end]
    noun = ""
    if unit == "dollar":
        slot = "noun:dollar"
    elif unit is not None:
        slot = f"dim:{unit_dimension(unit)}"
    else:
        noun_at = _counted_noun(tokens, last)
        if noun_at is not None:
            noun = tokens[noun_at].text
            slot = f"noun:{_slot_term(_term(tokens[noun_at].low))}"
            unit = normalize_unit(tokens[noun_at].low)
        else:
            before = _term_before(tokens, i)
            slot = f"of:{before}" if before else "bare"
    quantity = _quantity_value(phrase, unit)
    if quantity is None:  # cannot happen: the phrase was read without the unit
        quantity = Quantity(low=None, high=None, unit=unit)
    mention = NumberMention(
        quantity, unit, slot, words, noun, tokens[i].start, tokens[last - 1].end
    )
    return mention, last


def _is_plural(word: str, lemma: str) -> bool:
    return word != lemma and word.endswith("s") and not word.endswith("ss")


def _looks_adjectival(token: _Token) -> bool:
    return token.text[:1].isupper() or token.low.endswith(_ADJECTIVE_SUFFIXES)


def _counted_noun(tokens: list[_Token], j: int) -> int | None:
    """Index of the noun a number counts, looking past entity mentions and adjectives:
    "400 ISIS fighters", "17 heavily armed men", "six precision airstrikes", "hundreds of
    fighters"; None when no noun follows ("a population of 80,000.", "dozens fled")."""
    count = len(tokens)
    if j < count and tokens[j].low == "of":
        j += 1
        if j < count and tokens[j].low in _COUNTED_AFTER_OF:
            j += 1
    limit = min(count, j + 5)
    while j < limit:
        token = tokens[j]
        if token.kind == _ENTITY:
            j += 1
            continue
        if token.kind != _WORD:
            break
        lemma = _term(token.low)
        if lemma is None:
            break
        if _is_plural(token.low, lemma):
            return j
        if _looks_adjectival(token):
            j += 1
            continue
        following = tokens[j + 1] if j + 1 < count else None
        if following is not None and following.kind == _WORD:
            following_lemma = _term(following.low)
            if following_lemma and _is_plural(following.low, following_lemma):
                return j + 1  # a compound noun: precision airstrikes
        return j
    return None


def _term_before(tokens: list[_Token], i: int) -> str | None:
    """The nearest term before i within a few words and within the clause."""
    for k in range(i - 1, max(-1, i - 5), -1):
        token = tokens[k]
        if token.kind == _ENTITY:
            return token.low
        if token.kind == _WORD:
            term = _term(token.low)
            if term:
                # "a death toll of 63" and "killed 63" fill one slot.
                for start in range(max(0, k - 3), k + 1):
                    event = _event_at(tokens, start)
                    if event is not None and event[1] == k + 1:
                        return event[0]
                return _slot_term(term)
        elif token.kind == _OTHER and token.low in ".;:!?":
            return None
    return None


# --- negation ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NegationMention:
    """The first negation of a wording: as written ("did not withdraw") and the lemma of the
    word it negates ("withdraw"), "" when none follows."""

    words: str
    lemma: str


def _read_negation(tokens: list[_Token], i: int, text: str) -> tuple[NegationMention, int] | None:
    low = tokens[i].low
    count = len(tokens)
    if low == "no" and i + 1 < count and tokens[i + 1].low == "longer":
        end = i + 2
    elif low in _NEGATION_WORDS or low.endswith("n't"):
        end = i + 1
    else:
        return None
    start = i - 1 if i > 0 and low == "not" and tokens[i - 1].low in _AUXILIARIES else i
    negated, lemma = end - 1, ""
    if low in _DENIALS:
        # "denied that its airstrikes killed civilians": what is denied is a whole clause.
        if end < count and tokens[end].low == "that":
            negated = end
        return NegationMention(text[tokens[start].start : tokens[negated].end], ""), end
    for k in range(end, min(count, end + 6)):
        token = tokens[k]
        if token.kind == _WORD:
            term = _term(token.low)
            if term:
                negated, lemma = k, term
                break
        elif token.kind != _ENTITY:
            break
    words = text[tokens[start].start : tokens[negated].end]
    return NegationMention(words, lemma), end


# --- signatures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextSignature:
    """What compare() needs of a wording; see the module docstring."""

    terms: frozenset[str]
    quantities: tuple[NumberMention, ...]
    dates: tuple[DateMention, ...]
    negated: bool
    text: str = ""
    negation: NegationMention | None = None


# Words at which a date, number or negation may start; any other word is just a term.
_READER_STARTS = _DATE_STARTS | _QUANTITY_STARTS | _NEGATION_WORDS


def analyze(text: str, matcher: AliasMatcher) -> TextSignature:
    """Read a wording into terms, number mentions, date mentions and negation."""
    straight = text.replace("\u2019", "'") if "\u2019" in text else text
    tokens = _tokenize(straight, matcher.find(text))
    found_terms: set[str] = set()
    quantities: list[NumberMention] = []
    dates: list[DateMention] = []
    negation: NegationMention | None = None
    negated = False
    count = len(tokens)
    i = 0
    while i < count:
        token = tokens[i]
        kind, low = token.kind, token.low
        if kind == _WORD and low not in _READER_STARTS and "-" not in low and "'" not in low:
            term = _term(low)  # the common case: a plain word
            if term is not None:
                if term in _EVENT_STARTS:
                    term, i = _event_term(tokens, i, term)
                    found_terms.add(term)
                    continue
                found_terms.add(term)
            i += 1
            continue
        if kind == _ENTITY:
            found_terms.add(low)
            i += 1
            continue
        if kind == _NUMBER or low in _DATE_STARTS or low.startswith("mid-"):
            date_read = _read_date(tokens, i, text)
            if date_read is not None:
                mention, i = date_read
                if mention is not None:
                    dates.append(mention)
                continue
        if kind == _NUMBER or low in _QUANTITY_STARTS or _is_number_word(low):
            number_read = _read_number(tokens, i, text)
            if number_read is not None:
                quantities.append(number_read[0])
                i = number_read[1]
                continue
        if kind == _WORD:
            negation_read = (
                _read_negation(tokens, i, text)
                if low in _NEGATION_WORDS or low.endswith("n't")
                else None
            )
            if negation_read is not None:
                negated = True
                negation = negation or negation_read[0]
                i = negation_read[1]
                continue
            term = _term(low)
            if term is not None:
                if term in _EVENT_STARTS:
                    term, i = _event_term(tokens, i, term)
                    found_terms.add(term)
                    continue
                found_terms.add(term)
        elif kind == _NUMBER:
            identifier = _identifier(tokens, i)
            if identifier is not None:
                found_terms.add(identifier)
        i += 1
    return TextSignature(
        terms=frozenset(found_terms),
        quantities=tuple(quantities),
        dates=tuple(dates),
        negated=negated,
        text=text,
        negation=negation,
    )


def terms(text: str, matcher: AliasMatcher) -> frozenset[str]:
    """The terms of a wording: analyze(text, matcher).terms."""
    return analyze(text, matcher).terms


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice similarity 2|a∩b|/(|a|+|b|); 0.0 when both are empty."""
    total = len(a) + len(b)
    return 2 * len(a & b) / total if total else 0.0


def size_window(size: int, threshold: float = SIMILARITY_THRESHOLD) -> tuple[int, int]:
    """The numbers of terms a wording Y may have to reach the threshold with a wording X of
    `size` terms: Dice 2|X∩Y|/(|X|+|Y|) >= t and |X∩Y| <= |Y| give |Y| >= t|X|/(2-t); the same
    with X and Y swapped gives |Y| <= (2-t)|X|/t. Rounded outwards by a hair against float
    error: a wider window only adds candidates, which is safe."""
    low = math.ceil(threshold * size / (2 - threshold) - 1e-9)
    high = math.floor((2 - threshold) * size / threshold + 1e-9)
    return max(1, low), high


def probe_terms(
    terms: frozenset[str],
    frequency: Callable[[str], int],
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[str]:
    """The terms of X to look up in an inverted index to find every Y near-identical to X.

    These are the k rarest terms of X (by frequency, ties broken by the term string), where
    k = |X| - m + 1 and m = ceil(t|X|/(2-t)) for the threshold t > 0.

    Why that suffices (pigeonhole): let c = |X∩Y|. similarity(X, Y) >= t means
    2c >= t(|X|+|Y|), and |Y| >= c, so 2c >= t|X| + tc, that is c >= t|X|/(2-t); c being a
    whole number, c >= m. If Y shared none of the k probe terms, all of X∩Y would lie among
    the other |X| - k = m - 1 terms of X, so c <= m - 1 < m: a contradiction. So every Y at or
    above the threshold shares at least one probe term, and the caller needs to compare X only
    with the claims listed under those terms. Choosing the rarest terms keeps those lists short.

    m is rounded down when float error puts t|X|/(2-t) a hair above a whole number; a smaller m
    only adds probe terms, which is safe.
    """
    size = len(terms)
    if size == 0:
        return []
    shared = max(0, math.ceil(threshold * size / (2 - threshold) - 1e-9))
    k = min(size, size - shared + 1)
    return sorted(terms, key=lambda term: (frequency(term), term))[:k]


# Wordings of at most this many terms are indexed by every pair of their terms as well as by each
# term (index_keys); longer ones by each term only: a wording of n terms has n(n-1)/2 pairs.
PAIR_INDEX_MAX_TERMS = 12


def pair_key(a: str, b: str) -> str:
    """The index key of a pair of terms: "#" and a 64-bit hash, never a term ("#" is no word
    character) and short enough for ClaimTerm.term. A collision only adds a candidate."""
    first, second = (a, b) if a <= b else (b, a)
    return "#" + hashlib.blake2b(f"{first}\0{second}".encode(), digest_size=8).hexdigest()


def index_keys(terms: Iterable[str]) -> list[str]:
    """The keys a wording is indexed under: its terms and, unless it has more than
    PAIR_INDEX_MAX_TERMS of them, the pair_key of every pair of them."""
    ordered = sorted(set(terms))
    keys = list(ordered)
    if len(ordered) <= PAIR_INDEX_MAX_TERMS:
        keys += [pair_key(a, b) for a, b in itertools.combinations(ordered, 2)]
    return keys


@dataclass(frozen=True)
class Probe:
    """Index look-ups that find every wording near-identical to one wording X: the wordings
    listed under `key` with a number of terms from `low` to `high`."""

    key: str
    low: int
    high: int


def probes(
    terms: frozenset[str],
    frequency: Callable[[str], int],
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[Probe]:
    """The look-ups that find every wording Y near-identical to X (terms), exactly.

    Y has a number of terms in size_window(|X|) and shares at least m = ceil(t|X|/(2-t)) of X's
    terms (see probe_terms), so it lacks at most |X| - m of them. Split X's terms into
    g = |X| - m + 1 disjoint groups: the lacking terms fall in at most g - 1 of them, so Y holds
    one group whole (pigeonhole). Groups are pairs where X has terms enough (a pair is far rarer
    than either of its terms), else single terms, the rarest ones; a pair joins a rare term with
    a common one. A Y of at most PAIR_INDEX_MAX_TERMS terms is indexed by all its pairs, so the
    groups find it; a longer Y only by its terms, so for those sizes X looks up its probe_terms.
    """
    size = len(terms)
    if size == 0:
        return []
    low, high = size_window(size, threshold)
    ordered = sorted(terms, key=lambda term: (frequency(term), term))
    found = []
    if low <= PAIR_INDEX_MAX_TERMS:
        shared = max(1, math.ceil(threshold * size / (2 - threshold) - 1e-9))
        groups = size - shared + 1
        pairs = min(groups, size - groups)
        singles = groups - pairs
        top = min(high, PAIR_INDEX_MAX_TERMS)
        found += [Probe(term, low, top) for term in ordered[:singles]]
        paired = ordered[singles : singles + 2 * pairs]
        found += [Probe(pair_key(paired[i], paired[-1 - i]), low, top) for i in range(pairs)]
    if high > PAIR_INDEX_MAX_TERMS:
        bottom = max(low, PAIR_INDEX_MAX_TERMS + 1)
        found += [Probe(term, bottom, high) for term in probe_terms(terms, frequency, threshold)]
    return found


def prefix_length(size: int, threshold: float = SIMILARITY_THRESHOLD) -> int:
    """How many of a set's first terms (in a join's order, SetJoin) any near-identical set must
    share one of: |X| - m + 1 with m = ceil(t|X|/(2-t)), the overlap every near-identical Y has
    with X (probe_terms). If X and Y share c >= m terms, the first of them in the order, w, has
    at most |X| - c terms of X before it (none of them in Y), so it lies within the first
    |X| - m + 1 of X, and likewise of Y: both prefixes hold w. m is rounded down by a hair
    against float error (a longer prefix is safe)."""
    if size <= 0:
        return 0
    shared = max(1, math.ceil(threshold * size / (2 - threshold) - 1e-9))
    return min(size, size - shared + 1)


def required_overlap(size_a: int, size_b: int, threshold: float = SIMILARITY_THRESHOLD) -> int:
    """The fewest shared terms with which sets of these sizes reach the threshold:
    2c/(|A|+|B|) >= t means c >= t(|A|+|B|)/2 (rounded down by a hair: a lower bound is safe)."""
    return max(1, math.ceil(threshold * (size_a + size_b) / 2 - 1e-9))


class SetJoin:
    """The near-identical pairs among distinct term sets, found by prefix filtering.

    An exact set-similarity join (All-Pairs, PPJoin): the terms are put in one order for the
    whole join, rarest first (the number of sets holding a term, ties broken by the term);
    the indexed sets (all, or those given) are indexed by their first prefix_length() terms
    only; a set X looks up its own prefix and meets exactly the indexed sets Y whose prefix
    shares a term with it, which includes every Y near-identical to X (prefix_length).
    Candidates are narrowed before any intersection: Y's size must lie in size_window(|X|)
    (the posting lists are sorted by size and cut by bisection), and at the first term they
    share, w at positions i of X and j of Y, every shared term lies at or after w in both, so
    they share at most 1 + min(|X|-i-1, |Y|-j-1) terms (positional filtering, PPJoin); below
    required_overlap() Y is dropped. The rest are decided by similarity() itself, so the
    pairs are exactly those at or above the threshold.

    Any fixed order would be exact; rarity makes the prefixes' posting lists short: a term
    held by most sets lands in the prefix of only the sets made of common terms.
    """

    def __init__(
        self,
        sets: Sequence[frozenset[str]],
        threshold: float = SIMILARITY_THRESHOLD,
        *,
        indexed: Iterable[int] | None = None,
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError(f"a set join needs a threshold in (0, 1], not {threshold!r}")
        self.sets = sets
        self.threshold = threshold
        frequency: dict[str, int] = {}
        for terms_of_set in sets:
            for term in terms_of_set:
                frequency[term] = frequency.get(term, 0) + 1
        self.rank = {
            term: position
            for position, term in enumerate(sorted(frequency, key=lambda t: (frequency[t], t)))
        }
        postings: dict[int, list[tuple[int, int, int]]] = {}
        for number in range(len(sets)) if indexed is None else indexed:
            ranks = self._ranks(number)
            size = len(ranks)
            for position in range(prefix_length(size, threshold)):
                postings.setdefault(ranks[position], []).append((size, number, position))
        # Sorted by size, so that a look-up reads only the sizes in its window.
        self.index = {rank: sorted(entries) for rank, entries in postings.items()}
        self.candidates = 0  # pairs of sets decided by similarity(), for the record
        self._needed: dict[int, dict[int, int]] = {}

    def _ranks(self, number: int) -> list[int]:
        rank = self.rank
        return sorted(rank[term] for term in self.sets[number])

    def similar(self, number: int) -> list[int]:
        """The indexed sets, other than sets[number], near-identical to it (in no order)."""
        x = self._ranks(number)
        size = len(x)
        if not size:
            return []
        threshold = self.threshold
        low, high = size_window(size, threshold)
        sets = self.sets
        mine = sets[number]
        # The shared terms each size of Y needs, less one: Y's terms from its position of the
        # first shared one on must number at least that many more.
        needed = self._needed.get(size)
        if needed is None:
            needed = self._needed[size] = {
                other_size: required_overlap(size, other_size, threshold) - 1
                for other_size in range(low, high + 1)
            }
        seen = {number}
        found = []
        index = self.index
        for position in range(prefix_length(size, threshold)):
            entries = index.get(x[position])
            if not entries:
                continue
            left = size - position - 1  # X's terms after this one
            for k in range(bisect.bisect_left(entries, (low,)), len(entries)):
                other_size, other, other_position = entries[k]
                if other_size > high:
                    break
                if other in seen:
                    continue
                # Met first here, at the first term they share (see the class docstring).
                seen.add(other)
                need = needed[other_size]
                if left < need or other_size - other_position - 1 < need:
                    continue
                self.candidates += 1
                if similarity(mine, sets[other]) >= threshold:
                    found.append(other)
        return found


# --- comparison ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextConflict:
    kind: str
    explanation: str
    similarity: float


def compare(a: TextSignature, b: TextSignature) -> TextConflict | None:
    """A conflict when a and b are near-identical and differ in negation, a number or a date."""
    score = similarity(a.terms, b.terms)
    if score < SIMILARITY_THRESHOLD:
        return None
    if a.negated != b.negated:
        return TextConflict("text", _negation_explanation(a, b), score)
    numbers = _number_conflict(a, b)
    if numbers is not None:
        first, second = numbers
        explanation = _explain(
            _show_number(first), _show_number(second), _without(a.text, first.start, first.end)
        )
        return TextConflict("text", explanation, score)
    dates = _date_conflict(a, b)
    if dates is not None:
        first_date, second_date = dates
        context = _without(a.text, first_date.start, first_date.end, drop_preposition=True)
        explanation = _explain(first_date.words, second_date.words, context)
        return TextConflict("text", explanation, score)
    return None


def conflicting(a: TextSignature, b: TextSignature) -> bool:
    """Whether compare(a, b) finds a conflict, decided without writing its explanation: works
    on signatures read back from a digest, which keep no wording."""
    if similarity(a.terms, b.terms) < SIMILARITY_THRESHOLD:
        return False
    return (
        a.negated != b.negated
        or _number_conflict(a, b) is not None
        or _date_conflict(a, b) is not None
    )


# --- digests -------------------------------------------------------------------------------------
# What compare() decides on, kept with each claim (Claim.wording_digest), so that a scan decides
# on stored digests and reads a wording again only to explain a conflict it found.


def digest(signature: TextSignature) -> str:
    """The negation, number and date mentions of a signature as compact JSON."""
    quantities = [
        [
            m.slot,
            m.unit,
            None if m.quantity.low is None else str(m.quantity.low),
            None if m.quantity.high is None else str(m.quantity.high),
            m.quantity.low_inclusive,
            m.quantity.high_inclusive,
        ]
        for m in signature.quantities
    ]
    dates = [[d.first.toordinal(), d.last.toordinal()] for d in signature.dates]
    return json.dumps([signature.negated, quantities, dates], separators=(",", ":"))


def from_digest(terms: frozenset[str], stored: str) -> TextSignature:
    """A signature with the terms given and the mentions of a digest, without wording: enough
    for conflicting(), not for compare()'s explanation."""
    negated, quantities, dates = json.loads(stored)
    return TextSignature(
        terms=terms,
        quantities=tuple(
            NumberMention(
                Quantity(low, high, low_inclusive, high_inclusive, unit),
                unit,
                slot,
                "",
                "",
                0,
                0,
            )
            for slot, unit, low, high, low_inclusive, high_inclusive in quantities
        ),
        dates=tuple(
            DateMention(date.fromordinal(first), date.fromordinal(last), "", 0, 0)
            for first, last in dates
        ),
        negated=negated,
    )


_Interval = tuple[Decimal | None, Decimal | None, bool, bool]


def _interval(mention: NumberMention, unit: str | None) -> _Interval:
    """The mention's interval, converted to unit when both are units of measure."""
    q = mention.quantity
    low, high = q.low, q.high
    if unit is not None and mention.unit is not None and mention.unit != unit:
        low = None if low is None else convert(low, mention.unit, unit)
        high = None if high is None else convert(high, mention.unit, unit)
    return low, high, q.low_inclusive, q.high_inclusive


def _below(x: _Interval, y: _Interval) -> bool:
    """Every value of x lies below every value of y (respecting open and closed ends)."""
    high, high_inclusive = x[1], x[3]
    low, low_inclusive = y[0], y[2]
    if high is None or low is None:
        return False
    return high < low or (high == low and not (high_inclusive and low_inclusive))


def _disjoint(x: NumberMention, y: NumberMention) -> bool:
    convertible = x.slot.startswith("dim:")
    first = _interval(x, x.unit if convertible else None)
    second = _interval(y, x.unit if convertible else None)
    return _below(first, second) or _below(second, first)


def _number_conflict(
    a: TextSignature, b: TextSignature
) -> tuple[NumberMention, NumberMention] | None:
    """The first pair of a slot both fill where every value of a's is disjoint from every
    value of b's; mentions without a counterpart are details, not contradictions."""
    if not a.quantities or not b.quantities:
        return None
    by_slot: dict[str, list[NumberMention]] = {}
    for mention in b.quantities:
        by_slot.setdefault(mention.slot, []).append(mention)
    checked: set[str] = set()
    for mention in a.quantities:
        slot = mention.slot
        if slot in checked or slot not in by_slot or slot == "bare":
            continue
        checked.add(slot)
        ours = [m for m in a.quantities if m.slot == slot]
        theirs = by_slot[slot]
        if all(_disjoint(x, y) for x in ours for y in theirs):
            return ours[0], theirs[0]
    return None


def _date_conflict(a: TextSignature, b: TextSignature) -> tuple[DateMention, DateMention] | None:
    if not a.dates or not b.dates:
        return None
    for x in a.dates:
        for y in b.dates:
            if not (x.last < y.first or y.last < x.first):
                return None
    return a.dates[0], b.dates[0]


# --- explanations --------------------------------------------------------------------------------

_SPACES_RE = re.compile(r"\s+")
_TRAILING_PREPOSITION_RE = re.compile(r"(?:\b(?:in|on|during|since|by|from|until)\s+)$", re.I)
_EXPLANATION_WORD_RE = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


def _show_number(mention: NumberMention) -> str:
    words = f"{mention.words} {mention.noun}" if mention.noun else mention.words
    first, _, rest = words.partition(" ")
    if first.lower() in _QUANTITY_STARTS and first[:1].isupper():
        first = first.lower()  # "At least 400" at the start of a sentence
    return f"{first} {rest}" if rest else first


def _clean(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip().rstrip(".;:!?,").strip()


def _without(text: str, start: int, end: int, *, drop_preposition: bool = False) -> str:
    before = text[:start]
    if drop_preposition:
        before = _TRAILING_PREPOSITION_RE.sub("", before)
    return _clean(f"{before} {text[end:]}")


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "\u2026"


def _explain(first: str, second: str, context: str, *, same: bool = True) -> str:
    first, second = _shorten(first, 60), _shorten(second, 60)
    head = f"{first} vs {second} \u2014 " + ("same wording otherwise: " if same else "")
    budget = _EXPLANATION_LIMIT - len(head) - 2
    return f'{head}"{_shorten(context, budget)}"'


def _negation_explanation(a: TextSignature, b: TextSignature) -> str:
    negative, positive = (a, b) if a.negated else (b, a)
    negation = negative.negation or NegationMention("not", "")
    plain_word, context = "", _clean(positive.text)
    if negation.lemma:
        for match in _EXPLANATION_WORD_RE.finditer(positive.text):
            if _term(match.group().lower().replace("\u2019", "'")) == negation.lemma:
                plain_word = match.group()
                context = _clean(
                    f"{positive.text[: match.start()]}...{positive.text[match.end() :]}"
                )
                break
    plain = plain_word or "(no negation)"
    if a.negated:
        return _explain(negation.words, plain, context, same=False)
    return _explain(plain, negation.words, context, same=False)
