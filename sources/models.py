"""Outlets, sources (documents) and entities (what claims are about and who says them)."""

from django.db import models
from simple_history.models import HistoricalRecords

from tracker.models import (
    KEY_MAX_LENGTH,
    Precision,
    TimestampedModel,
    date_has_precision,
    key_validator,
)


class OutletKind(models.TextChoices):
    WIRE = "wire"
    NEWSPAPER = "newspaper"
    BROADCASTER = "broadcaster"
    MAGAZINE = "magazine"
    BLOG = "blog"
    GOVERNMENT = "government"
    MILITARY = "military"
    NGO = "ngo", "NGO"
    THINK_TANK = "think_tank", "think tank"
    ARMED_GROUP = "armed_group", "armed group"
    SOCIAL = "social"
    REFERENCE = "reference"
    OTHER = "other"


class Reliability(models.TextChoices):
    """The Admiralty (NATO) source-reliability grade."""

    A = "A", "A: completely reliable"
    B = "B", "B: usually reliable"
    C = "C", "C: fairly reliable"
    D = "D", "D: not usually reliable"
    E = "E", "E: unreliable"
    F = "F", "F: reliability cannot be judged"


class Outlet(TimestampedModel):
    """A publisher or originator of sources: a wire, a paper, an armed group's media office."""

    Kind = OutletKind

    Reliability = Reliability

    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    name = models.CharField(max_length=300)
    url = models.URLField(max_length=2000, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2 code")
    reliability = models.CharField(max_length=1, choices=Reliability.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Named, rather than unique=True, which adds a LIKE-pattern index no query uses.
            models.UniqueConstraint(fields=["key"], name="sources_outlet_key_unique"),
            models.CheckConstraint(
                condition=~models.Q(key=""), name="sources_outlet_key_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["", *OutletKind.values]),
                name="sources_outlet_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(reliability__in=["", *Reliability.values]),
                name="sources_outlet_reliability_valid",
            ),
        ]
        permissions = [("grade_outlet", "Can set the reliability grade of an outlet")]

    def __str__(self) -> str:
        return self.name


class EntityKind(models.TextChoices):
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    EVENT = "event"
    OTHER = "other"


class Entity(TimestampedModel):
    """A person, organisation, place or event. Found by its key, its name or any alias."""

    Kind = EntityKind

    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    name = models.CharField(max_length=300)
    # normalize_name(name), kept by the services; indexed for look-up by name (entity_lookup).
    normalized_name = models.CharField(max_length=300, db_index=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    affiliation = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        help_text="The organisation a person speaks for.",
    )
    role = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "entities"
        ordering = ["name"]
        constraints = [
            # Named, rather than unique=True, which adds a LIKE-pattern index no query uses.
            models.UniqueConstraint(fields=["key"], name="sources_entity_key_unique"),
            models.CheckConstraint(
                condition=~models.Q(key=""), name="sources_entity_key_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=EntityKind.values), name="sources_entity_kind_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(affiliation=models.F("id")),
                name="sources_entity_not_affiliated_with_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EntityAlias(models.Model):
    """Another name or spelling of an entity (ISIS, IS, Daesh for the Islamic State)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)
    # normalize_name(name); indexed for look-up by alias (entity_lookup).
    normalized = models.CharField(max_length=300, db_index=True, editable=False)

    class Meta:
        verbose_name_plural = "entity aliases"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "normalized"], name="sources_entityalias_unique_per_entity"
            ),
            models.CheckConstraint(
                condition=~models.Q(normalized=""), name="sources_entityalias_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Source(TimestampedModel):
    """A document: an article, report, statement or video."""

    key = models.CharField(max_length=KEY_MAX_LENGTH, validators=[key_validator])
    title = models.CharField(max_length=1000)
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="sources"
    )
    url = models.URLField(max_length=2000, blank=True)
    # normalize_url(url): scheme, www., trailing slash and tracking parameters dropped.
    normalized_url = models.CharField(max_length=2000, blank=True, editable=False)
    published = models.DateField(
        null=True, blank=True, help_text="The first day of the publication date's precision."
    )
    published_precision = models.CharField(max_length=5, choices=Precision.choices, blank=True)
    authors = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=35, default="en", help_text="BCP 47 language tag")
    text = models.TextField(blank=True)
    cites = models.ManyToManyField(
        "self",
        through="SourceCitation",
        symmetrical=False,
        blank=True,
        related_name="cited_by",
        help_text="Sources this document relies on as a whole (a rewrite of a wire report).",
    )
    corrects = models.ManyToManyField(
        "self",
        through="SourceCorrection",
        symmetrical=False,
        blank=True,
        related_name="corrected_by",
        help_text="Earlier documents this one corrects or supersedes (a correction notice, a "
        "revised version, a later update of the same story).",
    )

    class Meta:
        ordering = ["-published", "title"]
        constraints = [
            # Named, rather than unique=True, which adds a LIKE-pattern index no query uses.
            models.UniqueConstraint(fields=["key"], name="sources_source_key_unique"),
            models.CheckConstraint(
                condition=~models.Q(key=""), name="sources_source_key_not_empty"
            ),
            models.UniqueConstraint(
                fields=["normalized_url"],
                condition=~models.Q(normalized_url=""),
                name="sources_source_unique_url",
            ),
            models.CheckConstraint(
                condition=date_has_precision("published"),
                name="sources_source_published_has_precision",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SourceCitation(models.Model):
    """One source relying on another as a whole."""

    citing = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="citations")
    cited = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations_received")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["citing", "cited"], name="sources_sourcecitation_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(citing=models.F("cited")),
                name="sources_sourcecitation_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.citing} cites {self.cited}"


class SourceCorrection(models.Model):
    """One source correcting or superseding an earlier one: a claim in the correcting source
    supersedes a contradicting claim that appears only in the corrected chain (spec: "Updates
    and corrections")."""

    correcting = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="corrections")
    corrected = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="corrections_received"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["correcting", "corrected"], name="sources_sourcecorrection_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(correcting=models.F("corrected")),
                name="sources_sourcecorrection_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.correcting} corrects {self.corrected}"
