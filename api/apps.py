from django.apps import AppConfig


class ApiConfig(AppConfig):
    """What every endpoint of the HTTP API shares: authentication by hashed token, permissions
    by role, the one error shape, cursor pagination, the OpenAPI schema and its offline docs.
    The endpoints themselves live with their data, in claims/apis and sources/apis."""

    name = "api"
    verbose_name = "API"
