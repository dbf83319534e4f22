"""Reads of claims. Each returns data with what it needs loaded in a fixed number of queries."""

import datetime
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.text import Truncator

from claims.core import values
from claims.core.confidence import (
    LIKELIHOOD_RANK,
    LIKELY_OR_HIGHER,
    Confidence,
    CredibilitySuggestion,
    RatingValues,
    consensus,
    suggest_credibility,
)
from claims.core.corroboration import (
    AppearanceLink,
    CitationGraph,
    dependent_groups_explained,
    independent_source_count,
)
from claims.core.value_columns import earliest_publication
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRating,
    ClaimStatus,
    Contradiction,
    ContradictionStatus,
    Predicate,
)
from claims.selectors.supersessions import claims_not_superseded, replaced_by_claims
from sources.models import Entity, Outlet, Source, SourceCitation
from tracker.bulk import filter_in
from tracker.errors import ApplicationError


def citation_graph() -> CitationGraph:
    cites: dict[int, list[int]] = defaultdict(list)
    for citing, cited in SourceCitation.objects.values_list("citing_id", "cited_id"):
        cites[citing].append(cited)
    return CitationGraph(cites)


def independent_sources_by_claim(claim_ids: list[int] | None = None) -> dict[int, int]:
    """Claim id -> number of independent sources (spec: "Independent sources").

    With `claim_ids` None, every claim that has appearances; claims without any count 0.
    """
    appearances = Appearance.objects.values_list("id", "claim_id", "source_id", "source__outlet_id")
    vias = AppearanceVia.objects.values_list("appearance_id", "source_id")
    if claim_ids is None:
        rows = list(appearances)
        via_rows = list(vias)
    else:
        rows = list(filter_in(appearances, "claim_id", claim_ids))
        via_rows = list(filter_in(vias, "appearance__claim_id", claim_ids))
    via_of: dict[int, list[int]] = defaultdict(list)
    for appearance_id, source_id in via_rows:
        via_of[appearance_id].append(source_id)
    links: dict[int, list[AppearanceLink]] = defaultdict(list)
    for appearance_id, claim_id, source_id, outlet_id in rows:
        links[claim_id].append(AppearanceLink(source_id, outlet_id, tuple(via_of[appearance_id])))
    graph = citation_graph()
    return {claim_id: independent_source_count(items, graph) for claim_id, items in links.items()}


def appearances_outlet_drifted():
    """Appearances whose copied outlet (Appearance.outlet) is not their source's: none, unless
    something wrote around the services (claims/services/appearance_outlets.py)."""
    return Appearance.objects.filter(
        Q(outlet__isnull=True, source__outlet__isnull=False)
        | Q(outlet__isnull=False, source__outlet__isnull=True)
        | (Q(outlet__isnull=False, source__outlet__isnull=False) & ~Q(outlet=F("source__outlet")))
    )


def claim_reference_date(*, source_ids: Collection[int]) -> values.PartialDate | None:
    """The date a claim's relative and year-less phrases are read against, or None.

    That is the earliest publication date among the given sources (a claim's appearances'),
    at its precision; of two starting the same day, the more precise one ("2015-01-01" says more
    than "2015"). None when no source is dated.
    """
    rows = Source.objects.filter(pk__in=source_ids, published__isnull=False).values_list(
        "published", "published_precision"
    )
    dates = [values.PartialDate.from_date(day, values.Precision(p)) for day, p in rows]
    if not dates:
        return None
    return earliest_publication(dates)


@dataclass(frozen=True)
class ContradictionFilters:
    """What a report or list of flags is narrowed to; None means any."""

    statuses: tuple[str, ...] | None = None
    kinds: tuple[str, ...] | None = None
    subject: str | None = None  # an entity key, name or alias
    since: datetime.date | None = None  # detected on or after
    until: datetime.date | None = None  # detected on or before
    outlet: str | None = None  # an outlet key or name: either claim appears in one of its sources


