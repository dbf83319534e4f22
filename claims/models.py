"""Predicates, claims, their appearances in sources, and editor-asserted relations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import Truncator
from simple_history.models import HistoricalRecords

from claims.core.confidence import (
    LIKELY_OR_HIGHER,
    AnalyticConfidence,
    Credibility,
    Likelihood,
)
from sources.models import Entity, Outlet, Source
from tracker.models import (
    KEY_MAX_LENGTH,
    Precision,
    TimestampedModel,
    date_has_precision,
    key_validator,
)


def shorten(text: str, length: int) -> str:
    """The text cut at a word to at most `length` characters, with an ellipsis when cut."""
    return Truncator(" ".join(text.split())).chars(length)


class ValueType(models.TextChoices):
    QUANTITY = "quantity"
    DATE = "date"
    ENTITY = "entity"
    TEXT = "text"


class Predicate(TimestampedModel):
    """What is claimed about a subject: `number of fighters who escaped`, `controlled by`."""

    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    name = models.CharField(max_length=300)
    # normalize_name(name); indexed for look-up by name (predicate_lookup).
    normalized_name = models.CharField(max_length=300, db_index=True, editable=False)
    value_type = models.CharField(max_length=10, choices=ValueType.choices)
    unit = models.CharField(
        max_length=50, blank=True, help_text="The unit quantities are compared in."
    )
    functional = models.BooleanField(
        default=False, help_text="One true entity at a time: two different entities conflict."
    )
    time_varying = models.BooleanField(
        default=False, help_text="Claims conflict only where their valid times overlap."
    )
    cumulative = models.BooleanField(
        default=False,
        help_text="A count that only grows (number killed, displaced, arrested): a later, higher "
        "figure updates an earlier one instead of contradicting it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # Named, rather than unique=True, which adds a LIKE-pattern index no query uses.
            models.UniqueConstraint(fields=["key"], name="claims_predicate_key_unique"),
            models.CheckConstraint(condition=~Q(key=""), name="claims_predicate_key_not_empty"),
            models.CheckConstraint(
                condition=Q(value_type__in=ValueType.values),
                name="claims_predicate_value_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(functional=False) | Q(value_type=ValueType.ENTITY),
                name="claims_predicate_functional_only_for_entities",
            ),
            models.CheckConstraint(
                condition=Q(unit="") | Q(value_type=ValueType.QUANTITY),
                name="claims_predicate_unit_only_for_quantities",
            ),
            models.CheckConstraint(
                condition=Q(cumulative=False) | Q(value_type=ValueType.QUANTITY),
                name="claims_predicate_cumulative_only_for_quantities",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PredicateAlias(models.Model):
    predicate = models.ForeignKey(Predicate, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    # normalize_name(name); indexed for look-up by alias (predicate_lookup).
    normalized = models.CharField(max_length=300, db_index=True, editable=False)

    class Meta:
        verbose_name_plural = "predicate aliases"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["predicate", "normalized"],
                name="claims_predicatealias_unique_per_predicate",
            ),
            models.CheckConstraint(
                condition=~Q(normalized=""), name="claims_predicatealias_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def _only_value_columns(value_type: str) -> Q:
    """The value columns of one value type may be set; every other value column is empty."""
    empty = {
        ValueType.QUANTITY: Q(quantity_low__isnull=True, quantity_high__isnull=True),
        ValueType.DATE: Q(date_from__isnull=True, date_to__isnull=True),
        ValueType.ENTITY: Q(value_entity__isnull=True),
        ValueType.TEXT: Q(value_text=""),
    }
    present = {
        ValueType.QUANTITY: Q(quantity_low__isnull=False) | Q(quantity_high__isnull=False),
        ValueType.DATE: Q(date_from__isnull=False) | Q(date_to__isnull=False),
        ValueType.ENTITY: Q(value_entity__isnull=False),
        ValueType.TEXT: ~Q(value_text=""),
    }
    condition = Q(value_type=value_type)
    for other, empty_condition in empty.items():
        condition &= present[other] if other == value_type else empty_condition
    return condition


class ClaimStatus(models.TextChoices):
    UNREVIEWED = "unreviewed"
    UNDER_REVIEW = "under_review", "Under review"
    VETTED = "vetted"
    DISPUTED = "disputed"
    REFUTED = "refuted"
    RETRACTED = "retracted"


class Claim(TimestampedModel):
    """One discrete, checkable statement, structured where possible.

    A quantity is kept twice: as written in the claimset (`quantity_given_*`, in the unit the
    source used, exported as such) and as the interval compared (`quantity_low`/`quantity_high`,
    in the predicate's unit). Dates are intervals of days whose ends keep their precision.
    """

    Status = ClaimStatus

    key = models.CharField(
        max_length=KEY_MAX_LENGTH,
        validators=[key_validator],
        help_text="Stable external id; generated when left empty.",
    )
    text = models.TextField(help_text="The canonical wording of the claim.")
    subject = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims_about",
        db_index=False,  # claims_claim_subject_pred leads with subject and serves its look-ups
    )
    predicate = models.ForeignKey(
        Predicate, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    value_type = models.CharField(
        max_length=10, choices=ValueType.choices, blank=True, help_text="Empty: no value."
    )
    value_as_written = models.CharField(
        max_length=300,
        blank=True,
        help_text='The phrase the value was parsed from: "at least 400".',
    )
    quantity_low = models.FloatField(null=True, blank=True, help_text="In the predicate's unit.")
    quantity_high = models.FloatField(null=True, blank=True, help_text="In the predicate's unit.")
    quantity_low_inclusive = models.BooleanField(default=True)
    quantity_high_inclusive = models.BooleanField(default=True)
    quantity_given_low = models.FloatField(null=True, blank=True)
    quantity_given_high = models.FloatField(null=True, blank=True)
    quantity_given_unit = models.CharField(max_length=50, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_from_precision = models.CharField(max_length=5, choices=Precision.choices, blank=True)
    date_to = models.DateField(null=True, blank=True, help_text="The last day of the interval.")
    date_to_precision = models.CharField(max_length=5, choices=Precision.choices, blank=True)
    value_entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, null=True, blank=True, related_name="claims_valued"
    )
    value_text = models.TextField(blank=True)
    negated = models.BooleanField(
        default=False, help_text="The claim says the value does NOT hold."
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_from_precision = models.CharField(max_length=5, choices=Precision.choices, blank=True)
    valid_to = models.DateField(null=True, blank=True, help_text="The last day the claim holds.")
    valid_to_precision = models.CharField(max_length=5, choices=Precision.choices, blank=True)
    valid_as_written = models.CharField(max_length=300, blank=True)
    location = models.ForeignKey(
        Entity, on_delete=models.PROTECT, null=True, blank=True, related_name="claims_located"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNREVIEWED)
    # The time the claim holds, as the contradiction rules read it: its valid time, or else the
    # publication date of its earliest dated appearance at that date's precision, or else all
    # times (both empty). Kept by claim_holds_refresh whenever a claim, its appearances or their
    # sources' dates change, so that a check reads one row instead of joining sources.
    holds_from = models.DateField(null=True, blank=True, editable=False)
    holds_to = models.DateField(null=True, blank=True, editable=False)
    # Set, in the same transaction as a change, when the claim's contradiction check is due;
    # cleared by the check. A check whose task never reached the broker is found by the sweeper.
    check_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The wording as the text detector reads it (claims/core/text_compare.py), kept so that checks
    # and scans compare stored terms and mentions instead of reading every wording again:
    # its terms, sorted and space-separated, and the digest of its number, date and negation
    # mentions (text_compare.digest). Written by detection.claim_terms_refresh.
    wording_terms = models.TextField(blank=True, editable=False)
    wording_digest = models.TextField(blank=True, editable=False)
    # Raised by one on every save by an editor, a reviewer or an import, never by detection's
    # bookkeeping writes: an edit form carries the version it was loaded with and is refused
    # when the claim has moved on since (claims.services.claim_lock_unchanged), so that no
    # one's change is silently overwritten.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Every change by an editor, a reviewer or an import, with who and when (the derived
    # columns above are left out: they follow the claim and its appearances).
    history = HistoricalRecords(
        excluded_fields=[
            "holds_from",
            "holds_to",
            "check_requested_at",
            "wording_terms",
            "wording_digest",
        ]
    )

    class Meta:
        ordering = ["key"]
        indexes = [
            # Claims about one subject and predicate: the contradiction candidates of a claim.
            models.Index(fields=["subject", "predicate"], name="claims_claim_subject_pred"),
            # A block's values in order, affirmed and negated apart: the check of one claim
            # (detection.structured_candidates_of) reads the claims of its block whose
            # intervals lie wholly below or above its own, or that deny it, as ranges of these,
            # so a claim in a hot block of agreeing claims reads only its conflicting ones.
            # An end's open/closed flag follows its value: "at 400 and open" is a range too.
            *(
                models.Index(
                    fields=["subject", "predicate", "negated", *columns],
                    name=f"claims_claim_block_{short}",
                    condition=Q(value_type=value_type),
                )
                for value_type, columns, short in (
                    ("quantity", ["quantity_low", "quantity_low_inclusive"], "qlow"),
                    ("quantity", ["quantity_high", "quantity_high_inclusive"], "qhigh"),
                    ("date", ["date_from"], "dfrom"),
                    ("date", ["date_to"], "dto"),
                    ("entity", ["value_entity"], "entity"),
                )
            ),
            # Review queues and the vetted facts: claims filtered by status.
            models.Index(fields=["status"], name="claims_claim_status"),
            # The sweeper's "checks requested long ago and still not done" (claims_check_overdue).
            models.Index(
                fields=["check_requested_at"],
                name="claims_claim_check_requested",
                condition=Q(check_requested_at__isnull=False),
            ),
        ]
        constraints = [
            # Named, rather than unique=True, which adds a LIKE-pattern index no query uses.
            models.UniqueConstraint(fields=["key"], name="claims_claim_key_unique"),
            models.CheckConstraint(condition=~Q(key=""), name="claims_claim_key_not_empty"),
            models.CheckConstraint(condition=~Q(text=""), name="claims_claim_text_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=ClaimStatus.values), name="claims_claim_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    value_type="",
                    quantity_low__isnull=True,
                    quantity_high__isnull=True,
                    date_from__isnull=True,
                    date_to__isnull=True,
                    value_entity__isnull=True,
                    value_text="",
                )
                | _only_value_columns(ValueType.QUANTITY)
                | _only_value_columns(ValueType.DATE)
                | _only_value_columns(ValueType.ENTITY)
                | _only_value_columns(ValueType.TEXT),
                name="claims_claim_value_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(value_type="") | Q(predicate__isnull=False),
                name="claims_claim_value_has_predicate",
            ),
            models.CheckConstraint(
                condition=Q(quantity_low__isnull=True)
                | Q(quantity_high__isnull=True)
                | Q(quantity_low__lte=models.F("quantity_high")),
                name="claims_claim_quantity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(date_from__isnull=True)
                | Q(date_to__isnull=True)
                | Q(date_from__lte=models.F("date_to")),
                name="claims_claim_date_ordered",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=models.F("valid_to")),
                name="claims_claim_valid_ordered",
            ),
            models.CheckConstraint(
                condition=date_has_precision("date_from"), name="claims_claim_date_from_precision"
            ),
            models.CheckConstraint(
                condition=date_has_precision("date_to"), name="claims_claim_date_to_precision"
            ),
            models.CheckConstraint(
                condition=date_has_precision("valid_from"), name="claims_claim_valid_from_precision"
            ),
            models.CheckConstraint(
                condition=date_has_precision("valid_to"), name="claims_claim_valid_to_precision"
            ),
        ]
        permissions = [
            ("rate_claim", "Can rate the confidence in a claim"),
            ("change_claim_status", "Can change the review status of a claim"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_structured(self) -> bool:
        return bool(self.subject_id and self.predicate_id and self.value_type)


class Stance(models.TextChoices):
    ASSERTS = "asserts"
    REPORTS = "reports", "reports (relays without endorsing)"
    DENIES = "denies"
    QUESTIONS = "questions"


class Appearance(TimestampedModel):
    """A claim made in a source: the exact quote, who said it and whom it was attributed to.

    Kept in the claims app (not beside Source) so that `sources` never depends on `claims`.
    """

    Stance = Stance

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="appearances",
        db_index=False,  # claims_appearance_unique_position leads with claim: it serves look-ups
    )
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="appearances")
    # The source's outlet, copied: the track-record recompute reads every appearance with its
    # outlet from this one table (claims/services/credibility.py). Derived, never entered: the
    # services write it with the source (claim_save, claims_bulk_save) and rewrite it when a
    # source's outlet changes (source_save, sources_bulk_save); appearance_outlets_drift finds
    # rows that disagree. Indexed (the FK's index) for the incremental recount, which reads the
    # settled appearances of some outlets, and for Outlet's PROTECT check.
    outlet = models.ForeignKey(
        Outlet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    position = models.PositiveIntegerField(
        default=0, help_text="Order among the claim's appearances, as the claimset lists them."
    )
    quote = models.TextField(blank=True, help_text="The exact words in the source's text.")
    speaker = models.ForeignKey(
        Entity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appearances_as_speaker",
    )
    speaker_description = models.CharField(
        max_length=300, blank=True, help_text='An unnamed speaker: "a Libyan commander".'
    )
    stance = models.CharField(max_length=10, choices=Stance.choices, default=Stance.ASSERTS)
    via = models.ManyToManyField(
        Source,
        through="AppearanceVia",
        blank=True,
        related_name="relayed_appearances",
        help_text='Sources the statement is attributed to ("according to an AFP report").',
    )
    # Its outlet is its source's, derived: not a change of its own.
    history = HistoricalRecords(excluded_fields=["outlet"])

    class Meta:
        ordering = ["claim", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "position"], name="claims_appearance_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="claims_appearance_stance_valid"
            ),
            models.CheckConstraint(
                condition=Q(speaker__isnull=True) | Q(speaker_description=""),
                name="claims_appearance_one_kind_of_speaker",
            ),
        ]

    def __str__(self) -> str:
        # By what it says and where: ids mean nothing to the people choosing one.
        said = f"“{shorten(self.quote, 60)}”" if self.quote else shorten(self.claim.text, 60)
        return f"{said} in {shorten(self.source.title, 50)}"


class AppearanceVia(models.Model):
    appearance = models.ForeignKey(Appearance, on_delete=models.CASCADE, related_name="via_links")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="via_links")

    class Meta:
        verbose_name = "attribution"
        verbose_name_plural = "attributions"
        constraints = [
            models.UniqueConstraint(
                fields=["appearance", "source"], name="claims_appearancevia_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appearance}, according to {shorten(self.source.title, 50)}"


class RelationType(models.TextChoices):
    CONTRADICTS = "contradicts"
    SUPPORTS = "supports"
    DUPLICATE = "duplicate"
    REFINES = "refines"


class ClaimRelation(TimestampedModel):
    """An editor-asserted link between two claims."""

    Type = RelationType

    from_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_from")
    to_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_to")
    type = models.CharField(max_length=12, choices=Type.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["from_claim", "to_claim", "type"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_claim", "to_claim", "type"], name="claims_claimrelation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_claim=models.F("to_claim")),
                name="claims_claimrelation_not_self",
            ),
            models.CheckConstraint(
                condition=Q(type__in=RelationType.values), name="claims_claimrelation_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{shorten(self.from_claim.text, 50)} {self.get_type_display()} "
            f"{shorten(self.to_claim.text, 50)}"
        )


class ClaimTerm(models.Model):
    """One index key of a claim's wording: a term (a lemma, or `@<entity id>` for an entity it
    names) or a pair of terms ("#<hash>", text_compare.index_keys). The inverted index that
    text comparison draws candidate pairs from (claims/core/text_compare.py)."""

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="terms",
        db_index=False,  # claims_claimterm_unique leads with claim and serves its look-ups
    )
    term = models.CharField(max_length=100)
    # Copied from the claim, so that candidates are narrowed by the index before any claim is
    # read: the number of terms of its wording (near-identical wordings have similar numbers of
    # terms, text_compare.size_window), and whether it is text-only (a structured claim is
    # compared by wording with text-only claims only).
    size = models.PositiveSmallIntegerField()
    text_only = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "term"], name="claims_claimterm_unique"),
        ]
        indexes = [
            # The claims that share a term with the claims being checked, with their sizes
            # (detection._text_candidates), answered from the index alone on PostgreSQL.
            models.Index(
                fields=["term", "size"],
                include=["claim", "text_only"],
                name="claims_claimterm_term_size",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.term}"


class ContradictionKind(models.TextChoices):
    QUANTITY = "quantity"
    DATE = "date"
    ENTITY = "entity"
    NEGATION = "negation"
    TEXT = "text"


class ContradictionStatus(models.TextChoices):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


class Contradiction(TimestampedModel):
    """A flag: two claims that cannot both be true, found by a detector, and its review.

    One row per pair, ever (claims_contradiction_pair_unique, with the lower claim id first):
    detection upserts, so re-running it, or two workers finding the same pair, never makes a
    second flag. A dismissed flag stays dismissed until one of its claims changes
    (`fingerprint` against `reviewed_fingerprint`).
    """

    Kind = ContradictionKind
    Status = ContradictionStatus

    claim_a = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="contradictions_as_a",
        db_index=False,  # claims_contradiction_pair_unique leads with claim_a
    )
    claim_b = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="contradictions_as_b")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    explanation = models.CharField(max_length=500)
    detected_by = models.CharField(
        "found by", max_length=40, help_text="The detector and its version."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Named for its first use; it keeps the reviewer's reason for any decision.
    dismissed_reason = models.TextField(
        "reviewer's reason", blank=True, help_text="Why the reviewer decided as they did."
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # A digest of what the rules read of both claims when the pair was last detected, and when a
    # reviewer last decided on it: a dismissed flag reopens only when the two differ.
    fingerprint = models.CharField(max_length=32, editable=False)
    reviewed_fingerprint = models.CharField(max_length=32, blank=True, editable=False)
    last_detected_at = models.DateTimeField(editable=False)
    # Reviewers' decisions (saved by the services); detection's refreshes are bulk upserts
    # that leave no entry, and `last_detected_at` alone would only add noise.
    history = HistoricalRecords(excluded_fields=["last_detected_at"])

    class Meta:
        verbose_name = "contradiction flag"
        ordering = ["claim_a", "claim_b"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim_a", "claim_b"], name="claims_contradiction_pair_unique"
            ),
            models.CheckConstraint(
                condition=Q(claim_a__lt=models.F("claim_b")),
                name="claims_contradiction_pair_ordered",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ContradictionKind.values),
                name="claims_contradiction_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContradictionStatus.values),
                name="claims_contradiction_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=ContradictionStatus.DISMISSED) | ~Q(dismissed_reason=""),
                name="claims_contradiction_dismissed_has_reason",
            ),
        ]
        indexes = [
            # The review queue: open flags first, by kind (the admin list and the report).
            models.Index(fields=["status", "kind"], name="claims_contradiction_status"),
            # Flags not seen again by a finished full scan (contradiction_scan_finish).
            models.Index(fields=["last_detected_at"], name="claims_contradiction_seen"),
        ]
        permissions = [
            ("review_contradiction", "Can confirm, dismiss or resolve a contradiction"),
        ]

    def __str__(self) -> str:
        # The explanation names both values and the subject ("2011 vs 2012-09-11 — date, ...").
        return shorten(self.explanation, 90) or "contradiction flag"


class SupersessionReason(models.TextChoices):
    UPDATE = "update"
    CORRECTION = "correction"


class SupersessionStatus(models.TextChoices):
    ACTIVE = "active"
    UNDONE = "undone", "undone by a reviewer"
    LAPSED = "lapsed", "lapsed (no longer detected)"


class Supersession(TimestampedModel):
    """A later claim that replaces an earlier one (spec: "Updates and corrections"): a higher
    figure of a cumulative count, or a claim in a correction of the earlier claim's source.

    Like a deprecated statement in Wikidata, the older claim is kept, with this record saying
    what replaced it and why. Records are never deleted by detection: one no longer detected
    lapses, one a reviewer undoes stays undone until either claim changes (`fingerprint`
    against `reviewed_fingerprint`). `created_at` is when it was first found.
    """

    Reason = SupersessionReason
    Status = SupersessionStatus

    newer = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="supersessions_as_newer",
        db_index=False,  # claims_supersession_pair_unique leads with newer
    )
    older = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="supersessions_as_older"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    explanation = models.CharField(max_length=500)
    detected_by = models.CharField(max_length=40, help_text="The detector and its version.")
    fingerprint = models.CharField(max_length=32, editable=False)
    reviewed_fingerprint = models.CharField(max_length=32, blank=True, editable=False)
    last_detected_at = models.DateTimeField(editable=False)
    undone_reason = models.TextField(blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    # Every change of status, reason or explanation, with who and when; detection's refresh of
    # last_detected_at alone would only add noise.
    history = HistoricalRecords(excluded_fields=["last_detected_at"])

    class Meta:
        ordering = ["older", "newer"]
        constraints = [
            models.UniqueConstraint(
                fields=["newer", "older"], name="claims_supersession_pair_unique"
            ),
            models.CheckConstraint(
                condition=~Q(newer=models.F("older")), name="claims_supersession_not_self"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=SupersessionReason.values),
                name="claims_supersession_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SupersessionStatus.values),
                name="claims_supersession_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=SupersessionStatus.UNDONE) | ~Q(undone_reason=""),
                name="claims_supersession_undone_has_reason",
            ),
        ]
        indexes = [
            # Whether a claim is superseded now: the facts served, the export's superseded_by.
            models.Index(
                fields=["older"],
                condition=Q(status=SupersessionStatus.ACTIVE),
                name="claims_supersession_active",
            ),
            # Records not seen again by a finished full scan (detection._scan_finish_if_done).
            models.Index(fields=["last_detected_at"], name="claims_supersession_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.newer_id} supersedes {self.older_id} ({self.reason}, {self.status})"


class ScanStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"


class ContradictionScan(TimestampedModel):
    """A full contradiction scan, split into chunks that any worker can take.

    Scans run one at a time (claims_contradictionscan_one_running): a requested scan waits as
    `queued` until the running one finishes.
    """

    Status = ScanStatus

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.CharField(max_length=100, help_text='"beat", "command", a user.')
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    claims_compared = models.PositiveBigIntegerField(default=0)
    candidates_compared = models.PositiveBigIntegerField(
        default=0, help_text="Pairs the rules were applied to: candidates, never all pairs."
    )
    pairs_found = models.PositiveBigIntegerField(default=0)
    flags_withdrawn = models.PositiveIntegerField(
        default=0, help_text="Open flags no longer detected, removed when the scan finished."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ScanStatus.values),
                name="claims_contradictionscan_status_valid",
            ),
            # The lock that makes concurrent scans run one after another.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status=ScanStatus.RUNNING),
                name="claims_contradictionscan_one_running",
            ),
        ]

    def __str__(self) -> str:
        # Named by when it was asked for: the scans are told apart by date, not by number.
        when = self.created_at.strftime("%Y-%m-%d %H:%M") if self.created_at else "not saved"
        return f"full scan of {when} ({self.get_status_display().lower()})"


class ScanChunkKind(models.TextChoices):
    STRUCTURED = "structured"
    TEXT = "text"


class ContradictionScanChunk(models.Model):
    """One share of a scan: the structured claims of a range of subjects, or the wordings of a
    range of claims. `done_at` is set with the chunk's results in one transaction, so a chunk
    whose worker died is simply run again."""

    Kind = ScanChunkKind

    scan = models.ForeignKey(ContradictionScan, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    first_id = models.BigIntegerField(help_text="First subject id (structured) or claim id (text).")
    last_id = models.BigIntegerField()
    claims_compared = models.PositiveIntegerField(default=0)
    candidates_compared = models.PositiveBigIntegerField(default=0)
    pairs_found = models.PositiveIntegerField(default=0)
    # When its task was last sent: the sweeper re-sends a chunk only long after that.
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["scan", "number"], name="claims_contradictionscanchunk_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ScanChunkKind.values),
                name="claims_contradictionscanchunk_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(first_id__lte=models.F("last_id")),
                name="claims_contradictionscanchunk_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"scan {self.scan_id} chunk {self.number}"


class ReportEdition(TimestampedModel):
    """The contradiction report as it stood at the end of a period (a week by default), kept so
    that editors can compare one edition with the last. Made by the scheduled report task, one
    per period (claims_reportedition_period_unique): running the task twice changes nothing."""

    period_start = models.DateField()
    period_end = models.DateField(help_text="The last day of the period.")
    flags_total = models.PositiveIntegerField(default=0)
    flags_open = models.PositiveIntegerField(default=0)
    flags_confirmed = models.PositiveIntegerField(default=0)
    flags_dismissed = models.PositiveIntegerField(default=0)
    flags_resolved = models.PositiveIntegerField(default=0)
    flags_new = models.PositiveIntegerField(
        default=0, help_text="Flags first raised within the period."
    )
    counts_by_kind = models.JSONField(default=dict)
    # The contradictions/1 document and the HTML report, as they read when the edition was made.
    document = models.JSONField(default=dict)
    html = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_start", "period_end"], name="claims_reportedition_period_unique"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="claims_reportedition_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.period_start.isoformat()} to {self.period_end.isoformat()}"


class ContradictionReport(Contradiction):
    """The contradiction report's page in the admin: a proxy so that the admin index lists it
    beside the models (claims/admin/claims.py, ContradictionReportAdmin). Adds no table."""

    class Meta:
        proxy = True
        verbose_name = "contradiction report"
        verbose_name_plural = "contradiction report"


# --- review: confidence ratings and status changes ---------------------------------------------


class ClaimRating(models.Model):
    """One reviewer's confidence in a claim. Append-only: a reviewer's new rating supersedes
    their previous one (`superseded_at` set), which is kept. A reviewer has at most one current
    rating per claim (claims_claimrating_one_current)."""

    Likelihood = Likelihood
    Confidence = AnalyticConfidence
    Credibility = Credibility

    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        related_name="ratings",
        db_index=False,  # claims_claimrating_claim leads with claim and serves its look-ups
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claim_ratings"
    )
    likelihood = models.CharField(max_length=20, choices=Likelihood.choices)
    confidence = models.CharField(
        "analytic confidence", max_length=10, choices=AnalyticConfidence.choices
    )
    credibility = models.CharField(
        "information credibility", max_length=1, choices=Credibility.choices
    )
    # What the tracker suggested when the rating was made (claims.confidence.suggest_credibility):
    # a grade that differs from it needs a rationale.
    suggested_credibility = models.CharField(
        max_length=1, choices=Credibility.choices, blank=True, editable=False
    )
    rationale = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "reviewer"],
                condition=Q(superseded_at__isnull=True),
                name="claims_claimrating_one_current",
            ),
            models.CheckConstraint(
                condition=Q(likelihood__in=Likelihood.values),
                name="claims_claimrating_likelihood_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=AnalyticConfidence.values),
                name="claims_claimrating_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(credibility__in=Credibility.values),
                name="claims_claimrating_credibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(likelihood__in=LIKELY_OR_HIGHER) | ~Q(rationale=""),
                name="claims_claimrating_unlikely_has_rationale",
            ),
            models.CheckConstraint(
                condition=Q(suggested_credibility="")
                | Q(credibility=models.F("suggested_credibility"))
                | ~Q(rationale=""),
                name="claims_claimrating_disagreement_has_rationale",
            ),
        ]
        indexes = [
            # The current ratings of a set of claims (claims_confidence, the claim page).
            models.Index(
                fields=["claim", "reviewer"],
                condition=Q(superseded_at__isnull=True),
                name="claims_claimrating_current",
            ),
            # Every rating of a claim, newest first (the claim page's record).
            models.Index(fields=["claim", "created_at"], name="claims_claimrating_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.get_likelihood_display()}, {self.confidence} confidence, {self.credibility}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class ClaimStatusChange(models.Model):
    """A change of a claim's review status: who, when, from what to what, and why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    to_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="claim_status_changes",
    )
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="claims_claimstatuschange_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")),
                name="claims_claimstatuschange_changes",
            ),
            models.CheckConstraint(
                condition=Q(from_status__in=ClaimStatus.values)
                & Q(to_status__in=ClaimStatus.values),
                name="claims_claimstatuschange_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{shorten(self.claim.text, 60)}: {self.get_from_status_display()} to "
            f"{self.get_to_status_display()}"
        )


