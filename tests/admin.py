"""Helpers for the admin tests of both apps."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

# A page read by staff who are not superusers (the tests' cast) also reads the user's own and
# their groups' permissions: two queries, whatever the page shows.
PERMISSION_QUERIES = 2


def changelist_queries(client, app: str, model: str) -> int:
    """The number of queries one GET of a model's admin list page runs."""
    url = reverse(f"admin:{app}_{model}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def change_form_data(client, url: str) -> dict[str, object]:
    """The POST an admin change page would send if saved unchanged: every field of its form and
    of its inline formsets, as the page shows them."""
    response = client.get(url)
    assert response.status_code == 200
    data: dict[str, object] = {}

    def add(form) -> None:
        for bound in form:
            value = bound.value()
            if value is None:
                value = ""
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            if isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
                continue
            data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data
