"""Reads for the editors' desk, the admin's front page (tracker/admin_site.py): the work waiting
for someone, each as a count and the first few records."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from claims.models import Appearance, Claim, ClaimStatus, Contradiction, ContradictionStatus
from claims.selectors.claims import independent_sources_by_claim
from sources.models import Source

# A claim still waiting for a reviewer's decision.
AWAITING_REVIEW = (ClaimStatus.UNREVIEWED, ClaimStatus.UNDER_REVIEW)
RECENT_CHANGES_DAYS = 7


def claims_awaiting_review() -> QuerySet[Claim]:
    """Claims no reviewer has decided on yet, the oldest first."""
    return Claim.objects.filter(status__in=AWAITING_REVIEW).order_by("created_at", "id")


def sources_unread_for_claims() -> QuerySet[Source]:
    """Sources with text in which no claim has been recorded yet ("not read for claims"): the
    articles waiting for someone to propose their claims."""
    return Source.objects.exclude(text="").exclude(
        Exists(Appearance.objects.filter(source=OuterRef("pk")))
    )


def open_flags() -> QuerySet[Contradiction]:
    return Contradiction.objects.filter(status=ContradictionStatus.OPEN)


def open_flags_first_to_review(limit: int) -> list[Contradiction]:
    """Open flags, the oldest first and, among flags raised together, the best corroborated
    (most independent sources behind their two claims) first: the ones to decide on first."""
    flags = list(
        open_flags()
        .select_related("claim_a", "claim_b")
        .annotate(
            appearance_count=Count("claim_a__appearances", distinct=True)
            + Count("claim_b__appearances", distinct=True)
        )
        .order_by("created_at__date", "-appearance_count", "id")[: limit * 4]
    )
    counts = independent_sources_by_claim(
        list({claim_id for f in flags for claim_id in (f.claim_a_id, f.claim_b_id)})
    )
    for flag in flags:
        flag.independent_sources = counts.get(flag.claim_a_id, 0) + counts.get(flag.claim_b_id, 0)
    flags.sort(key=lambda f: (f.created_at.date(), -f.independent_sources, f.pk))
    return flags[:limit]


@dataclass(frozen=True)
class RecentChange:
    when: object
    who: str
    what: str  # "claim", "appearance", "flag"
    action: str  # "added", "changed", "deleted"
    record: object  # the historical row; its instance's pk links to the record
    label: str


_ACTIONS = {"+": "added", "~": "changed", "-": "deleted"}


def recent_changes_by_others(*, user, limit: int) -> tuple[int, list[RecentChange]]:
    """How many claims, appearances and flags others changed in the last week (sources keep no
    history), and the latest few."""
    since = timezone.now() - timedelta(days=RECENT_CHANGES_DAYS)
    histories = (
        ("claim", Claim.history.model),
        ("appearance", Appearance.history.model),
        ("flag", Contradiction.history.model),
    )
    total = 0
    latest = []
    for what, model in histories:
        # People's changes only: the tracker's own (detection, recounts) have no user.
        rows = model.objects.filter(history_date__gte=since, history_user__isnull=False).exclude(
            history_user_id=user.pk
        )
        total += rows.count()
        latest.extend(
            (what, row)
            for row in rows.select_related("history_user").order_by("-history_date")[:limit]
        )
    changes = sorted(latest, key=lambda pair: pair[1].history_date, reverse=True)
    return total, [
        RecentChange(
            when=row.history_date,
            who=row.history_user.get_username() if row.history_user else "the tracker",
            what=what,
            action=_ACTIONS.get(row.history_type, "changed"),
            record=row,
            label=_history_label(what, row),
        )
        for what, row in changes[:limit]
    ]


def _history_label(what: str, row) -> str:
    if what == "claim":
        return row.text
    if what == "appearance":
        return row.quote or "an appearance without a quote"
    return row.explanation
