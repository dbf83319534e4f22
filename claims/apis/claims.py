"""Claims for tools (token): list, retrieve, create, update, with the admin's value parsing.

A claim is written with the admin's fields: a quantity or date as written (`value_as_written`
"at least 400", `valid_as_written` "since June 2015"), parsed by the same code on save, or the
structured columns directly. Subject, predicate, location and an entity value are references: a
key, a name or an alias. `appearances`, when sent, replaces the claim's appearances. `version`
is the concurrency token: an update that sends the version it read is a 409 when the claim moved
on since (admin saves and imports raise it too). Every write goes through
claims.services.claims.claim_save, as the admin's does: the same parsing, checks (quotes in their
source's text, finite numbers), version, history, return of a vetted claim to review on a
material change, and contradiction check on commit. Changing `status` needs the reviewer role
(`claims.change_claim_status`) and a `status_reason`; it goes through the review service, which
records the change and refuses to vet a claim that is not rated likely or that has an open
contradiction.
"""

import django_filters
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from api.fields import KeyRelatedField
from claims.apis.serializers import ValueSerializer, claim_value
from claims.core.roles import CHANGE_CLAIM_STATUS, require_permission
from claims.core.value_columns import VALUE_COLUMNS
from claims.models import Appearance, Claim, Predicate
from claims.selectors.claims import (
    claims_annotate_for_api,
    claims_with_appearances,
    entity_ids_named,
    predicate_ids_named,
)
from claims.services.claims import AppearanceInput, claim_save, claim_status_change
from sources.models import Entity, Source


class ReferenceField(serializers.CharField):
    """A record named by key, name or alias; written out as its key."""

    def __init__(self, model, lookup, **kwargs):
        self.model, self.lookup = model, lookup
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return value.key

    def to_internal_value(self, data):
        reference = super().to_internal_value(data)
        ids = self.lookup(reference)
        if not ids:
            raise serializers.ValidationError(
                f'no {self.model._meta.verbose_name} has the key, name or alias "{reference}"'
            )
        if len(ids) > 1:
            raise serializers.ValidationError(
                f'"{reference}" names {len(ids)} {self.model._meta.verbose_name_plural}: give a key'
            )
        return self.model.objects.get(pk=ids[0])


def _entity_ref(**kwargs):
    return ReferenceField(Entity, entity_ids_named, **kwargs)


class SourceKeyField(KeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Source.objects.all(), **kwargs)


class AppearanceWriteSerializer(serializers.ModelSerializer):
    source = SourceKeyField()
    speaker = _entity_ref(help_text="Entity key, name or alias; or use speaker_description.")
    via = SourceKeyField(many=True, required=False, help_text="Source keys it is attributed to.")

    class Meta:
        model = Appearance
        fields = ("source", "quote", "speaker", "speaker_description", "stance", "via")

    def to_representation(self, appearance):
        return {
            "source": appearance.source.key,
            "quote": appearance.quote,
            "speaker": appearance.speaker.key if appearance.speaker else None,
            "speaker_description": appearance.speaker_description,
            "stance": appearance.stance,
            "via": sorted(self._via_keys(appearance)),
        }

    def _via_keys(self, appearance):
        keys = self.context.get("source_keys", {})
        return [keys.get(v.source_id, str(v.source_id)) for v in appearance.via_links.all()]


