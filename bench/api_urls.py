"""URLs of bench/api.py's server: the tracker's own, plus the baseline listing.

The baseline is the facts listing as it was before stored documents: the same filters, each
page's facts loaded and serialised per request (facts_queryset, claims_annotate_for_api,
fact_data), paginated by DRF's page-number pagination, which counts the table on every request
and reads deep pages with OFFSET. It exists only here, never in the tracker's URLs.
"""

from django.urls import path
from rest_framework import generics
from rest_framework.pagination import PageNumberPagination

from claims.apis.facts import FactFilter, FactRenderingMixin
from claims.selectors.claims import claims_annotate_for_api, facts_annotate_replaced, facts_queryset
from claims.selectors.facts import fact_data
from tracker.urls import urlpatterns as tracker_urlpatterns


class PageNumberFactListApi(FactRenderingMixin, generics.ListAPIView):
    pagination_class = PageNumberPagination
    filterset_class = FactFilter

    def get_queryset(self):
        return facts_queryset().order_by("pk")  # the cursor pages' order

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        claims_annotate_for_api(page)
        facts_annotate_replaced(page)
        return self.get_paginated_response([fact_data(claim) for claim in page])


urlpatterns = [
    *tracker_urlpatterns,
    path("baseline/facts/", PageNumberFactListApi.as_view(), name="baseline-facts"),
]
