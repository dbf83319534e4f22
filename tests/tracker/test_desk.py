"""The admin's front page, the editors' desk, and the tracker's small pages (/api/, the icon)."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from claims.models import ClaimStatus, ContradictionStatus
from claims.selectors.desk import open_flags_first_to_review, sources_unread_for_claims
from tests.admin import change_form_data
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def desk(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.context["desk"], response.content.decode()


def sections(client) -> list[str]:
    return [section["title"] for section in client.get(reverse("admin:index")).context["sections"]]


def test_the_desk_counts_the_work_waiting_and_links_to_each_list(client, editor):
    ClaimFactory(status=ClaimStatus.UNREVIEWED)
    ClaimFactory(status=ClaimStatus.UNDER_REVIEW)
    ClaimFactory(status=ClaimStatus.VETTED)
    ContradictionFactory()
    ContradictionFactory(status=ContradictionStatus.DISMISSED, dismissed_reason="no")
    SourceFactory(text="An article nobody has read for claims yet.")
    AppearanceFactory(source=SourceFactory(text="An article with a claim recorded."))
    SourceFactory(text="")
    client.force_login(editor)

    context, page = desk(client)

    # 2 + the two claims of each flag + the appearance's claim, all unreviewed.
    assert context["awaiting_review"]["count"] == 2 + 4 + 1
    assert context["open_flags"]["count"] == 1
    assert context["unread_sources"]["count"] == 1
    for item in ("awaiting_review", "open_flags", "unread_sources"):
        url = context[item]["url"]
        assert f'href="{url.replace("&", "&amp;")}"' in page
        listed = client.get(url)
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == context[item]["count"], item


def test_open_flags_are_listed_oldest_first_then_best_corroborated(client, reviewer):
    lone = ContradictionFactory()
    corroborated = ContradictionFactory()
    for position in (1, 2):
        AppearanceFactory(claim=corroborated.claim_a, position=position)
    client.force_login(reviewer)

    first = [flag.pk for flag in open_flags_first_to_review(5)]

    assert first == [corroborated.pk, lone.pk]  # raised the same day: more sources first
    _context, page = desk(client)
    assert reverse("admin:claims_contradiction_change", args=[corroborated.pk]) in page
    assert corroborated.explanation in page


def test_a_source_is_read_for_claims_once_a_claim_appears_in_it():
    source = SourceFactory(text="Some text.")
    assert list(sources_unread_for_claims()) == [source]
    AppearanceFactory(source=source)
    assert list(sources_unread_for_claims()) == []


def test_the_desk_lists_changes_by_others_but_not_ones_own_or_the_trackers(
    client, reviewer, second_reviewer
):
    mine = ClaimFactory(text="A claim I edited.")
    theirs = ClaimFactory(text="A claim someone else edited.")
    for user, claim in ((reviewer, mine), (second_reviewer, theirs)):
        client.force_login(user)
        url = reverse("admin:claims_claim_change", args=[claim.pk])
        data = change_form_data(client, url)
        data["text"] = claim.text.replace("edited", "edited again")
        assert client.post(url, data).status_code == 302
    client.force_login(reviewer)

    context, page = desk(client)

    labels = [item["change"].label for item in context["recent_changes"]["latest"]]
    assert labels == ["A claim someone else edited again."]
    assert context["recent_changes"]["count"] == 1
    assert "another-reviewer changed claim" in page


def test_the_desk_groups_the_pages_by_task_with_link_tables_folded_away(client, reviewer):
    client.force_login(reviewer)

    _context, page = desk(client)

    assert sections(client) == ["Reviewing", "Sources", "Reference data", "Link tables"]
    assert "<details><summary>Link tables</summary>" in page
    assert "Appearance attributed tos" not in page and "Knox" not in page
    # No ids or app jargon in the page's own words.
    assert 'id="nav-sidebar"' not in page


def test_staff_with_access_rights_see_the_access_section(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="not-a-real-password")
    client.force_login(admin)
    _context, page = desk(client)
    assert sections(client)[-2:] == ["Access", "Link tables"]
    assert "API tokens" in page


def test_records_are_named_by_what_they_say_never_by_ids():
    appearance = AppearanceFactory(
        quote="at least 400 ISIS fighters managed to escape Sirte",
        source=SourceFactory(title="US Warns of Potential ISIS Regrouping in Libya"),
    )
    flag = ContradictionFactory(explanation="at least 400 fighters vs fewer than 100 fighters")

    assert str(appearance) == (
        "\u201cat least 400 ISIS fighters managed to escape Sirte\u201d in US Warns of "
        "Potential ISIS Regrouping in Libya"
    )
    assert str(flag) == "at least 400 fighters vs fewer than 100 fighters"
    for text in (str(appearance), str(flag)):
        assert str(appearance.pk) not in text.split() and str(flag.pk) not in text.split()


def test_the_appearance_autocomplete_offers_quotes_and_titles(client, reviewer):
    appearance = AppearanceFactory(quote="a ten minute video", source=SourceFactory(title="AFP"))
    client.force_login(reviewer)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "ten minute",
            "app_label": "claims",
            "model_name": "appearancevia",
            "field_name": "appearance",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(appearance.pk), "text": "\u201ca ten minute video\u201d in AFP"}
    ]


def test_api_root_says_where_the_schema_docs_and_endpoints_are(client):
    response = client.get("/api/")
    assert response.status_code == 200
    body = response.json()
    assert body["schema"].endswith("/api/schema/")
    assert body["docs"].endswith("/api/docs/")
    assert body["endpoints"]["facts"]["url"].endswith("/api/v1/facts/")
    v1 = client.get("/api/v1/")
    assert v1.status_code == 200
    assert v1.json()["claims"]["url"].endswith("/api/v1/claims/")


def test_the_tracker_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"


def test_no_content_type_is_left_unnamed():
    # Every model the admin lists has a plain name (no "appearance attributed tos").
    names = [ct.model_class()._meta.verbose_name_plural for ct in ContentType.objects.all()]
    assert "attributions" in names
    assert "appearance attributed tos" not in names
