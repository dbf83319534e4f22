"""/api/: the schema, its docs (assets served by the tracker, no CDN) and version 1."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.index import ApiRootApi, ApiV1RootApi

app_name = "api"

urlpatterns = [
    path("", ApiRootApi.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("v1/", ApiV1RootApi.as_view(), name="v1-root"),
    path("v1/", include("claims.urls")),
    path("v1/", include("sources.urls")),
]
