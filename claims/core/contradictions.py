"""When two structured claims cannot both be true (spec: "Contradictions"), in plain Python.

No database here: claims arrive as `Facts`, compact tuples of what the rules read, and the
services (claims/contradiction_services.py) load them, store the flags and explain them.

The rules, for two claims about the same subject and predicate:
1. Same location where both give one.
2. Valid times overlap when the predicate is time-varying (`Facts.holds_*`: the valid time, or the
   earliest appearance's publication date at its precision, or all times).
3. Both affirmed: quantity or date intervals disjoint; for a functional predicate, different
   entities. Exactly one negated: the affirmed interval lies inside the negated one (for entities:
   the same entity). Two negated claims never contradict.

Intervals are compared through sort keys that keep open and closed ends apart: a lower end is
`(value, 0)` when closed and `(value, 1)` when open; an upper end `(value, 0)` when closed and
`(value, -1)` when open; a missing end is minus or plus infinity. Two intervals intersect exactly
when each one's lower key is at most the other's upper key, so [0, 100) and [100, 100] do not:
(100, 0) > (100, -1). Day intervals are closed, their keys `(ordinal, 0)`.

`block_conflicts` finds every contradicting pair of one subject and predicate without comparing
every pair: it sweeps the claims in order of valid time and keeps the claims still valid in
structures sorted by value, so a block of 10,000 claims that mostly agree costs a sort and a
binary search per claim, not 50 million comparisons. When time does not matter (a predicate
that is not time-varying) every claim meets every other, and the block is sorted once by value
instead (`_static`).
"""

import bisect
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from sortedcontainers import SortedKeyList

DETECTOR = "structured/1"

Key = tuple[float, int]
NEG_INF: Key = (-math.inf, 0)
POS_INF: Key = (math.inf, 0)


class Kind:
    QUANTITY = "quantity"
    DATE = "date"
    ENTITY = "entity"
    NEGATION = "negation"
    TEXT = "text"


def lower_key(value: float | None, inclusive: bool = True) -> Key:
    if value is None:
        return NEG_INF
    return (value, 0 if inclusive else 1)


def upper_key(value: float | None, inclusive: bool = True) -> Key:
    if value is None:
        return POS_INF
    return (value, 0 if inclusive else -1)


class Facts(NamedTuple):
    """What the rules read of one claim. `low`/`high` are interval keys (see the module docstring)
    of the quantity or date value; `holds_low`/`holds_high` those of the time the claim holds."""

    id: int
    location_id: int | None
    negated: bool
    low: Key
    high: Key
    entity_id: int | None
    holds_low: Key
    holds_high: Key


@dataclass(frozen=True)
class PredicateRules:
    value_type: str  # "quantity", "date" or "entity"
    functional: bool
    time_varying: bool


def intersect(a_low: Key, a_high: Key, b_low: Key, b_high: Key) -> bool:
    return a_low <= b_high and b_low <= a_high


def contains(outer_low: Key, outer_high: Key, inner_low: Key, inner_high: Key) -> bool:
    return outer_low <= inner_low and inner_high <= outer_high


def pair_conflict(a: Facts, b: Facts, rules: PredicateRules) -> str | None:
    """The kind of contradiction between two claims of one subject and predicate, or None."""
    if a.location_id and b.location_id and a.location_id != b.location_id:
        return None
    if rules.time_varying and not intersect(a.holds_low, a.holds_high, b.holds_low, b.holds_high):
        return None
    if a.negated and b.negated:
        return None
    if a.negated or b.negated:
        denied, affirmed = (a, b) if a.negated else (b, a)
        if rules.value_type == Kind.ENTITY:
            same = denied.entity_id == affirmed.entity_id
            return Kind.NEGATION if same else None
        inside = contains(denied.low, denied.high, affirmed.low, affirmed.high)
        return Kind.NEGATION if inside else None
    if rules.value_type == Kind.ENTITY:
        differ = rules.functional and a.entity_id != b.entity_id
        return Kind.ENTITY if differ else None
    if intersect(a.low, a.high, b.low, b.high):
        return None
    return rules.value_type