def contradictions_for_report(filters: ContradictionFilters = ContradictionFilters()):
    """Flags with both claims, their subjects, predicates and values loaded (3 queries), open
    first, then by subject and predicate name. Raises ApplicationError for an unknown subject."""
    query = Contradiction.objects.select_related(
        "claim_a__subject",
        "claim_a__predicate",
        "claim_a__value_entity",
        "claim_b__subject",
        "claim_b__predicate",
        "claim_b__value_entity",
        "status_changed_by",
    )
    if filters.statuses:
        query = query.filter(status__in=filters.statuses)
    if filters.kinds:
        query = query.filter(kind__in=filters.kinds)
    if filters.subject:
        entity_ids = entity_ids_matching(filters.subject)
        if not entity_ids:
            raise ApplicationError(f'no entity has the key, name or alias "{filters.subject}"')
        query = query.filter(
            Q(claim_a__subject_id__in=entity_ids) | Q(claim_b__subject_id__in=entity_ids)
        )
    if filters.since:
        query = query.filter(last_detected_at__date__gte=filters.since)
    if filters.until:
        query = query.filter(last_detected_at__date__lte=filters.until)
    if filters.outlet:
        outlet_ids = outlet_ids_named(filters.outlet)
        if not outlet_ids:
            raise ApplicationError(f'no outlet has the key or name "{filters.outlet}"')
        # Exists rather than a join: a flag with many appearances in the outlet is listed once.
        in_outlet = Appearance.objects.filter(source__outlet_id__in=outlet_ids)
        query = query.filter(
            Exists(in_outlet.filter(claim=OuterRef("claim_a")))
            | Exists(in_outlet.filter(claim=OuterRef("claim_b")))
        )
    open_first = Case(When(status=ContradictionStatus.OPEN, then=0), default=1)
    return query.order_by(
        open_first,
        "claim_a__subject__name",
        "claim_a__predicate__name",
        "claim_a__key",
        "claim_b__key",
    )


def _unstorable(reference: str) -> bool:
    """A reference no stored key or name can equal: it holds a NUL (which PostgreSQL refuses in
    text and would turn a look-up into a 500)."""
    return "\x00" in reference


def entity_ids_named(reference: str) -> list[int]:
    """Ids of the entities whose key, name or alias is `reference` (names compared normalised)."""
    if _unstorable(reference):
        return []
    normalized = values.normalize_name(reference)
    return list(
        Entity.objects.filter(
            Q(key=reference) | Q(normalized_name=normalized) | Q(aliases__normalized=normalized)
        )
        .values_list("id", flat=True)
        .distinct()
    )


def entity_ids_matching(reference: str) -> list[int]:
    """Ids of the entities `reference` names (entity_ids_named) and of those whose name or an
    alias contains it once normalised: "Sirte" finds the Battle of Sirte (2016) as well as
    Sirte, "Daesh" the Islamic State. What a person means when typing in a filter box."""
    if _unstorable(reference):
        return []
    exact = entity_ids_named(reference)
    normalized = values.normalize_name(reference)
    if not normalized:
        return exact
    containing = (
        Entity.objects.filter(
            Q(normalized_name__contains=normalized) | Q(aliases__normalized__contains=normalized)
        )
        .values_list("id", flat=True)
        .distinct()
    )
    return sorted(set(exact) | set(containing))


def entity_names_with_contradictions() -> list[str]:
    """Names and aliases of the entities some flag's claims are about, sorted: the report's
    subject suggestions."""
    flagged = Q(pk__in=Contradiction.objects.values("claim_a__subject")) | Q(
        pk__in=Contradiction.objects.values("claim_b__subject")
    )
    entities = Entity.objects.filter(flagged)
    names = set(entities.values_list("name", flat=True))
    names |= set(entities.values_list("aliases__name", flat=True))
    return sorted((name for name in names if name), key=str.casefold)


def outlet_ids_named(reference: str) -> list[int]:
    """Ids of the outlets whose key is `reference` or whose name is, ignoring case."""
    if _unstorable(reference):
        return []
    return list(
        Outlet.objects.filter(Q(key=reference) | Q(name__iexact=reference)).values_list(
            "id", flat=True
        )
    )


