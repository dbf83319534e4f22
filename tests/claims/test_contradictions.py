"""The structured rules of the spec's "Contradictions" section, each way, without a database."""

import datetime
import itertools
import random

import pytest

from claims.core.contradictions import (
    Facts,
    Kind,
    PredicateRules,
    block_conflicts,
    lower_key,
    pair_conflict,
    upper_key,
)

QUANTITY = PredicateRules("quantity", functional=False, time_varying=False)
DATE = PredicateRules("date", functional=False, time_varying=False)
ENTITY = PredicateRules("entity", functional=False, time_varying=False)
FUNCTIONAL = PredicateRules("entity", functional=True, time_varying=False)
FUNCTIONAL_OVER_TIME = PredicateRules("entity", functional=True, time_varying=True)
QUANTITY_OVER_TIME = PredicateRules("quantity", functional=False, time_varying=True)

_ids = itertools.count(1)


def day(text: str) -> int:
    return datetime.date.fromisoformat(text).toordinal()


def claim(
    low=None,
    high=None,
    *,
    low_inclusive=True,
    high_inclusive=True,
    entity=None,
    negated=False,
    location=None,
    holds=(None, None),
    dates=False,
) -> Facts:
    if dates:
        low = None if low is None else day(low)
        high = None if high is None else day(high)
    return Facts(
        id=next(_ids),
        location_id=location,
        negated=negated,
        low=lower_key(low, low_inclusive),
        high=upper_key(high, high_inclusive),
        entity_id=entity,
        holds_low=lower_key(None if holds[0] is None else day(holds[0])),
        holds_high=upper_key(None if holds[1] is None else day(holds[1])),
    )


def at_least(n):
    return claim(n, None)


def fewer_than(n, **kw):
    return claim(0, n, high_inclusive=False, **kw)


def about(n, **kw):
    return claim(0.9 * n, 1.1 * n, **kw)


# --- quantities --------------------------------------------------------------------------------


def test_disjoint_quantities_contradict():
    assert pair_conflict(at_least(400), fewer_than(100), QUANTITY) == Kind.QUANTITY


def test_intersecting_quantities_do_not_contradict():
    assert pair_conflict(at_least(400), about(500), QUANTITY) is None


def test_an_open_end_touching_a_closed_one_is_disjoint():
    # [0, 100) and [100, 100]: 100 is excluded from the first.
    assert pair_conflict(fewer_than(100), claim(100, 100), QUANTITY) == Kind.QUANTITY


def test_two_closed_ends_touching_intersect():
    assert pair_conflict(claim(0, 100), claim(100, 200), QUANTITY) is None


def test_more_than_excludes_its_number():
    more_than_400 = claim(400, None, low_inclusive=False)
    assert pair_conflict(more_than_400, claim(400, 400), QUANTITY) == Kind.QUANTITY
    assert pair_conflict(more_than_400, claim(401, 401), QUANTITY) is None


# --- dates -------------------------------------------------------------------------------------


def test_disjoint_dates_contradict():
    july = claim("2016-07-01", "2016-07-31", dates=True)
    august_1 = claim("2016-08-01", "2016-08-01", dates=True)
    assert pair_conflict(july, august_1, DATE) == Kind.DATE


def test_overlapping_dates_do_not_contradict():
    year = claim("2015-01-01", "2015-12-31", dates=True)
    by_june = claim(None, "2015-06-25", dates=True)
    assert pair_conflict(year, by_june, DATE) is None


def test_dates_on_consecutive_days_are_disjoint():
    a = claim("2015-01-01", "2015-06-30", dates=True)
    b = claim("2015-07-01", "2015-12-31", dates=True)
    assert pair_conflict(a, b, DATE) == Kind.DATE


# --- entities ----------------------------------------------------------------------------------


def test_different_entities_contradict_for_a_functional_predicate():
    assert pair_conflict(claim(entity=1), claim(entity=2), FUNCTIONAL) == Kind.ENTITY


def test_different_entities_do_not_contradict_for_a_non_functional_predicate():
    assert pair_conflict(claim(entity=1), claim(entity=2), ENTITY) is None


def test_the_same_entity_does_not_contradict():
    assert pair_conflict(claim(entity=1), claim(entity=1), FUNCTIONAL) is None


# --- same thing: location ----------------------------------------------------------------------


def test_different_locations_do_not_contradict():
    a, b = at_least(400), fewer_than(100)
    assert pair_conflict(a._replace(location_id=1), b._replace(location_id=2), QUANTITY) is None


def test_the_same_location_contradicts():
    a, b = at_least(400), fewer_than(100)
    found = pair_conflict(a._replace(location_id=1), b._replace(location_id=1), QUANTITY)
    assert found == Kind.QUANTITY


def test_a_location_on_one_side_only_still_contradicts():
    assert pair_conflict(at_least(400)._replace(location_id=1), fewer_than(100), QUANTITY)


# --- same time ---------------------------------------------------------------------------------


