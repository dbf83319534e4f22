"""The rules of the spec's "Updates and corrections", each way, without a database."""

import datetime
import itertools

from claims.core.contradictions import (
    Counted,
    correction_between,
    cumulative_update,
    lower_key,
    upper_key,
)

_ids = itertools.count(1)


def day(text: str) -> int:
    return datetime.date.fromisoformat(text).toordinal()


def count(low, high, as_of, *, until=None, negated=False, low_inclusive=True) -> Counted:
    """A count of [low, high] (None: no bound) as of a day, or of the days as_of to until."""
    return Counted(
        id=next(_ids),
        negated=negated,
        low=lower_key(low, low_inclusive),
        high=upper_key(high),
        as_of_low=lower_key(None if as_of is None else day(as_of)),
        as_of_high=upper_key(None if as_of is None else day(until or as_of)),
    )


# --- 1. updates of a cumulative count -----------------------------------------------------------


def test_a_later_higher_count_supersedes_the_earlier_one():
    earlier = count(40, 40, "2016-03-03")
    later = count(63, None, "2016-03-05")
    assert cumulative_update(earlier, later) == (later.id, earlier.id)


def test_the_order_of_the_two_claims_does_not_matter():
    earlier = count(40, 40, "2016-03-03")
    later = count(63, None, "2016-03-05")
    assert cumulative_update(later, earlier) == (later.id, earlier.id)


def test_a_later_lower_count_is_no_update():
    # The count went down: judged by the usual rules, a contradiction of kind quantity.
    earlier = count(40, 40, "2016-03-03")
    later = count(12, 12, "2016-03-06")
    assert cumulative_update(earlier, later) is None
    assert cumulative_update(later, earlier) is None


def test_intervals_that_meet_are_no_update():
    earlier = count(24, 99, "2016-03-03")  # dozens
    later = count(63, None, "2016-03-05")
    assert cumulative_update(earlier, later) is None


def test_intervals_that_touch_at_a_closed_end_meet():
    earlier = count(40, 50, "2016-03-03")
    later = count(50, None, "2016-03-05")
    assert cumulative_update(earlier, later) is None


def test_intervals_that_touch_at_an_open_end_do_not_meet():
    earlier = count(40, 50, "2016-03-03")
    later = count(50, None, "2016-03-05", low_inclusive=False)  # more than 50
    assert cumulative_update(earlier, later) == (later.id, earlier.id)


def test_counts_as_of_the_same_day_are_no_update():
    first = count(40, 40, "2016-03-03")
    second = count(63, 63, "2016-03-03")
    assert cumulative_update(first, second) is None


def test_counts_as_of_overlapping_periods_are_no_update():
    # "in March" (the whole month) overlaps the 5th: which came first is not known.
    month = count(40, 40, "2016-03-01", until="2016-03-31")
    fifth = count(63, 63, "2016-03-05")
    assert cumulative_update(month, fifth) is None


def test_a_count_as_of_a_month_is_updated_by_one_of_the_next_month():
    march = count(40, 40, "2016-03-01", until="2016-03-31")
    april = count(63, 63, "2016-04-02")
    assert cumulative_update(march, april) == (april.id, march.id)


def test_a_count_as_of_no_known_day_is_no_update():
    undated = count(40, 40, None)
    later = count(63, 63, "2016-03-05")
    assert cumulative_update(undated, later) is None


def test_a_negated_count_is_no_update():
    denied = count(40, 40, "2016-03-03", negated=True)
    later = count(63, 63, "2016-03-05")
    assert cumulative_update(denied, later) is None
    assert cumulative_update(later, denied) is None


# --- 2. corrections -----------------------------------------------------------------------------


def reach_of(corrects: dict[int, list[int]]):
    """corrected_from over a correction graph, as detection's CorrectionReach computes it."""

    def corrected_from(source: int) -> frozenset[int]:
        seen, todo = set(), list(corrects.get(source, ()))
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(corrects.get(current, ()))
        return frozenset(seen)

    return corrected_from


def test_a_claim_in_a_correcting_source_supersedes_the_claim_it_corrects():
    reach = reach_of({7: [6]})
    assert correction_between(1, frozenset({6}), 2, frozenset({7}), reach) == (2, 1)
    assert correction_between(2, frozenset({7}), 1, frozenset({6}), reach) == (2, 1)


def test_a_correction_chain_runs_through_several_sources():
    # 3 corrects 2, which corrects 1: a claim in 3 corrects one made in 1 and repeated in 2.
    reach = reach_of({3: [2], 2: [1]})
    assert correction_between(1, frozenset({1}), 9, frozenset({3}), reach) == (9, 1)
    assert correction_between(1, frozenset({1, 2}), 9, frozenset({3}), reach) == (9, 1)


def test_a_corrected_claim_that_also_appears_outside_the_chain_is_not_superseded():
    # The claim stands in source 4 too, which nothing corrects.
    reach = reach_of({3: [2], 2: [1]})
    assert correction_between(1, frozenset({1, 4}), 9, frozenset({3}), reach) is None


def test_a_claim_in_an_uncorrected_source_is_not_superseded():
    reach = reach_of({7: [6]})
    assert correction_between(1, frozenset({5}), 2, frozenset({7}), reach) is None


def test_a_claim_without_appearances_is_not_corrected():
    reach = reach_of({7: [6]})
    assert correction_between(1, frozenset(), 2, frozenset({7}), reach) is None


def test_two_claims_in_the_correcting_source_itself_do_not_correct_each_other():
    reach = reach_of({7: [6]})
    assert correction_between(1, frozenset({7}), 2, frozenset({7}), reach) is None


def test_sources_that_correct_each_other_decide_nothing():
    reach = reach_of({7: [6], 6: [7]})
    assert correction_between(1, frozenset({6}), 2, frozenset({7}), reach) is None
