import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from knox.models import AuthToken
from rest_framework.test import APIClient

# The roles of the contract with the review work (README, "API"); the groups themselves are
# created by a data migration there. Here: the permissions each role holds.
EDITOR_PERMISSIONS = [
    f"{app}.{action}_{model}"
    for app, models in (
        ("sources", ("outlet", "entity", "source", "entityalias", "sourcecitation")),
        ("claims", ("predicate", "claim", "appearance", "appearancevia", "predicatealias")),
    )
    for model in models
    for action in ("add", "change", "view")
] + ["claims.view_contradiction"]
REVIEWER_EXTRA = [
    "claims.review_contradiction",
    "claims.change_claim_status",
    "sources.grade_outlet",
]


def _user_with(username: str, permissions: list[str]):
    user = get_user_model().objects.create_user(username=username, password="not-a-password")
    for name in permissions:
        app_label, codename = name.split(".")
        found = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        user.user_permissions.add(*found)
    return user


def _client_for(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def editor(db):
    return _user_with("editor-role", EDITOR_PERMISSIONS)


@pytest.fixture
def outsider(db):
    """A user with a valid token and no role."""
    return _user_with("outsider", [])


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(username="root", password="not-a-password")


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def editor_client(editor):
    return _client_for(editor)


@pytest.fixture
def outsider_client(outsider):
    return _client_for(outsider)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)
