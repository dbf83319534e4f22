"""The track-record recompute's reads: the packed arrays (PostgreSQL), the plain tuples, and the
previous implementation (tuples, the outlet through the source, a Python walk per traced
appearance, np.unique over rows) give the same records on a random dataset."""

import functools
import random

import numpy as np
import pytest
from django.db.models.functions import Coalesce
from django.utils import timezone

from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRating,
    ClaimStatus,
    Contradiction,
    ContradictionStatus,
    OutletTrackRecord,
    SpeakerTrackRecord,
)
from claims.selectors.claims import citation_graph, claims_confidence
from claims.services import credibility
from claims.services.credibility import (
    DENYING,
    PRIOR_ALPHA,
    PRIOR_BETA,
    SUPPORTING,
    Edges,
    settled_counts,
    smoothed_mean,
    track_records_recompute,
    truth_discovery,
)
from sources.models import Entity, Outlet, Source, SourceCitation
from tracker import bulk_arrays
from tracker.bulk import insert_rows


@pytest.fixture
def random_dataset(db, reviewer, second_reviewer, editor):
    """Outlets, sources (some without an outlet, some citing others, a citation cycle), claims
    with one to three appearances of every stance, speakers, via links, statuses, ratings and
    flags (one dismissed), drawn at random."""
    rng = random.Random(15)  # noqa: S311 - test data
    outlets = insert_rows(Outlet, [{"key": f"o{i}", "name": f"O{i}"} for i in range(6)])
    speakers = insert_rows(
        Entity,
        [
            {"key": f"s{i}", "name": f"S{i}", "normalized_name": f"s{i}", "kind": "person"}
            for i in range(8)
        ],
    )
    source_rows = [
        {"key": f"src{i}", "title": f"T{i}", "outlet_id": rng.choice([*outlets, None])}
        for i in range(40)
    ]
    sources = insert_rows(Source, source_rows)
    outlet_of = dict(zip(sources, [r["outlet_id"] for r in source_rows], strict=True))
    citations = {(sources[k], rng.choice(sources[:k])) for k in range(1, 40) if rng.random() < 0.3}
    citations |= {(sources[5], sources[6]), (sources[6], sources[5])}  # a cycle
    insert_rows(SourceCitation, [{"citing_id": a, "cited_id": b} for a, b in citations])
    statuses = ["vetted", "refuted", "unreviewed", "unreviewed", "under_review"]
    claims = insert_rows(
        Claim,
        [
            {"key": f"c{i}", "text": f"Claim {i}.", "status": rng.choice(statuses)}
            for i in range(120)
        ],
    )
    rows = []
    for claim in claims:
        for position in range(rng.choice([1, 1, 2, 3])):
            source = rng.choice(sources)
            rows.append(
                {
                    "claim_id": claim,
                    "source_id": source,
                    "outlet_id": outlet_of[source],
                    "position": position,
                    "stance": rng.choice(["asserts", "asserts", "reports", "denies", "questions"]),
                    "speaker_id": rng.choice([*speakers, None, None]),
                }
            )
    appearances = insert_rows(Appearance, rows)
    via = {(a, rng.choice(sources)) for a in appearances if rng.random() < 0.2}
    insert_rows(AppearanceVia, [{"appearance_id": a, "source_id": s} for a, s in via])
    pairs = {tuple(sorted(rng.sample(claims, 2))) for _ in range(15)}
    insert_rows(
        Contradiction,
        [
            {
                "claim_a_id": a,
                "claim_b_id": b,
                "kind": "text",
                "explanation": "random",
                "detected_by": "test",
                "fingerprint": f"{k:032d}",
                "status": ContradictionStatus.DISMISSED if k == 0 else ContradictionStatus.OPEN,
                "dismissed_reason": "random" if k == 0 else "",
                "last_detected_at": timezone.now(),
            }
            for k, (a, b) in enumerate(sorted(pairs))
        ],
    )
    # One to three current ratings a claim (the consensus is their lower median), and a
    # superseded one that no longer counts.
    likelihoods = ["almost_no_chance", "unlikely", "roughly_even", "likely", "almost_certain"]
    raters = [reviewer, second_reviewer, editor]
    insert_rows(
        ClaimRating,
        [
            {
                "claim_id": c,
                "reviewer_id": rater.pk,
                "likelihood": rng.choice(likelihoods),
                "confidence": "moderate",
                "credibility": "3",
                "rationale": "random",
            }
            for c in rng.sample(claims, 40)
            for rater in raters[: rng.choice([1, 2, 3])]
        ]
        + [
            {
                "claim_id": claims[0],
                "reviewer_id": reviewer.pk,
                "likelihood": "almost_no_chance",
                "confidence": "low",
                "credibility": "3",
                "rationale": "random",
                "superseded_at": timezone.now(),
            }
        ],
    )


