"""Words that name the same event or measure in news English, kept as data in lexicon.json.

"40 were killed", "40 died", "a death toll of 40" and "40 casualties" report one event; so do
"IS captured Sirte", "Sirte fell to IS" and "IS took control of Sirte". The wording comparison
(claims/text_compare.py) reads each group as one term, and the extractor's predicate guess asks
`group_of` which event a phrase names. Groups never share a word, so "400 fighters escaped" and
"17 militants were killed" stay different statements.

Plain Python with no Django imports; the file is read once per process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import simplemma

LEXICON_FILE = Path(__file__).with_name("lexicon.json")
FORMAT = "lexicon/1"
# In unless_next / unless_previous: any number ("fell to 12", "took 3 hours").
NUMBER = "#number"
# What a group's term starts with in a wording's terms: no lemma starts with it.
TERM_PREFIX = "="

_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")


@lru_cache(maxsize=1 << 16)
def lemma(word: str) -> str:
    """The lower-cased lemma of a lower-cased word."""
    return simplemma.lemmatize(word, lang="en").lower()


@dataclass(frozen=True)
class Group:
    """Words and phrases (tuples of lemmas) naming one event or measure."""

    name: str
    means: str
    predicate: str  # a predicate name the extractor may propose for it
    words: frozenset[str]
    phrases: tuple[tuple[str, ...], ...]
    unless_next: dict[str, frozenset[str]]
    unless_previous: dict[str, frozenset[str]]

    @property
    def term(self) -> str:
        """The term the wording comparison reads for any of its words: "=killed"."""
        return f"{TERM_PREFIX}{self.name}"


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names where."""


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(lemma(word) for word in text.lower().split())


def parse(document: dict) -> tuple[Group, ...]:
    """The groups of a lexicon/1 document; raises LexiconError naming the first problem."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LexiconError(f'expected "format": "{FORMAT}" at the top level')
    groups, owner = [], {}
    for i, raw in enumerate(document.get("groups", [])):
        path = f"groups[{i}]"
        for field in ("name", "means", "predicate", "words", "phrases"):
            if field not in raw:
                raise LexiconError(f"{path}: missing {field}")
        words = frozenset(lemma(w.lower()) for w in raw["words"])
        phrases = tuple(sorted((_phrase(p) for p in raw["phrases"]), key=len, reverse=True))
        for entry in (*((w,) for w in words), *phrases):
            if entry in owner:
                raise LexiconError(
                    f'{path}: "{" ".join(entry)}" is in group {owner[entry]} already'
                )
            owner[entry] = raw["name"]
        known = {" ".join(entry) for entry in (*((w,) for w in words), *phrases)}
        groups.append(
            Group(
                name=raw["name"],
                means=raw["means"],
                predicate=raw["predicate"],
                words=words,
                phrases=phrases,
                unless_next=_contexts(raw, "unless_next", path, known),
                unless_previous=_contexts(raw, "unless_previous", path, known),
            )
        )
    return tuple(groups)


def _contexts(raw: dict, field: str, path: str, known: set[str]) -> dict[str, frozenset[str]]:
    out = {}
    for entry, neighbours in raw.get(field, {}).items():
        key = " ".join(_phrase(entry))
        if key not in known:
            raise LexiconError(f'{path}.{field}: "{entry}" is not a word or phrase of the group')
        out[key] = frozenset(n if n == NUMBER else n.lower() for n in neighbours)
    return out


class Lexicon:
    """The groups, indexed by the lemma a word or phrase starts with."""

    def __init__(self, groups: Sequence[Group]) -> None:
        self.groups = tuple(groups)
        self._words = {word: g for g in self.groups for word in g.words}
        self._phrases: dict[str, list[tuple[tuple[str, ...], Group]]] = {}
        for g in self.groups:
            for phrase in g.phrases:
                self._phrases.setdefault(phrase[0], []).append((phrase, g))
        for entries in self._phrases.values():
            entries.sort(key=lambda entry: len(entry[0]), reverse=True)
        # Lemmas at which a match may start: any other word is read as itself at once.
        self.starts = frozenset(self._words) | frozenset(self._phrases)
        self.by_name = {g.name: g for g in self.groups}

    def match(
        self,
        words: Sequence[str],
        i: int,
        *,
        is_number: Callable[[str], bool] | None = None,
    ) -> tuple[Group, int] | None:
        """The group of the word or phrase at words[i] (lower-cased words) and the index after
        it, or None. Longer phrases win ("took control of" over "took")."""
        is_number = is_number or _is_number
        first = lemma(words[i])
        for phrase, group in self._phrases.get(first, ()):
            end = i + len(phrase)
            if end <= len(words) and all(
                lemma(words[i + k]) == part or words[i + k] == part for k, part in enumerate(phrase)
            ):
                if self._allowed(group, " ".join(phrase), words, i, end, is_number):
                    return group, end
        group = self._words.get(first)
        if group is not None and self._allowed(group, first, words, i, i + 1, is_number):
            return group, i + 1
        return None

    def word_group(self, word: str) -> Group | None:
        """The group of one word by its lemma alone, without its context."""
        return self._words.get(lemma(word.lower()))

    @staticmethod
    def _allowed(group: Group, entry: str, words, start: int, end: int, is_number) -> bool:
        after = group.unless_next.get(entry)
        if after and end < len(words):
            following = words[end]
            if following in after or lemma(following) in after:
                return False
            if NUMBER in after and is_number(following):
                return False
        before = group.unless_previous.get(entry)
        if before and start > 0:
            previous = words[start - 1]
            if previous in before or lemma(previous) in before:
                return False
        return True


def _is_number(word: str) -> bool:
    return word[:1].isdigit()


@cache
def lexicon() -> Lexicon:
    """The project's lexicon (lexicon.json), read once."""
    with LEXICON_FILE.open(encoding="utf-8") as handle:
        return Lexicon(parse(json.load(handle)))


def words_of(text: str) -> list[str]:
    return [w.replace("\u2019", "'") for w in _WORD_RE.findall(text.lower())]


def group_of(phrase: str) -> Group | None:
    """The group of the first lexicon word or phrase in `phrase`, in context: "were killed",
    "the death toll rose", "fell to IS" name one; "took place", "fell to 12" do not. For the
    extractor's predicate guess (group.predicate, group.name)."""
    words = words_of(phrase)
    found = lexicon()
    for i in range(len(words)):
        if lemma(words[i]) in found.starts:
            matched = found.match(words, i)
            if matched is not None:
                return matched[0]
    return None


def same_event(a: str, b: str) -> bool:
    """Whether two phrases name the same event by the lexicon: "were killed" and "died"."""
    first, second = group_of(a), group_of(b)
    return first is not None and first == second


def predicate_for(phrase: str) -> str | None:
    """The predicate name the lexicon proposes for a phrase ("were killed" -> "number
    killed"), or None when it names no event of the lexicon."""
    group = group_of(phrase)
    return group.predicate if group is not None else None
