"""Candidate claims read from an article's text (spec: candidates/1).

Plain Python with no Django imports, like claims.values beside it: the entity and predicate
look-ups are passed in as NameIndex objects, so the rules can be tested without a database.

How an article is read:

1. The text is cut into paragraphs at blank lines; a line break inside a paragraph that
   continues a sentence (a hard-wrapped line) is read as a space, so offsets never move.
2. Each paragraph is scanned for values: event dates first (so "June 25, 2015" is one date,
   not a date and a count), then quantities. Every phrase found is read by the same parser
   the claimset import uses (claims.values); a phrase the parser refuses is no candidate.
3. Only paragraphs with a value are cut into sentences (pysbd), and only sentences with a
   value are read further: the article's furniture (datelines, bylines) is dropped, and the
   sentence's speaker, stance, subject and negation are found.

Each candidate's quote is the sentence it was found in, with exact offsets into the text as
given (non-breaking spaces, curly quotes and line breaks included).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from claims.core import values
from claims.core.values import PartialDate, ValueParseError

# pysbd sends hundreds of patterns through re's module cache, evicting ours; these stay.
_re = lru_cache(maxsize=None)(re.compile)

__all__ = ["Candidate", "NameIndex", "candidates_document", "extract_candidates"]

FORMAT = "candidates/1"


# --- look-ups passed in ------------------------------------------------------------------------


_AMBIGUOUS = object()


@dataclass
class NameIndex:
    """Records found by name or alias, compared after normalize_name (as the import does).

    Built from (key, name) pairs, one per name and alias. A name shared by two records
    matches neither: like a claimset reference, an ambiguous name is not a match.
    """

    _keys: dict[str, object] = field(default_factory=dict)
    max_words: int = 0

    @classmethod
    def from_names(cls, pairs: Iterable[tuple[str, str]]) -> NameIndex:
        index = cls()
        for key, name in pairs:
            normalized = values.normalize_name(name)
            if not normalized:
                continue
            stored = index._keys.get(normalized)
            index._keys[normalized] = key if stored in (None, key) else _AMBIGUOUS
            index.max_words = max(index.max_words, len(_WORD_RE.findall(name)))
        return index

    def lookup(self, name: str) -> str | None:
        if not self._keys:
            return None
        key = self._keys.get(values.normalize_name(name))
        return key if isinstance(key, str) else None

    def lookup_normalized(self, normalized: str) -> str | None:
        key = self._keys.get(normalized)
        return key if isinstance(key, str) else None

    def __bool__(self) -> bool:
        return bool(self._keys)


# --- the candidate -----------------------------------------------------------------------------


@dataclass
class Candidate:
    start: int
    end: int
    quote: str
    text: str
    value: dict
    subject: dict | None
    predicate: dict
    negated: bool
    speaker: dict | None
    stance: str
    # Where the value's own words are (for highlighting); not part of candidates/1.
    value_start: int = 0
    value_end: int = 0

    @property
    def kind(self) -> str:
        """ "quantity" or "date"."""
        return "quantity" if "quantity" in self.value else "date"

    @property
    def value_words(self) -> str:
        return self.value[self.kind]["as_written"]

    def as_json(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
            "text": self.text,
            "value": self.value,
            "subject": self.subject,
            "predicate": self.predicate,
            "negated": self.negated,
            "speaker": self.speaker,
            "stance": self.stance,
        }


def candidates_document(candidates: Iterable[Candidate]) -> dict:
    return {"format": FORMAT, "candidates": [c.as_json() for c in candidates]}


# --- words -------------------------------------------------------------------------------------

_APOSTROPHES = "'\u2019"
# A word: letters and digits, with inner hyphens, dots ("U.S.") and apostrophes ("Sirte's").
_WORD_RE = re.compile(r"[^\W_]+(?:[-.'\u2019\u2010\u2011][^\W_]+)*\.?")
_TOKEN_RE = re.compile(
    # A figure is whole or not at all ("1.2bn", "5m", "4th" are words, never "1" and ".2bn"),
    # but a unit symbol may be written against it ("150km").
    r"\d+(?:[.,]\d+)*(?:(?=(?:km|kg|mph|mi|ft|cm|mm)\b)|(?![^\W_]|[.,]\d))"
    r"|[^\W_]+(?:[-.'\u2019\u2010\u2011][^\W_]+)*|[^\w\s]"
)
_SPACES = "[ \u00a0\u202f\u2009]"
_DASH_CHARS = "-\u2010\u2011\u2012\u2013\u2014"

_MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_MONTH_ABBRS = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_MONTH = rf"(?:{_MONTH_NAMES}|(?:{_MONTH_ABBRS})\.?)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_PART = (
    "(?:[Ee]arly|[Mm]id|[Ll]ate"
    "|(?:[Tt]he[ \u00a0])?(?:[Bb]eginning|[Ss]tart|[Mm]iddle|[Ee]nd)[ \u00a0]of(?:[ \u00a0]the)?)"
)
_B = r"(?<![\w$\u20ac\u00a3])"  # not inside a word or a figure
_E = r"(?![\w%])"

# Longest forms first; each match is then read by values.parse_date_phrase. Words are joined
# by a space or a non-breaking one.
_W = "[ \u00a0]"
_DATE_RE = re.compile(
    _B
    + "(?:"
    + r"(?P<iso>\d{4}-\d{2}-\d{2})"
    + f"|(?P<full>(?:{_PART}[{_DASH_CHARS} \u00a0])?(?:"
    + f"{_DAY}{_W}(?:of{_W})?{_MONTH},?{_W}{_YEAR}"
    + f"|{_MONTH}{_W}{_DAY}(?!\\d),?{_W}{_YEAR}"
    + f"|{_DAY}{_W}(?:of{_W})?{_MONTH}"
    + f"|{_MONTH}{_W}{_DAY}(?![\\d:])"
    + f"|{_MONTH},?{_W}{_YEAR}"
    + f"|{_YEAR}"
    + f"|(?:last|this){_W}(?:year|month)"
    + "))"
    + f"|(?P<part>{_PART}[{_DASH_CHARS} \u00a0]{_MONTH})"
    + f"|(?P<month>{_MONTH})"
    + f"|(?P<relative>[Tt]oday|[Yy]esterday|[Ll]ast{_W}week)"
    + f"|(?P<weekday>{_WEEKDAY})"
    + ")"
    + _E
)
# A bare month name is a month only after a word that introduces a time ("in May"); "May"
# alone is as often the verb, and "March" the noun.
_BEFORE_BARE_MONTH = frozenset(
    "in since until till by from to through during of between and before after early "
    "mid late or".split()
)
_QUANTITY_MODIFIER_WORDS = frozenset(
    "about around approximately roughly some estimated nearly almost least fewer less more "
    "over upwards most under only just exactly".split()
)

_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion dozen".split()
)
_NUMBER_JOINERS = frozenset({"and", "a", "an", "half", "-"})
_FRACTION_WORDS = frozenset(
    f"{word}{plural}"
    for word in "third quarter fifth sixth seventh eighth ninth tenth".split()
    for plural in ("", "s")
)
_SCALE_WORDS = frozenset({"dozen", "hundred", "thousand", "million", "billion"})


def _is_number_word(low: str) -> bool:
    """A number word, or number words joined by hyphens ("forty-two", "three-quarters")."""
    if low in _NUMBER_WORDS or low in _FRACTION_WORDS:
        return True
    parts = low.split("-")
    return len(parts) > 1 and all(p in _NUMBER_WORDS or p in _FRACTION_WORDS for p in parts)


_VAGUE_WORDS = ("several hundred", "several thousand", "a few", "several", "dozens", "hundreds")
_VAGUE_WORDS += ("thousands",)
# The quantity modifiers of claimset/1's phrase table; longest first, so "no more than" is not
# read as "more than".
_MODIFIERS = tuple(
    sorted(
        (
            "about",
            "around",
            "approximately",
            "roughly",
            "some",
            "an estimated",
            "estimated",
            "nearly",
            "almost",
            "at least",
            "no fewer than",
            "no less than",
            "more than",
            "over",
            "upwards of",
            "up to",
            "at most",
            "no more than",
            "fewer than",
            "less than",
            "under",
            "only",
            "just",
            "exactly",
        ),
        key=len,
        reverse=True,
    )
)
_MEASURE_UNITS = frozenset(
    "second seconds minute minutes hour hours day days week weeks month months year years "
    "decade decades km kms kilometre kilometres kilometer kilometers mile miles metre metres "
    "meter meters m kg kilogram kilograms kilograms ton tons tonne tonnes percent % acre acres "
    "feet ft foot square".split()
)
# Words that end a counted noun: what follows the noun, not the noun itself.
_STOP_WORDS = frozenset(
    """a an the and or but nor of in on at to for from with by as into onto over under than
    that which who whom whose what when where while if because since until after before
    during about against between through across near within without per via
    is are was were be been being am has have had do does did will would shall should can
    could may might must said says say told tells claimed claims according also not no never
    it its it's this these those there their they them he she his her we our you your i
    more less most least some many much such so very too just only still already now then
    managed began begun continued remained""".split()
)
_TIME_OF_DAY_RE = re.compile(r"\s*(?::\d\d|[ap]\.?m\b\.?|GMT|UTC|BST|EST|hrs\b)", re.IGNORECASE)
_PHONE_RE = re.compile(r"\+?\(?\d{2,4}\)?(?:[ .\-]\d{2,4}){2,}")
_CURRENCIES = {"$": "dollars", "\u20ac": "euros", "\u00a3": "pounds"}

_SPEECH_VERBS = {
    **dict.fromkeys(
        "said says told tells stated states added adds estimated estimates explained explains "
        "announced announces confirmed confirms warned warns insisted insists acknowledged "
        "admitted declared declares noted notes wrote writes".split(),
        "asserts",
    ),
    **dict.fromkeys(
        "claimed claims alleged alleges reported reports suggested suggests".split(), "reports"
    ),
    **dict.fromkeys("denied denies rejected rejects disputed disputes".split(), "denies"),
    **dict.fromkeys("questioned questions doubted doubts".split(), "questions"),
}
_NEGATIONS = frozenset({"not", "never", "n't", "no", "neither", "nor", "nobody", "none"})
_NEGATION_SUFFIX = ("n't", "n\u2019t")
_AUXILIARIES = frozenset("also has have had did does do was were is are will would".split())


# --- public entry point ------------------------------------------------------------------------


def extract_candidates(
    text: str,
    *,
    published: PartialDate | None = None,
    entities: NameIndex | None = None,
    predicates: NameIndex | None = None,
) -> list[Candidate]:
    """Propose one candidate per quantity or event date in text, in text order.

    published resolves year-less and relative dates ("May", "late last year", "Thursday")
    as the claimset import does; a phrase that needs it is left out when it is missing.
    """
    entities = entities or NameIndex()
    predicates = predicates or NameIndex()
    found: list[Candidate] = []
    for para_start, paragraph in _paragraphs(text):
        spans = _find_values(paragraph, published)
        if not spans:
            continue
        for sent_start, sent_end in _sentences(paragraph, [s.start for s in spans]):
            inside = [s for s in spans if sent_start <= s.start < sent_end]
            if not inside:
                continue
            sentence = _Sentence(paragraph, sent_start, sent_end, para_start, inside)
            if sentence.is_furniture():
                continue
            for span in inside:
                candidate = sentence.candidate(span, entities, predicates)
                # The quote as written: a wrapped line's break was read as a space.
                candidate.quote = text[candidate.start : candidate.end]
                found.append(candidate)
    return found


# --- paragraphs and sentences ------------------------------------------------------------------

_TERMINAL = '.!?:"\u201d\u2019)'
# Lines up to a blank line (spaces, a carriage return or a non-breaking space count as blank).
_PARAGRAPH_RE = re.compile(r"[^\n]+(?:\n(?![ \t\r\u00a0\u202f]*\n)[^\n]*)*")


def _paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """(offset, paragraph) at blank lines, with a continuing line break read as a space.

    A break continues the sentence when the next line starts in lower case, or when the line
    is long prose (a hard wrap) not ending in sentence punctuation. Titles, bylines and list
    items stay lines of their own. The replacement keeps every offset.
    """
    for match in _PARAGRAPH_RE.finditer(text):
        block = match.group()
        if not block.strip():
            continue
        if "\n" in block:
            block = _join_wrapped_lines(block)
        yield match.start(), block


def _join_wrapped_lines(block: str) -> str:
    chars = list(block)
    lines = block.split("\n")
    position = 0
    for line, following in zip(lines, lines[1:], strict=False):
        position += len(line)
        stripped, next_stripped = line.rstrip(), following.lstrip()
        continues = next_stripped[:1].islower() or (
            len(stripped) >= 60 and stripped[-1:] not in _TERMINAL
        )
        if continues:
            chars[position] = " "
        position += 1
    return "".join(chars)


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd  # imported on first use: it compiles its rules when loaded

    return pysbd.Segmenter(language="en", clean=False)


# A stop after a whole lower-case word of four letters or more, then a capital: a sentence
# boundary in any English text (no abbreviation is a lower-case word that long). Cutting
# there first lets pysbd, which costs about 6 ms per 1,000 characters, read only the stretches
# that hold a value; every other boundary is pysbd's decision.
_CERTAIN_BOUNDARY_RE = re.compile(
    r"(?<![^\W\d_])[a-z]{4,}[.!?][\"\u201d\u2019)]*(?=\s+[\"\u201c\u2018(]?[A-Z])"
)


def _sentences(paragraph: str, positions: list[int]) -> list[tuple[int, int]]:
    """[start, end) of each sentence holding one of positions, spaces trimmed."""
    spans: list[tuple[int, int]] = []
    for line_match in _re(r"[^\n]+").finditer(paragraph):
        line_start, line_end = line_match.span()
        cuts = [line_start]
        cuts += [line_start + m.end() for m in _CERTAIN_BOUNDARY_RE.finditer(line_match.group())]
        cuts.append(line_end)
        for piece_start, piece_end in zip(cuts, cuts[1:], strict=False):
            if any(piece_start <= p < piece_end for p in positions):
                spans.extend(_segment(paragraph, piece_start, piece_end))
    return spans


def _segment(paragraph: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    cursor = start
    for piece in _segmenter().segment(paragraph[start:end]):
        stripped = piece.strip()
        if not stripped:
            continue
        at = paragraph.find(stripped, cursor, end)
        if at < 0:  # pysbd changed the text: keep the rest as one sentence
            rest = paragraph[cursor:end]
            at = cursor + len(rest) - len(rest.lstrip())
            stripped = rest.strip()
        cursor = at + len(stripped)
        yield at, cursor


# --- values ------------------------------------------------------------------------------------


@dataclass
class _ValueSpan:
    start: int
    end: int
    as_written: str
    kind: str  # "quantity" or "date"
    quantity: values.Quantity | None = None
    date: values.DateInterval | None = None
    unit: str | None = None  # the counted noun as written
    unit_end: int | None = None


# A wire dateline opening a paragraph: "BEIRUT, March 3 (Reuters) - ", "TRIPOLI (AP) -- ".
_DATELINE_RE = re.compile(
    r"[A-Z][A-Z.'\u2019 -]{2,40}(?:, [^()\n]{1,40}?)?(?: ?\([^)\n]{1,40}\))? ?[-\u2013\u2014]{1,2} "
)


_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")


def _find_values(paragraph: str, published: PartialDate | None) -> list[_ValueSpan]:
    dateline = _DATELINE_RE.match(paragraph)
    # Figures inside a web or mail address, or in a wire dateline, state nothing.
    outside = [m.span() for m in _URL_RE.finditer(paragraph)]
    if dateline:
        outside.append((0, dateline.end()))
    dates = [d for d in _find_dates(paragraph, published) if not _overlaps(d.start, d.end, outside)]
    taken = [(d.start, d.end) for d in dates] + outside
    quantities = list(_find_quantities(paragraph, taken))
    return sorted(dates + quantities, key=lambda span: span.start)


def _find_dates(paragraph: str, published: PartialDate | None) -> Iterator[_ValueSpan]:
    for match in _DATE_RE.finditer(paragraph):
        kind = match.lastgroup
        phrase = match.group()
        before = _word_before(paragraph, match.start())
        if kind == "month" and before.lower() not in _BEFORE_BARE_MONTH:
            continue
        if kind == "full" and _re(_YEAR).fullmatch(phrase) and not _is_year(paragraph, match):
            continue
        if kind == "weekday" and _re(rf",? (?:{_MONTH}|{_DAY} )").match(paragraph[match.end() :]):
            continue  # "Thursday, June 25, 2015": the full date after it is the value
        try:
            interval = values.parse_date_phrase(phrase.replace("\u00a0", " "), published)
        except ValueParseError:
            continue
        yield _ValueSpan(match.start(), match.end(), phrase, "date", date=interval)


def _is_year(paragraph: str, match: re.Match) -> bool:
    """A four-digit figure that is a year: not a count ("2000 people") nor a label."""
    before = _word_before(paragraph, match.start())
    currency = paragraph[match.start() - 1 : match.start()]
    if before.lower() in _QUANTITY_MODIFIER_WORDS or currency in _CURRENCIES:
        return False
    if before.lower() in _BEFORE_BARE_MONTH | {"the", "of", "a", "its", "their", "his", "her"}:
        return True
    if before[:1].isupper() and not _at_sentence_start(paragraph, match.start()):
        # "Resolution 2259", "Vision 2030": a label; "Libya's 2011 uprising": a year.
        return before.endswith(("'s", "\u2019s"))
    following = _word_after(paragraph, match.end())
    return not (following.islower() and following.endswith("s") and len(following) > 3)


def _word_before(text: str, index: int) -> str:
    match = _re(r"([\w'\u2019.-]+)[\s\u00a0]*$").search(text[max(0, index - 40) : index])
    return match.group(1) if match else ""


def _word_after(text: str, index: int) -> str:
    match = _re(r"[\s\u00a0]*([\w'\u2019-]+)").match(text[index : index + 40])
    return match.group(1) if match else ""


def _at_sentence_start(text: str, index: int) -> bool:
    head = text[:index].rstrip()
    return not head or head[-1] in '.!?"\u201c\u201d:'


class _Tok:
    __slots__ = ("end", "low", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.start, self.end = text, start, end
        self.low = text.lower()


def _tokens(text: str, offset: int = 0) -> list[_Tok]:
    return [_Tok(m.group(), m.start() + offset, m.end() + offset) for m in _TOKEN_RE.finditer(text)]


_NUMERAL_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*")


def _find_quantities(paragraph: str, taken: list[tuple[int, int]]) -> Iterator[_ValueSpan]:
    """Quantities, read at each place a number may start (a figure or a number word)."""
    phones = [m.span() for m in _PHONE_RE.finditer(paragraph) if _looks_like_phone(m.group())]
    blocked = taken + phones
    consumed = 0  # offset up to which a quantity was read already
    tokens: list[_Tok] | None = None
    starts: list[int] = []
    for trigger in _TRIGGER_RE.finditer(paragraph):
        position = trigger.start("core") if trigger.group("core") else trigger.start("article")
        if position < consumed:
            continue
        if tokens is None:  # tokenised once, when the first place worth reading is found
            tokens = _tokens(paragraph)
            starts = [t.start for t in tokens]
        core_index = bisect.bisect_left(starts, position)
        if core_index >= len(tokens) or not _may_start_number(tokens, core_index):
            continue
        index = core_index - _modifier_before(tokens, core_index)
        span = _quantity_at(paragraph, tokens, index, blocked)
        if span is None and index != core_index:
            span = _quantity_at(paragraph, tokens, core_index, blocked)
        if span is not None:
            yield span
            consumed = span.end


_TRIGGER_RE = re.compile(
    r"(?<![^\W_])(?:(?P<core>\d|(?:"
    + "|".join(
        sorted(
            {
                *_NUMBER_WORDS,
                *_FRACTION_WORDS,
                *(f"an? {word}" for word in (*_SCALE_WORDS, *_FRACTION_WORDS, "few")),
                "half",
                "several",
                "dozens",
                "hundreds",
                "thousands",
            },
            key=len,
            reverse=True,
        )
    )
    + r")(?![^\W_]))"
    # "a" or "an" counts only after a modifier: "more than a week", "nearly an hour".
    + r"|(?:than|about|around|nearly|almost|over|under|least|most|to|only|just|some)"
    + r"[ \u00a0]+(?P<article>an?)(?=[ \u00a0]))",
    re.IGNORECASE,
)


_CORE_WORDS = _NUMBER_WORDS | {"half", "several", "dozens", "hundreds", "thousands"}
_MODIFIER_WORDS = tuple(m.split() for m in _MODIFIERS)
_MODIFIER_LAST_WORDS = frozenset(words[-1] for words in _MODIFIER_WORDS)
_MODIFIER_FIRST_WORDS = frozenset(words[0] for words in _MODIFIER_WORDS)


def _may_start_number(tokens: list[_Tok], index: int) -> bool:
    """Cheap test of where a number can start, so the full reading runs only there."""
    token = tokens[index]
    if token.text[0].isdigit() or token.low in _CORE_WORDS or _is_number_word(token.low):
        return True
    if token.low in ("a", "an") and index + 1 < len(tokens):
        following = tokens[index + 1].low
        if following == "few" or following in _SCALE_WORDS or following in _FRACTION_WORDS:
            return True  # "a few", "a dozen", "a third"
        return index > 0 and tokens[index - 1].low in _MODIFIER_LAST_WORDS
    return False


def _modifier_before(tokens: list[_Tok], index: int) -> int:
    """How many words before tokens[index] form a quantity modifier ("at least")."""
    if index == 0 or tokens[index - 1].low not in _MODIFIER_LAST_WORDS:
        return 0
    for words in _MODIFIER_WORDS:
        size = len(words)
        if size <= index and all(
            tokens[index - size + k].low == word for k, word in enumerate(words)
        ):
            return size
    return 0


def _looks_like_phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 7 and not _re(r"\d{1,3}(?:[ ,]\d{3})+").fullmatch(text)


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def _quantity_at(
    paragraph: str, tokens: list[_Tok], index: int, blocked: list[tuple[int, int]]
) -> _ValueSpan | None:
    """The quantity phrase starting at tokens[index], read by values.parse_quantity."""
    modifier_len = _modifier_length(tokens, index)
    core_index = index + modifier_len
    core = _number_core(paragraph, tokens, core_index, has_modifier=bool(modifier_len))
    if core is None:
        return None
    core_end_index, is_word_number = core
    if modifier_len == 0 and not _counts_here(paragraph, tokens, core_index, core_end_index):
        return None
    end_index = core_end_index
    # A range: "10 to 20", "10-20", "between 10 and 20".
    if end_index < len(tokens) and tokens[end_index].text in ("to", *_DASH_CHARS, "and"):
        joiner = tokens[end_index].text
        if joiner != "and" or (modifier_len == 0 and _word_before_tok(tokens, index) == "between"):
            second = _number_core(
                paragraph, tokens, end_index + 1, has_modifier=True, second_of_range=True
            )
            if second is not None:
                end_index = second[0]
    start = tokens[index].start
    if _word_before_tok(tokens, index) == "between" and tokens[end_index - 1].start > start:
        start = tokens[index - 1].start
    if end_index + 1 < len(tokens) and f"{tokens[end_index].low} {tokens[end_index + 1].low}" in (
        "or more",
        "or fewer",
        "or less",
    ):
        end_index += 2
    end = tokens[end_index - 1].end
    if _overlaps(start, end, blocked):
        return None
    if _TIME_OF_DAY_RE.match(paragraph, end):
        return None
    unit, unit_end = _counted_noun(tokens, end_index, paragraph)
    currency = paragraph[tokens[core_index].start - 1 : tokens[core_index].start]
    if currency in _CURRENCIES and not is_word_number:
        unit = _CURRENCIES[currency]
    article_only = core_end_index == core_index + 1 and tokens[core_index].low in ("a", "an")
    if article_only and unit_end is not None:
        end = unit_end  # "nearly an hour": the article alone is no figure
    phrase = paragraph[start:end]
    quantity = _parse_quantity(phrase, unit if unit_end is not None and unit_end > end else None)
    if quantity is None:
        return None
    if currency in _CURRENCIES and tokens[core_index].start - 1 >= start - 1:
        start = min(start, tokens[core_index].start - 1) if modifier_len == 0 else start
        phrase = paragraph[start:end]
    return _ValueSpan(
        start, end, phrase, "quantity", quantity=quantity, unit=unit, unit_end=unit_end
    )


def _parse_quantity(phrase: str, unit: str | None) -> values.Quantity | None:
    cleaned = _re(_SPACES).sub(" ", phrase).replace("\u2019", "'")
    for attempt in ((f"{cleaned} {unit}" if unit else None), cleaned):
        if attempt is None:
            continue
        try:
            return values.parse_quantity(attempt)
        except ValueParseError:
            continue
    return None


def _word_before_tok(tokens: list[_Tok], index: int) -> str:
    return tokens[index - 1].low if index > 0 else ""


def _modifier_length(tokens: list[_Tok], index: int) -> int:
    if index >= len(tokens) or tokens[index].low not in _MODIFIER_FIRST_WORDS:
        return 0
    for words in _MODIFIER_WORDS:
        window = tokens[index : index + len(words)]
        if len(window) == len(words) and all(
            t.low == w for t, w in zip(window, words, strict=True)
        ):
            return len(words)
    return 0


def _number_core(
    paragraph: str,
    tokens: list[_Tok],
    index: int,
    *,
    has_modifier: bool,
    second_of_range: bool = False,
) -> tuple[int, bool] | None:
    """(index after the number, written in words?) for a number starting at tokens[index]."""
    if index >= len(tokens):
        return None
    token = tokens[index]
    if _NUMERAL_TOKEN_RE.fullmatch(token.text):
        before = paragraph[token.start - 1 : token.start]
        if (
            before.isalpha()
            or before in (":", "/", "#")
            or paragraph.startswith((":", "/"), token.end)
        ):
            return None  # "F16", "10:30", "24/7", "#3"
        after_figure = paragraph[token.start - 2 : token.start - 1].isdigit()
        if before in _DASH_CHARS and after_figure and not second_of_range:
            return None  # the second figure of "3-2" that did not read as a range: a score
        if _re(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?").fullmatch(token.text) is None:
            return None
        end = index + 1
        # "75 000": thousands grouped by spaces.
        while (
            end < len(tokens)
            and _re(r"\d{3}").fullmatch(tokens[end].text)
            and _re(_SPACES).fullmatch(paragraph[tokens[end - 1].end : tokens[end].start])
            and len(tokens[index].text) <= 3
        ):
            end += 1
        if end < len(tokens) and tokens[end].low in ("hundred", "thousand", "million", "billion"):
            end += 1
        return end, False
    for vague in _VAGUE_WORDS:
        words = vague.split()
        window = tokens[index : index + len(words)]
        if len(window) == len(words) and all(
            t.low == w for t, w in zip(window, words, strict=True)
        ):
            return index + len(words), True
    if token.low in ("a", "an"):
        following = tokens[index + 1].low if index + 1 < len(tokens) else ""
        if following in _SCALE_WORDS or following in _FRACTION_WORDS:
            pass  # read as number words below
        elif has_modifier and following in _MEASURE_UNITS:
            return index + 1, True
        else:
            return None
    if not _is_number_word(token.low) and token.low not in ("a", "an", "half"):
        return None
    end = index
    while end < len(tokens) and (
        _is_number_word(tokens[end].low) or tokens[end].low in _NUMBER_JOINERS
    ):
        end += 1
    # The longest run of words the parser reads as a number.
    while end > index:
        try:
            values.parse_number(" ".join(t.low for t in tokens[index:end]))
            return end, True
        except ValueParseError:
            end -= 1
    return None


def _counts_here(paragraph: str, tokens: list[_Tok], start: int, end: int) -> bool:
    """False for numbers that count nothing: "one of", "at one point", "Resolution 2259"."""
    first = tokens[start]
    if first.low in ("hundreds", "thousands", "dozens") and (
        _word_before_tok(tokens, start) == "of"
        or [t.low for t in tokens[end : end + 2]] in (["of", "thousands"], ["of", "millions"])
    ):
        return False  # "tens of thousands", "hundreds of thousands": beyond the phrase table
    if first.low == "one" and end == start + 1:
        # Bare "one" is mostly a determiner or a pronoun ("one man told Reuters", "one of
        # them", "at one point"); it is counted only after a modifier ("at least one").
        return False
    if first.text[0].isdigit() and start > 0:
        previous = tokens[start - 1]
        if (
            previous.text[:1].isupper()
            and previous.end + 1 >= first.start
            and previous.low not in _NOT_LABEL_WORDS
            and not previous.text.endswith(("'s", "\u2019s"))
        ):
            return False  # "Resolution 2259", "Flight 17", "Apollo 11": a label
        if previous.text in ("#", "No", "No.") or previous.low == "number":
            return False
    return True


_MONTH_WORDS = frozenset(m.lower() for m in (_MONTH_NAMES + "|" + _MONTH_ABBRS).split("|"))
# Capitalised words that may stand before a figure without making it a label: sentence-initial
# function words ("All 17 militants", "Of 400 fighters") and month names ("June 25").
_NOT_LABEL_WORDS = _STOP_WORDS | _MONTH_WORDS | {"all", "another", "every", "both", "nearly"}


def _counted_noun(tokens: list[_Tok], index: int, paragraph: str) -> tuple[str | None, int | None]:
    """The counted noun after a number, as written, and its end offset.

    "six precision airstrikes in Libya" -> "precision airstrikes"; "dozens of Islamic State
    fighters" -> "Islamic State fighters"; "ten minute video" -> "minute".
    """
    if index < len(tokens) and tokens[index].text in _DASH_CHARS:
        index += 1  # "10-minute"
    if index < len(tokens) and tokens[index].low == "of":
        index += 1
        if index < len(tokens) and tokens[index].low == "the":
            index += 1
    if index >= len(tokens):
        return None, None
    first = tokens[index]
    if first.low in _MEASURE_UNITS or first.text == "%":
        return first.text, first.end
    if first.low == "percent":
        return "percent", first.end
    if first.low == "per" and index + 1 < len(tokens) and tokens[index + 1].low == "cent":
        return "percent", tokens[index + 1].end
    words: list[_Tok] = []
    position = index
    while position < len(tokens) and len(words) < 4:
        token = tokens[position]
        if token.text == "(":
            nearby = range(position, min(position + 5, len(tokens)))
            close = next((j for j in nearby if tokens[j].text == ")"), None)
            if close is None:
                break
            position = close + 1
            continue
        if not token.text[:1].isalpha() or token.low in _STOP_WORDS:
            break
        if words and (token.low.endswith(("ed", "ing")) and not token.text[:1].isupper()):
            break
        words.append(token)
        if token.low in _MEASURE_UNITS:
            break
        position += 1
    if not words:
        return None, None
    return paragraph[words[0].start : words[-1].end], words[-1].end


# --- reading a sentence ------------------------------------------------------------------------


_BYLINE_RE = re.compile(r"^(?:By|BY|Written by|Author|Reporting by|Editing by)\b|^\(Author")
_FURNITURE_RE = re.compile(r"^(?:Published|Updated|Posted|Last updated|Photo|Image)\b", re.I)


class _Sentence:
    def __init__(
        self, paragraph: str, start: int, end: int, offset: int, spans: list[_ValueSpan]
    ) -> None:
        self.paragraph = paragraph
        self.start, self.end = start, end
        self.offset = offset
        self.text = paragraph[start:end]
        self.tokens = _tokens(self.text, start)
        self._attribution: tuple[dict | None, str, int, int] | None = None
        self.values = spans
        self._mentions: list[tuple[int, int, str]] = []
        self._names: list[tuple[int, int]] | None = None
        # Where each clause starts, for negation: a "not" belongs to its own clause.
        self._clause_starts = [start] + [
            start + m.end() for m in _re(r"[,;:\u2014]|\bbut\b").finditer(self.text)
        ]

    def is_furniture(self) -> bool:
        """A dateline, byline or stamp: no statement of the article's."""
        if _BYLINE_RE.match(self.text) or _FURNITURE_RE.match(self.text):
            return True
        leftover = _DATE_RE.sub(" ", self.text)
        words = [w for w in _WORD_RE.findall(leftover) if not w.isdigit()]
        return len(words) <= 2 and not self.text.rstrip().endswith((".", "!", "?"))

    def candidate(self, span: _ValueSpan, entities: NameIndex, predicates: NameIndex) -> Candidate:
        speaker, stance, attribution_start, attribution_end = self.attribution(entities)
        if attribution_start <= span.start < attribution_end:
            speaker, stance = None, "asserts"
        subject = self.subject(span, entities, (attribution_start, attribution_end))
        predicate_words = self.predicate_words(span, subject)
        return Candidate(
            start=self.offset + self.start,
            end=self.offset + self.end,
            quote=self.text,
            text=self.claim_text(attribution_start, attribution_end),
            value=_value_json(span),
            subject=subject,
            predicate={
                "predicate": predicates.lookup(predicate_words) if predicate_words else None,
                "as_written": predicate_words,
            },
            negated=self.negated(span),
            speaker=speaker,
            stance=stance,
            value_start=self.offset + span.start,
            value_end=self.offset + span.end,
        )

    # Attribution: who said it, and how.
    def attribution(self, entities: NameIndex) -> tuple[dict | None, str, int, int]:
        if self._attribution is None:
            self._attribution = self._find_attribution(entities)
        return self._attribution

    def _find_attribution(self, entities: NameIndex) -> tuple[dict | None, str, int, int]:
        according = _re(
            r"\b[Aa]ccording to (?P<who>[^,.;:\u201c\u201d\"]+?)(?=[,.;:\u201c\u201d\"]|$)"
        ).search(self.text)
        if according:
            who = according.group("who").strip()
            return (
                _speaker(who, entities),
                "reports",
                self.start + according.start(),
                self.start + according.end(),
            )
        last_subject: tuple[str, int] | None = None  # of a negated verb: "has not confirmed"
        for position, token in enumerate(self.tokens):
            stance = _SPEECH_VERBS.get(token.low)
            if stance is None:
                continue
            who, who_start = self._speaker_before(position)
            if self._negated_verb(position):
                # "has not confirmed" attributes nothing; its subject may go on to another
                # verb: "... has not confirmed the figures and denied that ...".
                if who is not None:
                    last_subject = (who, who_start)
                continue
            if who is None and last_subject and self.tokens[position - 1].low in ("and", "but"):
                who, who_start = last_subject
            if who is None:
                who, who_end = self._speaker_after(position)
                if who is None:
                    continue
                return _speaker(who, entities), stance, token.start, who_end
            if stance == "asserts" and _is_report_noun(who):
                stance = "reports"
            return _speaker(who, entities), stance, who_start, token.end
        return None, "asserts", 0, 0

    def _negated_verb(self, verb: int) -> bool:
        before = [t.low for t in self.tokens[max(0, verb - 2) : verb]]
        return any(w in _NEGATIONS or w.endswith(_NEGATION_SUFFIX) for w in before)

    def _speaker_before(self, verb: int) -> tuple[str | None, int]:
        """The noun phrase before a speech verb, back to the clause's start."""
        position = verb - 1
        while position >= 0 and (
            self.tokens[position].low in _AUXILIARIES
            or self.tokens[position].low in _NEGATIONS
            or self.tokens[position].low.endswith(_NEGATION_SUFFIX)
        ):
            position -= 1
        end = position
        while position >= 0:
            token = self.tokens[position]
            if not (token.text[:1].isalnum() or token.text in ("'", "\u2019", "-", "(", ")")):
                break
            if token.low in ("that", "which", "and", "but", "when", "as", "while"):
                break
            position -= 1
        if end < 0 or position == end:
            return None, 0
        first = self.tokens[position + 1]
        words = self.paragraph[first.start : self.tokens[end].end]
        if len(words.split()) > 8:
            return None, 0
        head = words.split()[0]
        if head.islower() and head not in ("a", "an", "the", "officials", "observers"):
            # An appositive ("Almesmari, spokesperson for the army, told"): the name is before it.
            if position >= 0 and self.tokens[position].text == ",":
                name, name_start = self._speaker_before_comma(position)
                if name is not None:
                    return name, name_start
            return None, 0
        return words, first.start

    def _speaker_before_comma(self, comma: int) -> tuple[str | None, int]:
        position = comma - 1
        while position >= 0 and self.tokens[position].text != ",":
            position -= 1
        opening = position + 1
        if opening >= comma:
            return None, 0
        first = self.tokens[opening]
        words = self.paragraph[first.start : self.tokens[comma - 1].end]
        return (
            (words, first.start) if words[:1].isupper() and len(words.split()) <= 6 else (None, 0)
        )

    def _speaker_after(self, verb: int) -> tuple[str | None, int]:
        """'..., said Marie Richards, the ...': a name right after the verb."""
        words = []
        position = verb + 1
        while position < len(self.tokens) and self.tokens[position].text[:1].isupper():
            words.append(self.tokens[position])
            position += 1
        if not words:
            return None, 0
        return self.paragraph[words[0].start : words[-1].end], words[-1].end

    def subject(
        self, span: _ValueSpan, entities: NameIndex, attribution: tuple[int, int]
    ) -> dict | None:
        """The stored entity named nearest the value, else the nearest proper name."""
        if self._names is None:
            outside = [t for t in self.tokens if not (attribution[0] <= t.start < attribution[1])]
            self._mentions = list(_mentions(outside, entities, self.paragraph))
            self._names = list(_proper_names(outside, self.values))
        if self._mentions:
            best = min(self._mentions, key=lambda m: _distance(m[0], m[1], span))
            return {"entity": best[2], "as_written": self.paragraph[best[0] : best[1]]}
        if not self._names:
            return None
        start, end = min(self._names, key=lambda n: _distance(n[0], n[1], span))
        return {"entity": None, "as_written": self.paragraph[start:end]}

    def predicate_words(self, span: _ValueSpan, subject: dict | None) -> str:
        if span.kind == "quantity":
            # "a population of 80,000", "a death toll of 63": the noun before "of" says it.
            named = self._noun_before_of(span)
            unit = span.unit
            if named or unit is None:
                return named or "number"
            dimension = values.unit_dimension(unit) if unit.strip() else unit
            if dimension == "length":
                return "distance"
            if dimension == "time":
                return "duration"
            if unit.strip().lower() in ("%", "percent", "per cent"):
                return "share"
            after = _word_after(self.paragraph, span.unit_end or span.end)
            verb = f" {after}" if after.endswith("ed") and after.islower() else ""
            return f"number of {unit.lower()}{verb}"
        return self._date_predicate_words(span, subject)

    def _noun_before_of(self, span: _ValueSpan) -> str:
        before = [t for t in self.tokens if t.end <= span.start][-4:]
        if len(before) < 2 or before[-1].low != "of":
            return ""
        nouns = []
        for token in reversed(before[:-1]):
            if not token.text[:1].isalpha() or token.low in _STOP_WORDS:
                break
            nouns.insert(0, token.low)
        return " ".join(nouns)

    def _date_predicate_words(self, span: _ValueSpan, subject: dict | None) -> str:
        # The words of the clause before the date: "ISIS first moved into Libya at the end of
        # 2013" gives "date of first moved into Libya".
        clause: list[_Tok] = []
        for token in self.tokens:
            if token.end > span.start:
                break
            if token.text in ',;:()\u201c\u201d"' or token.low in ("and", "but", "which", "who"):
                clause = []
            elif token.text[:1].isalpha() and token.low not in _NUMBER_WORDS:
                clause.append(token)
        while clause and clause[-1].low in _STOP_WORDS | {"the", "early", "late", "mid", "end"}:
            clause.pop()
        if subject is not None and clause:
            written = subject["as_written"]
            clause = [t for t in clause if t.text not in written.split()]
        words = [t.text for t in clause[-5:]]
        return ("date of " + " ".join(words)) if words else "date"

    def negated(self, span: _ValueSpan) -> bool:
        clause_start = max(c for c in self._clause_starts if c <= span.start)
        if self._attribution is not None and self._attribution[3] <= span.start:
            # "X did not say ..." negates no figure after the attribution's words.
            clause_start = max(clause_start, self._attribution[3])
        for token in self.tokens:
            if clause_start <= token.start < span.start:
                if token.low in _NEGATIONS and token.low != "no":
                    return True
                if token.low.endswith(_NEGATION_SUFFIX):
                    return True
        return False

    def claim_text(self, attribution_start: int, attribution_end: int) -> str:
        text = self.text
        if attribution_end and attribution_start == self.start:
            rest = self.paragraph[attribution_end : self.end]
            rest = _re(r"^[\s,]*(?:that[\s,]+)?").sub("", rest)
            if rest:
                text = rest[0].upper() + rest[1:]
        return text.strip()


