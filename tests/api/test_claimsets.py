import json
from pathlib import Path

import pytest

from claims.models import Claim
from sources.models import Source

pytestmark = pytest.mark.django_db

URL = "/api/v1/claimsets/"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "libya.claimset.json"


def post(client, body: bytes | str):
    if isinstance(body, str):
        body = body.encode()
    return client.generic("POST", URL, body, content_type="application/json")


def test_the_demo_claimset_is_imported_with_counts_and_a_second_time_changes_nothing(
    editor_client, django_capture_on_commit_callbacks
):
    body = DEMO.read_bytes()
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
    document = json.loads(DEMO.read_text())
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
    response = post(editor_client, DEMO.read_bytes())
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Claim.objects.exists()


def test_a_body_that_is_not_declared_json_is_a_415(editor_client):
    response = editor_client.generic("POST", URL, b"format=claimset/1", content_type="text/plain")
    assert response.status_code == 415


def test_reading_the_body_is_not_capped_by_djangos_form_limit(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100  # what request.body would refuse
    response = post(editor_client, DEMO.read_bytes())
    assert response.status_code == 201
