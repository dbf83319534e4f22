"""POST /api/v1/candidates/: the candidates/1 document for an article sent by a tool."""

import pytest

from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db

ARTICLE = (
    "A Libyan commander estimated that at least 400 ISIS fighters managed to escape Sirte "
    "in\u00a0May.\n\nThe \u201cbattle\u201d lasted nearly an hour on Thursday."
)


def test_an_editor_gets_the_candidates_with_offsets_into_the_text_as_sent(editor_client):
    EntityFactory(key="sirte", name="Sirte")
    response = editor_client.post(
        "/api/v1/candidates/", {"text": ARTICLE, "published": "2016-06-03"}, format="json"
    )
    assert response.status_code == 200
    document = response.json()
    assert document["format"] == "candidates/1"
    written = [
        (c["value"].get("quantity") or c["value"]["date"])["as_written"]
        for c in document["candidates"]
    ]
    assert written == ["at least 400", "May", "nearly an hour", "Thursday"]
    for candidate in document["candidates"]:
        assert ARTICLE[candidate["start"] : candidate["end"]] == candidate["quote"]
    first = document["candidates"][0]
    assert first["value"]["quantity"]["low"] == 400
    assert first["speaker"] == {"description": "A Libyan commander"}
    assert first["subject"] == {"entity": "sirte", "as_written": "Sirte"}
    assert document["candidates"][3]["value"]["date"]["from"] == "2016-06-02"


def test_a_bad_publication_date_is_a_400_naming_the_field(editor_client):
    response = editor_client.post(
        "/api/v1/candidates/", {"text": ARTICLE, "published": "June 2015"}, format="json"
    )
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["published"]


def test_text_is_required(editor_client):
    response = editor_client.post("/api/v1/candidates/", {}, format="json")
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["text"]


def test_outsiders_are_refused_and_anonymous_callers_must_authenticate(
    outsider_client, anonymous, reader_client
):
    body = {"text": ARTICLE}
    assert anonymous.post("/api/v1/candidates/", body, format="json").status_code == 401
    assert outsider_client.post("/api/v1/candidates/", body, format="json").status_code == 403
    assert reader_client.post("/api/v1/candidates/", body, format="json").status_code == 403


def test_nothing_is_stored(editor_client):
    from claims.models import Claim

    editor_client.post("/api/v1/candidates/", {"text": ARTICLE}, format="json")
    assert not Claim.objects.exists()


def test_a_body_over_the_upload_limit_is_a_413(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = editor_client.post("/api/v1/candidates/", {"text": "x" * 2000}, format="json")
    assert response.status_code == 413
