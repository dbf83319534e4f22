"""GET /api/v1/facts/ and /api/v1/facts/{key}/: vetted claims for consumers, no login needed.

JSON by default, `?format=csv` and `?format=jsonld` (schema.org ClaimReview). A page is one
query: the facts' ids (filtered, in cursor order) joined to their stored documents
(claims.models.FactDocument), whose pieces are put together as they are. Each response carries
an ETag made of the documents' digests and the page's links; a request whose If-None-Match
matches gets a 304 (claims.urls wraps these views in Django's conditional_page).
"""

import hashlib
import json

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, renderers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from claims.apis.claims import ClaimFilterBase
from claims.apis.renderers import ClaimReviewRenderer, FactsCSVRenderer
from claims.apis.serializers import FactSerializer
from claims.core import fact_formats
from claims.core.confidence import Likelihood
from claims.models import Appearance
from claims.selectors.claims import claims_at_least_likely, predicate_ids_named
from claims.selectors.facts import fact_documents_of, fact_ids
from claims.services.fact_documents import fact_documents_refresh
from sources.models import Outlet

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv", "jsonld"],
    description="json (default), csv (one row per appearance) or jsonld (schema.org ClaimReview).",
)
NOT_MODIFIED = {"304": "Not modified: the If-None-Match header names the current ETag."}


class FactFilter(ClaimFilterBase):
    subject = django_filters.CharFilter(
        method="filter_subject", help_text="Entity key, name or alias (ISIS, Daesh, ...)."
    )
    predicate = django_filters.CharFilter(
        method="filter_predicate", help_text="Predicate key, name or alias."
    )
    outlet = django_filters.CharFilter(
        method="filter_outlet", help_text="Outlet key or name: facts it carried."
    )
    published_after = django_filters.DateFilter(
        method="filter_published_after",
        help_text="Facts with an appearance in a source published on or after this date.",
    )
    published_before = django_filters.DateFilter(
        method="filter_published_before",
        help_text="Facts with an appearance in a source published on or before this date.",
    )
    valid_at = django_filters.DateFilter(
        method="filter_valid_at",
        help_text="Facts that hold on this date: their valid time, or else the publication "
        "date of their earliest appearance at its precision; open ends hold always.",
    )
    min_likelihood = django_filters.ChoiceFilter(
        choices=Likelihood.choices,
        method="filter_min_likelihood",
        help_text="Facts whose reviewers' consensus is this likely or more (ICD 203 scale); "
        "unrated facts are left out.",
    )

    def filter_predicate(self, queryset, name, value):
        return queryset.filter(predicate_id__in=predicate_ids_named(value))

    def filter_outlet(self, queryset, name, value):
        outlets = Outlet.objects.filter(Q(key=value) | Q(name__iexact=value)).values("id")
        return queryset.filter(_appearing(source__outlet_id__in=outlets))

    def filter_published_after(self, queryset, name, value):
        return queryset.filter(_appearing(source__published__gte=value))

    def filter_published_before(self, queryset, name, value):
        return queryset.filter(_appearing(source__published__lte=value))

    def filter_min_likelihood(self, queryset, name, value):
        return claims_at_least_likely(queryset, value)

    def filter_valid_at(self, queryset, name, value):
        return queryset.filter(
            Q(holds_from__isnull=True) | Q(holds_from__lte=value),
            Q(holds_to__isnull=True) | Q(holds_to__gte=value),
        )


def _appearing(**conditions) -> Exists:
    """Claims with an appearance meeting the conditions; EXISTS, so a claim is listed once."""
    return Exists(Appearance.objects.filter(claim_id=OuterRef("pk"), **conditions))


class FactRenderingMixin:
    permission_classes = [AllowAny]
    serializer_class = FactSerializer
    renderer_classes = [
        renderers.JSONRenderer,
        FactsCSVRenderer,
        ClaimReviewRenderer,
        renderers.BrowsableAPIRenderer,
    ]
    schema_extra_errors = NOT_MODIFIED

    def fact_url(self, key: str) -> str:
        return reverse("api:fact-detail", kwargs={"key": key}, request=self.request)

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors (and OPTIONS metadata) are JSON whatever format was asked for: one shape for
        # every error, and CSV or JSON-LD only for facts.
        is_fact = response.status_code < 400 and request.method in ("GET", "HEAD")
        if not is_fact and getattr(request, "accepted_renderer", None):
            if request.accepted_renderer.format in ("csv", "jsonld"):
                request.accepted_renderer = renderers.JSONRenderer()
                request.accepted_media_type = "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (
                ("next", getattr(response, "data", None) and _get(response.data, "next")),
                ("prev", getattr(response, "data", None) and _get(response.data, "previous")),
            )
            if url
        ]
        if links:
            response["Link"] = ", ".join(links)
        return response


def _get(data, name):
    return data.get(name) if isinstance(data, dict) else None


# The stored piece each format is made of; any other renderer (the browsable API, JSON with an
# `indent` asked for in the Accept header) gets the JSON pieces parsed and rendered by DRF.
PIECE_OF_FORMAT = {"json": "body", "csv": "csv_rows", "jsonld": "jsonld"}
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "jsonld": "application/ld+json; charset=utf-8",
}


