from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views import defaults
from django.views.decorators.cache import cache_control
from django.views.generic import RedirectView

from api.errors import json_error_view

# The tracker's icon: a ruled page with a check mark, as SVG (every browser asks for this path).
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect x="2" y="1" width="12" height="14" rx="1" fill="#fff" stroke="#417690"/>'
    '<path d="M4 5h8M4 8h5" stroke="#417690"/>'
    '<path d="M8 11.5l1.5 1.5L13 9" fill="none" stroke="#2e7d32" stroke-width="1.6"/></svg>'
)


@cache_control(max_age=86400, public=True)
def favicon(request):
    return HttpResponse(FAVICON_SVG, content_type="image/svg+xml")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("favicon.ico", favicon, name="favicon"),
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
