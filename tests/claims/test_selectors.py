import datetime

import pytest

from claims.core.values import PartialDate
from claims.selectors.claims import claim_reference_date, independent_sources_by_claim
from tests.factories import AppearanceFactory, ClaimFactory, OutletFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_claim_reference_date_is_the_earliest_publication_date_at_its_precision():
    sources = [
        SourceFactory(published=datetime.date(2016, 1, 1), published_precision="year"),
        SourceFactory(published=datetime.date(2015, 6, 25), published_precision="day"),
        SourceFactory(published=None, published_precision=""),
    ]

    reference = claim_reference_date(source_ids=[source.pk for source in sources])

    assert reference == PartialDate(2015, 6, 25)


def test_claim_reference_date_prefers_the_more_precise_of_two_dates_starting_the_same_day():
    year = SourceFactory(published=datetime.date(2015, 1, 1), published_precision="year")
    day = SourceFactory(published=datetime.date(2015, 1, 1), published_precision="day")

    reference = claim_reference_date(source_ids=[year.pk, day.pk])

    assert reference.precision.value == "day"


def test_claim_reference_date_is_none_without_a_dated_source():
    undated = SourceFactory(published=None, published_precision="")

    assert claim_reference_date(source_ids=[undated.pk]) is None
    assert claim_reference_date(source_ids=[]) is None


def test_independent_sources_count_appearances_of_one_outlet_once():
    claim = ClaimFactory()
    outlet = OutletFactory()
    AppearanceFactory(claim=claim, source=SourceFactory(outlet=outlet), position=0)
    AppearanceFactory(claim=claim, source=SourceFactory(outlet=outlet), position=1)
    AppearanceFactory(claim=claim, source=SourceFactory(), position=2)

    assert independent_sources_by_claim([claim.pk]) == {claim.pk: 2}


def test_independent_sources_follow_cites_to_a_shared_root():
    claim = ClaimFactory()
    wire = SourceFactory()
    rewrite_a, rewrite_b = SourceFactory(), SourceFactory()
    rewrite_a.cites.add(wire)
    rewrite_b.cites.add(wire)
    AppearanceFactory(claim=claim, source=rewrite_a, position=0)
    AppearanceFactory(claim=claim, source=rewrite_b, position=1)

    assert independent_sources_by_claim() == {claim.pk: 1}


def test_independent_sources_follow_via_before_cites():
    claim = ClaimFactory()
    video = SourceFactory()
    first = AppearanceFactory(claim=claim, position=0)
    second = AppearanceFactory(claim=claim, position=1)
    first.via.add(video)
    second.via.add(video)

    assert independent_sources_by_claim([claim.pk]) == {claim.pk: 1}
