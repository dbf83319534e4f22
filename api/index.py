"""/api/ and /api/v1/: where the schema, the docs and the endpoints are, for someone who types
the address by hand. Left out of the schema: they describe it rather than belong to it."""

import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# Name, URL name and what it serves, in the order a newcomer reads them.
V1_ENDPOINTS = (
    ("facts", "api:fact-list", "vetted claims with their sources and confidence; no login"),
    ("contradictions", "api:contradiction-list", "contradiction flags and their review"),
    ("claims", "api:claim-list", "every claim, for editors and reviewers"),
    ("claimsets", "api:claimset-import", "import a claimset/1 document (POST)"),
    ("outlets", "api:outlet-list", "outlets with their reliability grade and track record"),
    ("entities", "api:entity-list", "people, organisations, places and events"),
    ("sources", "api:source-list", "articles and documents claims appear in"),
)


def _v1(request: Request) -> dict[str, dict[str, str]]:
    return {
        name: {"url": request.build_absolute_uri(reverse(url_name)), "serves": serves}
        for name, url_name, serves in V1_ENDPOINTS
    }


@extend_schema(exclude=True)
class ApiRootApi(APIView):
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        return Response(
            {
                "schema": request.build_absolute_uri(reverse("api:schema")),
                "docs": request.build_absolute_uri(reverse("api:docs")),
                "redoc": request.build_absolute_uri(reverse("api:redoc")),
                "v1": request.build_absolute_uri(reverse("api:v1-root")),
                "endpoints": _v1(request),
                "authentication": "Send 'Authorization: Token <key>' (manage.py "
                "create_api_token) or sign in to the admin; /api/v1/facts/ needs neither.",
            }
        )


@extend_schema(exclude=True)
class ApiV1RootApi(APIView):
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        return Response(_v1(request))


def api_view_name(view, **kwargs) -> str:
    """A view's name as the browsable API titles it: "Facts", "Fact", "Claim tracker API",
    rather than DRF's "Fact List Api" from the class name."""
    if "name" in kwargs:
        return kwargs["name"]
    words = re.findall(r"[A-Z][a-z0-9]*", type(view).__name__.removesuffix("Api"))
    if words[:1] == ["Api"]:
        return "Claim tracker API" + (" v1" if "V1" in words else "")
    if words[-1:] == ["List"]:
        return f"{' '.join(words[:-1])}s".capitalize()
    if words[-1:] == ["Detail"]:
        return " ".join(words[:-1]).capitalize()
    return " ".join(words).capitalize()
