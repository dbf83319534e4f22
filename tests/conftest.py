import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def staff_user(db):
    """A staff user with every permission: the admin pages' editor for now."""
    return get_user_model().objects.create_superuser(
        username="editor", email="editor@example.org", password="not-a-real-password"
    )


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
