"""Reads of supersessions (spec: "Updates and corrections"): what a claim supersedes and what
supersedes it, for the export, the facts served, the claim's page and the report."""

from collections import defaultdict
from collections.abc import Collection, Iterable

from django.db.models import Q, QuerySet

from claims.models import Claim, Contradiction, Supersession, SupersessionStatus
from tracker.bulk import chunked


def superseded_by_claim() -> dict[int, list[dict]]:
    """Older claim id -> its active supersessions as the export writes them,
    [{"claim": newer key, "reason": ...}], sorted by key (one query)."""
    out: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Supersession.objects.filter(status=SupersessionStatus.ACTIVE)
        .order_by("older_id", "newer__key")
        .values_list("older_id", "newer__key", "reason")
    )
    for older_id, newer_key, reason in rows:
        out[older_id].append({"claim": newer_key, "reason": reason})
    return dict(out)


def replaced_by_claims(claim_ids: Collection[int]) -> dict[int, list[dict]]:
    """Newer claim id -> the claims it supersedes now, [{"claim": older key, "reason": ...}]
    sorted by key, for the claims given (a query per thousand claims)."""
    out: dict[int, list[dict]] = defaultdict(list)
    for chunk in chunked(sorted(set(claim_ids))):
        rows = (
            Supersession.objects.filter(status=SupersessionStatus.ACTIVE, newer_id__in=chunk)
            .order_by("newer_id", "older__key")
            .values_list("newer_id", "older__key", "reason")
        )
        for newer_id, older_key, reason in rows:
            out[newer_id].append({"claim": older_key, "reason": reason})
    return dict(out)


def claims_not_superseded(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """The claims of `queryset` that no active supersession replaces (served as facts)."""
    return queryset.exclude(
        pk__in=Supersession.objects.filter(status=SupersessionStatus.ACTIVE).values("older_id")
    )


def claim_supersessions(*, claim_id: int) -> tuple[list[Supersession], list[Supersession]]:
    """What a claim supersedes and what supersedes it, every status, with the other claim and
    whoever undid it loaded: its admin page (one query)."""
    rows = list(
        Supersession.objects.filter(Q(newer_id=claim_id) | Q(older_id=claim_id))
        .select_related("newer", "older", "undone_by")
        .order_by("status", "-created_at", "id")
    )
    supersedes = [s for s in rows if s.newer_id == claim_id]
    superseded_by = [s for s in rows if s.older_id == claim_id]
    return supersedes, superseded_by


def supersessions_between(
    flags: Iterable[Contradiction],
) -> dict[int, Supersession]:
    """Flag id -> the active supersession between its two claims, for the flags that have one:
    a reviewed flag is kept when its claims come to supersede one another, and is shown with
    the new relation (a query per thousand claims)."""
    flags = list(flags)
    claim_ids = sorted({i for flag in flags for i in (flag.claim_a_id, flag.claim_b_id)})
    by_pair = {}
    for chunk in chunked(claim_ids):
        for s in Supersession.objects.filter(status=SupersessionStatus.ACTIVE, newer_id__in=chunk):
            by_pair[frozenset((s.newer_id, s.older_id))] = s
    out = {}
    for flag in flags:
        found = by_pair.get(frozenset((flag.claim_a_id, flag.claim_b_id)))
        if found is not None:
            out[flag.pk] = found
    return out


def supersessions_for_report(*, subject_ids: Collection[int] | None = None) -> list[Supersession]:
    """Active supersessions with both claims, their subject and predicate loaded, by subject,
    predicate and the newer claim: the report's section on updates and corrections."""
    query = Supersession.objects.filter(status=SupersessionStatus.ACTIVE).select_related(
        "newer__subject", "newer__predicate", "older__subject", "older__predicate"
    )
    if subject_ids is not None:
        query = query.filter(
            Q(newer__subject_id__in=list(subject_ids)) | Q(older__subject_id__in=list(subject_ids))
        )
    return list(query.order_by("older__subject__name", "older__predicate__name", "newer__key"))
