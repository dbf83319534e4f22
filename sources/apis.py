"""Outlets, entities and sources for tools (token): list, retrieve, create, update.

Records are addressed by key. The same normalisation as the admin (names, URLs, partial
publication dates) and every model constraint are applied before saving; a key or normalised
URL already taken is a 409. Setting an outlet's reliability grade needs `sources.grade_outlet`
(reviewers).
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from api.fields import KeyRelatedField
from api.validation import validate_model
from claims.roles import GRADE_OUTLET, require_permission
from claims.values import PartialDate, ValueParseError, normalize_name, parse_partial_date
from sources import services
from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation, SourceCorrection


class _KeyedSerializer(serializers.ModelSerializer):
    """Keys are stable ids: set on create, never changed. Uniqueness is checked by
    validate_model (a taken key is a 409), not by DRF's validators (a 400)."""

    def validate_key(self, key):
        if self.instance is not None and key != self.instance.key:
            raise serializers.ValidationError("A key is a record's stable id: it cannot change.")
        return key

    def build(self, attrs, *, exclude=()):
        instance = self.instance or self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        return instance


class OutletSerializer(_KeyedSerializer):
    class Meta:
        model = Outlet
        fields = ("key", "name", "url", "kind", "country", "reliability", "updated_at")
        read_only_fields = ("updated_at",)
        validators: list = []

    def validate(self, attrs):
        old = self.instance.reliability if self.instance else ""
        self._grade = attrs.pop("reliability", old)
        if self._grade != old:
            # Checked before anything else; outlet_grade checks it again.
            require_permission(self.context["request"].user, GRADE_OUTLET)
        validate_model(self.build(attrs))
        return attrs

    def save(self, **kwargs):
        with transaction.atomic():
            outlet = self.build(self.validated_data)
            outlet.save()
            if self._grade != outlet.reliability:
                outlet = services.outlet_grade(
                    by=self.context["request"].user, outlet_id=outlet.pk, reliability=self._grade
                )
        self.instance = outlet
        return outlet


class AliasNamesField(serializers.ListField):
    child = serializers.CharField(max_length=300)

    def to_representation(self, aliases):
        return [alias.name for alias in aliases.all()]


class EntitySerializer(_KeyedSerializer):
    affiliation = KeyRelatedField(queryset=Entity.objects.all(), allow_null=True, required=False)
    aliases = AliasNamesField(
        required=False,
        help_text="Other names; when sent, replaces the stored ones.",
    )

    class Meta:
        model = Entity
        fields = ("key", "name", "kind", "aliases", "affiliation", "role", "updated_at")
        read_only_fields = ("updated_at",)
        validators: list = []

    def validate_aliases(self, names):
        seen: dict[str, str] = {}
        for index, name in enumerate(names):
            normalized = normalize_name(name)
            if not normalized:
                raise serializers.ValidationError({index: "has no letters or digits."})
            if normalized in seen:
                raise serializers.ValidationError(
                    {index: f'is "{seen[normalized]}" once normalised: keep one.'}
                )
            seen[normalized] = name
        return names

    def validate(self, attrs):
        aliases = attrs.pop("aliases", None)
        entity = self.build(attrs)
        services.entity_names_normalize(entity=entity)
        affiliation = attrs.get("affiliation")
        if affiliation is not None and entity.pk is not None and affiliation.pk == entity.pk:
            raise serializers.ValidationError({"affiliation": "An entity cannot be its own."})
        validate_model(entity, exclude=("affiliation",))
        attrs["aliases"] = aliases
        return attrs

    def save(self, **kwargs):
        data = dict(self.validated_data)
        aliases = data.pop("aliases")
        with transaction.atomic():
            entity = self.build(data)
            services.entity_names_normalize(entity=entity)
            entity.save()
            if aliases is not None:
                entity.aliases.all().delete()
                rows = [EntityAlias(entity=entity, name=name) for name in aliases]
                for row in rows:
                    services.entity_alias_normalize(alias=row)
                EntityAlias.objects.bulk_create(rows)
        self.instance = Entity.objects.prefetch_related("aliases").get(pk=entity.pk)
        return self.instance


class PartialDateField(serializers.CharField):
    """A publication date as precise as known: "2015", "2015-07" or "2015-07-01"."""

    def to_internal_value(self, data) -> PartialDate | None:
        text = super().to_internal_value(data).strip()
        if not text:
            return None
        try:
            return parse_partial_date(text)
        except ValueParseError as error:
            raise serializers.ValidationError(str(error)) from None


