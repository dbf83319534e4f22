"""/api/: the schema, its docs (assets served by the tracker, no CDN) and version 1.

The docs run under the tracker's Content-Security-Policy (no inline script, nothing from other
hosts): Swagger UI's start-up script is served by its own request (the split view), and Redoc's
page leaves out the web fonts drf-spectacular's template would fetch from Google."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from api.index import ApiRootApi, ApiV1RootApi

app_name = "api"

urlpatterns = [
    path("", ApiRootApi.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html"),
        name="redoc",
    ),
    path("v1/", ApiV1RootApi.as_view(), name="v1-root"),
    path("v1/", include("claims.urls")),
    path("v1/", include("sources.urls")),
]
