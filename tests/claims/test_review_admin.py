"""The review section of a claim's admin page, and the roles the admin enforces."""

import pytest
from django.contrib import messages
from django.urls import reverse

from claims.models import (
    AppearanceVia,
    ClaimRating,
    ClaimStatus,
    ClaimStatusChange,
    ContradictionStatus,
)
from claims.services.claims import claim_rate
from tests.admin import change_form_data, changelist_queries
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    OutletFactory,
    SourceFactory,
)


def claim_url(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def save_claim(client, claim, follow=False, **fields):
    url = claim_url(claim)
    data = change_form_data(client, url)
    data.update(fields)
    return client.post(url, data, follow=follow)


def errors_of(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "the form was expected to be refused"
    return response.context["adminform"].form.errors


@pytest.fixture
def claim(db):
    return AppearanceFactory().claim


def test_a_reviewer_rates_a_claim_from_its_page_accepting_the_suggestion(client, reviewer, claim):
    client.force_login(reviewer)
    page = client.get(claim_url(claim)).content.decode()
    assert "The tracker suggests 2: probably true (1 independent source" in page
    response = save_claim(client, claim, rate_likelihood="likely", rate_confidence="moderate")
    assert response.status_code == 302
    rating = ClaimRating.objects.get(claim=claim)
    assert (rating.reviewer, rating.likelihood, rating.credibility) == (reviewer, "likely", "2")
    page = client.get(claim_url(claim)).content.decode()
    assert "Consensus: likely (55-80%), moderate confidence, credibility 2 (1 reviewer)" in page


def test_the_admin_asks_for_a_rationale_when_the_grade_differs_from_the_suggestion(
    client, reviewer, claim
):
    client.force_login(reviewer)
    response = save_claim(
        client, claim, rate_likelihood="likely", rate_confidence="high", rate_credibility="1"
    )
    assert "differs from the suggested 2" in errors_of(response)["rate_rationale"][0]
    assert not ClaimRating.objects.exists()


def test_the_admin_asks_for_a_rationale_below_likely(client, reviewer, claim):
    client.force_login(reviewer)
    response = save_claim(client, claim, rate_likelihood="unlikely", rate_confidence="low")
    assert 'below "likely"' in errors_of(response)["rate_rationale"][0]


def warnings_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == messages.WARNING]


def test_a_blocked_vet_saves_the_rest_and_says_why_the_status_did_not_move(client, reviewer):
    flag = ContradictionFactory()
    client.force_login(reviewer)
    response = save_claim(
        client, flag.claim_a, new_status="vetted", status_reason="checked", follow=True
    )
    [message] = warnings_of(response)
    assert message.startswith("The status stays unreviewed: The claim cannot be vetted:")
    assert f"1 open contradiction (with \u201c{flag.claim_b.text}\u201d)" in message
    assert 'no current rating says "likely" or higher' in message
    flag.claim_a.refresh_from_db()
    assert flag.claim_a.status == ClaimStatus.UNREVIEWED
    page = client.get(claim_url(flag.claim_a)).content.decode()
    assert "cannot be vetted: it has 1 open contradiction" in page


def test_a_rating_entered_with_a_blocked_vet_is_saved_and_the_page_says_so(client, reviewer):
    flag = ContradictionFactory()
    client.force_login(reviewer)
    response = save_claim(
        client,
        flag.claim_a,
        rate_likelihood="very_likely",
        rate_confidence="high",
        new_status="vetted",
        status_reason="two checks",
        follow=True,
    )
    [message] = warnings_of(response)
    assert message.startswith("Your rating was saved, but the status stays unreviewed:")
    assert "1 open contradiction" in message
    rating = ClaimRating.objects.get(claim=flag.claim_a)
    assert (rating.reviewer, rating.likelihood) == (reviewer, "very_likely")
    flag.claim_a.refresh_from_db()
    assert flag.claim_a.status == ClaimStatus.UNREVIEWED


def test_a_reviewer_rates_and_vets_in_one_save(client, reviewer, claim):
    client.force_login(reviewer)
    response = save_claim(
        client,
        claim,
        rate_likelihood="very_likely",
        rate_confidence="high",
        new_status="vetted",
        status_reason="two checks",
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VETTED
    page = client.get(claim_url(claim)).content.decode()
    assert "a-reviewer moved it from Unreviewed to Vetted: two checks" in page


def test_a_superseding_rating_below_likely_blocks_vetting_in_the_same_save(client, reviewer, claim):
    claim_rate(
        by=reviewer, claim_id=claim.pk, likelihood="likely", confidence="high", credibility="2"
    )
    client.force_login(reviewer)
    response = save_claim(
        client,
        claim,
        rate_likelihood="unlikely",
        rate_confidence="high",
        rate_rationale="a new video",
        new_status="vetted",
        status_reason="x",
        follow=True,
    )
    [message] = warnings_of(response)
    assert 'no current rating says "likely"' in message
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNREVIEWED


def test_an_editor_edits_a_claim_but_cannot_rate_or_change_its_status(client, editor, claim):
    client.force_login(editor)
    page = client.get(claim_url(claim)).content.decode()
    assert "rate_likelihood" not in page and "new_status" not in page
    response = save_claim(
        client,
        claim,
        text="Edited by an editor.",
        status="vetted",
        rate_likelihood="likely",
        rate_confidence="high",
        rate_credibility="2",
        new_status="vetted",
        status_reason="sneaky",
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.status) == ("Edited by an editor.", ClaimStatus.UNREVIEWED)
    assert not ClaimRating.objects.exists() and not ClaimStatusChange.objects.exists()


def test_staff_outside_both_groups_read_claims_and_change_nothing(client, reader, claim):
    client.force_login(reader)
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 200
    page = client.get(claim_url(claim))
    assert page.status_code == 200 and b'name="text"' not in page.content
    response = client.post(claim_url(claim), {"text": "changed"})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.text != "changed"
    assert client.get(reverse("admin:claims_claim_add")).status_code == 403


def test_an_editor_cannot_decide_on_a_contradiction_in_the_admin(client, editor):
    flag = ContradictionFactory()
    client.force_login(editor)
    url = reverse("admin:claims_contradiction_change", args=[flag.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="decision"' not in page.content
    assert client.post(url, {"decision": "confirm"}).status_code == 403
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.OPEN


def test_a_reviewer_decides_on_a_contradiction_in_the_admin(client, reviewer):
    flag = ContradictionFactory()
    client.force_login(reviewer)
    url = reverse("admin:claims_contradiction_change", args=[flag.pk])
    assert client.post(url, {"decision": "confirm", "reason": ""}).status_code == 302
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.CONFIRMED


def outlet_post(client, outlet, **fields):
    url = reverse("admin:sources_outlet_change", args=[outlet.pk])
    data = change_form_data(client, url)
    data.update(fields)
    return client.post(url, data)


def test_an_editor_cannot_grade_an_outlet_in_the_admin(client, editor):
    outlet = OutletFactory(reliability="C")
    client.force_login(editor)
    response = outlet_post(client, outlet, name="Renamed", reliability="A")
    assert response.status_code == 302
    outlet.refresh_from_db()
    assert (outlet.name, outlet.reliability) == ("Renamed", "C")


def test_a_reviewer_grades_an_outlet_in_the_admin(client, reviewer):
    outlet = OutletFactory(reliability="C")
    client.force_login(reviewer)
    assert outlet_post(client, outlet, reliability="A").status_code == 302
    outlet.refresh_from_db()
    assert outlet.reliability == "A"


def test_nobody_deletes_a_claim_in_the_admin_but_a_superuser(client, reviewer, claim):
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_delete", args=[claim.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403


# --- corroboration -----------------------------------------------------------------------------


def test_the_claim_list_counts_independent_sources_in_constant_queries(staff_client):
    video = SourceFactory(title="the Barqa video")
    relayed = AppearanceFactory()
    AppearanceVia.objects.create(appearance=relayed, source=video)
    # The same origin: one source. Another outlet: a second.
    AppearanceFactory(claim=relayed.claim, source=video, position=1)
    AppearanceFactory(claim=relayed.claim, position=2)
    response = staff_client.get(reverse("admin:claims_claim_changelist"))
    (listed,) = response.context["cl"].result_list
    assert listed.independent_source_count == 2
    few = changelist_queries(staff_client, "claims", "claim")
    for _ in range(5):
        AppearanceFactory()
    assert changelist_queries(staff_client, "claims", "claim") == few


def test_the_claim_page_spells_out_the_groups_of_dependent_appearances(staff_client):
    claim = ClaimFactory()
    video = SourceFactory(key="barqa-video", title="the Barqa video")
    first = AppearanceFactory(
        claim=claim, source=SourceFactory(key="libya-000", title="Article 0"), position=0
    )
    second = AppearanceFactory(
        claim=claim, source=SourceFactory(key="libya-002", title="Article 2"), position=1
    )
    for appearance in (first, second):
        AppearanceVia.objects.create(appearance=appearance, source=video)
    reuters = OutletFactory(name="Reuters")
    for position, key in ((2, "libya-001"), (3, "libya-003")):
        AppearanceFactory(
            claim=claim,
            source=SourceFactory(key=key, title=f"Article {key[-1]}", outlet=reuters),
            position=position,
        )
    AppearanceFactory(
        claim=claim, source=SourceFactory(key="libya-004", title="Article 4"), position=4
    )
    page = staff_client.get(claim_url(claim)).content.decode()
    # Sources named by their titles, not their keys.
    assert "<li>1. “Article 0” and “Article 2” both trace to the Barqa video</li>" in page
    assert "<li>2. “Article 1” and “Article 3” are both from Reuters</li>" in page
    assert "<li>3. “Article 4” stands alone</li>" in page
