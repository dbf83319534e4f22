"""The one JSON shape of every API error, and the handler that produces it.

    {"status": 400, "code": "invalid", "message": "...",
     "errors": [{"path": "claims[3].value.quantity.low", "message": "...", "code": "invalid"}]}

`errors` lists what is wrong with the input, each at the path of its field (query parameters by
name); it is empty when nothing in particular is. Raised by DRF, by Django (`Http404`,
`PermissionDenied`, `ValidationError`), by services (`ApplicationError`, or a Django
`ValidationError` keyed by field paths such as `appearances[2].quote`: see api_error) or by the
database (`IntegrityError`: a uniqueness or other conflict with what is stored is a 409).
"""

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response
from rest_framework.views import set_rollback

from tracker.errors import ApplicationError, FieldError
from tracker.validation import UNIQUE

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    """A 409; `errors` maps the paths of the conflicting fields to messages."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with what is stored."
    default_code = "conflict"

    def __init__(self, detail=None, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or {}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def error_body(
    status_code: int, code: str, message: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {"status": status_code, "code": code, "message": message, "errors": errors or []}


def _flatten(detail: Any, path: str = "") -> list[dict[str, str]]:
    """DRF's nested error detail as a flat list of {path, message, code}."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                sub = path
            elif isinstance(key, int):  # a list's item, as DRF reports nested lists
                sub = f"{path}[{key}]"
            elif path:
                sub = f"{path}.{key}"
            else:
                sub = str(key)
            found.extend(_flatten(value, sub))
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):  # messages for one field
            return [_item(path, item) for item in detail]
        found = []
        for index, item in enumerate(detail):
            found.extend(_flatten(item, f"{path}[{index}]") if item else [])
        return found
    return [_item(path, detail)]


def _item(path: str, message: Any) -> dict[str, str]:
    code = getattr(message, "code", None) or "invalid"
    return {"path": path, "message": str(message), "code": code}


def _field_errors(errors: list[FieldError]) -> list[dict[str, str]]:
    return [{"path": e.path, "message": e.message, "code": "invalid"} for e in errors]


# A claim that changed since the version the writer read (claims.services.claims).
STALE = "stale"
_CONFLICTS = (UNIQUE, STALE)


def _detail(error: DjangoValidationError) -> dict[str, list[ErrorDetail]]:
    by_field = (
        error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    )
    return {
        ("" if field == NON_FIELD_ERRORS else field): [
            ErrorDetail(message, code=item.code or "invalid") for item in items for message in item
        ]
        for field, items in by_field.items()
    }


def api_error(error: DjangoValidationError) -> exceptions.APIException:
    """The API's answer to a service's ValidationError (see the module docstring)."""
    detail = _detail(error)
    conflicts = {
        path: [str(m) for m in messages if m.code in _CONFLICTS]
        for path, messages in detail.items()
        if any(m.code in _CONFLICTS for m in messages)
    }
    if conflicts:
        return Conflict(
            "; ".join(f"{path}: {m}" if path else m for path, ms in conflicts.items() for m in ms),
            errors=conflicts,
        )
    return exceptions.ValidationError(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error as one shape. Unknown exceptions are left to Django
    (a 500, logged), which tracker.urls answers in the same shape under /api/."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = api_error(exc)
    elif isinstance(exc, IntegrityError):
        logger.info("conflict on write: %s", exc)
        exc = Conflict("The change conflicts with what is stored (a duplicate key or URL?).")

    if isinstance(exc, ApplicationError):
        set_rollback()
        body = error_body(400, "invalid", exc.message, _field_errors(exc.errors))
        return Response(body, status=400)
    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        noun = "error" if len(errors) == 1 else "errors"
        message = f"The request has {len(errors)} {noun}; nothing was changed."
        if len(errors) == 1:
            message = f"{errors[0]['path'] or 'request'}: {errors[0]['message']}"
        return Response(error_body(exc.status_code, "invalid", message, errors), exc.status_code)
    detail = exc.detail
    code = getattr(detail, "code", None) or exc.default_code
    message = str(detail) if not isinstance(detail, dict | list) else str(exc.default_detail)
    errors = _flatten(exc.errors) if isinstance(exc, Conflict) else []
    body = error_body(exc.status_code, code, message, errors)
    return Response(body, exc.status_code, headers=headers)


class FieldErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text='Where: a field ("text"), a JSON path ("claims[3].value"), a query parameter.'
    )
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (for the schema)."""

    status = serializers.IntegerField()
    code = serializers.CharField(help_text='"invalid", "not_found", "conflict", ...')
    message = serializers.CharField()
    errors = FieldErrorSerializer(many=True)


def json_error_view(status_code: int, code: str, message: str):
    """Django's handler404/handler500 for /api/ paths: the same shape outside DRF's views."""

    def view(request, exception=None):
        return JsonResponse(error_body(status_code, code, message), status=status_code)

    return view
