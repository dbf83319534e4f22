"""A claim carried by thousands of sources: its admin page edits its first appearances and
links to the rest, in a number of queries and a page size that do not grow with them (10,000
appearances took 100 s and 52 MB when every one was a form row and a bar of the chart)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.admin.claims import APPEARANCE_INLINE_ROWS
from claims.models import Appearance
from claims.reports.charts import BARS_PER_CLAIM
from sources.models import Outlet, Source
from tests.admin import change_form_data
from tests.factories import ClaimFactory

QUOTE = "At least 400 fighters escaped the city"


def add_appearances(claim, count: int) -> None:
    """`count` more appearances, each in a source of its own outlet on its own day: each is an
    independent source and a bar of its own in the chart."""
    start = claim.appearances.count()
    numbers = range(start, start + count)
    outlets = Outlet.objects.bulk_create(
        Outlet(key=f"outlet-{claim.pk}-{n}", name=f"Outlet {claim.pk}-{n}") for n in numbers
    )
    sources = Source.objects.bulk_create(
        Source(
            key=f"wire-{claim.pk}-{n}", title=f"Wire story {n}", outlet=outlet,
            text=f"{QUOTE}, they said.",
            published=datetime.date(2015, 1, 1) + datetime.timedelta(days=n),
            published_precision="day",
        )
        for n, outlet in zip(numbers, outlets, strict=True)
    )  # fmt: skip
    Appearance.objects.bulk_create(
        Appearance(claim=claim, source=source, position=n, quote=QUOTE)
        for n, source in zip(numbers, sources, strict=True)
    )


@pytest.fixture
def wire_claim(db):
    claim = ClaimFactory()
    # Another claim about the same subject and predicate: the page draws the chart of both.
    ClaimFactory(subject=claim.subject, predicate=claim.predicate, quantity_low=10.0)
    return claim


def claim_page(client, claim) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def test_the_page_costs_the_same_queries_and_size_with_many_more_appearances(
    staff_client, wire_claim
):
    add_appearances(wire_claim, APPEARANCE_INLINE_ROWS + 10)
    claim_page(staff_client, wire_claim)  # the first request also fills the content-type cache
    few_queries, few = claim_page(staff_client, wire_claim)
    add_appearances(wire_claim, 240)
    many_queries, many = claim_page(staff_client, wire_claim)

    assert many_queries == few_queries
    assert len(many) < len(few) * 1.02
    rows = re.findall(r'name="appearances-\d+-id" value="\d+"', many)
    assert len(rows) == APPEARANCE_INLINE_ROWS
    assert f"The first {APPEARANCE_INLINE_ROWS} of 300 appearances are shown" in many
    assert f"later reports of the same claims not drawn (the first {BARS_PER_CLAIM}" in many
    assert "<li>and 280 more</li>" in many  # independent sources beyond the first 20


def test_the_page_links_to_the_full_list_of_the_claims_appearances(staff_client, wire_claim):
    other = ClaimFactory()
    add_appearances(wire_claim, APPEARANCE_INLINE_ROWS + 5)
    add_appearances(other, 3)
    _, page = claim_page(staff_client, wire_claim)
    [url] = re.findall(r'href="([^"]*)">all 55 in the appearance list', page)

    listed = staff_client.get(url.replace("&amp;", "&"))

    assert listed.status_code == 200
    assert listed.context["cl"].result_count == APPEARANCE_INLINE_ROWS + 5
    assert {a.claim_id for a in listed.context["cl"].result_list} == {wire_claim.pk}


def test_a_claim_with_few_appearances_shows_them_all_without_a_link(staff_client, wire_claim):
    add_appearances(wire_claim, 3)
    _, page = claim_page(staff_client, wire_claim)

    assert len(re.findall(r'name="appearances-\d+-id" value="\d+"', page)) == 3
    assert "in the appearance list" not in page


def test_saving_the_page_changes_only_the_rows_it_showed_and_keeps_the_rest(
    admin_client, wire_claim
):
    # The site admin: deleting an appearance is no role's permission (editors and reviewers
    # never lose data), and the test deletes one.
    staff_client = admin_client
    add_appearances(wire_claim, APPEARANCE_INLINE_ROWS + 20)
    url = reverse("admin:claims_claim_change", args=[wire_claim.pk])
    data = change_form_data(staff_client, url)
    data["appearances-0-stance"] = "reports"
    data["appearances-1-DELETE"] = "on"

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    stances = dict(wire_claim.appearances.values_list("position", "stance"))
    assert len(stances) == APPEARANCE_INLINE_ROWS + 19
    assert stances[0] == "reports" and 1 not in stances
    assert set(stances.values()) == {"reports", "asserts"}
