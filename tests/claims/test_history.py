"""Every change to a claim, appearance, rating, status, flag and outlet grade is kept."""

import pytest
from django.urls import reverse

from claims.models import Appearance, Claim, ClaimRating
from claims.services.claims import claim_rate, contradiction_decide
from claims.services.claimsets import IMPORTED, import_claimset
from sources.models import Outlet
from sources.services import outlet_grade
from tests.admin import change_form_data
from tests.claims.test_claimset_import import minimal
from tests.factories import AppearanceFactory, ContradictionFactory, OutletFactory


def test_a_status_change_in_the_admin_is_in_the_claims_history_with_who_and_the_change(
    client, reviewer
):
    claim = AppearanceFactory().claim
    claim_rate(
        by=reviewer, claim_id=claim.pk, likelihood="likely", confidence="high", credibility="2"
    )
    client.force_login(reviewer)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = change_form_data(client, url)
    data.update(new_status="vetted", status_reason="checked twice")
    assert client.post(url, data).status_code == 302
    latest = claim.history.first()
    assert (latest.history_user, latest.status) == (reviewer, "vetted")
    delta = latest.diff_against(latest.prev_record)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("status", "unreviewed", "vetted")]
    page = client.get(reverse("admin:claims_claim_history", args=[claim.pk])).content.decode()
    assert "a-reviewer" in page and "vetted" in page


def test_a_superseded_rating_keeps_its_history(reviewer):
    claim = AppearanceFactory().claim
    first = claim_rate(
        by=reviewer, claim_id=claim.pk, likelihood="likely", confidence="high", credibility="2"
    )
    claim_rate(
        by=reviewer, claim_id=claim.pk, likelihood="very_likely", confidence="high", credibility="2"
    )
    entries = list(first.history.order_by("history_id"))
    assert [e.history_type for e in entries] == ["+", "~"]
    assert entries[0].superseded_at is None and entries[1].superseded_at is not None
    assert ClaimRating.history.count() == 3


def test_a_dismissed_flag_and_a_graded_outlet_are_in_their_history(reviewer):
    flag = ContradictionFactory()
    contradiction_decide(
        status="dismissed", contradiction_id=flag.pk, by=reviewer, reason="different towns"
    )
    assert flag.history.filter(status="dismissed").get().dismissed_reason == "different towns"
    outlet = OutletFactory(reliability="C")
    outlet_grade(by=reviewer, outlet_id=outlet.pk, reliability="B")
    assert [e.reliability for e in outlet.history.order_by("history_id")] == ["C", "B"]


def test_staff_in_neither_group_browse_history(client, reader):
    claim = AppearanceFactory().claim
    client.force_login(reader)
    response = client.get(reverse("admin:claims_claim_history", args=[claim.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
def test_an_import_records_history_for_what_it_created_changed_and_replaced():
    import_claimset(minimal())
    claim = Claim.objects.get(key="c1")
    assert [(e.history_type, e.history_change_reason) for e in claim.history.all()] == [
        ("+", IMPORTED)
    ]
    assert Outlet.history.filter(key="o1", history_type="+").exists()
    (first,) = Appearance.objects.filter(claim=claim)
    changed = minimal(
        text="At least 400 fighters escaped from Sirte.",
        appearances=[{"source": "s1", "quote": "at least 400 fighters", "stance": "reports"}],
    )
    import_claimset(changed)
    latest = claim.history.first()
    assert (latest.history_type, latest.text) == ("~", "At least 400 fighters escaped from Sirte.")
    gone = Appearance.history.filter(id=first.pk).order_by("history_id")
    assert [e.history_type for e in gone] == ["+", "-"]
    assert Appearance.history.filter(claim_id=claim.pk, history_type="+", stance="reports").exists()
    import_claimset(changed)  # nothing changes: nothing recorded
    assert claim.history.count() == 2
