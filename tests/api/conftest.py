"""API clients for the fixed cast (tests/conftest.py): editor, reviewer, reader (staff in
neither group), and an outsider: a user with a valid token and no role."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    # The throttles count requests in the cache: one test's requests must not throttle another.
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user(username="outsider", password="not-a-password")


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def reader_client(reader):
    return client_for(reader)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)