def claim_open_contradictions(*, claim_id: int):
    """The open flags of one claim with the other claim loaded, for its admin page."""
    return (
        Contradiction.objects.filter(Q(claim_a_id=claim_id) | Q(claim_b_id=claim_id))
        .filter(status=ContradictionStatus.OPEN)
        .select_related("claim_a", "claim_b")
        .order_by("kind", "id")
    )


# --- the contradiction report and its charts -------------------------------------------------


def claims_with_appearances_by_id(*, claim_ids: Collection[int]) -> dict[int, Claim]:
    """Claims by id, loaded as claims_with_appearances loads them (3 queries)."""
    return claims_with_appearances().in_bulk(list(claim_ids))


def claims_about(*, subject_predicates: Collection[tuple[int, int]]) -> list[Claim]:
    """Every claim of the given (subject id, predicate id) pairs, loaded as
    claims_with_appearances loads them: what a value chart draws."""
    if not subject_predicates:
        return []
    pairs = Q()
    for subject_id, predicate_id in subject_predicates:
        pairs |= Q(subject_id=subject_id, predicate_id=predicate_id)
    return list(claims_with_appearances().filter(pairs).order_by("key"))


def time_varying_claims_about(*, subject_ids: Collection[int]) -> list[Claim]:
    """The claims of the given subjects whose predicate is time-varying: what a timeline draws."""
    if not subject_ids:
        return []
    return list(
        claims_with_appearances()
        .filter(subject_id__in=list(subject_ids), predicate__time_varying=True)
        .exclude(value_type="")
        .order_by("predicate__name", "holds_from", "key")
    )


def contradictions_among(*, claim_ids: Collection[int]) -> list[Contradiction]:
    """The flags both of whose claims are among `claim_ids`, dismissed ones left out."""
    ids = list(claim_ids)
    return list(
        Contradiction.objects.filter(claim_a_id__in=ids, claim_b_id__in=ids)
        .exclude(status=ContradictionStatus.DISMISSED)
        .order_by("id")
    )


# --- review: ratings, consensus, suggestion, vetting -------------------------------------------


def claims_confidence(claim_ids: Collection[int]) -> dict[int, Confidence]:
    """Claim id -> the consensus of its reviewers' current ratings (claims.confidence.Confidence).

    One query (one per 5,000 ids on SQLite) for any number of ids; claims without a current
    rating are absent.
    """
    current = ClaimRating.objects.filter(superseded_at__isnull=True).values_list(
        "claim_id", "likelihood", "confidence", "credibility"
    )
    by_claim: dict[int, list[RatingValues]] = defaultdict(list)
    for claim_id, likelihood, confidence, credibility in filter_in(current, "claim_id", claim_ids):
        by_claim[claim_id].append(RatingValues(likelihood, confidence, credibility))
    return {claim_id: consensus(ratings) for claim_id, ratings in by_claim.items()}


def claim_current_ratings(*, claim_id: int):
    """The current rating of each reviewer of one claim, reviewer loaded, newest first."""
    return (
        ClaimRating.objects.filter(claim_id=claim_id, superseded_at__isnull=True)
        .select_related("reviewer")
        .order_by("-created_at", "-id")
    )


def claim_credibility_suggestion(*, claim_id: int) -> CredibilitySuggestion:
    """The Admiralty credibility grade the tracker suggests for one claim, from its independent
    sources and those of the claims it has open contradictions with."""
    flags = Contradiction.objects.filter(
        Q(claim_a_id=claim_id) | Q(claim_b_id=claim_id), status=ContradictionStatus.OPEN
    ).values_list("claim_a_id", "claim_b_id")
    others = [b if a == claim_id else a for a, b in flags]
    independent = independent_sources_by_claim([claim_id, *others])
    return suggest_credibility(
        independent_sources=independent.get(claim_id, 0),
        contradicting_sources=[independent.get(other, 0) for other in others],
    )


