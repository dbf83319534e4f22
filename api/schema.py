"""OpenAPI schema generation: every error status an operation can answer, documented.

drf-spectacular documents only the success responses; a client (or schemathesis) then meets
400s, 401s and 409s the schema never mentioned. Each operation here gets the error responses it
can produce, all with the one error body (api.errors.ErrorSerializer).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework.permissions import AllowAny

from api.errors import ErrorSerializer

_ALWAYS = {
    "400": "A query parameter or the body is invalid; `errors` names each by its path.",
    "401": "No valid token where one is needed, or an invalid token sent.",
    "404": "No such record, or an unknown `format`.",
    "406": "No representation matches the Accept header.",
    "429": "Too many requests; `Retry-After` says when to try again.",
}
_PROTECTED = {"403": "The token's user lacks the role (permission) this needs."}
_WRITES = {
    "409": "The change conflicts with what is stored: a duplicate key or URL.",
    "415": "The body is not JSON.",
}


class TrackerAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_ALWAYS)
        if not self._is_public():
            errors.update(_PROTECTED)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(_WRITES)
        errors.update(getattr(self.view, "schema_extra_errors", {}))
        for code, description in errors.items():
            if code in responses:
                continue
            if code == "304":  # no body
                responses[code] = {"description": description}
                continue
            responses[code] = self._get_response_for_code(
                ErrorSerializer, code, media_types=["application/json"], direction=direction
            )
            responses[code]["description"] = description
        return responses

    def _is_public(self) -> bool:
        permissions = self.view.get_permissions()
        return all(isinstance(p, AllowAny) for p in permissions)


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication: "Token <token>", the token printed by '
            "`manage.py create_api_token USERNAME`.",
        }