class StoredFactsMixin(FactRenderingMixin):
    def get_queryset(self):
        return fact_ids()

    def filter_queryset(self, queryset):
        # Building the filter set costs more than the rest of a stored page (django-filter
        # deep-copies every filter per request): skipped when no filter is asked for.
        if not any(name in self.request.query_params for name in FactFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def stored_format(self) -> str | None:
        """The format served from stored pieces as they are, or None to render the data."""
        renderer_format = self.request.accepted_renderer.format
        if renderer_format == "json" and "indent" in (self.request.accepted_media_type or ""):
            return None
        return renderer_format if renderer_format in PIECE_OF_FORMAT else None

    def rows_with_pieces(self, queryset) -> list[dict]:
        """The page's claim rows (id, key, digest, piece), one query; a fact whose document is
        missing (written before documents were kept, or by a path that bypassed the services)
        has it built now and read again."""
        piece = PIECE_OF_FORMAT.get(self.stored_format() or "json")
        columns = ("id", "key", "fact_document__digest", f"fact_document__{piece}")
        rows = self.page_of(queryset.values(*columns))
        missing = [row["id"] for row in rows if row["fact_document__digest"] is None]
        if missing:
            fact_documents_refresh(claim_ids=missing)
            built = fact_documents_of(missing, piece)
            for row in rows:
                if row["id"] in built:
                    row["fact_document__digest"], row[f"fact_document__{piece}"] = built[row["id"]]
        return [
            {"key": row["key"], "digest": row["fact_document__digest"], "piece": row[columns[3]]}
            for row in rows
            if row["fact_document__digest"] is not None
        ]

    def page_of(self, queryset) -> list[dict]:
        raise NotImplementedError

    def stored_response(self, content: bytes, etag_parts: list[str]) -> HttpResponse:
        response = HttpResponse(content, content_type=CONTENT_TYPES[self.stored_format()])
        digest = hashlib.blake2b(digest_size=16)
        for part in [self.stored_format(), *etag_parts]:
            digest.update(part.encode())
            digest.update(b"\0")
        response["ETag"] = f'"{digest.hexdigest()}"'
        return response

    def jsonld_piece(self, fact: dict) -> str:
        return fact_formats.jsonld_with_url(fact["piece"], self.fact_url(fact["key"]))


_FACT_RESPONSES = {
    (200, "application/json"): FactSerializer,
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per appearance."),
    (200, "application/ld+json"): OpenApiResponse(
        OpenApiTypes.OBJECT, description="schema.org ClaimReview."
    ),
}


@extend_schema(
    tags=["facts"],
    parameters=[FORMAT_PARAMETER],
    responses={
        (200, "application/json"): FactSerializer(many=True),
        **{k: v for k, v in _FACT_RESPONSES.items() if k[1] != "application/json"},
    },
)
class FactListApi(StoredFactsMixin, generics.ListAPIView):
    """Vetted claims, in a stable order (oldest first), a page at a time: follow `next`
    (also in the Link header). Filters combine with AND."""

    filterset_class = FactFilter

    def page_of(self, queryset) -> list[dict]:
        return self.paginate_queryset(queryset)

    def list(self, request, *args, **kwargs):
        facts = self.rows_with_pieces(self.filter_queryset(self.get_queryset()))
        stored_format = self.stored_format()
        if stored_format is None:
            return self.get_paginated_response([json.loads(f["piece"]) for f in facts])
        next_url, previous_url = self.paginator.get_next_link(), self.paginator.get_previous_link()
        if stored_format == "json":
            content = fact_formats.json_page(next_url, previous_url, [f["piece"] for f in facts])
        elif stored_format == "jsonld":
            content = fact_formats.jsonld_page([self.jsonld_piece(f) for f in facts])
        else:
            content = fact_formats.csv_page([f["piece"] for f in facts])
        response = self.stored_response(
            content, [next_url or "", previous_url or "", *(f["digest"] for f in facts)]
        )
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", next_url), ("prev", previous_url))
            if url
        ]
        if links:
            response["Link"] = ", ".join(links)
        return response


@extend_schema(tags=["facts"], parameters=[FORMAT_PARAMETER], responses=_FACT_RESPONSES)
class FactDetailApi(StoredFactsMixin, generics.RetrieveAPIView):
    """One vetted claim by its key."""

    lookup_field = "key"

    def page_of(self, queryset) -> list[dict]:
        return [generics.get_object_or_404(queryset, key=self.kwargs["key"])]

    def retrieve(self, request, *args, **kwargs):
        facts = self.rows_with_pieces(self.filter_queryset(self.get_queryset()))
        if not facts:  # no longer a fact while its document was being built
            raise Http404
        [fact] = facts
        stored_format = self.stored_format()
        if stored_format is None:
            return Response(json.loads(fact["piece"]))
        if stored_format == "json":
            content = fact["piece"].encode()
        elif stored_format == "jsonld":
            content = fact_formats.jsonld_document(self.jsonld_piece(fact))
        else:
            content = fact_formats.csv_page([fact["piece"]])
        return self.stored_response(content, [fact["digest"]])