def claim_vetting_blockers(
    *, claim_id: int, new_rating: tuple[int, str] | None = None
) -> list[str]:
    """Why the claim cannot be vetted now, one sentence per unmet condition; empty if it can.

    A claim can be vetted only while it has no open contradiction and at least one current
    rating of "likely" or higher. new_rating (reviewer id, likelihood) is a rating about to be
    made with the status change: it supersedes that reviewer's current one.
    """
    blockers = []
    open_flags = list(claim_open_contradictions(claim_id=claim_id))
    if open_flags:
        other_claims = (f.claim_b if f.claim_a_id == claim_id else f.claim_a for f in open_flags)
        others = ", ".join(f"\u201c{Truncator(c.text).chars(60)}\u201d" for c in other_claims)
        count = len(open_flags)
        flags, them = ("contradiction", "it") if count == 1 else ("contradictions", "them")
        blockers.append(
            f"it has {count} open {flags} (with {others}): confirm, dismiss or resolve {them} first"
        )
    likely = ClaimRating.objects.filter(
        claim_id=claim_id, superseded_at__isnull=True, likelihood__in=LIKELY_OR_HIGHER
    )
    if new_rating is not None:
        reviewer_id, likelihood = new_rating
        likely = likely.exclude(reviewer_id=reviewer_id)
        if likelihood in LIKELY_OR_HIGHER:
            return blockers
    if not likely.exists():
        blockers.append('no current rating says "likely" or higher')
    return blockers


# Sources named in one sentence of claim_corroboration at most; the rest are counted.
CORROBORATION_NAMES_SHOWN = 10


def claim_corroboration(*, claim_id: int) -> list[str]:
    """The claim's groups of dependent appearances, one sentence each, in the spec's sense:
    "“American concerns…” and “Islamic State Vows…” both trace to the Barqa video". A group of
    one stands alone. Each appearance is named by its source's title, shortened."""
    appearances = list(
        Appearance.objects.filter(claim_id=claim_id)
        .select_related("source__outlet")
        .prefetch_related("via_links")
        .order_by("position")
    )
    links = [
        AppearanceLink(
            a.source_id, a.source.outlet_id, tuple(v.source_id for v in a.via_links.all())
        )
        for a in appearances
    ]
    graph = citation_graph()
    groups = dependent_groups_explained(links, graph)
    origin_ids = {s for group in groups for s in group.shared_origins}
    titles = dict(Source.objects.filter(pk__in=origin_ids).values_list("pk", "title"))
    outlets = {a.source.outlet_id: a.source.outlet.name for a in appearances if a.source.outlet}

    def names(members) -> str:
        # Sources by their titles, shortened: keys mean nothing to a reader.
        titles = list(
            dict.fromkeys(f"“{Truncator(appearances[i].source.title).chars(50)}”" for i in members)
        )
        if len(titles) > CORROBORATION_NAMES_SHOWN:  # a wire story in thousands of sources
            more = len(titles) - CORROBORATION_NAMES_SHOWN
            return ", ".join(titles[:CORROBORATION_NAMES_SHOWN]) + f" and {more} more"
        return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]

    sentences = []
    for number, group in enumerate(groups, start=1):
        if len(group.members) == 1:
            sentences.append(f"{number}. {names(group.members)} stands alone")
            continue
        ties = [
            f"{names(members)} {'both ' if len(members) == 2 else 'all '}trace to {titles[source]}"
            for source, members in group.shared_origins.items()
        ] + [
            f"{names(members)} {'are both' if len(members) == 2 else 'are all'} from "
            f"{outlets[outlet]}"
            for outlet, members in group.shared_outlets.items()
        ]
        sentences.append(f"{number}. " + "; ".join(ties))
    return sentences


# Not worth telling a reviewer whose edit was refused: they move with every save.
_UNTOLD_CHANGES = ("version", "updated_at", "created_at")


