"""The facts' stored documents: served byte for byte as the per-request rendering was, and
rebuilt by every write that changes what a fact shows."""

import copy
import io
import json
from collections import OrderedDict

import pytest
from django.core.management import call_command
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from claims.apis.renderers import ClaimReviewRenderer, FactsCSVRenderer
from claims.models import AppearanceVia, Claim, FactDocument
from claims.selectors.claims import (
    claims_annotate_for_api,
    facts_annotate_replaced,
    facts_queryset,
)
from claims.selectors.facts import fact_data
from claims.services import detection
from claims.services.claims import (
    AppearanceInput,
    claim_rate,
    claim_save,
    claim_status_change,
    contradiction_decide,
    predicate_save,
    supersession_undo,
)
from claims.services.claimsets import import_claimset
from claims.services.fact_documents import fact_documents_refresh
from sources.models import Outlet, Source
from sources.services import entity_save, outlet_grade, outlet_save, source_save
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    OutletFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

FACTS = "/api/v1/facts/"


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def vetted(**kwargs) -> Claim:
    claim = ClaimFactory(status=Claim.Status.VETTED, **kwargs)
    AppearanceFactory(claim=claim, source=SourceFactory(outlet=OutletFactory(reliability="C")))
    return claim


def served(claim: Claim) -> dict | None:
    """The claim's stored document as a consumer gets it, None when it has none."""
    document = FactDocument.objects.filter(claim=claim).first()
    return None if document is None else json.loads(document.body)


def stored(*claims: Claim) -> None:
    fact_documents_refresh(claim_ids=[c.pk for c in claims])
    for claim in claims:
        assert served(claim) is not None


# --- what is served -----------------------------------------------------------------------------


def per_request_data(url_of):
    """The page as the facts API built it on every request before documents were stored."""
    claims = list(facts_queryset().order_by("pk"))
    claims_annotate_for_api(claims)
    facts_annotate_replaced(claims)
    results = [fact_data(c) for c in claims]
    return OrderedDict([("next", None), ("previous", None), ("results", results)]), results


def test_stored_documents_are_served_byte_for_byte_as_the_per_request_rendering(
    anonymous, reviewer
):
    fact = vetted(text="Über 400 fighters\u2028escaped «Sirte» =SUM(1)")
    relayed = AppearanceFactory(claim=fact, source=SourceFactory(title="Naïve"), position=1)
    AppearanceVia.objects.create(appearance=relayed, source=SourceFactory())
    other = vetted()
    ContradictionFactory(claim_a=fact, claim_b=ClaimFactory())
    claim_rate(
        by=reviewer,
        claim_id=other.pk,
        likelihood="likely",
        confidence="moderate",
        credibility="2",
        rationale="Two outlets.",
    )

    class View:
        @staticmethod
        def fact_url(key):
            # DRF's reverse keeps the ?format= the request named.
            return f"http://testserver{FACTS}{key}/?format=jsonld"

    page, results = per_request_data(View.fact_url)
    context = {"view": View}
    expected = {
        "json": JSONRenderer().render(page),
        "csv": FactsCSVRenderer().render(page),
        "jsonld": ClaimReviewRenderer().render(page, renderer_context=context),
    }
    for format_, content in expected.items():
        response = anonymous.get(FACTS, {"format": format_} if format_ != "json" else {})
        assert response.content == content, format_
    for claim, data in zip((fact, other), results, strict=True):
        url = f"{FACTS}{claim.key}/"
        assert anonymous.get(url).content == JSONRenderer().render(data)
        assert anonymous.get(url, {"format": "csv"}).content == FactsCSVRenderer().render(data)
        assert anonymous.get(url, {"format": "jsonld"}).content == ClaimReviewRenderer().render(
            data, renderer_context=context
        )


def test_a_page_is_one_query_when_its_documents_are_stored(anonymous, django_assert_num_queries):
    facts = [vetted() for _ in range(5)]
    stored(*facts)
    with django_assert_num_queries(1):
        response = anonymous.get(FACTS, {"page_size": 3})
    assert [f["key"] for f in response.json()["results"]] == [f.key for f in facts[:3]]


