from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from django.views.generic import RedirectView

from api.errors import json_error_view

admin.site.site_header = "Claim tracker"
admin.site.site_title = "Claim tracker"
admin.site.index_title = "Claims, sources and their credibility"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]

_api_not_found = json_error_view(404, "not_found", "No such API endpoint.")
_api_server_error = json_error_view(500, "server_error", "Internal error; it has been logged.")


def handler404(request, exception):
    # Under /api/ every error has the API's JSON shape; elsewhere Django's pages.
    if request.path.startswith("/api/"):
        return _api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return _api_server_error(request)
    return defaults.server_error(request)
