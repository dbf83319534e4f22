"""GET /api/v1/facts/ and /api/v1/facts/{key}/: vetted claims for consumers, no login needed.

JSON by default, `?format=csv` and `?format=jsonld` (schema.org ClaimReview). Each response
carries an ETag; a request whose If-None-Match matches gets a 304 (tracker.urls wraps these
views in Django's conditional_page).
"""

import django_filters
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, renderers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from claims.apis.claims import ClaimFilterBase
from claims.apis.renderers import ClaimReviewRenderer, FactsCSVRenderer
from claims.apis.serializers import FactSerializer, fact_data
from claims.core.confidence import Likelihood
from claims.models import Appearance
from claims.selectors.claims import (
    claims_annotate_for_api,
    claims_at_least_likely,
    facts_annotate_replaced,
    facts_queryset,
    predicate_ids_named,
)
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
class FactListApi(FactRenderingMixin, generics.ListAPIView):
    """Vetted claims, in a stable order (oldest first), a page at a time: follow `next`
    (also in the Link header). Filters combine with AND."""

    filterset_class = FactFilter

    def get_queryset(self):
        return facts_queryset()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        claims_annotate_for_api(page)
        facts_annotate_replaced(page)
        return self.get_paginated_response([fact_data(claim) for claim in page])


@extend_schema(tags=["facts"], parameters=[FORMAT_PARAMETER], responses=_FACT_RESPONSES)
class FactDetailApi(FactRenderingMixin, generics.RetrieveAPIView):
    """One vetted claim by its key."""

    lookup_field = "key"

    def get_queryset(self):
        return facts_queryset()

    def retrieve(self, request, *args, **kwargs):
        claim = self.get_object()
        claims_annotate_for_api([claim])
        facts_annotate_replaced([claim])
        return Response(fact_data(claim))