class ClaimSerializer(serializers.ModelSerializer):
    key = serializers.CharField(
        required=False, max_length=200, help_text="Stable external id; generated when omitted."
    )
    subject = _entity_ref()
    predicate = ReferenceField(Predicate, predicate_ids_named)
    location = _entity_ref()
    value_entity = _entity_ref()
    appearances = AppearanceWriteSerializer(
        many=True, required=False, help_text="When sent, replaces every appearance."
    )
    value = serializers.SerializerMethodField()
    independent_sources = serializers.SerializerMethodField()
    open_contradictions = serializers.SerializerMethodField()
    status = serializers.ChoiceField(
        choices=Claim.Status.choices,
        required=False,
        help_text="Changing it needs the reviewer role and a `status_reason`; vetting needs a "
        "current rating of likely or more and no open contradiction.",
    )
    status_reason = serializers.CharField(
        required=False, write_only=True, help_text="Why the status changes (recorded)."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Raised by every change. On update, send the version you read: if the claim "
        "changed since, the update is a 409 and changes nothing. Left out, the update applies to "
        "the claim as stored.",
    )

    class Meta:
        model = Claim
        fields = (
            "key",
            "text",
            "status",
            "status_reason",
            "subject",
            "predicate",
            "negated",
            "location",
            *VALUE_COLUMNS,
            "appearances",
            "value",
            "independent_sources",
            "open_contradictions",
            "version",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        # The service checks uniqueness, so that a taken key is a 409, not a 400.
        validators: list = []

    def get_value(self, claim) -> ValueSerializer:
        return ValueSerializer(claim_value(claim)).data

    def get_independent_sources(self, claim) -> int:
        return claim.independent_sources

    def get_open_contradictions(self, claim) -> int:
        return claim.open_contradictions

    def validate_key(self, key):
        if self.instance is not None and key != self.instance.key:
            raise serializers.ValidationError("A claim's key is its stable id: it cannot change.")
        return key

    def validate(self, attrs):
        request = self.context["request"]
        claim = self.instance or Claim()
        status = attrs.pop("status", claim.status)
        reason = attrs.pop("status_reason", "")
        self._status_change = None
        if status != claim.status:
            # Checked here too (the service checks again) so that an editor learns it before
            # anything else is validated.
            require_permission(request.user, CHANGE_CLAIM_STATUS)
            if not reason.strip():
                raise serializers.ValidationError({"status_reason": "Say why the status changes."})
            self._status_change = (status, reason)
        if self.instance is None and "text" not in attrs:
            raise serializers.ValidationError({"text": "This field is required."})
        appearances = attrs.pop("appearances", None)
        self._expected_version = attrs.pop("version", None)
        for name, value in attrs.items():
            setattr(claim, name, value)
        self._claim = claim
        self._appearances = (
            None
            if appearances is None
            else [
                AppearanceInput(
                    source=a["source"],
                    quote=a.get("quote", ""),
                    speaker=a.get("speaker"),
                    speaker_description=a.get("speaker_description", ""),
                    stance=a.get("stance", Appearance.Stance.ASSERTS),
                    via=list(a.get("via", [])),
                )
                for a in appearances
            ]
        )
        return attrs

    def save(self, **kwargs):
        """Everything is checked and written by the services: their ValidationErrors come back
        as 400s at the field's path (appearances[0].quote), a stale version or a taken key as a
        409 (api.errors)."""
        user = self.context["request"].user
        with transaction.atomic():
            claim = claim_save(
                by=user,
                claim=self._claim,
                appearances=self._appearances,
                replace_appearances=self._appearances is not None,
                expected_version=self._expected_version,
            )
            if self._status_change:
                status, reason = self._status_change
                claim_status_change(by=user, claim_id=claim.pk, status=status, reason=reason)
        self.instance = _reloaded(claim.pk)
        self.context["source_keys"] = _source_keys([self.instance])
        return self.instance


def _reloaded(pk: int) -> Claim:
    claim = claims_with_appearances().get(pk=pk)
    claims_annotate_for_api([claim])
    return claim


class ClaimFilterBase(django_filters.FilterSet):
    """What the claim and fact listings both filter on: the subject by any of its names, and
    words of the text."""

    subject = django_filters.CharFilter(method="filter_subject", help_text="Key, name or alias.")
    q = django_filters.CharFilter(field_name="text", lookup_expr="icontains", help_text="Text.")

    class Meta:
        model = Claim
        fields: list[str] = []

    def filter_subject(self, queryset, name, value):
        return queryset.filter(subject_id__in=entity_ids_named(value))


class ClaimFilter(ClaimFilterBase):
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)


class _ClaimApi:
    serializer_class = ClaimSerializer

    def get_queryset(self):
        return claims_with_appearances()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["source_keys"] = getattr(self, "_source_keys", {})
        return context


def _source_keys(claims) -> dict[int, str]:
    ids = {v.source_id for c in claims for a in c.appearances.all() for v in a.via_links.all()}
    return dict(Source.objects.filter(pk__in=ids).values_list("pk", "key")) if ids else {}


@extend_schema(tags=["claims"])
class ClaimListApi(_ClaimApi, generics.ListCreateAPIView):
    """All claims, any status (editors and reviewers); create one."""

    filterset_class = ClaimFilter

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        claims_annotate_for_api(page)
        self._source_keys = _source_keys(page)
        return page


@extend_schema(tags=["claims"])
class ClaimDetailApi(_ClaimApi, generics.RetrieveUpdateAPIView):
    """One claim by key; PUT replaces its fields, PATCH changes the fields sent."""

    lookup_field = "key"

    def get_object(self):
        claim = super().get_object()
        claims_annotate_for_api([claim])
        self._source_keys = _source_keys([claim])
        return claim
