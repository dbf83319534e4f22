"""Outlets, entities and sources for tools (token): list, retrieve, create, update.

Records are addressed by key. Every write goes through the services the admin calls
(sources.services: outlet_save, entity_save, source_save), which normalise names, URLs and
partial publication dates, check every model constraint (a key or normalised URL already taken
is a 409), record the history with the user, and re-check the claims of a source whose date
changed. Setting an outlet's reliability grade needs `sources.grade_outlet` (reviewers).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from api.fields import KeyRelatedField
from claims.core.roles import GRADE_OUTLET, require_permission
from claims.core.values import PartialDate, ValueParseError, parse_partial_date
from sources import services
from sources.models import Entity, Outlet, Source


class _KeyedSerializer(serializers.ModelSerializer):
    """Keys are stable ids: set on create, never changed. Uniqueness is checked by the services
    (a taken key is a 409), not by DRF's validators (a 400)."""

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
        return attrs

    def save(self, **kwargs):
        outlet = services.outlet_save(
            by=self.context["request"].user,
            outlet=self.build(self.validated_data),
            reliability=self._grade,
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

    def save(self, **kwargs):
        data = dict(self.validated_data)
        aliases = data.pop("aliases", None)
        entity = services.entity_save(
            by=self.context["request"].user, entity=self.build(data), aliases=aliases
        )
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

    def save(self, **kwargs):
        data = dict(self.validated_data)
        cites, corrects = data.pop("cites", None), data.pop("corrects", None)
        published = data.pop("published", ...)
        source = self.build(data)
        if published is not ...:
            if published == "":  # DRF hands a blank string through without parsing it
                published = None
            services.source_published_set(source=source, published=published)
        source = services.source_save(
            by=self.context["request"].user, source=source, cites=cites, corrects=corrects
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
