"""The commands ./scripts/start runs: load_demo and create_demo_admin."""

import json
import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from claims.models import Claim

DEMO_CLAIMSET = settings.BASE_DIR / "demo" / "libya.claimset.json"
PASSWORD_LINE = re.compile(
    r"^Demo admin: http://127\.0\.0\.1:8000/admin/  user admin  password (\S+)$", re.MULTILINE
)


def run_command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> list[str]:
    return PASSWORD_LINE.findall(output)


def demo_claimset() -> dict:
    return json.loads(DEMO_CLAIMSET.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_create_demo_admin_creates_a_superuser_and_prints_its_working_password_once():
    output = run_command("create_demo_admin")

    [password] = printed_passwords(output)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.is_active
    assert admin.email == "admin@example.org"
    assert authenticate(username="admin", password=password) == admin
    assert len(password) >= 16


@pytest.mark.django_db
def test_create_demo_admin_run_again_neither_prints_nor_changes_the_password():
    [password] = printed_passwords(run_command("create_demo_admin"))

    output = run_command("create_demo_admin")

    assert printed_passwords(output) == []
    assert password not in output
    assert "already exists" in output and "--reset" in output
    assert authenticate(username="admin", password=password) is not None
    assert get_user_model().objects.filter(username="admin").count() == 1


@pytest.mark.django_db
def test_create_demo_admin_reset_prints_a_new_password_and_the_old_one_stops_working():
    [old_password] = printed_passwords(run_command("create_demo_admin"))

    [new_password] = printed_passwords(run_command("create_demo_admin", "--reset"))

    assert new_password != old_password
    assert authenticate(username="admin", password=old_password) is None
    assert authenticate(username="admin", password=new_password) is not None


@pytest.mark.django_db
def test_create_demo_admin_reset_without_an_account_creates_it():
    [password] = printed_passwords(run_command("create_demo_admin", "--reset"))

    assert authenticate(username="admin", password=password) is not None


def test_the_demo_claimset_and_its_corpus_are_in_the_project():
    claimset = demo_claimset()
    corpus = sorted((settings.BASE_DIR / "demo" / "corpus").glob("*.txt"))

    assert claimset["format"] == "claimset/1"
    texts = {source["key"]: source.get("text", "") for source in claimset["sources"]}
    assert len(corpus) == 5
    for number, path in enumerate(corpus):
        assert path.read_text(encoding="utf-8").strip() == texts[f"libya-{number:03}"].strip()


@pytest.mark.django_db
def test_load_demo_imports_every_claim_and_a_second_run_changes_nothing():
    claim_keys = {claim["key"] for claim in demo_claimset()["claims"]}

    first = run_command("load_demo")
    second = run_command("load_demo")

    assert set(Claim.objects.values_list("key", flat=True)) == claim_keys
    assert first == (
        "Demo data loaded from demo/libya.claimset.json: "
        f"{len(claim_keys)} claims created, 0 updated, 0 unchanged.\n"
    )
    assert second == "Demo data from demo/libya.claimset.json already loaded: nothing to change.\n"
