"""Track records of outlets and speakers: a smoothed vetted share and a truth-discovery score.

**Smoothed score.** Of the claims an outlet published (or a speaker said) that reviewers have
settled, `vetted` counts those it got right (it asserted or reported a claim later vetted, or
denied one later refuted) and `refuted` those it got wrong. The score is the mean of a
Beta(2, 2) prior updated by them: (vetted + 2) / (vetted + refuted + 4). No settled claim gives
0.5; one vetted claim gives 0.6, not 1. An outlet counts once per claim however many of its
sources carry it; stance "questions" counts neither way.

**Truth discovery.** Reviewers settle few claims; the truth score also learns from the rest,
by the agreement of independent sources (in the spirit of TruthFinder, Yin, Han and Yu 2008):

1. Each claim's *voices* are the outlets it independently comes from: an appearance speaks
   with the outlets of its origin (the roots of its `via` sources, or of its source's `cites`,
   or its own source: the spec's "Independent sources"), and an outlet speaks once per claim.
   An origin without an outlet is an unknown voice of fixed trust 0.5.
2. Starting from each outlet's smoothed score as its trust t, a claim's support is the chance
   that at least one of its voices is right, 1 - prod(1 - t); denying voices make the same
   "denial". Its opposition is the chance that a denial or any claim it contradicts (flags not
   dismissed) holds: 1 - (1 - denial) * prod(1 - support of the other claim). Its belief is the
   chance that it holds and its opposition does not, given that both cannot hold:
   support * (1 - opposition) / (1 - support * opposition); its support when nothing opposes
   it.
3. Claims reviewers settled are anchored (vetted 0.99, refuted 0.01); claims rated but not
   settled are anchored at the middle of their consensus likelihood band (likely: 0.675).
4. An outlet's new trust is the Beta(2, 2)-smoothed mean of the beliefs of every claim it
   published (1 - belief where it denied the claim), voice or not: an outlet answers for what
   it relays, but only independent origins add weight to a claim.
5. Repeat 2-4 until no trust moves by more than 1e-4 (at most 50 rounds). A speaker's truth
   score is the smoothed mean belief of the claims it said, with the outlets' final trust.

Everything is computed set-based: a handful of queries read the appearances (each with its
source's outlet, copied onto the row: Appearance.outlet), via links, sources, citations, settled
claims, current ratings and flags, the integer columns straight into numpy arrays
(tracker/bulk_arrays.py: packed by PostgreSQL into one bytea); numpy does the arithmetic on
arrays indexed by id, the voices of relayed appearances included (array joins; only sources
that cite others are walked in Python); the results are upserted in bulk.
`track_records_refresh` updates only the counts and smoothed scores of the outlets and speakers
of some claims, at once, after a rating or status change; the truth scores follow at the next
full recompute (sent after the change, coalesced: many changes in a burst cost one recompute).
"""

from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import BigIntegerField, Case, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from claims.core.confidence import LIKELIHOOD_PERCENT, LIKELIHOOD_RANK
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
    Stance,
    TrackRecordState,
)
from claims.selectors.claims import citation_graph
from sources.models import Outlet, Source
from tracker.bulk import filter_in
from tracker.bulk_arrays import int_columns

PRIOR_ALPHA = 2.0
PRIOR_BETA = 2.0
UNKNOWN_TRUST = PRIOR_ALPHA / (PRIOR_ALPHA + PRIOR_BETA)
SUPPORTING = (Stance.ASSERTS, Stance.REPORTS)
DENYING = (Stance.DENIES,)
SETTLED_BELIEF = {ClaimStatus.VETTED: 0.99, ClaimStatus.REFUTED: 0.01}
MAX_ROUNDS = 50
TOLERANCE = 1e-4
# Trust and belief stay off 0 and 1, where log(1 - x) has no value.
CLIP = 0.999

VETTED, REFUTED = 1, 2


def beta_score(vetted: float, refuted: float) -> float:
    return (vetted + PRIOR_ALPHA) / (vetted + refuted + PRIOR_ALPHA + PRIOR_BETA)


