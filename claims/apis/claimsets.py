"""POST /api/v1/claimsets/: a claimset/1 document, imported exactly as `import_claims` does."""

import json

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import PayloadTooLarge
from api.permissions import HasPermissions
from claims.services.claimsets import SECTIONS, import_claimset
from tracker.bulk import gc_paused

# Read from the request a piece at a time, so that a body over the limit is refused after
# reading at most the limit, not loaded whole first.
_READ_CHUNK = 1024 * 1024

_WRITES = [
    f"{app}.{action}_{model}"
    for app, models in (
        ("sources", ("outlet", "entity", "source")),
        ("claims", ("predicate", "claim", "appearance")),
    )
    for model in models
    for action in ("add", "change")
]

_count = inline_serializer(
    "SectionCount",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
    },
)
_summary = inline_serializer(
    "ImportSummary",
    {
        "changed": serializers.BooleanField(),
        "counts": inline_serializer(
            "ImportCounts", {section: _count for section in SECTIONS}, required=True
        ),
    },
)


class ClaimsetApi(APIView):
    required_permissions = {"POST": _WRITES}
    permission_classes = [HasPermissions]
    # The body is read by the view itself (see post); this only tells the schema and content
    # negotiation that it is JSON.
    parser_classes = [JSONParser]
    schema_extra_errors = {"413": "The body is larger than the limit (API_CLAIMSET_MAX_BYTES)."}

    @extend_schema(
        tags=["ingest"],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            201: OpenApiResponse(
                _summary, description="Imported: something was created or updated."
            ),
            200: OpenApiResponse(_summary, description="Nothing to change: all stored already."),
        },
    )
    def post(self, request):
        """Import a claimset/1 document (see the claimset spec): checked whole first, then
        written in one transaction. Any error: 400 listing every error with its JSON path
        (`claims[3].value.quantity.low`), nothing written. Records whose key is stored are
        updated, so sending the same document twice changes nothing. Needs the editor role;
        an outlet's `reliability` or a claim's `status` that differs from the stored one needs
        the reviewer role (left out, the stored grade and status are kept). History entries
        name the sender. Bodies up to API_CLAIMSET_MAX_BYTES (default 50 MiB)."""
        if request.content_type.split(";")[0].strip() != "application/json":
            from rest_framework.exceptions import UnsupportedMediaType

            raise UnsupportedMediaType(request.content_type)
        raw = self._read_body(request)
        try:
            with gc_paused():
                # NaN and Infinity, which JSON does not have, are read as numbers like 1e309 is
                # (as infinity), so that the import refuses them with their JSON paths.
                document = json.loads(raw)
        except UnicodeDecodeError as exc:
            raise serializers.ValidationError({"": [f"The body is not UTF-8: {exc}"]}) from exc
        except json.JSONDecodeError as exc:
            message = f"Not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            raise serializers.ValidationError({"": [message]}) from exc
        except (ValueError, RecursionError) as exc:
            raise serializers.ValidationError({"": [f"Not valid JSON: {exc}"]}) from exc
        summary = import_claimset(document, by=request.user)
        body = {"changed": summary.changed, "counts": summary.as_dict()}
        return Response(body, status=status.HTTP_201_CREATED if summary.changed else 200)

    def _read_body(self, request) -> bytes:
        limit = settings.API_CLAIMSET_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit}.")
        body = bytearray()
        stream = request._request  # the WSGI input, not Django's size-capped request.body
        while chunk := stream.read(_READ_CHUNK):
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
        return bytes(body)
