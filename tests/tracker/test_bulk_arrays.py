"""Integer columns read into numpy arrays: the packed PostgreSQL path and the plain one agree."""

import numpy as np
import pytest
from django.db import connection
from django.db.models import BigIntegerField, Case, When
from django.db.models.functions import Coalesce

from claims.models import Appearance
from tests.factories import AppearanceFactory, EntityFactory, SourceFactory
from tracker.bulk_arrays import ColumnsError, int_columns

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the packed read is PostgreSQL's"
)


def columns_query():
    return Appearance.objects.order_by("id").values_list(
        "id",
        "claim_id",
        Coalesce("speaker_id", 0),
        Case(When(stance="denies", then=-1), default=1, output_field=BigIntegerField()),
    )


@pytest.fixture
def appearances(db):
    speaker = EntityFactory()
    source = SourceFactory()
    return [
        AppearanceFactory(source=source, speaker=speaker if i % 2 else None, stance=stance)
        for i, stance in enumerate(["asserts", "denies", "reports", "denies", "asserts"])
    ]


def test_int_columns_reads_the_rows_as_an_array_of_columns(appearances):
    got = int_columns(columns_query(), 4)
    assert got.dtype == np.int64
    assert got.shape == (4, 5)
    assert got[0].tolist() == [a.pk for a in appearances]
    assert got[2].tolist() == [a.speaker_id or 0 for a in appearances]
    assert got[3].tolist() == [1, -1, 1, -1, 1]


@pytest.mark.parametrize("packed", [True, False])
def test_int_columns_of_no_rows_is_an_empty_array(db, packed):
    got = int_columns(columns_query(), 4, packed=packed)
    assert got.shape == (4, 0)


@pytest.mark.parametrize("packed", [True, False])
def test_int_columns_refuses_a_null_with_a_clear_error(appearances, packed):
    query = Appearance.objects.values_list("id", "speaker_id")
    with pytest.raises(ColumnsError, match="NULL"):
        int_columns(query, 2, packed=packed)


@postgresql_only
def test_the_packed_read_gives_the_plain_reads_array(appearances):
    for _ in range(40):  # enough rows for more than one network packet
        AppearanceFactory(source=appearances[0].source, stance="denies")
    packed = int_columns(columns_query(), 4)
    plain = int_columns(columns_query(), 4, packed=False)
    assert packed.shape == (4, 45)
    np.testing.assert_array_equal(packed, plain)
