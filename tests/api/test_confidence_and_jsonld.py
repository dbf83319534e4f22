import itertools
from pathlib import Path

import pytest
from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader

from claims.core.confidence import Likelihood
from claims.models import Claim, ClaimRating
from claims.selectors.claims import claims_confidence
from tests.factories import AppearanceFactory, ClaimFactory, OutletFactory, SourceFactory

pytestmark = pytest.mark.django_db

FACTS = "/api/v1/facts/"
SCHEMA = "http://schema.org/"
# schema.org's context as the tracker ships it: every term it emits, and no other (no @vocab,
# so a misspelt term would be dropped by expansion and caught below).
CONTEXT = Path(__file__).resolve().parents[2] / "claims" / "apis" / "schemaorg-context.jsonld"
LOADER = FrozenDocumentLoader(
    documents={"https://schema.org": CONTEXT, "http://schema.org/": CONTEXT}
)


def rate(claim, reviewer, likelihood, confidence="moderate", credibility="2"):
    return ClaimRating.objects.create(
        claim=claim,
        reviewer=reviewer,
        likelihood=likelihood,
        confidence=confidence,
        credibility=credibility,
        suggested_credibility=credibility,
        rationale="Checked against the wire reports.",
    )


@pytest.fixture
def reviewers(django_user_model):
    return [django_user_model.objects.create_user(username=f"r{i}") for i in range(3)]


def test_a_fact_carries_its_current_confidence(anonymous, reviewers):
    fact = ClaimFactory(status=Claim.Status.VETTED)
    unrated = ClaimFactory(status=Claim.Status.VETTED)
    rate(fact, reviewers[0], "likely")
    rate(fact, reviewers[1], "very_likely", confidence="high")
    data = anonymous.get(f"{FACTS}{fact.key}/").json()
    assert data["confidence"] == {
        "likelihood": "likely",
        "likelihood_label": "likely",
        "likelihood_low": 55,
        "likelihood_high": 80,
        "confidence": "moderate",
        "credibility": "2",
        "ratings": 2,
    }
    assert anonymous.get(f"{FACTS}{unrated.key}/").json()["confidence"] is None


def test_min_likelihood_filter_agrees_with_the_consensus_for_every_mix_of_ratings(
    anonymous, reviewers
):
    bands = ["unlikely", "likely", "almost_certain"]
    claims = []
    for count in range(4):
        for mix in itertools.combinations_with_replacement(bands, count):
            claim = ClaimFactory(status=Claim.Status.VETTED)
            for reviewer, band in zip(reviewers, mix, strict=False):
                rate(claim, reviewer, band)
            claims.append(claim)
    consensus = claims_confidence([c.pk for c in claims])
    ranks = Likelihood.values
    for threshold in ("unlikely", "likely", "very_likely", "almost_certain"):
        expected = [
            c.key
            for c in claims
            if c.pk in consensus
            and ranks.index(consensus[c.pk].likelihood) >= ranks.index(threshold)
        ]
        response = anonymous.get(FACTS, {"min_likelihood": threshold, "page_size": 200})
        assert [f["key"] for f in response.json()["results"]] == expected, threshold


def test_a_superseded_rating_does_not_count_for_the_filter(anonymous, reviewers):
    from django.utils import timezone

    claim = ClaimFactory(status=Claim.Status.VETTED)
    old = rate(claim, reviewers[0], "almost_certain")
    old.superseded_at = timezone.now()
    old.save()
    rate(claim, reviewers[0], "unlikely")
    assert anonymous.get(FACTS, {"min_likelihood": "likely"}).json()["results"] == []


def _terms(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("@"):
                found.add(key)
            _terms(value, found)
    elif isinstance(node, list):
        for item in node:
            _terms(item, found)
    return found


def test_jsonld_is_a_claim_review_that_expands_against_the_shipped_context(anonymous, reviewers):
    fact = ClaimFactory(status=Claim.Status.VETTED)
    source = SourceFactory(outlet=OutletFactory(name="Reuters"), url="https://example.org/a")
    AppearanceFactory(claim=fact, source=source, speaker_description="a Libyan commander")
    rate(fact, reviewers[0], "very_likely")
    response = anonymous.get(f"{FACTS}{fact.key}/", {"format": "jsonld"})
    assert response["Content-Type"].startswith("application/ld+json")
    document = response.json()
    expanded = jsonld.expand(document, {"documentLoader": LOADER})
    # Nothing dropped: every term the tracker wrote has a definition in the context.
    context_terms = set(
        jsonld.load_document("https://schema.org", {"documentLoader": LOADER})["document"][
            "@context"
        ]
    )
    assert _terms(document, set()) <= context_terms
    [review] = expanded
    assert review["@type"] == [f"{SCHEMA}ClaimReview"]
    assert review[f"{SCHEMA}claimReviewed"] == [{"@value": fact.text}]
    [rating] = review[f"{SCHEMA}reviewRating"]
    assert rating[f"{SCHEMA}ratingValue"] == [{"@value": 6}]
    assert rating[f"{SCHEMA}bestRating"] == [{"@value": 7}]
    assert rating[f"{SCHEMA}alternateName"] == [{"@value": "very likely"}]
    [claim] = review[f"{SCHEMA}itemReviewed"]
    assert claim["@type"] == [f"{SCHEMA}Claim"]
    [appearance] = claim[f"{SCHEMA}appearance"]
    assert appearance[f"{SCHEMA}text"] == [{"@value": "At least 400 fighters escaped the city"}]
    [work] = appearance[f"{SCHEMA}isPartOf"]
    assert work[f"{SCHEMA}url"] == [{"@id": "https://example.org/a"}]
    assert work[f"{SCHEMA}datePublished"] == [{"@type": f"{SCHEMA}Date", "@value": "2015-07"}]
    [publisher] = work[f"{SCHEMA}publisher"]
    assert publisher[f"{SCHEMA}name"] == [{"@value": "Reuters"}]


def test_a_page_of_facts_as_jsonld_is_a_graph_of_reviews(anonymous):
    ClaimFactory(status=Claim.Status.VETTED)
    ClaimFactory(status=Claim.Status.VETTED)
    document = anonymous.get(FACTS, {"format": "jsonld"}).json()
    expanded = jsonld.expand(document, {"documentLoader": LOADER})
    assert [node["@type"] for node in expanded] == [[f"{SCHEMA}ClaimReview"]] * 2
    # Unrated facts have no rating rather than an invented one.
    assert all(f"{SCHEMA}reviewRating" not in node for node in expanded)