def _is_report_noun(who: str) -> bool:
    return bool(_re(r"(?i)\b(?:report|reports|agency|news|media|statement)\b").search(who))


def _speaker(who: str, entities: NameIndex) -> dict:
    who = who.strip(" \u00a0\"\u201c\u201d'")
    key = entities.lookup(who) or entities.lookup(_re(r"^(?:the|The) ").sub("", who))
    if key is not None:
        return {"entity": key, "as_written": who}
    first = who.split()[0] if who.split() else ""
    if first.lower() in ("a", "an", "the") and not who.split()[-1][:1].isupper():
        return {"description": who}
    if first.islower():
        return {"description": who}
    return {"entity": None, "as_written": who}


def _mentions(
    tokens: list[_Tok], entities: NameIndex, paragraph: str
) -> Iterator[tuple[int, int, str]]:
    if not entities:
        return
    words = [t for t in tokens if t.text[:1].isalnum()]
    normalized = [values.normalize_name(t.text) for t in words]
    position = 0
    longest = max(entities.max_words, 1)
    while position < len(words):
        for size in range(min(longest, len(words) - position), 0, -1):
            joined = "".join(normalized[position : position + size])
            key = entities.lookup_normalized(joined)
            if (
                key is None
                and joined.endswith("s")
                and words[position + size - 1].text.endswith(("'s", "\u2019s"))
            ):
                key = entities.lookup_normalized(joined[:-1])
            if key is not None:
                yield words[position].start, words[position + size - 1].end, key
                position += size
                break
        else:
            position += 1


