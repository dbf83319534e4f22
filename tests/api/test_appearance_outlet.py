"""A claim written through the API: its appearances carry their sources' outlets."""

import pytest

from claims.models import Appearance
from tests.factories import OutletFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_appearances_written_through_the_api_carry_their_sources_outlet(editor_client):
    outlet = OutletFactory()
    source = SourceFactory(outlet=outlet)
    response = editor_client.post(
        "/api/v1/claims/",
        {"text": "Ten escaped.", "appearances": [{"source": source.key}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert list(Appearance.objects.values_list("outlet_id", flat=True)) == [outlet.pk]
