"""App configurations the tracker gives third-party apps: their names in the tracker's words."""

from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    """django-rest-knox, named for what it holds ("API tokens", not "Knox") in the admin."""

    name = "knox"
    verbose_name = "API tokens"