# --- the arithmetic, on arrays (no database) ---------------------------------------------------


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array, as np.unique gives them, by a sort: at a
    million values numpy 2's np.unique (a hash table) took 0.9 s here, the sort 0.1 s."""
    ordered = np.sort(np.asarray(values, dtype=np.int64))
    if ordered.size == 0:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


@dataclass
class Edges:
    """Who published, voiced or said which claim: parallel arrays, one row per (member, claim,
    sign), sign +1 for support and -1 for denial."""

    member: np.ndarray
    claim: np.ndarray
    sign: np.ndarray

    @classmethod
    def unique(cls, member, claim, sign) -> "Edges":
        """The distinct rows, ordered by member, claim and sign (what np.unique(axis=1) gives),
        found by sorting one int64 key per row rather than rows of three."""
        member, claim = np.asarray(member, np.int64), np.asarray(claim, np.int64)
        if not member.size:
            return cls.empty()
        if member.min() < 0 or claim.min() < 0:
            raise ValueError("member and claim ids are not negative")
        claims = int(claim.max()) + 1
        keys = distinct((member * claims + claim) * 2 + (np.asarray(sign) > 0))
        positive, pair = keys % 2, keys // 2
        return cls(pair // claims, pair % claims, np.where(positive == 1, 1, -1).astype(np.int8))

    @classmethod
    def empty(cls) -> "Edges":
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8))


