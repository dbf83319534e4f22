"""The source services, from the admin and the API: a new publication date re-checks the claims
appearing in the source at once; an outlet's grade is a reviewer's and is never cleared by a
writer who leaves it out; every save names its user in the history."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from claims.models import Claim, Contradiction
from claims.services.claims import AppearanceInput, claim_save
from sources.models import Entity, Outlet, Source
from sources.services import outlet_save
from sources.url_normalization import normalize_url
from tests.admin import change_form_data
from tests.factories import EntityFactory, OutletFactory, PredicateFactory, SourceFactory
from tracker.models import Precision

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def population_claims(by, *, june: Source, later: Source) -> tuple[Claim, Claim]:
    """Two population figures for one town that disagree: one said in `june`, one in
    `later`. A population changes over time, so they contradict only when they hold at once."""
    town = EntityFactory(name="Sirte", kind="place")
    population = PredicateFactory(unit="people", time_varying=True)
    claims = []
    for source, figure in ((june, "120,000"), (later, "50,000")):
        claim = Claim(
            text=f"Sirte has {figure} people.",
            subject=town,
            predicate=population,
            value_as_written=figure,
        )
        claims.append(claim_save(by=by, claim=claim, appearances=[AppearanceInput(source=source)]))
    return claims[0], claims[1]


@pytest.fixture
def june_and_2017(editor, django_capture_on_commit_callbacks):
    june = SourceFactory(published=datetime.date(2015, 6, 25), published_precision=Precision.DAY)
    later = SourceFactory(published=datetime.date(2017, 1, 1), published_precision=Precision.YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        population_claims(editor, june=june, later=later)
    assert not Contradiction.objects.exists()  # 2015 and 2017: no reason to disagree
    return june, later


def test_a_source_date_changed_through_the_api_flags_the_contradiction_it_makes_at_once(
    editor, june_and_2017, django_capture_on_commit_callbacks
):
    june, later = june_and_2017

    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(editor).patch(
            f"/api/v1/sources/{later.key}/", {"published": "2015-06-25"}, format="json"
        )

    assert response.status_code == 200, response.json()
    later_claim = Claim.objects.get(appearances__source=later)
    assert (later_claim.holds_from, later_claim.holds_to) == (datetime.date(2015, 6, 25),) * 2
    assert Contradiction.objects.filter(kind="quantity").count() == 1


def test_a_source_date_changed_in_the_admin_flags_the_contradiction_it_makes_at_once(
    editor, june_and_2017, django_capture_on_commit_callbacks
):
    june, later = june_and_2017
    admin = Client()
    admin.force_login(editor)
    url = reverse("admin:sources_source_change", args=[later.pk])
    form = change_form_data(admin, url)
    form["published_as_text"] = "2015-06"

    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, form).status_code == 302

    assert Claim.objects.get(appearances__source=later).holds_from == datetime.date(2015, 6, 1)
    assert Contradiction.objects.filter(kind="quantity").count() == 1


def test_a_source_saved_without_a_new_date_leaves_its_claims_alone(
    editor, june_and_2017, django_capture_on_commit_callbacks
):
    june, later = june_and_2017
    claim = Claim.objects.get(appearances__source=later)

    response = api_for(editor).patch(
        f"/api/v1/sources/{later.key}/", {"title": "Renamed"}, format="json"
    )

    assert response.status_code == 200
    assert Claim.objects.get(pk=claim.pk).check_requested_at == claim.check_requested_at


def test_a_taken_url_is_a_409_from_the_service(editor):
    SourceFactory(
        url="https://example.org/a", normalized_url=normalize_url("https://example.org/a")
    )
    source = SourceFactory()

    response = api_for(editor).patch(
        f"/api/v1/sources/{source.key}/", {"url": "https://example.org/a/"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["path"] == "url"


# --- outlets: the grade is a reviewer's --------------------------------------------------------


def test_outlet_save_refuses_a_grade_from_an_editor(editor):
    outlet = OutletFactory()

    with pytest.raises(PermissionDenied):
        outlet_save(by=editor, outlet=outlet, reliability="A")

    assert Outlet.objects.get(pk=outlet.pk).reliability == ""


@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_outlet_written_without_its_grade_keeps_it(editor, method):
    outlet = OutletFactory(reliability="B")
    body = {"key": outlet.key, "name": "Renamed", "kind": outlet.kind}

    response = getattr(api_for(editor), method)(
        f"/api/v1/outlets/{outlet.key}/", body, format="json"
    )

    assert response.status_code == 200, response.json()
    outlet.refresh_from_db()
    assert (outlet.name, outlet.reliability) == ("Renamed", "B")
    assert outlet.history.latest().history_user == editor


def test_an_editor_posting_a_grade_in_the_admin_changes_nothing_of_it(editor):
    outlet = OutletFactory(reliability="B")
    admin = Client()
    admin.force_login(editor)
    url = reverse("admin:sources_outlet_change", args=[outlet.pk])
    form = change_form_data(admin, url)
    form.update(name="Renamed", reliability="F")

    assert admin.post(url, form).status_code == 302

    outlet.refresh_from_db()
    assert (outlet.name, outlet.reliability) == ("Renamed", "B")


def test_a_reviewer_grades_an_outlet_in_the_admin(reviewer):
    outlet = OutletFactory()
    admin = Client()
    admin.force_login(reviewer)
    url = reverse("admin:sources_outlet_change", args=[outlet.pk])
    form = change_form_data(admin, url)
    form["reliability"] = "A"

    assert admin.post(url, form).status_code == 302

    outlet.refresh_from_db()
    assert outlet.reliability == "A"
    assert outlet.history.latest().history_user == reviewer


# --- entities and predicates with their aliases ------------------------------------------------


def test_the_api_refuses_aliases_that_are_one_once_normalised_at_their_path(editor):
    response = api_for(editor).post(
        "/api/v1/entities/",
        {
            "key": "isis",
            "name": "Islamic State",
            "kind": "organization",
            "aliases": ["ISIS", "Isis"],
        },
        format="json",
    )

    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == ["aliases[1]"]
    assert not Entity.objects.filter(key="isis").exists()


def test_an_alias_added_in_the_admin_is_saved_with_its_entity_by_the_service(editor):
    entity = EntityFactory(name="Islamic State")
    admin = Client()
    admin.force_login(editor)
    url = reverse("admin:sources_entity_change", args=[entity.pk])
    form = change_form_data(admin, url)
    form["aliases-0-name"] = "Daesh"

    assert admin.post(url, form).status_code == 302

    assert list(entity.aliases.values_list("name", "normalized")) == [("Daesh", "daesh")]