def claim_changes_since(*, claim_id: int, version: int) -> list[str]:
    """What happened to the claim after `version`, one line per history entry, oldest first:
    when, who, and each field changed with its value before and after ("status: Unreviewed ->
    Vetted"). An entry that changed none of the claim's own fields says so."""
    history = Claim.history.filter(id=claim_id).select_related("history_user")
    # The claim as the form was loaded: the last entry of that version (claims older than the
    # version column have several entries of version 1).
    loaded = history.filter(version__lte=version).order_by("-history_date", "-history_id")[:1]
    newer = history.filter(version__gt=version).order_by("history_date", "history_id")
    lines = []
    before = next(iter(loaded), None)
    for after in newer:
        changes = []
        if before is not None:
            delta = after.diff_against(
                before, excluded_fields=_UNTOLD_CHANGES, foreign_keys_are_objs=True
            )
            changes = [
                f"{_field_label(change.field)}: {_shown(change.field, change.old)} -> "
                f"{_shown(change.field, change.new)}"
                for change in delta.changes
            ]
        before = after
        who = after.history_user.get_username() if after.history_user else "an import or a job"
        when = after.history_date.strftime("%Y-%m-%d %H:%M:%S")
        what = "; ".join(changes) or "saved without changing its own fields"
        lines.append(f"{when}, {who}: {what}")
    return lines


def _field_label(name: str) -> str:
    return str(Claim._meta.get_field(name).verbose_name)


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    field = Claim._meta.get_field(name)
    if field.choices:
        value = dict(field.flatchoices).get(value, value)
    return f'"{Truncator(str(value)).chars(60)}"'


# --- vetted facts and claims for the API (claims/apis) ----------------------------------------


def facts_queryset():
    """Vetted claims with what a page of facts shows loaded: subject, predicate, values,
    location (joined) and appearances with their sources, outlets, speakers and via links
    (prefetched, two queries per page whatever its size). A claim that a later one supersedes
    (spec: "Updates and corrections") is no longer a fact."""
    return claims_not_superseded(claims_with_appearances().filter(status=ClaimStatus.VETTED))


def claims_with_appearances():
    """Claims with what every page of them shows: subject, predicate, values and location
    joined, and every appearance (in order) with its source, outlet, speaker and via links
    prefetched. The one way claims are read with their appearances: the API's claims and facts,
    the report and its charts."""
    # Timestamps of the joined rows and a source's full text are never shown: not reading them
    # saves parsing thousands of values per page.
    stamps = ("created_at", "updated_at")
    appearances = (
        Appearance.objects.select_related("source__outlet", "speaker")
        .defer(
            *stamps,
            "source__text",
            *(
                f"{joined}__{stamp}"
                for joined in ("source", "source__outlet", "speaker")
                for stamp in stamps
            ),
        )
        .prefetch_related(
            Prefetch("via_links", queryset=AppearanceVia.objects.only("appearance_id", "source_id"))
        )
    )
    return (
        Claim.objects.select_related("subject", "predicate", "value_entity", "location")
        .defer(
            *(
                f"{joined}__{stamp}"
                for joined in ("subject", "predicate", "value_entity", "location")
                for stamp in stamps
            )
        )
        .prefetch_related(Prefetch("appearances", queryset=appearances.order_by("position")))
    )


def predicate_ids_named(reference: str) -> list[int]:
    """Ids of the predicates whose key, name or alias is `reference` (names normalised)."""
    if _unstorable(reference):
        return []
    normalized = values.normalize_name(reference)
    return list(
        Predicate.objects.filter(
            Q(key=reference) | Q(normalized_name=normalized) | Q(aliases__normalized=normalized)
        )
        .values_list("id", flat=True)
        .distinct()
    )