_NAME_GLUE = frozenset({"of", "al", "el", "de", "the", "bin", "ibn"})
# Capitalised at a sentence's start, but no name.
_NOT_NAMES = frozenset(
    w.capitalize()
    for w in (
        *_STOP_WORDS,
        *_NUMBER_WORDS,
        *"however although following while between several dozens hundreds thousands".split(),
        *"nearly almost approximately roughly around up over under fewer officials".split(),
    )
)


def _proper_names(tokens: list[_Tok], spans: list[_ValueSpan]) -> Iterator[tuple[int, int]]:
    """Runs of capitalised words ("Khalifa Haftar", "Shura Council of Derna"), values aside."""
    run: list[_Tok] = []
    for token in [*tokens, _Tok(".", 10**9, 10**9)]:
        inside_value = any(span.start <= token.start < span.end for span in spans)
        capital = token.text[:1].isupper() and not inside_value and token.text not in _NOT_NAMES
        if capital and not _re(_MONTH + "|" + _WEEKDAY).fullmatch(token.text):
            run.append(token)
            continue
        if run and token.low in _NAME_GLUE and not inside_value:
            run.append(token)
            continue
        while run and run[-1].low in _NAME_GLUE:
            run.pop()
        if run:
            yield run[0].start, run[-1].end
        run = []


def _distance(start: int, end: int, span: _ValueSpan) -> int:
    if end <= span.start:
        return span.start - end
    if start >= span.end:
        return start - span.end + 1  # prefer what comes before the value, on a tie
    return 0


def _value_json(span: _ValueSpan) -> dict:
    if span.kind == "date":
        interval = span.date
        return {
            "date": {
                "as_written": span.as_written,
                "from": interval.first_day().isoformat() if interval.first_day() else None,
                "to": interval.last_day().isoformat() if interval.last_day() else None,
            }
        }
    q = span.quantity
    return {
        "quantity": {
            "as_written": span.as_written,
            "low": _number_json(q.low),
            "high": _number_json(q.high),
            "low_inclusive": q.low_inclusive if q.low is not None else False,
            "high_inclusive": q.high_inclusive if q.high is not None else False,
            "unit": span.unit,
        }
    }


def _number_json(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
