import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import ClaimFactory, ContradictionFactory, OutletFactory

pytestmark = pytest.mark.django_db

# Every protected operation, with a body that would be valid for a user allowed to send it.
PROTECTED = [
    ("get", "/api/v1/claims/", None),
    ("post", "/api/v1/claims/", {"text": "Ten fighters escaped."}),
    ("get", "/api/v1/claims/{claim}/", None),
    ("patch", "/api/v1/claims/{claim}/", {"text": "Eleven fighters escaped."}),
    ("put", "/api/v1/claims/{claim}/", {"text": "Twelve fighters escaped."}),
    ("post", "/api/v1/claimsets/", {"format": "claimset/1"}),
    ("get", "/api/v1/contradictions/", None),
    ("get", "/api/v1/contradictions/{flag}/", None),
    ("patch", "/api/v1/contradictions/{flag}/", {"status": "confirmed"}),
    ("get", "/api/v1/outlets/", None),
    ("post", "/api/v1/outlets/", {"key": "new-outlet", "name": "New"}),
    ("get", "/api/v1/outlets/{outlet}/", None),
    ("patch", "/api/v1/outlets/{outlet}/", {"name": "Renamed"}),
    ("put", "/api/v1/outlets/{outlet}/", {"key": "{outlet}", "name": "Renamed"}),
    ("get", "/api/v1/entities/", None),
    ("post", "/api/v1/entities/", {"key": "new-entity", "name": "New", "kind": "person"}),
    ("get", "/api/v1/sources/", None),
    ("post", "/api/v1/sources/", {"key": "new-source", "title": "New"}),
]


@pytest.fixture
def records():
    flag = ContradictionFactory()
    return {"claim": flag.claim_a.key, "flag": flag.pk, "outlet": OutletFactory().key}


def _call(client, method, url, body, records):
    url = url.format(**records)
    if body is not None:
        body = {k: (v.format(**records) if isinstance(v, str) else v) for k, v in body.items()}
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("method", "url", "body"), PROTECTED)
def test_every_protected_endpoint_refuses_a_request_without_a_token(
    anonymous, records, method, url, body
):
    response = _call(anonymous, method, url, body, records)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("method", "url", "body"), PROTECTED)
def test_every_protected_endpoint_refuses_an_outsider_with_a_403(
    outsider_client, records, method, url, body
):
    response = _call(outsider_client, method, url, body, records)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("method", "url", "body"), [p for p in PROTECTED if p[0] != "get"], ids=lambda p: str(p)
)
def test_staff_outside_the_roles_may_read_but_not_write(reader_client, records, method, url, body):
    assert _call(reader_client, method, url, body, records).status_code == 403


def test_staff_outside_the_roles_may_read(reader_client, records):
    assert reader_client.get("/api/v1/claims/").status_code == 200
    for url in ("/api/v1/contradictions/", f"/api/v1/contradictions/{records['flag']}/"):
        response = reader_client.get(url)
        assert response.status_code == 200
        assert records["claim"] in response.content.decode()


def test_anonymous_consumers_read_no_unvetted_claim_through_the_flags(anonymous, records):
    """A flag embeds both claims, vetted or not: the flags need a token; the facts (vetted
    claims only) stay public and keep their count of open flags."""
    flag = ContradictionFactory(claim_a=ClaimFactory(status="vetted"))
    for url in ("/api/v1/contradictions/", f"/api/v1/contradictions/{flag.pk}/"):
        response = anonymous.get(url)
        assert response.status_code == 401
        assert flag.claim_b.text not in response.content.decode()
    fact = anonymous.get(f"/api/v1/facts/{flag.claim_a.key}/")
    assert fact.status_code == 200
    assert fact.json()["open_contradictions"] == 1


def test_public_endpoints_need_no_token_but_refuse_a_bad_one(anonymous, records):
    for url in ("/api/v1/facts/", f"/api/v1/facts/{records['claim']}/"):
        assert anonymous.get(url).status_code in (200, 404)  # 404: the claim is not vetted
    assert anonymous.get("/api/v1/facts/").status_code == 200
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anonymous.get("/api/v1/facts/").status_code == 401


def test_create_api_token_prints_a_token_once_and_stores_only_its_hash(editor):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", editor.username, stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert "not shown again" in err.getvalue()
    [stored] = AuthToken.objects.filter(user=editor)
    assert token not in (stored.digest, stored.token_key)
    assert len(stored.digest) == 128  # SHA-512, hex
    assert stored.expiry > timezone.now() + datetime.timedelta(days=364)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/claims/").status_code == 200


def test_create_api_token_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match='no user "ghost"'):
        call_command("create_api_token", "ghost")


def test_a_token_revoked_in_the_admin_is_refused(editor, client, django_user_model):
    # Access is the site administrator's job (the desk's Access section): neither editors nor
    # reviewers may manage tokens.
    site_admin = django_user_model.objects.create_superuser("site-admin", password="x")
    staff_client = client
    staff_client.force_login(site_admin)
    out = io.StringIO()
    call_command(
        "create_api_token", editor.username, "--days", "0", stdout=out, stderr=io.StringIO()
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    assert client.get("/api/v1/claims/").status_code == 200
    [stored] = AuthToken.objects.filter(user=editor)
    assert stored.expiry is None
    changelist = staff_client.get("/admin/knox/authtoken/")
    assert changelist.status_code == 200
    response = staff_client.post(
        f"/admin/knox/authtoken/{stored.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert not AuthToken.objects.exists()
    assert client.get("/api/v1/claims/").status_code == 401


def test_an_expired_token_is_refused(editor_client, editor):
    AuthToken.objects.filter(user=editor).update(
        expiry=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert editor_client.get("/api/v1/claims/").status_code == 401


def test_a_token_that_is_not_ascii_is_a_401_not_a_500(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token caf\u00e9".encode().decode("latin-1"))
    assert anonymous.get("/api/v1/claims/").status_code == 401


def test_anonymous_requests_are_throttled_with_a_retry_after(anonymous, settings, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "rate", "3/min", raising=False)
    ClaimFactory()
    statuses = [anonymous.get("/api/v1/facts/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = anonymous.get("/api/v1/facts/")
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_unknown_api_paths_answer_in_the_error_shape(anonymous):
    response = anonymous.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "message": "No such API endpoint.",
        "errors": [],
    }


def test_schema_documents_every_error_status_and_docs_work_offline(anonymous):
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/v1/claimsets/"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "409", "413", "429"} <= set(post)
    facts = schema["paths"]["/api/v1/facts/"]["get"]["responses"]
    assert {"200", "304", "400", "429"} <= set(facts)
    for path in ("/api/v1/contradictions/", "/api/v1/contradictions/{id}/"):
        assert {"200", "401", "403"} <= set(schema["paths"][path]["get"]["responses"])
    docs = anonymous.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs
    # Nothing loaded from another host (a CDN): every script and style is served here. (A
    # plain "cdn" search failed whenever the page's random CSRF token happened to hold it.)
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', docs)
    redoc = anonymous.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in redoc
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', redoc)  # no web fonts
    # No inline script (the Content-Security-Policy runs none): Swagger UI's comes by itself.
    assert "<script>" not in docs and "<script>" not in redoc
    assert anonymous.get("/api/docs/", {"script": ""})["Content-Type"].startswith(
        "application/javascript"
    )