class SourceSerializer(_KeyedSerializer):
    outlet = KeyRelatedField(queryset=Outlet.objects.all(), allow_null=True, required=False)
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    published = PartialDateField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text='"2015", "2015-07" or "2015-07-01": as precisely as the source gives it.',
    )
    authors = serializers.ListField(child=serializers.CharField(max_length=300), required=False)
    cites = KeyRelatedField(
        queryset=Source.objects.all(),
        many=True,
        required=False,
        help_text="Keys of sources this one relies on as a whole; when sent, replaces them.",
    )
    corrects = KeyRelatedField(
        queryset=Source.objects.all(),
        many=True,
        required=False,
        help_text="Keys of earlier sources this one corrects or supersedes (a correction notice, "
        "a revised version); when sent, replaces them.",
    )

    class Meta:
        model = Source
        fields = (
            "key",
            "title",
            "outlet",
            "url",
            "published",
            "authors",
            "language",
            "text",
            "cites",
            "corrects",
            "updated_at",
        )
        read_only_fields = ("updated_at",)
        validators: list = []

    def to_representation(self, source):
        data = super().to_representation(source)
        precision = source.published_precision
        day = source.published
        data["published"] = (
            None
            if day is None
            else {"year": f"{day:%Y}", "month": f"{day:%Y-%m}"}.get(precision, day.isoformat())
        )
        return data

    def validate(self, attrs):
        cites = attrs.pop("cites", None)
        corrects = attrs.pop("corrects", None)
        published = attrs.pop("published", ...)
        if published == "":  # DRF hands a blank string through without parsing it
            published = None
        source = self.build(attrs)
        if published is not ...:
            services.source_published_set(source=source, published=published)
        services.source_url_normalize(source=source)
        if cites and source.pk is not None and any(c.pk == source.pk for c in cites):
            raise serializers.ValidationError({"cites": "A source cannot cite itself."})
        if corrects and source.pk is not None and any(c.pk == source.pk for c in corrects):
            raise serializers.ValidationError({"corrects": "A source cannot correct itself."})
        validate_model(source, fields={"normalized_url": "url"})
        attrs["cites"], attrs["corrects"], attrs["published"] = cites, corrects, published
        return attrs

    def save(self, **kwargs):
        data = dict(self.validated_data)
        cites, corrects = data.pop("cites"), data.pop("corrects")
        published = data.pop("published")
        with transaction.atomic():
            source = self.build(data)
            if published is not ...:
                services.source_published_set(source=source, published=published)
            services.source_url_normalize(source=source)
            source.save()
            if cites is not None:
                SourceCitation.objects.filter(citing=source).delete()
                SourceCitation.objects.bulk_create(
                    [SourceCitation(citing=source, cited=c) for c in dict.fromkeys(cites)]
                )
            if corrects is not None:
                SourceCorrection.objects.filter(correcting=source).delete()
                SourceCorrection.objects.bulk_create(
                    [
                        SourceCorrection(correcting=source, corrected=c)
                        for c in dict.fromkeys(corrects)
                    ]
                )
        self.instance = _sources().get(pk=source.pk)
        return self.instance


def _sources():
    return Source.objects.select_related("outlet").prefetch_related("cites", "corrects")


@extend_schema(tags=["outlets"])
class OutletListApi(generics.ListCreateAPIView):
    serializer_class = OutletSerializer
    queryset = Outlet.objects.all()


@extend_schema(tags=["outlets"])
class OutletDetailApi(generics.RetrieveUpdateAPIView):
    serializer_class = OutletSerializer
    queryset = Outlet.objects.all()
    lookup_field = "key"


@extend_schema(tags=["entities"])
class EntityListApi(generics.ListCreateAPIView):
    serializer_class = EntitySerializer
    queryset = Entity.objects.select_related("affiliation").prefetch_related("aliases")


@extend_schema(tags=["entities"])
class EntityDetailApi(generics.RetrieveUpdateAPIView):
    serializer_class = EntitySerializer
    queryset = Entity.objects.select_related("affiliation").prefetch_related("aliases")
    lookup_field = "key"


@extend_schema(tags=["sources"])
class SourceListApi(generics.ListCreateAPIView):
    serializer_class = SourceSerializer

    def get_queryset(self):
        return _sources()


@extend_schema(tags=["sources"])
class SourceDetailApi(generics.RetrieveUpdateAPIView):
    serializer_class = SourceSerializer
    lookup_field = "key"

    def get_queryset(self):
        return _sources()