def test_a_fact_without_a_document_gets_one_when_first_served(anonymous):
    fact = vetted()
    assert served(fact) is None
    assert anonymous.get(f"{FACTS}{fact.key}/").json()["key"] == fact.key
    assert served(fact)["key"] == fact.key


def test_the_etag_follows_the_documents_and_a_match_is_a_304(anonymous, editor):
    fact = vetted()
    stored(fact)
    etag = anonymous.get(FACTS)["ETag"]
    assert anonymous.get(FACTS, HTTP_IF_NONE_MATCH=etag).status_code == 304
    outlet = fact.appearances.get().source.outlet
    outlet.name = "Renamed"
    outlet_save(by=editor, outlet=outlet)
    response = anonymous.get(FACTS, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_the_build_command_writes_missing_documents_and_drops_stale_ones():
    fact, demoted = vetted(), vetted()
    stored(demoted)
    Claim.objects.filter(pk=demoted.pk).update(status=Claim.Status.UNDER_REVIEW)
    call_command("build_fact_documents", stdout=io.StringIO())
    assert served(fact)["key"] == fact.key
    assert served(demoted) is None


# --- each write that changes what a fact shows rebuilds its document -------------------------


def test_a_material_change_returns_the_claim_to_review_and_its_document_goes(editor):
    fact = vetted()
    stored(fact)
    fact.text = "At least 500 fighters escaped."
    claim_save(by=editor, claim=fact, expected_version=fact.version)
    assert served(fact) is None


def test_a_rating_shows_in_the_document(reviewer):
    fact = vetted()
    stored(fact)
    assert served(fact)["confidence"] is None
    claim_rate(
        by=reviewer,
        claim_id=fact.pk,
        likelihood="very_likely",
        confidence="high",
        credibility="2",
    )
    assert served(fact)["confidence"]["likelihood"] == "very_likely"


def test_vetting_serves_a_claim_and_refuting_withdraws_it(reviewer):
    claim = ClaimFactory()
    AppearanceFactory(claim=claim)
    claim_rate(
        by=reviewer, claim_id=claim.pk, likelihood="likely", confidence="high", credibility="2"
    )
    assert served(claim) is None
    claim_status_change(by=reviewer, claim_id=claim.pk, status="vetted", reason="Checked.")
    assert served(claim)["key"] == claim.key
    claim_status_change(by=reviewer, claim_id=claim.pk, status="refuted", reason="Wrong.")
    assert served(claim) is None


def test_a_flag_decision_changes_the_open_count(reviewer):
    fact = vetted()
    flag = ContradictionFactory(claim_a=fact, claim_b=ClaimFactory())
    stored(fact)
    assert served(fact)["open_contradictions"] == 1
    contradiction_decide(
        by=reviewer, contradiction_id=flag.pk, status="dismissed", reason="Different places."
    )
    assert served(fact)["open_contradictions"] == 0


def test_an_outlet_grade_and_name_show(reviewer, editor):
    fact = vetted()
    stored(fact)
    outlet = fact.appearances.get().source.outlet
    outlet_grade(by=reviewer, outlet_id=outlet.pk, reliability="A")
    assert served(fact)["appearances"][0]["source"]["outlet"]["reliability"] == "A"
    outlet = Outlet.objects.get(pk=outlet.pk)
    outlet.name = "The Herald"
    outlet_save(by=editor, outlet=outlet)
    assert served(fact)["appearances"][0]["source"]["outlet"]["name"] == "The Herald"


def test_an_entity_name_shows(editor):
    fact = vetted()
    stored(fact)
    subject = fact.subject
    subject.name = "Islamic State"
    entity_save(by=editor, entity=subject)
    assert served(fact)["subject"]["name"] == "Islamic State"


def test_a_source_title_and_its_citations_show(editor):
    fact = vetted()
    second = SourceFactory()
    claim_save(
        by=editor,
        claim=Claim.objects.get(pk=fact.pk),
        appearances=[AppearanceInput(source=second)],
    )
    # Adding an appearance returned it to review; vetted again as a reviewer would.
    Claim.objects.filter(pk=fact.pk).update(status=Claim.Status.VETTED)
    stored(fact)
    assert served(fact)["independent_sources"] == 2
    source = Source.objects.get(pk=second.pk)
    source.title = "A new title"
    source_save(by=editor, source=source, cites=[fact.appearances.first().source])
    document = served(fact)
    assert document["appearances"][1]["source"]["title"] == "A new title"
    assert document["independent_sources"] == 1


def test_a_predicate_name_shows(editor):
    fact = vetted()
    stored(fact)
    predicate = fact.predicate
    predicate.name = "fighters who escaped"
    predicate_save(by=editor, predicate=predicate)
    assert served(fact)["predicate"]["name"] == "fighters who escaped"


def test_the_claimset_import_refreshes_what_its_batches_change():
    fact = vetted()
    stored(fact)
    source = fact.appearances.get().source
    outlet = source.outlet
    import_claimset(
        {
            "format": "claimset/1",
            "outlets": [
                {
                    "key": outlet.key,
                    "name": "Imported name",
                    "kind": "newspaper",
                    "reliability": "B",
                }
            ],
            "entities": [
                {"key": fact.subject.key, "name": "Imported subject", "kind": "organization"}
            ],
            "sources": [
                {
                    "key": source.key,
                    "title": "Imported title",
                    "outlet": outlet.key,
                    "published": "2015-07",
                }
            ],
        }
    )
    document = served(fact)
    assert document["subject"]["name"] == "Imported subject"
    assert document["appearances"][0]["source"]["title"] == "Imported title"
    assert document["appearances"][0]["source"]["outlet"] == {
        "key": outlet.key,
        "name": "Imported name",
        "reliability": "B",
    }


CUMULATIVE = {
    "format": "claimset/1",
    "outlets": [{"key": "wire", "name": "A Wire", "kind": "wire"}],
    "entities": [{"key": "bombing", "name": "Harbour bombing", "kind": "event"}],
    "predicates": [
        {
            "key": "killed",
            "name": "number killed in the bombing",
            "value_type": "quantity",
            "unit": "people",
            "cumulative": True,
        }
    ],
    "sources": [
        {"key": "d3", "title": "Bombing kills 40", "outlet": "wire", "published": "2016-03-03"},
        {"key": "d5", "title": "Toll rises to 63", "outlet": "wire", "published": "2016-03-05"},
    ],
    "claims": [
        {
            "key": key,
            "text": f"{n} people were killed in the bombing.",
            "subject": "bombing",
            "predicate": "killed",
            "value": {"quantity": {"as_written": n}},
            "appearances": [{"source": source}],
        }
        for key, n, source in (("k40", "40", "d3"), ("k63", "at least 63", "d5"))
    ],
}


def test_a_superseded_claim_is_not_served_and_its_successor_names_it(reviewer):
    import_claimset(copy.deepcopy(CUMULATIVE))
    Claim.objects.update(status=Claim.Status.VETTED)
    older, newer = Claim.objects.get(key="k40"), Claim.objects.get(key="k63")
    stored(older, newer)
    detection.scan_run_here(requested_by="test")
    assert served(older) is None
    assert served(newer)["replaces"] == [{"claim": "k40", "reason": "update"}]
    supersession_undo(
        supersession_id=newer.supersessions_as_newer.get().pk, by=reviewer, reason="Not a count."
    )
    assert served(older)["key"] == "k40"
    assert served(newer)["replaces"] == []


def test_the_incremental_check_refreshes_the_facts_it_flags(editor):
    fact = vetted()
    stored(fact)
    rival = ClaimFactory(
        subject=fact.subject,
        predicate=fact.predicate,
        value_as_written="at most 100",
        quantity_low=None,
        quantity_high=100.0,
        quantity_given_low=None,
        quantity_given_high=100.0,
    )
    AppearanceFactory(claim=rival)
    detection.claims_check(claim_ids=[rival.pk])
    assert served(fact)["open_contradictions"] == 1