def block_conflicts(
    claims: Iterable[Facts], rules: PredicateRules
) -> Iterator[tuple[int, int, str]]:
    """Every contradicting pair among the claims of one subject and predicate, each once, as
    (lower id, higher id, kind)."""
    by_location: dict[int | None, list[Facts]] = defaultdict(list)
    for claim in claims:
        by_location[claim.location_id].append(claim)
    unlocated = by_location.pop(None, [])
    yield from _sweep(unlocated, rules, lambda a, b: True)
    for located in by_location.values():
        # A claim with a location meets the claims of that location and those with none; pairs
        # of two unlocated claims were found above.
        ids = frozenset(c.id for c in located)
        yield from _sweep(located + unlocated, rules, lambda a, b, ids=ids: a in ids or b in ids)


def _ordered(a: int, b: int, kind: str) -> tuple[int, int, str]:
    return (a, b, kind) if a < b else (b, a, kind)


class _Active:
    """The claims still valid at the sweep's current time, indexed by value."""

    def __init__(self, rules: PredicateRules) -> None:
        self.rules = rules
        self.by_high = SortedKeyList(key=lambda c: (c.high, c.id))  # affirmed
        self.by_low = SortedKeyList(key=lambda c: (c.low, c.id))  # affirmed
        self.denied: dict[int, Facts] = {}  # negated claims by id
        self.by_entity: dict[int | None, dict[int, Facts]] = defaultdict(dict)  # affirmed
        self.denied_entity: dict[int | None, dict[int, Facts]] = defaultdict(dict)

    def add(self, c: Facts) -> None:
        if self.rules.value_type == Kind.ENTITY:
            (self.denied_entity if c.negated else self.by_entity)[c.entity_id][c.id] = c
        elif c.negated:
            self.denied[c.id] = c
        else:
            self.by_high.add(c)
            self.by_low.add(c)

    def remove(self, c: Facts) -> None:
        if self.rules.value_type == Kind.ENTITY:
            index = self.denied_entity if c.negated else self.by_entity
            del index[c.entity_id][c.id]
            if not index[c.entity_id]:
                del index[c.entity_id]
        elif c.negated:
            del self.denied[c.id]
        else:
            self.by_high.remove(c)
            self.by_low.remove(c)

    def conflicts(self, c: Facts) -> Iterator[Facts]:
        """The active claims whose values conflict with c's; only these are read, so a block of
        claims that agree costs a binary search per claim."""
        if self.rules.value_type == Kind.ENTITY:
            yield from self._entity_conflicts(c)
        elif c.negated:
            # Affirmed claims whose interval lies inside c's: they start at or after c's start.
            start = self.by_low.bisect_key_left((c.low, -1))
            for other in self.by_low.islice(start):
                if other.high <= c.high:
                    yield other
        else:
            # Affirmed claims wholly below c, then wholly above it: only real conflicts are read.
            below = self.by_high.bisect_key_left((c.low, -1))
            for other in self.by_high.islice(0, below):
                yield other
            above = self.by_low.bisect_key_right((c.high, math.inf))
            for other in self.by_low.islice(above):
                yield other
            for other in self.denied.values():
                if contains(other.low, other.high, c.low, c.high):
                    yield other

    def _entity_conflicts(self, c: Facts) -> Iterator[Facts]:
        if c.negated:
            for other in self.by_entity.get(c.entity_id, {}).values():
                yield other
            return
        for other in self.denied_entity.get(c.entity_id, {}).values():
            yield other
        if self.rules.functional:
            for entity_id, others in self.by_entity.items():
                if entity_id != c.entity_id:
                    for other in others.values():
                        yield other


def _sweep(claims: list[Facts], rules: PredicateRules, keep) -> Iterator[tuple[int, int, str]]:
    """Sweep the claims in order of the start of the time they hold; each meets the claims still
    holding then, so each overlapping pair meets once, when the later-starting one arrives."""
    if len(claims) < 2:
        return
    if not rules.time_varying:
        yield from _static(claims, rules, keep)
        return
    time_matters = rules.time_varying
    order = sorted(claims, key=lambda c: (c.holds_low, c.id)) if time_matters else claims
    active = _Active(rules)
    ending: list[tuple[Key, int, Facts]] = []  # heap of (end of time held, id, claim)
    for c in order:
        if time_matters:
            while ending and ending[0][0] < c.holds_low:
                active.remove(heapq.heappop(ending)[2])
        for other in active.conflicts(c):
            # The exact rule decides; the index only spares reading claims that agree.
            kind = pair_conflict(other, c, rules) if keep(other.id, c.id) else None
            if kind:
                yield _ordered(other.id, c.id, kind)
        active.add(c)
        if time_matters:
            heapq.heappush(ending, (c.holds_high, c.id, c))