# --- track records of outlets and speakers (claims/services/credibility.py) -------------------


class TrackRecord(models.Model):
    """What reviewers' decisions say of a publisher or speaker, as last computed.

    `vetted`/`refuted`: of its claims that reviewers settled, how many it got right and wrong
    (a claim it denied counts the other way). `score` is the mean of a Beta(2, 2) prior updated
    by those counts, so one vetted claim makes 0.6, not 1. `truth_score` is the truth-discovery
    estimate (claims/services/credibility.py), which also weighs unsettled claims by their
    independent corroboration. Written only by claims/services/credibility.py.
    """

    vetted = models.PositiveIntegerField(default=0)
    refuted = models.PositiveIntegerField(default=0)
    score = models.FloatField(help_text="Smoothed share of settled claims vetted (Beta(2, 2)).")
    truth_score = models.FloatField(
        null=True, blank=True, help_text="Truth discovery: agreement with independent sources."
    )
    claims = models.PositiveIntegerField(default=0, help_text="Claims it published or said.")
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def settled(self) -> int:
        return self.vetted + self.refuted


class OutletTrackRecord(TrackRecord):
    outlet = models.OneToOneField(
        Outlet, on_delete=models.CASCADE, primary_key=True, related_name="track_record"
    )

    class Meta:
        indexes = [
            # The outlet list sorted by either score.
            models.Index(fields=["score"], name="claims_outlettrack_score"),
            models.Index(fields=["truth_score"], name="claims_outlettrack_truth"),
        ]

    def __str__(self) -> str:
        return f"{self.outlet}: {self.score:.2f} ({self.settled} settled)"


