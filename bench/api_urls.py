"""URLs of bench/api.py's server: the tracker's own, plus the baseline listing.

The baseline is the same facts listing (queryset, filters, serializer) paginated by DRF's
page-number pagination, which counts the table on every request and reads deep pages with
OFFSET. It exists only here, never in the tracker's URLs.
"""

from django.urls import path
from rest_framework.pagination import PageNumberPagination

from claims.apis.facts import FactListApi
from tracker.urls import urlpatterns as tracker_urlpatterns


class PageNumberFactListApi(FactListApi):
    pagination_class = PageNumberPagination


urlpatterns = [
    *tracker_urlpatterns,
    path("baseline/facts/", PageNumberFactListApi.as_view(), name="baseline-facts"),
]
