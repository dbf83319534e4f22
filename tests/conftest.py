import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Users made with a password would take a quarter second each with the default hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_login_throttling(settings):
    # django-axes would count every login the tests make (and refuses an authenticate() call
    # without a request): tests/tracker/test_login_throttling.py turns it on for itself.
    settings.AXES_ENABLED = False


@pytest.fixture
def staff_user(db):
    """The admin pages' everyday user: staff in the reviewers group (who may do all an editor
    may and review too), not a superuser, so that the tests see what the roles allow."""
    return _member("a-desk-reviewer", "reviewers")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


# --- the cast for permissions: an editor, a reviewer, and staff in neither group (a reader) ---


def _member(username: str, group: str | None):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(
        username=username, password="not-a-real-password", is_staff=True
    )
    if group is not None:
        # The groups come from the migration (claims/0006_review_groups), not from the test.
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    return _member("an-editor", "editors")


@pytest.fixture
def reviewer(db):
    return _member("a-reviewer", "reviewers")


@pytest.fixture
def second_reviewer(db):
    return _member("another-reviewer", "reviewers")


@pytest.fixture
def reader(db):
    """Staff in neither group: reads everything, changes nothing."""
    return _member("a-reader", None)
