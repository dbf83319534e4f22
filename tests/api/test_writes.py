import pytest

from claims.models import Claim, ClaimStatusChange, Contradiction
from sources.models import Outlet, Source
from tests.factories import (
    ClaimFactory,
    ContradictionFactory,
    EntityFactory,
    OutletFactory,
    PredicateFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def test_a_claim_is_created_with_its_phrase_parsed_as_the_admin_does(editor_client):
    subject = EntityFactory(name="Islamic State")
    predicate = PredicateFactory(name="number of fighters who escaped", unit="km")
    source = SourceFactory(text="Some 150 miles of road were held.")
    response = editor_client.post(
        "/api/v1/claims/",
        {
            "text": "They held some 150 miles of road.",
            "subject": "islamic state",
            "predicate": predicate.key,
            "value_as_written": "about 150 miles",
            "appearances": [{"source": source.key, "quote": "Some 150 miles of road"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["key"].startswith("claim-")
    assert data["subject"] == subject.key
    claim = Claim.objects.get(key=data["key"])
    assert claim.quantity_given_unit in ("mi", "miles")
    assert round(claim.quantity_low, 1) == round(135 * 1.609344, 1)
    assert data["appearances"][0]["source"] == source.key


def test_a_phrase_that_cannot_be_read_is_a_400_on_its_field(editor_client):
    predicate = PredicateFactory()
    response = editor_client.post(
        "/api/v1/claims/",
        {"text": "Many escaped.", "predicate": predicate.key, "value_as_written": "a great many"},
        format="json",
    )
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["value_as_written"]
    assert not Claim.objects.exists()


def test_a_quote_not_in_its_source_is_a_400_with_its_path(editor_client):
    source = SourceFactory(text="Nothing of the sort.")
    response = editor_client.post(
        "/api/v1/claims/",
        {"text": "Ten escaped.", "appearances": [{"source": source.key, "quote": "Ten escaped"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "appearances[0].quote"


def test_a_duplicate_key_is_a_409(editor_client):
    ClaimFactory(key="taken")
    response = editor_client.post(
        "/api/v1/claims/", {"key": "taken", "text": "Again."}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["path"] == "key"


def test_an_update_reruns_the_contradiction_check_on_commit(
    editor_client, django_capture_on_commit_callbacks
):
    subject, predicate = EntityFactory(), PredicateFactory()
    ClaimFactory(
        subject=subject, predicate=predicate, value_as_written="at least 400", quantity_low=400.0
    )
    other = ClaimFactory(
        subject=subject, predicate=predicate, value_as_written="at least 300", quantity_low=300.0
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.patch(
            f"/api/v1/claims/{other.key}/", {"value_as_written": "fewer than 100"}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert Contradiction.objects.filter(kind="quantity").count() == 1


def test_a_stale_version_is_a_409_and_changes_nothing(editor_client):
    claim = ClaimFactory(text="Original.")
    version = editor_client.get(f"/api/v1/claims/{claim.key}/").json()["version"]
    first = editor_client.patch(
        f"/api/v1/claims/{claim.key}/", {"text": "Theirs.", "version": version}, format="json"
    )
    assert (first.status_code, first.json()["version"]) == (200, version + 1)
    response = editor_client.patch(
        f"/api/v1/claims/{claim.key}/", {"text": "Mine.", "version": version}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["path"] == "version"
    assert "Theirs." in response.json()["message"]  # what changed since, from the history
    assert Claim.objects.get(pk=claim.pk).text == "Theirs."


def test_an_editor_may_not_change_a_status_and_a_reviewer_does_it_with_a_reason(
    editor_client, reviewer_client
):
    claim = ClaimFactory()
    body = {"status": "disputed", "status_reason": "Two outlets disagree."}
    assert (
        editor_client.patch(f"/api/v1/claims/{claim.key}/", body, format="json").status_code == 403
    )
    response = reviewer_client.patch(f"/api/v1/claims/{claim.key}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "disputed"
    assert ClaimStatusChange.objects.filter(claim=claim, to_status="disputed").exists()


def test_vetting_an_unrated_claim_is_a_400_saying_why(reviewer_client):
    claim = ClaimFactory()
    response = reviewer_client.patch(
        f"/api/v1/claims/{claim.key}/",
        {"status": "vetted", "status_reason": "Looks right."},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "status"


def test_sources_outlets_and_entities_are_created_and_updated_by_key(editor_client):
    outlet = editor_client.post(
        "/api/v1/outlets/",
        {"key": "lh", "name": "Libya Herald", "kind": "newspaper"},
        format="json",
    )
    assert outlet.status_code == 201, outlet.json()
    entity = editor_client.post(
        "/api/v1/entities/",
        {"key": "isis", "name": "Islamic State", "kind": "organization", "aliases": ["ISIS"]},
        format="json",
    )
    assert entity.status_code == 201, entity.json()
    assert entity.json()["aliases"] == ["ISIS"]
    source = editor_client.post(
        "/api/v1/sources/",
        {
            "key": "s1",
            "title": "Report",
            "outlet": "lh",
            "url": "https://www.example.org/a/",
            "published": "2015-07",
        },
        format="json",
    )
    assert source.status_code == 201, source.json()
    assert source.json()["published"] == "2015-07"
    assert Source.objects.get(key="s1").normalized_url
    renamed = editor_client.patch(
        "/api/v1/outlets/lh/", {"name": "The Libya Herald"}, format="json"
    )
    assert renamed.json()["name"] == "The Libya Herald"


def test_a_source_url_already_stored_is_a_409_on_url(editor_client):
    editor_client.post(
        "/api/v1/sources/",
        {"key": "a", "title": "A", "url": "https://example.org/x"},
        format="json",
    )
    response = editor_client.post(
        "/api/v1/sources/",
        {"key": "b", "title": "B", "url": "http://www.example.org/x/"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["path"] == "url"


def test_a_bad_partial_date_is_a_400(editor_client):
    response = editor_client.post(
        "/api/v1/sources/", {"key": "a", "title": "A", "published": "July 2015"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "published"


def test_grading_an_outlet_needs_a_reviewer(editor_client, reviewer_client):
    outlet = OutletFactory()
    url = f"/api/v1/outlets/{outlet.key}/"
    assert editor_client.patch(url, {"reliability": "B"}, format="json").status_code == 403
    assert reviewer_client.patch(url, {"reliability": "B"}, format="json").status_code == 200
    assert Outlet.objects.get(pk=outlet.pk).reliability == "B"


# --- contradictions ------------------------------------------------------------------------


def test_contradictions_list_open_and_confirmed_flags_with_both_claims(reader_client):
    isis = EntityFactory(name="Islamic State")
    shown = ContradictionFactory(claim_a=ClaimFactory(subject=isis))
    confirmed = ContradictionFactory(status="confirmed")
    ContradictionFactory(status="dismissed", dismissed_reason="Different battles.")
    data = reader_client.get("/api/v1/contradictions/").json()["results"]
    assert [f["id"] for f in data] == [shown.pk, confirmed.pk]
    assert data[0]["claim_a"]["text"] == shown.claim_a.text
    assert data[0]["claim_b"]["key"] == shown.claim_b.key
    by_subject = reader_client.get("/api/v1/contradictions/", {"subject": "islamic state"}).json()
    assert [f["id"] for f in by_subject["results"]] == [shown.pk]
    by_status = reader_client.get("/api/v1/contradictions/", {"status": "confirmed"}).json()
    assert [f["id"] for f in by_status["results"]] == [confirmed.pk]
    assert reader_client.get("/api/v1/contradictions/", {"kind": "date"}).json()["results"] == []


def test_a_reviewer_confirms_dismisses_and_resolves_flags(reviewer_client):
    flags = [ContradictionFactory() for _ in range(3)]
    url = "/api/v1/contradictions/{}/"
    ok = reviewer_client.patch(url.format(flags[0].pk), {"status": "confirmed"}, format="json")
    assert ok.json()["status"] == "confirmed"
    no_reason = reviewer_client.patch(
        url.format(flags[1].pk), {"status": "dismissed"}, format="json"
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["path"] == "dismissed_reason"
    dismissed = reviewer_client.patch(
        url.format(flags[1].pk),
        {"status": "dismissed", "dismissed_reason": "Two battles."},
        format="json",
    )
    assert dismissed.json()["status"] == "dismissed"
    resolved = reviewer_client.patch(
        url.format(flags[2].pk),
        {"status": "resolved", "refuted_claim": flags[2].claim_b.key},
        format="json",
    )
    assert resolved.json()["status"] == "resolved"
    assert Claim.objects.get(pk=flags[2].claim_b_id).status == "refuted"


def test_an_editor_may_not_decide_on_a_flag(editor_client):
    flag = ContradictionFactory()
    response = editor_client.patch(
        f"/api/v1/contradictions/{flag.pk}/", {"status": "confirmed"}, format="json"
    )
    assert response.status_code == 403
    assert Contradiction.objects.get(pk=flag.pk).status == "open"


def test_a_reference_that_cannot_be_a_key_is_a_400_not_a_database_error(editor_client):
    response = editor_client.post(
        "/api/v1/sources/", {"key": "a", "title": "A", "cites": ["bad\u0000key"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "cites"


@pytest.mark.parametrize("field", ["subject", "predicate", "speaker"])
def test_a_name_holding_a_nul_is_a_400_naming_its_field_not_a_database_error(editor_client, field):
    source = SourceFactory()
    body = {"text": "They held the road.", "appearances": [{"source": source.key}]}
    if field == "speaker":
        body["appearances"][0]["speaker"] = "a\u0000commander"
    else:
        body[field] = "Islamic\u0000State"

    response = editor_client.post("/api/v1/claims/", body, format="json")

    assert response.status_code == 400
    assert field in str(response.json())
    assert not Claim.objects.exists()


@pytest.mark.parametrize("parameter", ["subject", "predicate", "outlet"])
def test_a_filter_holding_a_nul_is_a_400_naming_it(client, parameter):
    response = client.get("/api/v1/facts/", {parameter: "Islamic\u0000State"})

    assert response.status_code == 400
    assert parameter in str(response.json())