def records() -> dict:
    fields = ("vetted", "refuted", "score", "truth_score", "claims")
    return {
        "outlets": {
            r.outlet_id: tuple(getattr(r, f) for f in fields)
            for r in OutletTrackRecord.objects.all()
        },
        "speakers": {
            r.speaker_id: tuple(getattr(r, f) for f in fields)
            for r in SpeakerTrackRecord.objects.all()
        },
    }


def assert_same(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for kind in got:
        assert got[kind].keys() == expected[kind].keys(), kind
        for member, values in expected[kind].items():
            assert got[kind][member] == pytest.approx(values, rel=1e-12, abs=1e-12), (kind, member)


def test_the_packed_and_the_plain_reads_give_the_same_track_records(random_dataset, monkeypatch):
    track_records_recompute()
    packed = records()
    monkeypatch.setattr(
        credibility, "int_columns", functools.partial(bulk_arrays.int_columns, packed=False)
    )
    track_records_recompute()
    assert_same(records(), packed)
    assert len(packed["outlets"]) == 6 and len(packed["speakers"]) == 8


def test_the_recompute_gives_the_previous_implementations_track_records(random_dataset):
    result = track_records_recompute()
    assert result.appearances == Appearance.objects.exclude(stance="questions").count()
    assert_same(records(), previous_implementation())


def test_edges_unique_orders_rows_as_numpy_unique_over_rows_does():
    rng = np.random.default_rng(3)
    member, claim = rng.integers(0, 9, 500), rng.integers(0, 40, 500)
    sign = rng.choice([-1, 1], 500)
    rows = np.unique(np.stack([member, claim, sign]), axis=1)
    edges = Edges.unique(member, claim, sign)
    np.testing.assert_array_equal(np.stack([edges.member, edges.claim, edges.sign]), rows)


# --- the previous implementation (before the packed reads), kept as the test's oracle --------


def _ids_array(rows, columns):
    if not rows:
        return np.zeros((columns, 0), dtype=np.int64)
    return np.array(rows, dtype=np.int64).T


def _unique(member, claim, sign) -> Edges:
    rows = np.unique(np.stack([member, claim, sign]).astype(np.int64), axis=1)
    return Edges(rows[0], rows[1], rows[2].astype(np.int8))


def previous_implementation() -> dict:
    def read(stances):
        rows = Appearance.objects.filter(stance__in=stances).values_list(
            "id", "claim_id", "source_id", Coalesce("speaker_id", 0)
        )
        return _ids_array(list(rows), 4)

    supporting, denying = read(SUPPORTING), read(DENYING)
    app_id, claim_id, source_id, speaker_id = np.concatenate([supporting, denying], axis=1)
    signs = np.concatenate(
        [np.ones(supporting.shape[1], np.int8), -np.ones(denying.shape[1], np.int8)]
    )
    outlet_ids = list(Outlet.objects.values_list("id", flat=True))
    n_outlets = max(outlet_ids) + 1
    source_rows = list(Source.objects.values_list("id", Coalesce("outlet_id", -1)))
    source_outlet = np.full(max(r[0] for r in source_rows) + 1, -1, dtype=np.int64)
    ids, outlets = _ids_array(source_rows, 2)
    source_outlet[ids] = outlets
    n_claims = int(claim_id.max()) + 1
    status = np.zeros(n_claims, dtype=np.int8)
    anchor = np.full(n_claims, np.nan)
    for claim, claim_status in Claim.objects.filter(
        status__in=[ClaimStatus.VETTED, ClaimStatus.REFUTED], pk__lt=n_claims
    ).values_list("id", "status"):
        status[claim] = 1 if claim_status == ClaimStatus.VETTED else 2
        anchor[claim] = credibility.SETTLED_BELIEF[claim_status]
    rated = ClaimRating.objects.filter(superseded_at__isnull=True).values_list(
        "claim_id", flat=True
    )
    for claim, confidence in claims_confidence(set(rated)).items():
        if claim < n_claims and status[claim] == 0:
            low, high = credibility.LIKELIHOOD_PERCENT[confidence.likelihood]
            anchor[claim] = (low + high) / 200
    own_outlet = source_outlet[source_id]
    with_outlet = own_outlet >= 0
    published = _unique(own_outlet[with_outlet], claim_id[with_outlet], signs[with_outlet])

    # Voices: a Python walk per traced appearance.
    unknown = n_outlets
    via_of: dict[int, list[int]] = {}
    for appearance, source in AppearanceVia.objects.values_list("appearance_id", "source_id"):
        via_of.setdefault(appearance, []).append(source)
    graph = citation_graph()
    members, voice_claims, voice_signs = [], [], []
    for i in range(app_id.size):
        via = via_of.get(int(app_id[i]))
        cited = graph.cited(int(source_id[i]))
        if not via and not cited:
            outlet = int(own_outlet[i])
            members.append(outlet if outlet >= 0 else unknown)
            voice_claims.append(int(claim_id[i]))
            voice_signs.append(int(signs[i]))
            continue
        origin: set[int] = set()
        for start in via or cited:
            origin |= graph.roots(start)
        for root in origin or {int(source_id[i])}:
            outlet = int(source_outlet[root])
            members.append(outlet if outlet >= 0 else unknown)
            voice_claims.append(int(claim_id[i]))
            voice_signs.append(int(signs[i]))
    voices = _unique(np.array(members), np.array(voice_claims), np.array(voice_signs))
    conflicts = _ids_array(
        list(
            Contradiction.objects.exclude(status=ContradictionStatus.DISMISSED).values_list(
                "claim_a_id", "claim_b_id"
            )
        ),
        2,
    )
    right, wrong = settled_counts(published, status, n_outlets)
    smoothed = (right + PRIOR_ALPHA) / (right + wrong + PRIOR_ALPHA + PRIOR_BETA)
    trust, belief, _rounds = truth_discovery(
        claims=n_claims,
        outlets=n_outlets,
        published=published,
        voices=voices,
        conflicts=conflicts,
        anchor=anchor,
        initial_trust=smoothed,
    )
    count = np.bincount(published.member, minlength=n_outlets)
    has_speaker = speaker_id > 0
    said = _unique(speaker_id[has_speaker], claim_id[has_speaker], signs[has_speaker])
    n_speakers = int(said.member.max()) + 1
    s_right, s_wrong = settled_counts(said, status, n_speakers)
    s_truth = smoothed_mean(said, belief, n_speakers)
    s_count = np.bincount(said.member, minlength=n_speakers)
    return {
        "outlets": {
            o: (
                int(right[o]),
                int(wrong[o]),
                float(smoothed[o]),
                float(trust[o]),
                int(count[o]),
            )
            for o in outlet_ids
        },
        "speakers": {
            s: (
                int(s_right[s]),
                int(s_wrong[s]),
                credibility.beta_score(s_right[s], s_wrong[s]),
                float(s_truth[s]),
                int(s_count[s]),
            )
            for s in np.unique(said.member).tolist()
        },
    }


def test_distinct_gives_what_numpy_unique_gives():
    rng = np.random.default_rng(4)
    for values in (rng.integers(-5, 50, 300), np.zeros(0, np.int64), np.array([7])):
        np.testing.assert_array_equal(credibility.distinct(values), np.unique(values))
