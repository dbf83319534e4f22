"""Every single-record write, from the admin or the API, goes through the claim services
(claims.services.claims.claim_save and friends): one version, one set of checks, one history.

Each promise is shown on both channels: the version is raised and a stale write refused across
them; quotes are checked; a material change returns a vetted claim to review; non-finite numbers
are refused on their field; inputs that cannot be read are a 400 and write nothing.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Appearance, Claim, ClaimStatus, ClaimStatusChange
from claims.services.claims import AppearanceInput, claim_save
from tests.admin import change_form_data
from tests.factories import AppearanceFactory, ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db

FACTS = "/api/v1/facts/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def claim_url(claim: Claim) -> str:
    return f"/api/v1/claims/{claim.key}/"


def vetted_claim() -> Claim:
    claim = ClaimFactory(status=ClaimStatus.VETTED)
    AppearanceFactory(claim=claim)
    return claim


# --- one version, refused when stale, whichever channel wrote last --------------------------


def test_an_api_change_refuses_an_admin_form_loaded_before_it_saying_what_changed(editor):
    claim = ClaimFactory(text="At least 400 fighters escaped.")
    admin = logged_in(editor)
    stale_form = change_form_data(admin, change_url(claim))

    response = api_for(editor).patch(
        claim_url(claim), {"text": "At least 500 fighters escaped."}, format="json"
    )
    assert (response.status_code, response.json()["version"]) == (200, 2)
    stale_form["text"] = "About 300 fighters escaped."
    refused = admin.post(change_url(claim), stale_form)

    assert refused.status_code == 200  # the form again, with the changes since
    errors = refused.context["adminform"].form.non_field_errors()
    assert "changed by someone else after you opened it" in errors[0]
    assert any('"At least 500 fighters escaped."' in line for line in errors)
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("At least 500 fighters escaped.", 2)


def test_an_admin_save_makes_an_api_patch_sending_the_version_read_before_it_a_409(editor):
    claim = ClaimFactory(text="At least 400 fighters escaped.")
    api = api_for(editor)
    read = api.get(claim_url(claim)).json()["version"]
    admin = logged_in(editor)
    form = change_form_data(admin, change_url(claim))
    form["text"] = "At least 500 fighters escaped."
    assert admin.post(change_url(claim), form).status_code == 302

    response = api.patch(claim_url(claim), {"text": "Mine.", "version": read}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["errors"][0]["path"] == "version"
    assert "At least 500 fighters escaped." in body["message"]
    claim.refresh_from_db()
    assert (claim.text, claim.version) == ("At least 500 fighters escaped.", 2)


def test_every_channel_raises_the_version_and_names_its_user_in_the_history(editor, reviewer):
    source = SourceFactory()
    api = api_for(editor)
    created = api.post(
        "/api/v1/claims/",
        {"text": "Ten escaped.", "appearances": [{"source": source.key, "quote": "escaped"}]},
        format="json",
    )
    assert (created.status_code, created.json()["version"]) == (201, 1), created.json()
    claim = Claim.objects.get(key=created.json()["key"])

    assert (
        api.patch(claim_url(claim), {"text": "Eleven escaped."}, format="json").json()["version"]
        == 2
    )
    admin = logged_in(reviewer)
    form = change_form_data(admin, change_url(claim))
    form["text"] = "Twelve escaped."
    assert admin.post(change_url(claim), form).status_code == 302
    appearance = claim.appearances.get()
    appearance_url = reverse("admin:claims_appearance_change", args=[appearance.pk])
    appearance_form = change_form_data(admin, appearance_url)
    appearance_form["quote"] = "fighters escaped"
    assert admin.post(appearance_url, appearance_form).status_code == 302

    claim.refresh_from_db()
    assert claim.version == 4
    users = list(claim.history.order_by("history_date").values_list("history_user__username"))
    assert users == [("an-editor",), ("an-editor",), ("a-reviewer",), ("a-reviewer",)]
    assert appearance.history.latest().history_user == reviewer


# --- quotes, in the service: admin and API alike ------------------------------------------------


def test_the_admin_refuses_a_quote_not_in_the_sources_text_on_its_row(editor):
    claim = ClaimFactory()
    appearance = AppearanceFactory(claim=claim)
    admin = logged_in(editor)
    form = change_form_data(admin, change_url(claim))
    form["appearances-0-quote"] = "Nobody escaped at all."

    response = admin.post(change_url(claim), form)

    assert response.status_code == 200
    row = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert "does not occur in the text of source" in row.errors["quote"][0]
    appearance.refresh_from_db()
    assert appearance.quote == "At least 400 fighters escaped the city"
    assert Claim.objects.get(pk=claim.pk).version == 1


def test_the_appearance_page_refuses_a_quote_not_in_the_sources_text(editor):
    appearance = AppearanceFactory()
    url = reverse("admin:claims_appearance_change", args=[appearance.pk])
    admin = logged_in(editor)
    form = change_form_data(admin, url)
    form["quote"] = "Nobody escaped at all."

    response = admin.post(url, form)

    assert response.status_code == 200
    assert "does not occur" in response.context["adminform"].form.errors["quote"][0]
    appearance.refresh_from_db()
    assert appearance.quote == "At least 400 fighters escaped the city"


def test_the_api_refuses_a_quote_not_in_the_sources_text_at_its_path(editor):
    claim = ClaimFactory()
    source = SourceFactory()

    response = api_for(editor).patch(
        claim_url(claim),
        {
            "appearances": [
                {"source": source.key, "quote": "escaped"},
                {"source": source.key, "quote": "Nobody."},
            ]
        },
        format="json",
    )

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["appearances[1].quote"]
    assert not Appearance.objects.filter(claim=claim).exists()


# --- a material change returns a vetted claim to review ---------------------------------------


def test_an_api_change_of_a_vetted_claims_value_returns_it_to_review_and_out_of_the_facts(
    editor, anonymous
):
    claim = vetted_claim()
    assert [f["key"] for f in anonymous.get(FACTS).json()["results"]] == [claim.key]

    response = api_for(editor).patch(
        claim_url(claim), {"value_as_written": "at least 4,000"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == ClaimStatus.UNDER_REVIEW
    assert anonymous.get(FACTS).json()["results"] == []
    change = ClaimStatusChange.objects.get(claim=claim)
    assert (change.from_status, change.to_status, change.changed_by) == (
        ClaimStatus.VETTED,
        ClaimStatus.UNDER_REVIEW,
        editor,
    )
    assert "quantity_low" in change.reason
    entry = claim.history.latest()
    assert entry.history_change_reason == change.reason
    assert entry.status == ClaimStatus.UNDER_REVIEW


def test_an_admin_change_of_a_vetted_claims_appearances_returns_it_to_review(editor):
    claim = vetted_claim()
    admin = logged_in(editor)
    form = change_form_data(admin, change_url(claim))
    form["appearances-0-quote"] = "a commander said"

    assert admin.post(change_url(claim), form).status_code == 302

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert ClaimStatusChange.objects.get(claim=claim).reason.endswith("(appearances)")


def test_an_admin_change_of_a_vetted_claims_text_returns_it_to_review(editor):
    claim = vetted_claim()
    admin = logged_in(editor)
    form = change_form_data(admin, change_url(claim))
    form["text"] = "At least 4,000 fighters escaped."

    assert admin.post(change_url(claim), form).status_code == 302

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert "text" in ClaimStatusChange.objects.get(claim=claim).reason


def test_a_change_that_says_nothing_new_keeps_a_vetted_claim_vetted(editor, anonymous):
    claim = vetted_claim()
    admin = logged_in(editor)

    assert admin.post(change_url(claim), change_form_data(admin, change_url(claim))).status_code
    response = api_for(editor).patch(claim_url(claim), {"text": claim.text}, format="json")

    assert response.json()["status"] == ClaimStatus.VETTED
    assert not ClaimStatusChange.objects.filter(claim=claim).exists()
    assert [f["key"] for f in anonymous.get(FACTS).json()["results"]] == [claim.key]


# --- roles -------------------------------------------------------------------------------------


def test_claim_save_refuses_a_user_outside_the_roles(reader):
    with pytest.raises(PermissionDenied):
        claim_save(by=reader, claim=Claim(text="Anything."))
    assert not Claim.objects.exists()


def test_an_editor_cannot_change_a_status_through_the_admin_form(editor):
    claim = ClaimFactory()
    admin = logged_in(editor)
    form = change_form_data(admin, change_url(claim))
    form.update(new_status=ClaimStatus.VETTED, status_reason="trust me", status="vetted")

    assert admin.post(change_url(claim), form).status_code == 302

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNREVIEWED
    assert not ClaimStatusChange.objects.exists()


# --- numbers that are not finite --------------------------------------------------------------


def test_the_api_refuses_an_infinite_quantity_with_its_path_and_writes_nothing(editor):
    claim = ClaimFactory()
    body = b'{"quantity_low": 1e309}'

    response = api_for(editor).generic(
        "PATCH", claim_url(claim), body, content_type="application/json"
    )

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["quantity_low"]
    claim.refresh_from_db()
    assert (claim.quantity_low, claim.version) == (400.0, 1)


def test_the_admin_refuses_an_infinite_quantity_on_its_field(editor):
    claim = ClaimFactory()
    admin = logged_in(editor)
    form = change_form_data(admin, change_url(claim))
    form.update(value_as_written="", quantity_low="1e309")

    response = admin.post(change_url(claim), form)

    assert response.status_code == 200
    assert "quantity_low" in response.context["adminform"].form.errors
    claim.refresh_from_db()
    assert (claim.quantity_low, claim.version) == (400.0, 1)


def test_claim_save_refuses_nan_on_its_field(editor):
    claim = ClaimFactory()
    claim.value_as_written, claim.quantity_high = "", float("nan")

    with pytest.raises(ValidationError) as raised:
        claim_save(by=editor, claim=claim)

    assert list(raised.value.message_dict) == ["quantity_high"]
    claim.refresh_from_db()
    assert claim.quantity_high is None


# --- inputs that cannot be read: 400 or 405, never 500, and nothing written ------------------


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_body_nested_100000_deep_is_a_400_and_writes_nothing(editor, method):
    claim = ClaimFactory()
    url = "/api/v1/claims/" if method == "post" else claim_url(claim)

    response = getattr(api_for(editor), method)(url, "[" * 100_000, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]
    assert Claim.objects.count() == 1
    assert Claim.objects.get().version == 1


def test_a_post_to_a_claims_history_pages_is_a_405_and_writes_nothing(admin_user):
    claim = ClaimFactory()
    admin = logged_in(admin_user)
    entry = claim.history.latest()
    urls = [
        reverse("admin:claims_claim_history", args=[claim.pk]),
        reverse("admin:claims_claim_simple_history", args=[claim.pk, entry.history_id]),
    ]

    for url in urls:
        assert admin.get(url).status_code == 200
        response = admin.post(url, {"text": "Reverted?", "_change_history": "1"})
        assert response.status_code == 405

    claim.refresh_from_db()
    assert (claim.text.startswith("At least"), claim.version) == (True, 1)


# --- the service itself ------------------------------------------------------------------------


def test_claim_save_keeps_appearances_it_is_not_told_about_and_removes_those_it_is(editor):
    claim = ClaimFactory()
    kept = AppearanceFactory(claim=claim, position=0)
    removed = AppearanceFactory(claim=claim, position=1)

    claim_save(
        by=editor,
        claim=claim,
        appearances=[AppearanceInput(source=None, id=removed.pk, delete=True)],
        expected_version=1,
    )

    assert list(claim.appearances.values_list("pk", flat=True)) == [kept.pk]
    assert claim.version == 2


def test_claim_save_refuses_an_appearance_of_another_claim(editor):
    claim, other = ClaimFactory(), AppearanceFactory()

    with pytest.raises(ValidationError) as raised:
        claim_save(
            by=editor,
            claim=claim,
            appearances=[AppearanceInput(source=SourceFactory(), id=other.pk)],
        )

    assert list(raised.value.message_dict) == ["appearances[0].id"]


def test_claim_save_refreshes_the_time_a_claim_holds_from_its_appearances(editor):
    claim = ClaimFactory()
    source = SourceFactory(published=datetime.date(2015, 6, 25), published_precision="day")

    claim_save(by=editor, claim=claim, appearances=[AppearanceInput(source=source)])

    claim.refresh_from_db()
    assert (claim.holds_from, claim.holds_to) == (datetime.date(2015, 6, 25),) * 2
