"""Helpers for the admin tests of both apps."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def changelist_queries(client, app: str, model: str) -> int:
    """The number of queries one GET of a model's admin list page runs."""
    url = reverse(f"admin:{app}_{model}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)