class SpeakerTrackRecord(TrackRecord):
    speaker = models.OneToOneField(
        Entity, on_delete=models.CASCADE, primary_key=True, related_name="speaker_track_record"
    )

    class Meta:
        indexes = [
            # The speaker list sorted by either score.
            models.Index(fields=["score"], name="claims_speakertrack_score"),
            models.Index(fields=["truth_score"], name="claims_speakertrack_truth"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.score:.2f} ({self.settled} settled)"


class TrackRecordState(models.Model):
    """One row: when a rating or status last changed, and when the full recompute last started
    from data at least that new. The recompute job skips when `computed_from` is not older
    than `requested_at`, so many changes in a burst cost one recompute."""

    requested_at = models.DateTimeField(null=True, blank=True)
    computed_from = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="claims_trackrecordstate_one_row"),
        ]

    def __str__(self) -> str:
        return f"requested {self.requested_at}, computed from {self.computed_from}"


class FactDocument(models.Model):
    """A fact as the public API serves it, written when something it shows changes
    (claims.services.fact_documents), so that a page of facts is one query and a join of
    stored text rather than fifty facts built per request.

    One row per served fact: a vetted claim that nothing supersedes. `body` is its JSON,
    `jsonld` its schema.org ClaimReview without `@context` and with a marker where its URL goes,
    `csv_rows` its CSV rows without the header (claims.core.fact_formats). `digest` is the
    version a page's ETag is made of: a hash of the three pieces, so two rebuilds that race each
    other can never give one version two bodies.
    """

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="fact_document")
    digest = models.CharField(max_length=32)
    body = models.TextField()
    jsonld = models.TextField()
    csv_rows = models.TextField()
    built_at = models.DateTimeField()

    class Meta:
        verbose_name = "fact document"

    def __str__(self) -> str:
        return f"fact document of claim {self.claim_id} ({self.digest})"