def _static(claims: list[Facts], rules: PredicateRules, keep) -> Iterator[tuple[int, int, str]]:
    """The sweep's result when time does not matter (every claim meets every other): sorted
    once, and each claim reads only the claims whose values conflict with its own."""
    for other, c in _static_candidates(claims, rules):
        # The exact rule decides, as in the sweep.
        kind = pair_conflict(other, c, rules) if keep(other.id, c.id) else None
        if kind:
            yield _ordered(other.id, c.id, kind)


def _static_candidates(claims: list[Facts], rules: PredicateRules) -> Iterator[tuple[Facts, Facts]]:
    """Each pair of claims whose values may conflict, once."""
    affirmed = [c for c in claims if not c.negated]
    denied = [c for c in claims if c.negated]
    if rules.value_type == Kind.ENTITY:
        by_entity: dict[int | None, list[Facts]] = defaultdict(list)
        for c in affirmed:
            by_entity[c.entity_id].append(c)
        for d in denied:
            for c in by_entity.get(d.entity_id, ()):
                yield c, d
        if rules.functional:
            groups = list(by_entity.values())
            for i, group in enumerate(groups):
                for later in groups[i + 1 :]:
                    for a in group:
                        for b in later:
                            yield a, b
        return
    by_high = sorted(affirmed, key=lambda c: c.high)
    highs = [c.high for c in by_high]
    by_low = sorted(affirmed, key=lambda c: c.low)
    lows = [c.low for c in by_low]
    for b in affirmed:
        # Every affirmed claim wholly below b: each disjoint pair once, from its upper side.
        for a in by_high[: bisect.bisect_left(highs, b.low)]:
            yield a, b
    for d in denied:
        # Affirmed claims inside d's interval: those starting at or after d's start and ending
        # at or before its end, read from whichever of the two runs is shorter.
        start = bisect.bisect_left(lows, d.low)
        end = bisect.bisect_right(highs, d.high)
        if len(lows) - start <= end:
            yield from ((c, d) for c in by_low[start:] if c.high <= d.high)
        else:
            yield from ((c, d) for c in by_high[:end] if c.low >= d.low)


# --- updates and corrections (spec: "Updates and corrections") --------------------------------


class Reason:
    UPDATE = "update"
    CORRECTION = "correction"


class Counted(NamedTuple):
    """What the update rule reads of a claim of a cumulative predicate: its value's interval keys
    and the keys of the days it counts as of (the end of its valid time, or else the
    publication date of its earliest appearance at that date's precision; open ends when
    unknown)."""

    id: int
    negated: bool
    low: Key
    high: Key
    as_of_low: Key
    as_of_high: Key


def cumulative_update(a: Counted, b: Counted) -> tuple[int, int] | None:
    """(newer id, older id) when the later of two counts of a cumulative predicate supersedes
    the earlier: both affirmed, as-of dates that do not overlap, and the later interval wholly
    above the earlier one. None otherwise: a count that went down, or two counts as of
    overlapping dates, are judged by the usual rules (pair_conflict); intervals that meet are
    compatible anyway."""
    if a.negated or b.negated:
        return None
    if intersect(a.as_of_low, a.as_of_high, b.as_of_low, b.as_of_high):
        return None
    earlier, later = (a, b) if a.as_of_high < b.as_of_low else (b, a)
    if earlier.high < later.low:
        return (later.id, earlier.id)
    return None


def correction_between(
    a_id: int,
    a_sources: frozenset[int],
    b_id: int,
    b_sources: frozenset[int],
    corrected_from: Callable[[int], frozenset[int]],
) -> tuple[int, int] | None:
    """(newer id, older id) when one of two contradicting claims appears in a source that
    corrects, directly or through a chain of `corrects`, every source the other appears in.
    `corrected_from(s)` is the set of sources s corrects, directly or through others (s itself
    only if a chain leads back to it). A claim that also appears outside the chain is not
    corrected by it; when each claim would correct the other, neither does."""
    a_corrects_b = _corrects_all(a_sources, b_sources, corrected_from)
    b_corrects_a = _corrects_all(b_sources, a_sources, corrected_from)
    if a_corrects_b == b_corrects_a:
        return None
    return (a_id, b_id) if a_corrects_b else (b_id, a_id)


def _corrects_all(
    newer_sources: frozenset[int],
    older_sources: frozenset[int],
    corrected_from: Callable[[int], frozenset[int]],
) -> bool:
    if not older_sources:
        return False
    return any(
        source not in older_sources and older_sources <= corrected_from(source)
        for source in newer_sources
    )