def test_time_varying_claims_holding_at_different_times_do_not_contradict():
    late_2014 = claim(entity=1, holds=("2014-10-01", "2015-06-30"))
    from_july = claim(entity=2, holds=("2015-07-01", None))
    assert pair_conflict(late_2014, from_july, FUNCTIONAL_OVER_TIME) is None


def test_time_varying_claims_holding_at_overlapping_times_contradict():
    july = claim(entity=1, holds=("2015-07-01", "2015-07-31"))
    from_july = claim(entity=2, holds=("2015-07-01", None))
    assert pair_conflict(july, from_july, FUNCTIONAL_OVER_TIME) == Kind.ENTITY


def test_a_claim_holding_at_all_times_overlaps_every_time():
    assert pair_conflict(
        claim(entity=1), claim(entity=2, holds=("2015-07-01", "2015-07-31")), FUNCTIONAL_OVER_TIME
    )


def test_time_is_ignored_for_predicates_that_do_not_vary():
    a = at_least(400)._replace(holds_low=lower_key(day("2014-01-01")))
    b = fewer_than(100, holds=("2020-01-01", "2020-01-01"))
    a = a._replace(holds_high=upper_key(day("2014-01-01")))
    assert pair_conflict(a, b, QUANTITY) == Kind.QUANTITY


# --- negation ----------------------------------------------------------------------------------


def test_a_negation_denying_everything_the_affirmed_claim_allows_contradicts():
    # "Fewer than 100 did not escape" denies [0, 100): about 50 lies inside.
    assert pair_conflict(fewer_than(100, negated=True), about(50), QUANTITY) == Kind.NEGATION


def test_a_negation_that_leaves_part_of_the_affirmed_interval_does_not_contradict():
    at_most_150 = claim(0, 150)
    assert pair_conflict(fewer_than(100, negated=True), at_most_150, QUANTITY) is None


def test_a_negated_entity_contradicts_the_same_entity_affirmed():
    assert pair_conflict(claim(entity=1, negated=True), claim(entity=1), ENTITY) == Kind.NEGATION


def test_a_negated_entity_does_not_contradict_another_entity():
    assert pair_conflict(claim(entity=1, negated=True), claim(entity=2), FUNCTIONAL) is None


def test_two_negated_claims_never_contradict():
    assert (
        pair_conflict(claim(entity=1, negated=True), claim(entity=2, negated=True), FUNCTIONAL)
        is None
    )
    assert (
        pair_conflict(fewer_than(100, negated=True), at_least(400)._replace(negated=True), QUANTITY)
        is None
    )


def test_a_negated_date_interval_contains_the_affirmed_one():
    not_in_2015 = claim("2015-01-01", "2015-12-31", dates=True, negated=True)
    july_2015 = claim("2015-07-01", "2015-07-31", dates=True)
    assert pair_conflict(not_in_2015, july_2015, DATE) == Kind.NEGATION


# --- the sweep finds exactly what comparing every pair finds -----------------------------------


def _all_pairs(claims, rules):
    found = set()
    for a, b in itertools.combinations(claims, 2):
        kind = pair_conflict(a, b, rules)
        if kind:
            found.add((min(a.id, b.id), max(a.id, b.id), kind))
    return found


def _random_claim(rng, rules):
    start = rng.choice([None, "2014-01-01", "2015-03-01", "2015-07-01", "2016-01-01"])
    end = rng.choice([None, "2015-06-30", "2015-12-31", "2017-01-01"])
    if start and end and start > end:
        start, end = end, start
    holds = (start, end)
    location = rng.choice([None, None, 1, 2])
    negated = rng.random() < 0.15
    if rules.value_type == "entity":
        return claim(entity=rng.randint(1, 4), negated=negated, location=location, holds=holds)
    low = rng.choice([None, *range(0, 100, 5)])
    high = rng.choice([None, *range(0, 120, 5)])
    if low is not None and high is not None and low > high:
        low, high = high, low
    low_inclusive = rng.random() < 0.8 or low is None
    high_inclusive = rng.random() < 0.8 or high is None
    if low is not None and low == high:
        low_inclusive = high_inclusive = True
    return claim(
        low,
        high,
        low_inclusive=low_inclusive,
        high_inclusive=high_inclusive,
        negated=negated,
        location=location,
        holds=holds,
    )


@pytest.mark.parametrize(
    "rules", [QUANTITY, DATE, QUANTITY_OVER_TIME, ENTITY, FUNCTIONAL, FUNCTIONAL_OVER_TIME]
)
@pytest.mark.parametrize("seed", range(16))
def test_block_sweep_finds_the_same_pairs_as_comparing_every_pair(rules, seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    claims = [_random_claim(rng, rules) for _ in range(60)]
    swept = list(block_conflicts(claims, rules))
    assert len(swept) == len(set(swept)), "a pair was reported twice"
    assert set(swept) == _all_pairs(claims, rules)


def test_a_block_of_agreeing_claims_yields_nothing():
    claims = [claim(90 + i % 10, 110 + i % 10) for i in range(5000)]
    assert list(block_conflicts(claims, QUANTITY)) == []