def settled_counts(edges: Edges, status: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per member: settled claims it got right and wrong (status: VETTED, REFUTED or 0)."""
    claim_status = status[edges.claim]
    right = ((claim_status == VETTED) & (edges.sign > 0)) | (
        (claim_status == REFUTED) & (edges.sign < 0)
    )
    wrong = ((claim_status == REFUTED) & (edges.sign > 0)) | (
        (claim_status == VETTED) & (edges.sign < 0)
    )
    return (
        np.bincount(edges.member, weights=right, minlength=size),
        np.bincount(edges.member, weights=wrong, minlength=size),
    )


def smoothed_mean(edges: Edges, belief: np.ndarray, size: int) -> np.ndarray:
    """Per member: Beta-smoothed mean of the beliefs of its claims (1 - belief where denied)."""
    voiced = belief[edges.claim]
    agreed = np.where(edges.sign > 0, voiced, 1.0 - voiced)
    total = np.bincount(edges.member, weights=agreed, minlength=size)
    count = np.bincount(edges.member, minlength=size)
    return (total + PRIOR_ALPHA) / (count + PRIOR_ALPHA + PRIOR_BETA)


def truth_discovery(
    *,
    claims: int,
    outlets: int,
    published: Edges,
    voices: Edges,
    conflicts: np.ndarray,
    anchor: np.ndarray,
    initial_trust: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The outlets' trust and the claims' beliefs (module docstring, steps 2 to 5).

    Arrays are indexed by id: `anchor` (claims; NaN where free), `initial_trust` (outlets).
    A voice of member `outlets` is the unknown voice, of fixed trust UNKNOWN_TRUST. conflicts is
    a 2 x n array of claim id pairs. Returns trust, belief and the rounds run.
    """
    anchored = ~np.isnan(anchor)
    anchor_values = np.clip(np.nan_to_num(anchor), 1 - CLIP, CLIP)
    trust = initial_trust.astype(float).copy()
    # Split once, not every round: a million voices.
    support_voice = voices.sign > 0
    supporting_claim, supporting_member = voices.claim[support_voice], voices.member[support_voice]
    denying_claim, denying_member = voices.claim[~support_voice], voices.member[~support_voice]
    rounds = 0
    belief = np.zeros(claims)
    for rounds in range(1, MAX_ROUNDS + 1):  # noqa: B007 (the count is returned)
        voice_trust = np.append(np.clip(trust, 0.0, CLIP), UNKNOWN_TRUST)
        # log(1 - trust) of each member once, then gathered per voice (the same values).
        log_wrong = np.log1p(-voice_trust)
        support = 1 - np.exp(
            np.bincount(supporting_claim, log_wrong[supporting_member], minlength=claims)
        )
        denial = 1 - np.exp(np.bincount(denying_claim, log_wrong[denying_member], minlength=claims))
        support = np.where(anchored, anchor_values, np.clip(support, 0.0, CLIP))
        log_unopposed = np.log1p(-np.clip(denial, 0.0, CLIP))
        if conflicts.size:
            a, b = conflicts
            log_unopposed += np.bincount(a, np.log1p(-support[b]), minlength=claims)
            log_unopposed += np.bincount(b, np.log1p(-support[a]), minlength=claims)
        opposition = 1 - np.exp(log_unopposed)
        # P(claim holds and its opposition does not | not both), support and opposition taken
        # as independent: 1 - support * opposition > 0 since both are clipped below 1.
        opposition = np.clip(opposition, 0.0, CLIP)
        free_belief = support * (1 - opposition) / (1 - support * opposition)
        belief = np.where(anchored, anchor_values, free_belief)
        new_trust = smoothed_mean(published, belief, outlets)
        moved = np.max(np.abs(new_trust - trust)) if outlets else 0.0
        trust = new_trust
        if moved < TOLERANCE:
            break
    return trust, belief, rounds


# --- reading and writing the database ----------------------------------------------------------


@dataclass(frozen=True)
class RecomputeResult:
    outlets: int
    speakers: int
    claims: int
    appearances: int
    rounds: int


def _appearances() -> np.ndarray:
    """Rows id, claim, source, outlet (-1 for none), speaker (0 for none) and sign (+1 asserts
    or reports, -1 denies) of the appearances that support or deny their claim: one table, its
    outlet copied onto it (Appearance.outlet), read by binary COPY on PostgreSQL."""
    rows = (
        Appearance.objects.filter(stance__in=[*SUPPORTING, *DENYING])
        .order_by()  # any order: the model's ordering would only sort a million rows for nothing
        .values_list(
            "id",
            "claim_id",
            "source_id",
            Coalesce("outlet_id", -1),
            Coalesce("speaker_id", 0),
            Case(When(stance__in=DENYING, then=-1), default=1, output_field=BigIntegerField()),
        )
    )
    return int_columns(rows, 6)


def track_records_recompute() -> RecomputeResult:
    """Recompute every outlet's and speaker's track record (module docstring)."""
    now = timezone.now()
    app_id, claim_id, source_id, own_outlet, speaker_id, signs = _appearances()
    signs = signs.astype(np.int8)
    outlet_ids = list(Outlet.objects.values_list("id", flat=True))
    n_outlets = (max(outlet_ids) + 1) if outlet_ids else 0
    n_claims = int(claim_id.max()) + 1 if claim_id.size else 0

    status = np.zeros(n_claims, dtype=np.int8)
    anchor = np.full(n_claims, np.nan)
    settled_ids, settled_status = int_columns(
        Claim.objects.filter(status__in=[ClaimStatus.VETTED, ClaimStatus.REFUTED], pk__lt=n_claims)
        .order_by()
        .values_list(
            "id",
            Case(
                When(status=ClaimStatus.VETTED, then=VETTED),
                default=REFUTED,
                output_field=BigIntegerField(),
            ),
        ),
        2,
    )
    status[settled_ids] = settled_status
    anchor[settled_ids] = np.where(
        settled_status == VETTED,
        SETTLED_BELIEF[ClaimStatus.VETTED],
        SETTLED_BELIEF[ClaimStatus.REFUTED],
    )
    rated, likelihood = _consensus_likelihood_ranks()
    free = rated < n_claims
    free[free] = status[rated[free]] == 0
    anchor[rated[free]] = LIKELIHOOD_MIDDLE[likelihood[free]]

    with_outlet = own_outlet >= 0
    published = Edges.unique(own_outlet[with_outlet], claim_id[with_outlet], signs[with_outlet])
    voices = _voices(app_id, claim_id, source_id, signs, own_outlet, n_outlets)
    conflicts = int_columns(
        Contradiction.objects.exclude(status=ContradictionStatus.DISMISSED)
        .order_by()
        .values_list("claim_a_id", "claim_b_id"),
        2,
    )
    conflicts = conflicts[:, (conflicts < n_claims).all(axis=0)] if conflicts.size else conflicts

    right, wrong = settled_counts(published, status, n_outlets)
    smoothed = (right + PRIOR_ALPHA) / (right + wrong + PRIOR_ALPHA + PRIOR_BETA)
    trust, belief, rounds = truth_discovery(
        claims=n_claims,
        outlets=n_outlets,
        published=published,
        voices=voices,
        conflicts=conflicts,
        anchor=anchor,
        initial_trust=smoothed,
    )
    published_count = np.bincount(published.member, minlength=n_outlets)

    has_speaker = speaker_id > 0
    said = (
        Edges.unique(speaker_id[has_speaker], claim_id[has_speaker], signs[has_speaker])
        if has_speaker.any()
        else Edges.empty()
    )
    speaker_ids = distinct(said.member)
    n_speakers = int(speaker_ids.max()) + 1 if speaker_ids.size else 0
    s_right, s_wrong = settled_counts(said, status, n_speakers)
    s_truth = smoothed_mean(said, belief, n_speakers)
    s_count = np.bincount(said.member, minlength=n_speakers)

    outlet_records = [
        OutletTrackRecord(
            outlet_id=outlet,
            vetted=int(right[outlet]),
            refuted=int(wrong[outlet]),
            score=float(smoothed[outlet]),
            truth_score=float(trust[outlet]),
            claims=int(published_count[outlet]),
            computed_at=now,
        )
        for outlet in outlet_ids
    ]
    speaker_records = [
        SpeakerTrackRecord(
            speaker_id=int(speaker),
            vetted=int(s_right[speaker]),
            refuted=int(s_wrong[speaker]),
            score=beta_score(s_right[speaker], s_wrong[speaker]),
            truth_score=float(s_truth[speaker]),
            claims=int(s_count[speaker]),
            computed_at=now,
        )
        for speaker in speaker_ids.tolist()
    ]
    fields = ["vetted", "refuted", "score", "truth_score", "claims", "computed_at"]
    with transaction.atomic():
        OutletTrackRecord.objects.bulk_create(
            outlet_records, update_conflicts=True, unique_fields=["outlet"], update_fields=fields
        )
        SpeakerTrackRecord.objects.bulk_create(
            speaker_records, update_conflicts=True, unique_fields=["speaker"], update_fields=fields
        )
        # An entity that no longer speaks in any appearance has no track record.
        SpeakerTrackRecord.objects.exclude(computed_at=now).delete()
    return RecomputeResult(
        outlets=len(outlet_records),
        speakers=len(speaker_records),
        claims=n_claims,
        appearances=int(claim_id.size),
        rounds=rounds,
    )


# The middle of each likelihood band, by rank (LIKELIHOOD_RANK): likely (55-80%) is 0.675.
LIKELIHOOD_MIDDLE = np.array(
    [
        sum(LIKELIHOOD_PERCENT[value]) / 200
        for value in sorted(LIKELIHOOD_RANK, key=LIKELIHOOD_RANK.get)
    ]
)


def _consensus_likelihood_ranks() -> tuple[np.ndarray, np.ndarray]:
    """The rated claims and the rank of their consensus likelihood: the lower median of their
    current ratings' (claims.core.confidence.consensus), found on arrays rather than claim by
    claim (20,000 rated claims at a million)."""
    rank = Case(
        *[When(likelihood=value, then=r) for value, r in LIKELIHOOD_RANK.items()],
        output_field=BigIntegerField(),
    )
    claim, likelihood = int_columns(
        ClaimRating.objects.filter(superseded_at__isnull=True)
        .order_by()
        .values_list("claim_id", rank),
        2,
    )
    order = np.lexsort((likelihood, claim))
    claim, likelihood = claim[order], likelihood[order]
    first = (
        np.flatnonzero(np.concatenate(([True], claim[1:] != claim[:-1]))) if claim.size else claim
    )
    ratings = np.diff(np.append(first, claim.size))
    return claim[first], likelihood[first + (ratings - 1) // 2]


def _pairs_join(left_item, left_key, right_key, right_value) -> tuple[np.ndarray, np.ndarray]:
    """(item, value) for every left row (item, key) and right row (key, value) with one key."""
    order = np.argsort(right_key, kind="stable")
    right_key, right_value = right_key[order], right_value[order]
    low = np.searchsorted(right_key, left_key, "left")
    count = np.searchsorted(right_key, left_key, "right") - low
    item = np.repeat(left_item, count)
    first = np.repeat(low, count)
    offset = np.arange(item.size) - np.repeat(np.cumsum(count) - count, count)
    return item, right_value[first + offset]


def _voices(app_id, claim_id, source_id, signs, own_outlet, n_outlets) -> Edges:
    """The independent voices of every claim (module docstring, step 1). Appearances with
    neither via nor a citing source speak with their own outlet; the others speak with the
    outlets of the roots their via sources (else the sources their source cites) trace to,
    joined as arrays: only the roots of sources that cite others are walked in Python."""
    unknown = n_outlets  # the member index of a voice without an outlet
    graph = citation_graph()
    via_appearance, via_source = int_columns(
        AppearanceVia.objects.order_by().values_list("appearance_id", "source_id"), 2
    )
    source_ids, source_outlets = int_columns(
        Source.objects.order_by().values_list("id", Coalesce("outlet_id", -1)), 2
    )
    n_sources = int(source_ids.max()) + 1 if source_ids.size else 0
    source_outlet = np.full(n_sources, -1, dtype=np.int64)
    source_outlet[source_ids] = source_outlets
    citing = np.zeros(n_sources, dtype=bool)
    citing[[s for s in graph.citing_sources() if s < n_sources]] = True

    # Via links of the appearances read (a "questions" appearance's are not), as indexes.
    by_id = np.argsort(app_id)
    at = np.searchsorted(app_id, via_appearance, sorter=by_id).clip(0, max(app_id.size - 1, 0))
    found = (
        app_id[by_id[at]] == via_appearance if app_id.size else np.zeros(via_appearance.size, bool)
    )
    via_item, via_start = by_id[at[found]], via_source[found]
    has_via = np.zeros(app_id.size, dtype=bool)
    has_via[via_item] = True
    # Appearances without via in a source that cites others start from the sources it cites.
    cited_item = np.flatnonzero(~has_via & citing[source_id])
    cite_rows = [(a, b) for a in graph.citing_sources() for b in graph.cited(a)]
    cite_citing, cite_cited = (
        np.array(cite_rows, dtype=np.int64).T if cite_rows else np.zeros((2, 0), np.int64)
    )
    cite_item, cite_start = _pairs_join(cited_item, source_id[cited_item], cite_citing, cite_cited)
    item, start = np.concatenate([via_item, cite_item]), np.concatenate([via_start, cite_start])
    # Each start's roots: itself unless it cites others (then the graph's walk, cycles and all).
    starts = distinct(start)
    walked = starts[(starts < n_sources) & citing[starts.clip(0, max(n_sources - 1, 0))]]
    root_rows = [(s, r) for s in walked.tolist() for r in graph.roots(s)]
    plain = np.setdiff1d(starts, walked)
    root_start = np.concatenate([plain, np.array([s for s, _ in root_rows], np.int64)])
    root_value = np.concatenate([plain, np.array([r for _, r in root_rows], np.int64)])
    item, root = _pairs_join(item, start, root_start, root_value)
    root_outlet = np.full(root.size, -1, dtype=np.int64)
    known = root < n_sources
    root_outlet[known] = source_outlet[root[known]]

    direct = ~(has_via | citing[source_id])
    members = np.concatenate([own_outlet[direct], root_outlet])
    return Edges.unique(
        np.where(members >= 0, members, unknown),
        np.concatenate([claim_id[direct], claim_id[item]]),
        np.concatenate([signs[direct], signs[item]]),
    )


def track_records_refresh(*, claim_ids: list[int]) -> tuple[int, int]:
    """Recount the settled claims and smoothed scores of the outlets and speakers of these
    claims (after a rating or status change), leaving truth scores to the full recompute.
    Returns how many outlet and speaker records were written."""
    now = timezone.now()
    touched = Appearance.objects.values_list("outlet_id", Coalesce("speaker_id", 0))
    outlets, speakers = set(), set()
    for outlet, speaker in filter_in(touched, "claim_id", claim_ids):
        if outlet is not None:
            outlets.add(outlet)
        if speaker:
            speakers.add(speaker)
    counted = Appearance.objects.filter(stance__in=[*SUPPORTING, *DENYING]).order_by()
    outlet_counts = _counts(
        filter_in(counted.values_list("outlet_id", "claim_id", "stance"), "outlet_id", outlets)
    )
    speaker_counts = _counts(
        filter_in(counted.values_list("speaker_id", "claim_id", "stance"), "speaker_id", speakers)
    )
    fields = ["vetted", "refuted", "score", "computed_at"]
    with transaction.atomic():
        OutletTrackRecord.objects.bulk_create(
            [_record(OutletTrackRecord, "outlet_id", o, outlet_counts, now) for o in outlets],
            update_conflicts=True,
            unique_fields=["outlet"],
            update_fields=fields,
        )
        SpeakerTrackRecord.objects.bulk_create(
            [_record(SpeakerTrackRecord, "speaker_id", s, speaker_counts, now) for s in speakers],
            update_conflicts=True,
            unique_fields=["speaker"],
            update_fields=fields,
        )
    return len(outlets), len(speakers)


def _counts(appearances) -> dict[int, tuple[int, int]]:
    """Right and wrong settled claims per member, from rows (member, claim, stance). The claims'
    statuses are read by id afterwards: joined in one query, PostgreSQL read every settled
    claim (8% of a million) to hash-join a few thousand appearances."""
    rows = set(appearances)
    settled = dict(
        filter_in(
            Claim.objects.filter(status__in=[ClaimStatus.VETTED, ClaimStatus.REFUTED])
            .order_by()
            .values_list("id", "status"),
            "id",
            {claim for _who, claim, _stance in rows},
        )
    )
    counts: dict[int, list[int]] = {}
    for who, claim, stance in rows:
        status = settled.get(claim)
        if status is None:
            continue
        right = (status == ClaimStatus.VETTED) == (stance != Stance.DENIES)
        counts.setdefault(who, [0, 0])[0 if right else 1] += 1
    return {who: (right, wrong) for who, (right, wrong) in counts.items()}


def _record(model, key: str, member: int, counts, now):
    right, wrong = counts.get(member, (0, 0))
    return model(
        **{key: member},
        vetted=right,
        refuted=wrong,
        score=beta_score(right, wrong),
        computed_at=now,
    )


# --- when to recompute -------------------------------------------------------------------------


def track_records_request() -> None:
    """Note, in the open transaction, that a rating or status changed: the next recompute job
    will not skip."""
    TrackRecordState.objects.get_or_create(pk=1)
    TrackRecordState.objects.filter(pk=1).update(requested_at=timezone.now())


def track_records_recompute_if_requested(*, force: bool = False) -> RecomputeResult | None:
    """The full recompute, unless one already started from data as new as the last change.

    Safe to run twice or at once: the results are upserts, and two runs write the same values.
    """
    started = timezone.now()
    state, _ = TrackRecordState.objects.get_or_create(pk=1)
    covered = state.computed_from is not None and (
        state.requested_at is None or state.computed_from >= state.requested_at
    )
    if covered and not force:
        return None
    result = track_records_recompute()
    # Changes made while this ran are newer than `started`: the next job will not skip them.
    TrackRecordState.objects.filter(pk=1).filter(
        Q(computed_from__isnull=True) | Q(computed_from__lt=started)
    ).update(computed_from=started)
    return result
