"""The sources app's API routes, under /api/v1/ (tracker/urls.py)."""

from django.urls import path

import tracker.urls_converters  # noqa: F401 - registers the <key:...> converter
from sources.apis import (
    EntityDetailApi,
    EntityListApi,
    OutletDetailApi,
    OutletListApi,
    SourceDetailApi,
    SourceListApi,
)

urlpatterns = [
    path("outlets/", OutletListApi.as_view(), name="outlet-list"),
    path("outlets/<key:key>/", OutletDetailApi.as_view(), name="outlet-detail"),
    path("entities/", EntityListApi.as_view(), name="entity-list"),
    path("entities/<key:key>/", EntityDetailApi.as_view(), name="entity-detail"),
    path("sources/", SourceListApi.as_view(), name="source-list"),
    path("sources/<key:key>/", SourceDetailApi.as_view(), name="source-detail"),
]
