"""Updates and corrections in the API: a superseded claim is no fact, the fact that replaced it
names it, ClaimReview JSON-LD is as before, and sources say which sources they correct."""

import pytest

from claims.models import Claim, Supersession
from sources.models import Source, SourceCorrection
from tests.factories import ClaimFactory, PredicateFactory, SourceFactory

pytestmark = pytest.mark.django_db

FACTS = "/api/v1/facts/"


def supersede(newer: Claim, older: Claim, **fields) -> Supersession:
    return Supersession.objects.create(
        newer=newer,
        older=older,
        reason=fields.pop("reason", Supersession.Reason.UPDATE),
        explanation="at least 63 people on 2016-03-05 updates 40 people on 2016-03-03",
        detected_by="supersession/1",
        fingerprint="f" * 32,
        last_detected_at=newer.created_at,
        **fields,
    )


def keys(response) -> list[str]:
    return [fact["key"] for fact in response.json()["results"]]


def test_a_superseded_claim_is_not_served_as_a_fact(anonymous):
    older = ClaimFactory(status=Claim.Status.VETTED)
    newer = ClaimFactory(status=Claim.Status.VETTED)
    supersede(newer, older)

    assert keys(anonymous.get(FACTS)) == [newer.key]
    assert anonymous.get(f"{FACTS}{older.key}/").status_code == 404


def test_the_fact_that_superseded_a_claim_names_what_it_replaced(anonymous):
    older = ClaimFactory(status=Claim.Status.VETTED)
    newer = ClaimFactory(status=Claim.Status.VETTED)
    supersede(newer, older, reason=Supersession.Reason.CORRECTION)

    listed = anonymous.get(FACTS).json()["results"][0]
    detail = anonymous.get(f"{FACTS}{newer.key}/").json()

    assert (
        listed["replaces"] == detail["replaces"] == [{"claim": older.key, "reason": "correction"}]
    )


def test_an_undone_or_lapsed_supersession_hides_nothing(anonymous):
    older = ClaimFactory(status=Claim.Status.VETTED)
    newer = ClaimFactory(status=Claim.Status.VETTED)
    supersede(newer, older, status=Supersession.Status.UNDONE, undone_reason="a second blast")

    assert sorted(keys(anonymous.get(FACTS))) == sorted([older.key, newer.key])
    assert anonymous.get(f"{FACTS}{newer.key}/").json()["replaces"] == []


def test_claim_review_jsonld_is_unaffected_by_a_supersession(anonymous):
    older = ClaimFactory(status=Claim.Status.VETTED)
    newer = ClaimFactory(status=Claim.Status.VETTED)
    before = anonymous.get(f"{FACTS}{newer.key}/", {"format": "jsonld"}).json()
    supersede(newer, older)

    after = anonymous.get(f"{FACTS}{newer.key}/", {"format": "jsonld"}).json()

    assert after == before


def test_a_facts_predicate_says_whether_it_is_cumulative(anonymous):
    fact = ClaimFactory(status=Claim.Status.VETTED, predicate=PredicateFactory(cumulative=True))

    assert anonymous.get(f"{FACTS}{fact.key}/").json()["predicate"]["cumulative"] is True


def test_an_editor_sets_which_sources_a_source_corrects(editor_client):
    SourceFactory(key="first")
    created = editor_client.post(
        "/api/v1/sources/",
        {"key": "fix", "title": "Correction", "corrects": ["first"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["corrects"] == ["first"]
    assert SourceCorrection.objects.get().corrected == Source.objects.get(key="first")

    cleared = editor_client.patch("/api/v1/sources/fix/", {"corrects": []}, format="json")
    assert cleared.json()["corrects"] == []
    assert not SourceCorrection.objects.exists()


def test_a_source_cannot_correct_itself_in_the_api(editor_client):
    SourceFactory(key="fix")
    response = editor_client.patch("/api/v1/sources/fix/", {"corrects": ["fix"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "corrects"
