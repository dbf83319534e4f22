"""How claims, facts and flags look over the API (output), shared by the endpoints."""

from rest_framework import serializers

from claims.models import Appearance, Claim, Contradiction
from claims.selectors.facts import claim_valid, claim_value, fact_data  # noqa: F401 - re-exported


class EntityRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class PredicateRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    value_type = serializers.CharField()
    unit = serializers.CharField(help_text="The unit quantities are compared in; may be empty.")
    cumulative = serializers.BooleanField(
        help_text="A count that only grows: a later, higher figure updates an earlier one."
    )


class OutletRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    reliability = serializers.CharField(
        help_text="Admiralty source reliability, A (completely reliable) to F; empty if ungraded."
    )


class SourceRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField()
    published = serializers.DateField(allow_null=True, help_text="First day of its precision.")
    published_precision = serializers.CharField(help_text='"year", "month", "day" or empty.')
    outlet = OutletRefSerializer(allow_null=True)


class AppearanceSerializer(serializers.ModelSerializer):
    source = SourceRefSerializer()
    speaker = EntityRefSerializer(allow_null=True)

    class Meta:
        model = Appearance
        fields = ("quote", "stance", "speaker", "speaker_description", "source")


class QuantitySerializer(serializers.Serializer):
    low = serializers.FloatField(allow_null=True, help_text="null: open.")
    high = serializers.FloatField(allow_null=True, help_text="null: open.")
    low_inclusive = serializers.BooleanField()
    high_inclusive = serializers.BooleanField()
    unit = serializers.CharField(help_text="The predicate's unit; may be empty.")


class DateIntervalSerializer(serializers.Serializer):
    start = serializers.DateField(allow_null=True, help_text="First day; null: open.")
    start_precision = serializers.CharField()
    end = serializers.DateField(allow_null=True, help_text="Last day; null: open.")
    end_precision = serializers.CharField()


class ValueSerializer(serializers.Serializer):
    """A claim's structured value: one of quantity, date, entity or text, per `type`."""

    type = serializers.CharField(allow_null=True, help_text="null: a text-only claim.")
    as_written = serializers.CharField(help_text='The phrase it was read from, "at least 400".')
    negated = serializers.BooleanField()
    quantity = QuantitySerializer(allow_null=True)
    date = DateIntervalSerializer(allow_null=True)
    entity = EntityRefSerializer(allow_null=True)
    text = serializers.CharField(allow_null=True)


class ValidTimeSerializer(DateIntervalSerializer):
    as_written = serializers.CharField()


class ClaimSummarySerializer(serializers.ModelSerializer):
    """A claim in brief: what a flag embeds."""

    subject = EntityRefSerializer(allow_null=True)
    predicate = PredicateRefSerializer(allow_null=True)
    value = serializers.SerializerMethodField()
    valid = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = ("key", "text", "status", "subject", "predicate", "value", "valid")

    def get_value(self, claim: Claim) -> ValueSerializer:
        return ValueSerializer(claim_value(claim)).data

    def get_valid(self, claim: Claim) -> ValidTimeSerializer:
        return ValidTimeSerializer(claim_valid(claim)).data


class ConfidenceSerializer(serializers.Serializer):
    """The reviewers' consensus from their current ratings (claims.confidence.Confidence)."""

    likelihood = serializers.CharField(help_text='ICD 203 band key, e.g. "likely".')
    likelihood_label = serializers.CharField()
    likelihood_low = serializers.IntegerField(help_text="Percent.")
    likelihood_high = serializers.IntegerField(help_text="Percent.")
    confidence = serializers.CharField(help_text="Analytic confidence: low, moderate, high.")
    credibility = serializers.CharField(help_text="Admiralty information credibility, 1 to 6.")
    ratings = serializers.IntegerField(help_text="Current ratings it is drawn from.")


class ReplacedClaimSerializer(serializers.Serializer):
    claim = serializers.CharField(help_text="The key of the claim replaced.")
    reason = serializers.ChoiceField(
        choices=["update", "correction"],
        help_text="update: a later count of a cumulative figure; correction: a claim in a "
        "source that corrects the replaced claim's sources.",
    )


class FactSerializer(ClaimSummarySerializer):
    """A vetted claim with everything a consumer checks it by. Needs the claim loaded by
    claims.selectors.claims.facts_queryset and annotated by claims_annotate_for_api."""

    location = EntityRefSerializer(allow_null=True)
    confidence = ConfidenceSerializer(allow_null=True, help_text="null while no one rated it.")
    independent_sources = serializers.IntegerField(
        help_text="Groups of appearances that do not share an origin or an outlet."
    )
    open_contradictions = serializers.IntegerField(help_text="Open flags this claim is in.")
    appearances = AppearanceSerializer(many=True)
    replaces = ReplacedClaimSerializer(
        many=True,
        help_text="Earlier claims this fact supersedes (spec: Updates and corrections); a "
        "superseded claim is never served as a fact.",
    )

    class Meta:
        model = Claim
        fields = (
            "key",
            "text",
            "subject",
            "predicate",
            "value",
            "valid",
            "location",
            "confidence",
            "independent_sources",
            "open_contradictions",
            "appearances",
            "replaces",
            "updated_at",
        )


class ContradictionSerializer(serializers.ModelSerializer):
    claim_a = ClaimSummarySerializer()
    claim_b = ClaimSummarySerializer()

    class Meta:
        model = Contradiction
        fields = (
            "id",
            "kind",
            "status",
            "explanation",
            "detected_by",
            "last_detected_at",
            "dismissed_reason",
            "status_changed_at",
            "claim_a",
            "claim_b",
        )
