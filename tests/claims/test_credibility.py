"""Track records: smoothed scores and truth discovery, on cases small enough to do by hand."""

import math

import numpy as np
import pytest

from claims.models import AppearanceVia, ClaimStatus, OutletTrackRecord, SpeakerTrackRecord
from claims.services.claims import claim_status_change
from claims.services.credibility import (
    Edges,
    track_records_recompute,
    track_records_recompute_if_requested,
    track_records_refresh,
    truth_discovery,
)
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    EntityFactory,
    OutletFactory,
    SourceFactory,
)


def settle(claim, status):
    claim.status = status
    claim.save()


def published(outlet, *claims, stance="asserts"):
    source = SourceFactory(outlet=outlet)
    for claim in claims:
        AppearanceFactory(
            claim=claim, source=source, stance=stance, position=claim.appearances.count()
        )
    return source


def record(outlet) -> OutletTrackRecord:
    return OutletTrackRecord.objects.get(outlet=outlet)


def test_one_vetted_claim_does_not_make_an_outlet_perfect(db):
    outlet = OutletFactory()
    claim = ClaimFactory()
    published(outlet, claim)
    settle(claim, ClaimStatus.VETTED)
    track_records_recompute()
    assert (record(outlet).vetted, record(outlet).refuted) == (1, 0)
    assert record(outlet).score == pytest.approx(3 / 5)  # (1 + 2) / (1 + 0 + 4)


def test_the_smoothed_score_counts_each_claim_once_and_denials_the_other_way(db):
    outlet = OutletFactory()
    vetted = [ClaimFactory() for _ in range(3)]
    refuted, denied_refuted, unsettled = ClaimFactory(), ClaimFactory(), ClaimFactory()
    published(outlet, *vetted, refuted, unsettled)
    published(outlet, vetted[0])  # a second source of the outlet with the same claim
    published(outlet, denied_refuted, stance="denies")
    for claim in vetted:
        settle(claim, ClaimStatus.VETTED)
    settle(refuted, ClaimStatus.REFUTED)
    settle(denied_refuted, ClaimStatus.REFUTED)
    track_records_recompute()
    # Right: 3 vetted + 1 refuted it denied; wrong: 1 refuted it asserted.
    assert (record(outlet).vetted, record(outlet).refuted, record(outlet).claims) == (4, 1, 6)
    assert record(outlet).score == pytest.approx((4 + 2) / (5 + 4))


def test_a_speaker_refuted_three_times_has_a_low_score(db):
    spokesman = EntityFactory(name="a spokesman", kind="person")
    claims = [ClaimFactory() for _ in range(3)]
    for claim in claims:
        AppearanceFactory(claim=claim, speaker=spokesman)
        settle(claim, ClaimStatus.REFUTED)
    track_records_recompute()
    speaker = SpeakerTrackRecord.objects.get(speaker=spokesman)
    assert (speaker.vetted, speaker.refuted) == (0, 3)
    assert speaker.score == pytest.approx(2 / 7)  # (0 + 2) / (3 + 4)


def test_truth_discovery_reaches_the_fixed_point_by_hand():
    # Outlet 0 published a vetted claim (anchored at 0.99) and a free claim it alone voices.
    # Its trust t solves t = (2 + 0.99 + t) / (2 + 4): t = 2.99 / 5.
    edges = Edges.unique(np.array([0, 0]), np.array([0, 1]), np.array([1, 1]))
    trust, belief, rounds = truth_discovery(
        claims=2,
        outlets=1,
        published=edges,
        voices=edges,
        conflicts=np.zeros((2, 0), dtype=np.int64),
        anchor=np.array([0.99, np.nan]),
        initial_trust=np.array([0.6]),
    )
    assert trust[0] == pytest.approx(2.99 / 5, abs=1e-3)
    assert belief[1] == pytest.approx(trust[0], abs=1e-3)
    assert 1 < rounds < 50


