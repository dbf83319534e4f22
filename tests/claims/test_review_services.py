"""Roles, ratings and statuses, enforced by the services themselves."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import ClaimRating, ClaimStatus, ClaimStatusChange, ContradictionStatus
from claims.selectors.claims import claim_vetting_blockers, claims_confidence
from claims.services.claims import (
    claim_rate,
    claim_status_change,
    contradiction_decide,
)
from sources.services import outlet_grade
from tests.factories import AppearanceFactory, ClaimFactory, ContradictionFactory, OutletFactory

# Declared, not left to fixtures: pytest-django runs database tests in transactions before the
# transactional ones, whose flush removes the groups the migrations made.
pytestmark = pytest.mark.django_db

LIKELY = {"likelihood": "likely", "confidence": "moderate"}


def rate(user, claim, credibility="2", **kwargs):
    return claim_rate(
        by=user, claim_id=claim.pk, **{**LIKELY, "credibility": credibility, **kwargs}
    )


@pytest.fixture
def sourced_claim(db):
    """A claim in one source: the tracker suggests credibility 2."""
    return AppearanceFactory().claim


# --- roles -------------------------------------------------------------------------------------


def test_the_migration_gives_each_group_its_permissions(db):
    editors = {p.codename for p in Group.objects.get(name="editors").permissions.all()}
    reviewers = {p.codename for p in Group.objects.get(name="reviewers").permissions.all()}
    assert {"add_claim", "change_claim", "change_outlet", "view_contradiction"} <= editors
    assert not {"rate_claim", "change_claim_status", "review_contradiction"} & editors
    assert not any(codename.startswith("delete_") for codename in editors | reviewers)
    assert reviewers == editors | {
        "rate_claim",
        "change_claim_status",
        "review_contradiction",
        "grade_outlet",
    }


def test_staff_outside_both_groups_may_view_and_nothing_else(reader):
    assert reader.has_perm("claims.view_claim")
    assert reader.has_perm("sources.view_outlet")
    assert not reader.has_perm("claims.change_claim")
    assert not reader.has_perm("auth.view_user")


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_only_reviewers_may_rate(request, who, sourced_claim):
    with pytest.raises(PermissionDenied, match="may not rate claims"):
        rate(request.getfixturevalue(who), sourced_claim)
    assert not ClaimRating.objects.exists()


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_only_reviewers_may_change_a_status(request, who, sourced_claim):
    with pytest.raises(PermissionDenied, match="may not change the status"):
        claim_status_change(
            by=request.getfixturevalue(who),
            claim_id=sourced_claim.pk,
            status=ClaimStatus.UNDER_REVIEW,
            reason="x",
        )
    sourced_claim.refresh_from_db()
    assert sourced_claim.status == ClaimStatus.UNREVIEWED


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_only_reviewers_may_decide_on_contradictions(request, who):
    user = request.getfixturevalue(who)
    flag = ContradictionFactory()
    with pytest.raises(PermissionDenied):
        contradiction_decide(status="confirmed", contradiction_id=flag.pk, by=user)
    with pytest.raises(PermissionDenied):
        contradiction_decide(status="dismissed", contradiction_id=flag.pk, by=user, reason="no")
    with pytest.raises(PermissionDenied):
        contradiction_decide(
            status="resolved", contradiction_id=flag.pk, by=user, refuted_claim_id=flag.claim_a_id
        )
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.OPEN


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_only_reviewers_may_grade_outlets(request, who):
    user = request.getfixturevalue(who)
    outlet = OutletFactory(reliability="C")
    with pytest.raises(PermissionDenied, match="may not grade outlets"):
        outlet_grade(by=user, outlet_id=outlet.pk, reliability="A")
    outlet.refresh_from_db()
    assert outlet.reliability == "C"


def test_a_reviewer_grades_an_outlet(reviewer):
    outlet = OutletFactory(reliability="C")
    outlet_grade(by=reviewer, outlet_id=outlet.pk, reliability="B")
    outlet.refresh_from_db()
    assert outlet.reliability == "B"
    with pytest.raises(ValidationError, match="'G' is not one of"):
        outlet_grade(by=reviewer, outlet_id=outlet.pk, reliability="G")


def test_a_reviewer_decides_on_a_contradiction_and_resolving_records_the_status_change(reviewer):
    flag = ContradictionFactory()
    contradiction_decide(
        status="resolved", contradiction_id=flag.pk, by=reviewer, refuted_claim_id=flag.claim_b_id
    )
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.RESOLVED
    change = ClaimStatusChange.objects.get(claim=flag.claim_b)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "unreviewed",
        "refuted",
        reviewer,
    )
    assert change.reason.startswith(f"resolves the contradiction with {flag.claim_a.key}")


def test_resolving_a_contradiction_keeps_the_reviewers_reason_on_the_flag_and_the_claim(reviewer):
    flag = ContradictionFactory()

    contradiction_decide(
        contradiction_id=flag.pk,
        by=reviewer,
        status="resolved",
        refuted_claim_id=flag.claim_b_id,
        reason="  The Senate report dates the attack to 2012.  ",
    )

    flag.refresh_from_db()
    assert flag.dismissed_reason == "The Senate report dates the attack to 2012."
    change = ClaimStatusChange.objects.get(claim=flag.claim_b)
    assert change.reason.startswith("The Senate report dates the attack to 2012. (resolves the")
    # The history's reason column holds 100 characters (PostgreSQL refused the whole decision
    # when it was longer): it keeps the start, the status change keeps the whole reason.
    entry = flag.claim_b.history.latest()
    assert len(entry.history_change_reason) <= 100
    assert change.reason.startswith(entry.history_change_reason.rstrip("…"))
    assert len(change.reason) > 100


# --- ratings -----------------------------------------------------------------------------------


def test_a_rating_stores_the_suggested_credibility(reviewer, sourced_claim):
    rating = rate(reviewer, sourced_claim)
    assert (rating.suggested_credibility, rating.credibility, rating.is_current) == ("2", "2", True)


def test_a_new_rating_supersedes_the_reviewers_previous_one_and_keeps_it(
    reviewer, second_reviewer, sourced_claim
):
    first = rate(reviewer, sourced_claim)
    others = rate(second_reviewer, sourced_claim, likelihood="very_likely")
    second = rate(reviewer, sourced_claim, likelihood="almost_certain", confidence="high")
    first.refresh_from_db()
    others.refresh_from_db()
    assert first.superseded_at is not None
    assert others.superseded_at is None and second.superseded_at is None
    assert ClaimRating.objects.filter(claim=sourced_claim).count() == 3
    consensus = claims_confidence([sourced_claim.pk])[sourced_claim.pk]
    assert (consensus.likelihood, consensus.confidence, consensus.ratings) == (
        "very_likely",
        "moderate",
        2,
    )


def test_a_rating_below_likely_needs_a_rationale(reviewer, sourced_claim):
    with pytest.raises(ValidationError, match='below "likely"'):
        rate(reviewer, sourced_claim, likelihood="unlikely")
    rating = rate(reviewer, sourced_claim, likelihood="unlikely", rationale="only one witness")
    assert rating.rationale == "only one witness"


def test_a_grade_other_than_the_suggestion_needs_a_rationale(reviewer, sourced_claim):
    with pytest.raises(ValidationError, match="differs from the suggested 2"):
        rate(reviewer, sourced_claim, credibility="1", rationale="  ")
    assert rate(reviewer, sourced_claim, credibility="1", rationale="seen on video").pk


def test_a_rating_with_an_unknown_band_names_the_field(reviewer, sourced_claim):
    with pytest.raises(ValidationError) as error:
        rate(reviewer, sourced_claim, likelihood="probable")
    assert "likelihood" in error.value.message_dict


def test_claims_confidence_reads_any_number_of_claims_in_one_query(reviewer):
    claims = [AppearanceFactory().claim for _ in range(3)]
    for claim in claims[:2]:
        rate(reviewer, claim)
    with CaptureQueriesContext(connection) as queries:
        confidence = claims_confidence([claim.pk for claim in claims])
    assert len(queries) == 1
    assert set(confidence) == {claims[0].pk, claims[1].pk}
    assert confidence[claims[0].pk].likelihood_low == 55


# --- status ------------------------------------------------------------------------------------


def test_a_status_change_is_recorded_with_who_and_why(reviewer, sourced_claim):
    claim_status_change(
        by=reviewer, claim_id=sourced_claim.pk, status="under_review", reason="checking"
    )
    sourced_claim.refresh_from_db()
    assert sourced_claim.status == "under_review"
    change = sourced_claim.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "unreviewed",
        "under_review",
        reviewer,
        "checking",
    )


def test_a_status_change_needs_a_reason_and_a_change(reviewer, sourced_claim):
    with pytest.raises(ValidationError, match="Say why"):
        claim_status_change(by=reviewer, claim_id=sourced_claim.pk, status="disputed", reason=" ")
    with pytest.raises(ValidationError, match="unreviewed already"):
        claim_status_change(by=reviewer, claim_id=sourced_claim.pk, status="unreviewed", reason="x")


def test_a_claim_without_a_likely_rating_cannot_be_vetted(reviewer, sourced_claim):
    rate(reviewer, sourced_claim, likelihood="roughly_even", rationale="thin")
    with pytest.raises(ValidationError, match='no current rating says "likely" or higher'):
        claim_status_change(by=reviewer, claim_id=sourced_claim.pk, status="vetted", reason="ok")
    sourced_claim.refresh_from_db()
    assert sourced_claim.status == "unreviewed"


def test_a_superseded_likely_rating_does_not_count_for_vetting(reviewer, sourced_claim):
    rate(reviewer, sourced_claim)
    rate(reviewer, sourced_claim, likelihood="unlikely", rationale="new evidence")
    assert claim_vetting_blockers(claim_id=sourced_claim.pk) == [
        'no current rating says "likely" or higher'
    ]


def test_a_claim_with_an_open_contradiction_cannot_be_vetted(reviewer):
    flag = ContradictionFactory()
    rate(reviewer, flag.claim_a, credibility="6")  # no appearance: cannot be judged
    with pytest.raises(
        ValidationError, match=f"1 open contradiction \\(with \u201c{flag.claim_b.text}\u201d\\)"
    ):
        claim_status_change(by=reviewer, claim_id=flag.claim_a_id, status="vetted", reason="ok")
    contradiction_decide(
        status="dismissed", contradiction_id=flag.pk, by=reviewer, reason="different towns"
    )
    claim_status_change(by=reviewer, claim_id=flag.claim_a_id, status="vetted", reason="ok")
    flag.claim_a.refresh_from_db()
    assert flag.claim_a.status == "vetted"


def test_a_rated_claim_without_flags_is_vetted(reviewer, sourced_claim):
    rate(reviewer, sourced_claim, likelihood="very_likely")
    assert claim_vetting_blockers(claim_id=sourced_claim.pk) == []
    claim_status_change(by=reviewer, claim_id=sourced_claim.pk, status="vetted", reason="solid")
    sourced_claim.refresh_from_db()
    assert sourced_claim.status == ClaimStatus.VETTED


def test_refuting_keeps_the_claim(reviewer):
    claim = ClaimFactory()
    claim_status_change(by=reviewer, claim_id=claim.pk, status="refuted", reason="video shows 80")
    claim.refresh_from_db()
    assert claim.status == "refuted"
