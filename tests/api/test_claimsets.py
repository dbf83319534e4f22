import json
from pathlib import Path

import pytest

from claims.models import Appearance, Claim, ClaimStatusChange
from claims.services.claimsets import import_claimset
from sources.models import Outlet, Source

pytestmark = pytest.mark.django_db

URL = "/api/v1/claimsets/"
DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "libya.claimset.json"


def _demo_without_grades() -> bytes:
    """The demo claimset as an editor may send it: outlet grades are a reviewer's to give
    (tests/claims/test_claimset_import.py shows an editor's grade refused)."""
    document = json.loads(DEMO_FILE.read_text())
    for outlet in document["outlets"]:
        outlet.pop("reliability", None)
    return json.dumps(document).encode()


def post(client, body: bytes | str):
    if isinstance(body, str):
        body = body.encode()
    return client.generic("POST", URL, body, content_type="application/json")


def test_the_demo_claimset_is_imported_with_counts_and_a_second_time_changes_nothing(
    editor_client, django_capture_on_commit_callbacks
):
    body = _demo_without_grades()
    document = json.loads(body)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(editor_client, body)
    assert first.status_code == 201
    counts = first.json()["counts"]
    assert first.json()["changed"] is True
    assert counts["claims"] == {"created": len(document["claims"]), "updated": 0, "unchanged": 0}
    assert counts["sources"]["created"] == len(document["sources"])
    assert Claim.objects.count() == len(document["claims"])
    stored = {c.key: c.updated_at for c in Claim.objects.all()}
    again = post(editor_client, body)
    assert again.status_code == 200
    assert again.json()["changed"] is False
    assert again.json()["counts"]["claims"] == {
        "created": 0,
        "updated": 0,
        "unchanged": len(document["claims"]),
    }
    assert {c.key: c.updated_at for c in Claim.objects.all()} == stored


def test_a_broken_claimset_is_a_400_with_every_error_path_and_writes_nothing(editor_client):
    document = json.loads(_demo_without_grades().decode())
    document["claims"][4]["value"] = {
        "quantity": {"low": "four hundred", "high": None, "unit": "fighters"}
    }
    document["sources"][0]["published"] = "July"
    document["claims"][0]["subject"] = "nobody-at-all"
    response = post(editor_client, json.dumps(document))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "invalid"
    paths = {e["path"] for e in body["errors"]}
    assert "claims[4].value.quantity.low" in paths
    assert "sources[0].published" in paths
    assert "claims[0].subject" in paths
    assert not Claim.objects.exists()
    assert not Source.objects.exists()


def test_a_body_that_is_not_json_is_a_400(editor_client):
    response = post(editor_client, "{not json")
    assert response.status_code == 400
    assert "Not valid JSON" in response.json()["message"]


def test_a_body_over_the_limit_is_a_413_and_nothing_is_written(editor_client, settings):
    settings.API_CLAIMSET_MAX_BYTES = 1000
    response = post(editor_client, _demo_without_grades())
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Claim.objects.exists()


def test_a_body_that_is_not_declared_json_is_a_415(editor_client):
    response = editor_client.generic("POST", URL, b"format=claimset/1", content_type="text/plain")
    assert response.status_code == 415


def test_reading_the_body_is_not_capped_by_djangos_form_limit(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100  # what request.body would refuse
    response = post(editor_client, _demo_without_grades())
    assert response.status_code == 201


# --- review decisions, history and what cannot be stored (issue 11) -------------------------------


def minimal(**claim_fields) -> dict:
    from tests.claims.test_claimset_import import minimal as claimset

    return claimset(**claim_fields)


def stored_state() -> list:
    return [
        list(Outlet.objects.values_list("key", "reliability")),
        list(Claim.objects.values_list("key", "text", "status", "version", "quantity_low")),
        list(Appearance.objects.values_list("claim__key", "quote")),
        ClaimStatusChange.objects.count(),
        Claim.history.count(),
        Outlet.history.count(),
    ]


def graded(reliability: str, **claim_fields) -> dict:
    document = minimal(**claim_fields)
    document["outlets"][0]["reliability"] = reliability
    return document


def test_an_editor_grading_an_outlet_is_a_400_naming_the_path_and_writes_nothing(editor_client):
    import_claimset(graded("B"))
    before = stored_state()

    response = post(editor_client, json.dumps(graded("F", text="Changed.")))

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["outlets[0].reliability"]
    assert "may not grade outlets" in response.json()["errors"][0]["message"]
    assert stored_state() == before


def test_a_reviewer_grades_an_outlet_and_changes_a_status_through_the_api(
    reviewer_client, reviewer
):
    import_claimset(graded("B"))

    response = post(reviewer_client, json.dumps(graded("F", status="disputed")))

    assert response.status_code == 201
    assert Outlet.objects.get(key="o1").reliability == "F"
    claim = Claim.objects.get(key="c1")
    assert claim.status == Claim.Status.DISPUTED
    assert ClaimStatusChange.objects.get(claim=claim).changed_by == reviewer


def test_an_editor_changing_a_status_is_a_400_naming_the_path(editor_client):
    import_claimset(minimal())
    before = stored_state()

    response = post(editor_client, json.dumps(minimal(status="refuted")))

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["claims[0].status"]
    assert stored_state() == before


def test_leaving_the_grade_out_keeps_it_and_history_names_the_sender(editor_client, editor):
    import_claimset(graded("B"))

    response = post(editor_client, json.dumps(minimal(text="A changed wording.")))

    assert response.status_code == 201
    assert Outlet.objects.get(key="o1").reliability == "B"
    latest = Claim.objects.get(key="c1").history.first()
    assert (latest.text, latest.history_user) == ("A changed wording.", editor)


def test_a_material_change_takes_a_vetted_claim_out_of_the_facts(editor_client, anonymous):
    import_claimset(minimal())
    Claim.objects.filter(key="c1").update(status=Claim.Status.VETTED)
    assert [f["key"] for f in anonymous.get("/api/v1/facts/").json()["results"]] == ["c1"]

    assert post(editor_client, json.dumps(minimal())).status_code == 200  # identical: kept
    assert Claim.objects.get(key="c1").status == Claim.Status.VETTED
    response = post(editor_client, json.dumps(minimal(text="At least 500 fighters escaped.")))

    assert response.status_code == 201
    assert Claim.objects.get(key="c1").status == Claim.Status.UNDER_REVIEW
    assert anonymous.get("/api/v1/facts/").json()["results"] == []
    assert "material change" in ClaimStatusChange.objects.get().reason


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ('"low": 1e309', "claims[0].value.quantity.low"),
        ('"low": -1e309', "claims[0].value.quantity.low"),
        ('"low": NaN', "claims[0].value.quantity.low"),
        ('"low": Infinity', "claims[0].value.quantity.low"),
        ('"low": 400, "unit": "\\ud800"', "claims[0].value.quantity.unit"),
        ('"low": 400, "unit": "fighters\\u0000"', "claims[0].value.quantity.unit"),
        ('"low": 400, "\\udfff": 1', "claims[0].value.quantity.\\udfff"),
    ],
)
def test_what_cannot_be_stored_is_a_400_naming_the_path_and_writes_nothing(
    editor_client, raw, path
):
    import_claimset(minimal())
    before = stored_state()
    body = json.dumps(minimal(text="Changed.", value={"quantity": {"low": 1}}))
    body = body.replace('"low": 1', raw)

    response = post(editor_client, body)

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == [path]
    assert stored_state() == before
