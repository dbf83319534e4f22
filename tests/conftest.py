import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Users made with a password would take a quarter second each with the default hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