def citation_graph_from(source_ids: Collection[int]) -> CitationGraph:
    """The citations reachable from `source_ids`, in one recursive query: what the independent
    sources of a page of claims need, rather than every citation stored (citation_graph)."""
    ids = sorted(set(source_ids))
    if not ids:
        return CitationGraph({})
    table = SourceCitation._meta.db_table
    placeholders = ", ".join(["%s"] * len(ids))
    query = (
        f"WITH RECURSIVE reach(id) AS (SELECT id FROM {Source._meta.db_table} "  # noqa: S608 - names from the models, values bound
        f"WHERE id IN ({placeholders}) UNION SELECT c.cited_id FROM {table} c "
        f"JOIN reach r ON c.citing_id = r.id) "
        f"SELECT c.citing_id, c.cited_id FROM {table} c JOIN reach r ON c.citing_id = r.id"
    )
    cites: dict[int, list[int]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(query, ids)
        for citing, cited in cursor.fetchall():
            cites[citing].append(cited)
    return CitationGraph(cites)


def open_contradiction_counts(claim_ids: Collection[int]) -> dict[int, int]:
    """Claim id -> number of open flags it is in, in one query (pair index and claim_b's)."""
    ids = list(claim_ids)
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = Contradiction.objects.filter(status=ContradictionStatus.OPEN).filter(
        Q(claim_a_id__in=ids) | Q(claim_b_id__in=ids)
    )
    for a, b in rows.values_list("claim_a_id", "claim_b_id"):
        for claim_id in (a, b):
            if claim_id in counts:
                counts[claim_id] += 1
    return counts


def claims_annotate_for_api(claims: Sequence[Claim]) -> None:
    """Set `independent_sources` and `open_contradictions` on claims loaded by
    claims_with_appearances: two queries for the whole page (the citations it reaches, its
    open flags), none per claim."""
    source_ids = {a.source_id for claim in claims for a in claim.appearances.all()}
    source_ids |= {
        v.source_id for claim in claims for a in claim.appearances.all() for v in a.via_links.all()
    }
    graph = citation_graph_from(source_ids)
    flags = open_contradiction_counts([claim.pk for claim in claims])
    confidences = claims_confidence([claim.pk for claim in claims])
    for claim in claims:
        links = [
            AppearanceLink(
                a.source_id, a.source.outlet_id, tuple(v.source_id for v in a.via_links.all())
            )
            for a in claim.appearances.all()
        ]
        claim.independent_sources = independent_source_count(links, graph)
        claim.open_contradictions = flags[claim.pk]
        claim.confidence = confidences.get(claim.pk)


def facts_annotate_replaced(claims: Sequence[Claim]) -> None:
    """Set `replaces` on facts: the claims each supersedes, [{"claim": key, "reason": ...}]
    (one query for the page)."""
    replaced = replaced_by_claims([claim.pk for claim in claims])
    for claim in claims:
        claim.replaces = replaced.get(claim.pk, [])


def claims_at_least_likely(queryset, likelihood: str):
    """Narrow a claim queryset to claims whose consensus likelihood (claims_confidence) is
    `likelihood` or more likely, in the query itself, so that a filtered page stays one query.

    The consensus is the lower median of the current ratings' ranks: with n ratings sorted by
    rank, the one at (n - 1) // 2. It is at least L exactly when at most (n - 1) // 2 ratings
    rank below L, that is when n > 2 * below; n = 0 (no rating) never qualifies.
    """
    below = [v for v in LIKELIHOOD_RANK if LIKELIHOOD_RANK[v] < LIKELIHOOD_RANK[likelihood]]
    current = ClaimRating.objects.filter(claim_id=OuterRef("pk"), superseded_at__isnull=True)

    def count(ratings) -> Coalesce:
        counted = ratings.order_by().values("claim_id").annotate(n=Count("id")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return queryset.alias(
        _ratings=count(current), _ratings_below=count(current.filter(likelihood__in=below))
    ).filter(_ratings__gt=F("_ratings_below") * 2)


def claims_vetting_blockers(*, claim_ids: Collection[int]) -> dict[int, list[str]]:
    """claim_vetting_blockers for many claims in two queries (the claimset import's status
    changes): the claims that cannot be vetted now, each with why."""
    ids = list(dict.fromkeys(claim_ids))
    open_counts = open_contradiction_counts(ids)
    likely = set(
        filter_in(
            ClaimRating.objects.filter(
                superseded_at__isnull=True, likelihood__in=LIKELY_OR_HIGHER
            ).values_list("claim_id", flat=True),
            "claim_id",
            ids,
        )
    )
    blockers: dict[int, list[str]] = {}
    for claim_id in ids:
        reasons = []
        if open_counts.get(claim_id):
            reasons.append(
                f"it has {open_counts[claim_id]} open contradiction(s): confirm, dismiss or "
                "resolve them first"
            )
        if claim_id not in likely:
            reasons.append('no current rating says "likely" or higher')
        if reasons:
            blockers[claim_id] = reasons
    return blockers
