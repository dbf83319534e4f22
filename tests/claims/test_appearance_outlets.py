"""Every appearance carries its source's outlet (Appearance.outlet), whoever writes it, and a
source's new outlet reaches its appearances; drift is found and repaired."""

import copy
import importlib
from types import SimpleNamespace

import pytest
from django.core import checks
from django.db import connection
from django.urls import reverse

from claims.apps import appearance_outlets_check
from claims.models import Appearance, Claim
from claims.selectors.claims import appearances_outlet_drifted
from claims.services.appearance_outlets import appearance_outlets_follow
from claims.services.claims import AppearanceInput, claim_save
from claims.services.claimsets import import_claimset
from sources.models import Source
from sources.services import source_save
from tests.claims.test_claimset_import import minimal
from tests.factories import AppearanceFactory, ClaimFactory, OutletFactory, SourceFactory

pytestmark = pytest.mark.django_db


def outlets_of(claim) -> list:
    return list(
        Appearance.objects.filter(claim=claim)
        .order_by("position")
        .values_list("outlet_id", flat=True)
    )


def test_claim_save_copies_each_sources_outlet_onto_new_and_changed_appearances(editor):
    first, second = OutletFactory(), OutletFactory()
    source, other, none = (
        SourceFactory(outlet=first),
        SourceFactory(outlet=second),
        SourceFactory(outlet=None),
    )
    claim = ClaimFactory()
    claim_save(
        by=editor,
        claim=claim,
        appearances=[AppearanceInput(source=source), AppearanceInput(source=none)],
    )
    assert outlets_of(claim) == [first.pk, None]

    moved = Appearance.objects.get(claim=claim, source=source)
    claim_save(by=editor, claim=claim, appearances=[AppearanceInput(source=other, id=moved.pk)])
    assert outlets_of(claim) == [second.pk, None]


def test_claim_save_reads_the_outlet_as_stored_not_as_the_writer_loaded_the_source(editor):
    outlet, moved_to = OutletFactory(), OutletFactory()
    source = SourceFactory(outlet=outlet)
    loaded = Source.objects.get(pk=source.pk)  # as a form loaded it
    Source.objects.filter(pk=source.pk).update(outlet=moved_to)  # another writer, meanwhile
    claim = ClaimFactory()
    claim_save(by=editor, claim=claim, appearances=[AppearanceInput(source=loaded)])
    assert outlets_of(claim) == [moved_to.pk]


def test_an_appearance_added_in_the_admin_carries_its_sources_outlet(staff_client):
    claim, outlet = ClaimFactory(), OutletFactory()
    source = SourceFactory(outlet=outlet)
    data = {
        "claim": claim.pk,
        "source": source.pk,
        "quote": "",
        "speaker": "",
        "speaker_description": "",
        "stance": "asserts",
        "via_links-TOTAL_FORMS": "0",
        "via_links-INITIAL_FORMS": "0",
        "via_links-MIN_NUM_FORMS": "0",
        "via_links-MAX_NUM_FORMS": "1000",
    }
    response = staff_client.post(reverse("admin:claims_appearance_add"), data)
    assert response.status_code == 302
    assert outlets_of(claim) == [outlet.pk]


def test_the_import_writes_each_appearances_outlet_and_follows_a_source_moved_to_another():
    document = minimal()
    import_claimset(document)
    claim = Claim.objects.get(key="c1")
    assert outlets_of(claim) == [Source.objects.get(key="s1").outlet_id]

    moved = copy.deepcopy(document)
    moved["outlets"].append({"key": "o2", "name": "Outlet Two", "kind": "wire"})
    moved["sources"][0]["outlet"] = "o2"
    import_claimset(moved)
    assert Source.objects.get(key="s1").outlet.key == "o2"
    assert outlets_of(claim) == [Source.objects.get(key="s1").outlet_id]

    moved["sources"][0]["outlet"] = None
    import_claimset(moved)
    assert outlets_of(claim) == [None]


def test_source_save_moves_its_appearances_to_its_new_outlet(editor):
    before, after = OutletFactory(), OutletFactory()
    source = SourceFactory(outlet=before)
    elsewhere = AppearanceFactory()  # another source's: left alone
    appearances = [AppearanceFactory(source=source) for _ in range(3)]
    source.outlet = after
    source_save(by=editor, source=source)
    assert {a.outlet_id for a in Appearance.objects.filter(source=source)} == {after.pk}
    source.outlet = None
    source_save(by=editor, source=source)
    assert {a.outlet_id for a in Appearance.objects.filter(source=source)} == {None}
    assert Appearance.objects.get(pk=elsewhere.pk).outlet_id == elsewhere.source.outlet_id
    assert len(appearances) == 3


def test_drift_is_found_by_the_database_check_and_repaired():
    outlet, other = OutletFactory(), OutletFactory()
    kept = AppearanceFactory(source=SourceFactory(outlet=outlet))
    no_outlet = AppearanceFactory(source=SourceFactory(outlet=None))
    assert not appearances_outlet_drifted().exists()
    assert appearance_outlets_check(databases=["default"]) == []

    # Written around the services: each way a copy can disagree.
    Appearance.objects.filter(pk=kept.pk).update(outlet=other)
    Appearance.objects.filter(pk=no_outlet.pk).update(outlet=outlet)
    lost = AppearanceFactory(source=SourceFactory(outlet=outlet))
    Appearance.objects.filter(pk=lost.pk).update(outlet=None)

    assert set(appearances_outlet_drifted().values_list("pk", flat=True)) == {
        kept.pk,
        no_outlet.pk,
        lost.pk,
    }
    [error] = appearance_outlets_check(databases=["default"])
    assert error.id == "claims.E001" and error.level == checks.ERROR
    assert "3 appearance(s)" in error.msg
    assert appearance_outlets_check(databases=None) == []  # only with --database

    assert appearance_outlets_follow() == 3
    assert not appearances_outlet_drifted().exists()
    assert Appearance.objects.get(pk=kept.pk).outlet_id == outlet.pk


def test_the_migration_fills_every_existing_appearances_outlet():
    outlet = OutletFactory()
    with_outlet = AppearanceFactory(source=SourceFactory(outlet=outlet))
    without = AppearanceFactory(source=SourceFactory(outlet=None))
    Appearance.objects.update(outlet=None)
    Appearance.objects.filter(pk=without.pk).update(outlet=outlet)
    migration = importlib.import_module("claims.migrations.0015_appearance_outlet")
    with connection.cursor() as cursor:
        # What the migration is given: its connection and a way to run a statement.
        editor = SimpleNamespace(connection=connection, execute=cursor.execute)
        migration.fill_outlets(None, editor)
    assert Appearance.objects.get(pk=with_outlet.pk).outlet_id == outlet.pk
    assert Appearance.objects.get(pk=without.pk).outlet_id is None