def test_truth_discovery_sides_with_the_better_corroborated_of_two_conflicting_claims():
    # Claim 0 voiced by outlets 0 and 1, claim 1 by outlet 2 alone; they contradict each other.
    edges = Edges.unique(np.array([0, 1, 2]), np.array([0, 0, 1]), np.array([1, 1, 1]))
    trust, belief, _ = truth_discovery(
        claims=2,
        outlets=3,
        published=edges,
        voices=edges,
        conflicts=np.array([[0], [1]]),
        anchor=np.array([np.nan, np.nan]),
        initial_trust=np.full(3, 0.5),
    )
    assert belief[0] > belief[1]
    assert trust[0] == pytest.approx(trust[1])
    assert trust[2] < 0.5 < trust[0]


def test_a_relayed_report_is_not_an_independent_voice(db):
    # X: in A's source and in B's source via A's: one origin. Y: in C's and D's: two.
    a, b, c, d = (OutletFactory() for _ in range(4))
    x, y = ClaimFactory(), ClaimFactory()
    original = published(a, x)
    relayed = AppearanceFactory(claim=x, source=SourceFactory(outlet=b), position=1)
    AppearanceVia.objects.create(appearance=relayed, source=original)
    published(c, y)
    published(d, y)
    track_records_recompute()
    # A: t = (2 + t_A) / 5 (X's only voice is A), so 0.5. C: Y's support is 1 - (1 - t)^2
    # with both voices at t, so t = (2 + 1 - (1 - t)^2) / 5: t^2 + 3t - 2 = 0.
    assert record(a).truth_score == pytest.approx(0.5, abs=1e-3)
    assert record(b).truth_score == pytest.approx(0.5, abs=1e-3)
    fixed_point = (-3 + math.sqrt(17)) / 2
    assert record(c).truth_score == pytest.approx(fixed_point, abs=1e-3)
    assert record(d).truth_score == pytest.approx(fixed_point, abs=1e-3)


def test_a_contradicted_claim_lowers_its_outlets_truth_score(db):
    honest, dubious = OutletFactory(), OutletFactory()
    flag = ContradictionFactory()
    published(honest, flag.claim_a)
    published(OutletFactory(), flag.claim_a)
    published(dubious, flag.claim_b)
    track_records_recompute()
    assert record(dubious).truth_score < 0.5 < record(honest).truth_score


def test_a_status_change_recounts_the_outlet_and_speaker_at_once(
    reviewer, django_capture_on_commit_callbacks
):
    outlet, speaker = OutletFactory(), EntityFactory(kind="person")
    claim = ClaimFactory()
    AppearanceFactory(claim=claim, source=SourceFactory(outlet=outlet), speaker=speaker)
    with django_capture_on_commit_callbacks(execute=True):
        claim_status_change(by=reviewer, claim_id=claim.pk, status="refuted", reason="video")
    assert (record(outlet).refuted, record(outlet).score) == (1, pytest.approx(2 / 5))
    assert record(outlet).truth_score is not None  # the full recompute ran too (eager)
    assert SpeakerTrackRecord.objects.get(speaker=speaker).refuted == 1


def test_refresh_touches_only_the_claims_outlets(db):
    mine, other = OutletFactory(), OutletFactory()
    claim = ClaimFactory()
    published(mine, claim)
    published(other, ClaimFactory())
    assert track_records_refresh(claim_ids=[claim.pk]) == (1, 0)
    assert not OutletTrackRecord.objects.filter(outlet=other).exists()


def test_the_full_recompute_skips_when_nothing_changed_since_the_last(db):
    OutletFactory()
    assert track_records_recompute_if_requested() is not None
    assert track_records_recompute_if_requested() is None
    assert track_records_recompute_if_requested(force=True) is not None


def test_the_outlet_list_shows_and_sorts_by_the_track_record(staff_client):
    from django.urls import reverse

    good, bad = OutletFactory(name="Good"), OutletFactory(name="Bad")
    vetted, refuted = ClaimFactory(), ClaimFactory()
    published(good, vetted)
    published(bad, refuted)
    settle(vetted, ClaimStatus.VETTED)
    settle(refuted, ClaimStatus.REFUTED)
    track_records_recompute()
    url = reverse("admin:sources_outlet_changelist")
    response = staff_client.get(url, {"o": "5"})  # the track record column, ascending
    assert list(response.context["cl"].result_list) == [bad, good]
    assert "0.60 (1 vetted, 0 refuted)" in response.content.decode()
    response = staff_client.get(url, {"o": "-6"})  # truth score, descending
    assert list(response.context["cl"].result_list) == [good, bad]
