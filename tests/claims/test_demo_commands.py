"""The commands ./scripts/start runs: load_demo and create_demo_accounts (and create_demo_admin,
kept for scripts that call it)."""

import json
import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from claims.core.quotes import fold_for_quote_search, quote_occurs_in
from claims.models import Claim, ClaimRating, ClaimStatus, Contradiction
from claims.services.demo import DEMO_REVIEWS
from sources.models import Outlet

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
        f"Demo reviews: {len(DEMO_REVIEWS)} claims rated by the demo reviewer.\n"
    )
    assert second == "Demo data from demo/libya.claimset.json already loaded: nothing to change.\n"


ACCOUNT_LINE = re.compile(
    r"^Demo (admin|editor|reviewer): user (\S+) password (\S+)$", re.MULTILINE
)


@pytest.mark.django_db
def test_create_demo_accounts_prints_each_role_on_its_own_line_with_a_working_password():
    output = run_command("create_demo_accounts")

    lines = ACCOUNT_LINE.findall(output)
    assert [role for role, _user, _password in lines] == ["admin", "editor", "reviewer"]
    for role, username, password in lines:
        user = authenticate(username=username, password=password)
        assert user is not None and user.is_staff
        assert user.is_superuser == (role == "admin")
        groups = set(user.groups.values_list("name", flat=True))
        assert groups == ({"editors"} if role == "editor" else set()) | (
            {"reviewers"} if role == "reviewer" else set()
        )


@pytest.mark.django_db
def test_create_demo_accounts_again_keeps_the_passwords_unless_reset():
    [*_, (_, _, first)] = ACCOUNT_LINE.findall(run_command("create_demo_accounts"))

    again = run_command("create_demo_accounts")
    assert ACCOUNT_LINE.findall(again) == []
    assert "password unchanged" in again
    assert authenticate(username="reviewer", password=first) is not None

    [*_, (_, _, reset)] = ACCOUNT_LINE.findall(run_command("create_demo_accounts", "--reset"))
    assert authenticate(username="reviewer", password=first) is None
    assert authenticate(username="reviewer", password=reset) is not None


@pytest.mark.django_db
def test_the_demo_reviewer_rates_and_vets_claims_and_outlets_are_graded(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        run_command("load_demo")

    ratings = ClaimRating.objects.filter(reviewer__username="reviewer")
    assert ratings.count() == len(DEMO_REVIEWS)
    vetted = set(Claim.objects.filter(status=ClaimStatus.VETTED).values_list("key", flat=True))
    assert vetted == {review.claim_key for review in DEMO_REVIEWS if review.vet}
    assert Outlet.objects.exclude(reliability="").count() == Outlet.objects.count()
    # The history names the demo reviewer, as an admin save would, not "the tracker".
    vetted_claim = Claim.objects.get(key=next(r.claim_key for r in DEMO_REVIEWS if r.vet))
    assert vetted_claim.history.filter(history_user__username="reviewer").exists()
    # Run again, nothing is rated twice.
    run_command("load_demo")
    assert ClaimRating.objects.count() == len(DEMO_REVIEWS)


def test_the_demo_has_only_real_reporting_quoted_verbatim_from_its_sources():
    claimset = demo_claimset()
    texts = {source["key"]: source.get("text", "") for source in claimset["sources"]}
    assert not [claim["key"] for claim in claimset["claims"] if "probe" in claim["key"]]
    assert not [key for key in texts if "probe" in key]
    for claim in claimset["claims"]:
        for appearance in claim["appearances"]:
            text = texts[appearance["source"]]
            if appearance.get("quote"):
                assert quote_occurs_in(appearance["quote"], fold_for_quote_search(text)), claim
    # Every claim dated by reporting from 2011 to 2018, none by a made-up later date.
    published = [source["published"] for source in claimset["sources"]]
    assert max(published) < "2019"


@pytest.mark.django_db
def test_the_demo_has_real_contradictions_to_review(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run_command("load_demo")

    flagged = {
        frozenset((flag.claim_a.key, flag.claim_b.key))
        for flag in Contradiction.objects.select_related("claim_a", "claim_b")
    }
    assert frozenset(("benghazi-2011", "benghazi-2012-09-11")) in flagged
    assert frozenset(("is-arrived-end-2013", "is-present-late-2014")) in flagged
