"""Lost-update protection: a claim saved over someone else's newer save is refused, saying what
changed (claims.services.claim_lock_unchanged, ClaimAdminForm.loaded_version)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from claims.services.claims import (
    ClaimChangedError,
    claim_lock_unchanged,
    claim_save,
    claim_status_change,
)
from claims.services.claimsets import import_claimset
from claims.services.detection import claims_changed
from tests.admin import change_form_data
from tests.claims.test_claimset_import import minimal
from tests.factories import ClaimFactory


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(claim: Claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def test_a_form_loaded_before_another_save_is_refused_naming_what_changed(
    reviewer, second_reviewer
):
    claim = ClaimFactory(text="At least 400 fighters escaped.")
    first, second = logged_in(reviewer), logged_in(second_reviewer)
    first_data = change_form_data(first, change_url(claim))
    second_data = change_form_data(second, change_url(claim))

    first_data["text"] = "At least 500 fighters escaped."
    assert first.post(change_url(claim), first_data).status_code == 302
    second_data["text"] = "About 300 fighters escaped."
    second_data["negated"] = "on"
    response = second.post(change_url(claim), second_data)

    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.non_field_errors()
    assert "changed by someone else after you opened it" in errors[0]
    changed = [line for line in errors if "a-reviewer" in line]
    assert len(changed) == 1
    assert (
        'text: "At least 400 fighters escaped." -> "At least 500 fighters escaped."' in (changed[0])
    )
    # The second reviewer's input is kept in the form, and nothing of it was saved.
    form = response.context["adminform"].form
    assert form["text"].value() == "About 300 fighters escaped."
    assert form["negated"].value() is True
    claim.refresh_from_db()
    assert claim.text == "At least 500 fighters escaped."
    assert claim.negated is False
    assert claim.version == 2


def test_a_refused_form_stays_refused_until_the_claim_is_opened_again(reviewer, second_reviewer):
    claim = ClaimFactory()
    first, second = logged_in(reviewer), logged_in(second_reviewer)
    stale = change_form_data(second, change_url(claim))
    assert first.post(change_url(claim), change_form_data(first, change_url(claim))).status_code
    stale["text"] = "Overwritten?"

    assert second.post(change_url(claim), stale).status_code == 200
    assert second.post(change_url(claim), stale).status_code == 200  # saving again: no
    fresh = change_form_data(second, change_url(claim))
    fresh["text"] = "Now on the current version."
    assert second.post(change_url(claim), fresh).status_code == 302
    claim.refresh_from_db()
    assert claim.text == "Now on the current version."
    assert claim.version == 3


def test_a_status_change_refuses_a_form_loaded_before_it_and_shows_it(reviewer, second_reviewer):
    claim = ClaimFactory()
    stale = change_form_data(logged_in(second_reviewer), change_url(claim))

    claim_status_change(
        by=reviewer, claim_id=claim.pk, status=ClaimStatus.UNDER_REVIEW, reason="checking it"
    )
    stale["text"] = "Edited on the old version."
    response = logged_in(second_reviewer).post(change_url(claim), stale)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any('status: "Unreviewed" -> "Under review"' in line for line in errors)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert claim.text != "Edited on the old version."


def test_a_form_without_the_version_it_was_loaded_with_is_refused(reviewer):
    claim = ClaimFactory(text="Unchanged.")
    client = logged_in(reviewer)
    data = change_form_data(client, change_url(claim))
    del data["loaded_version"]
    data["text"] = "Changed without a version."

    response = client.post(change_url(claim), data)

    assert response.status_code == 200
    assert "does not say which version" in response.context["adminform"].form.non_field_errors()[0]
    claim.refresh_from_db()
    assert claim.text == "Unchanged."


def test_a_rating_and_vetting_from_the_form_raise_the_version(reviewer):
    claim = ClaimFactory()
    client = logged_in(reviewer)
    data = change_form_data(client, change_url(claim))
    data.update(
        rate_likelihood="likely",
        rate_confidence="moderate",
        rate_credibility=data["rate_credibility"],  # the suggestion, accepted
        rate_rationale="one source only",
        new_status=ClaimStatus.UNDER_REVIEW,
        status_reason="checking it",
    )

    assert client.post(change_url(claim), data).status_code == 302

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.UNDER_REVIEW
    assert claim.version == 3  # the form's save, then the status change's


def test_detection_bookkeeping_leaves_the_version_alone(db):
    claim = ClaimFactory()

    claims_changed(claim_ids=[claim.pk])

    claim.refresh_from_db()
    assert claim.version == 1


def test_an_import_that_changes_a_claim_raises_its_version_and_records_it(reviewer):
    import_claimset(minimal())
    claim = Claim.objects.get(key="c1")
    assert claim.version == 1
    stale = change_form_data(logged_in(reviewer), change_url(claim))

    import_claimset(minimal(text="At least 500 fighters escaped Sirte."))
    import_claimset(minimal(text="At least 500 fighters escaped Sirte."))  # unchanged: no bump

    claim.refresh_from_db()
    assert claim.version == 2
    assert list(claim.history.values_list("version", flat=True)) == [2, 1]
    response = logged_in(reviewer).post(change_url(claim), stale)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any(
        "an import or a job" in line and '-> "At least 500 fighters escaped Sirte."' in line
        for line in errors
    )


# No test transaction around the call. serialized_rollback, as for every transactional test here:
# the flush after a test without it re-creates content types under new ids, and the next test
# that restores the migrations' rows (the groups) would then clash with them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claim_lock_unchanged_refuses_outside_a_transaction():
    claim = ClaimFactory()
    with pytest.raises(RuntimeError, match="inside the saving transaction"):
        claim_lock_unchanged(claim_id=claim.pk, loaded_version=1)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks: select_for_update does nothing there, so two writers "
    "cannot race on the check the way they can on PostgreSQL",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_saving_at_once_end_with_one_refusal(reviewer):
    claim = ClaimFactory(text="Before.")
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(text: str) -> None:
        try:
            start.wait()
            with transaction.atomic():
                mine = Claim.objects.get(pk=claim.pk)
                mine.text = text
                claim_save(by=reviewer, claim=mine, expected_version=1)
                # Hold the lock while the other writer runs its check: without the lock both
                # would read version 1 and both save, the second over the first.
                time.sleep(0.3)
            outcomes[text] = "saved"
        except ClaimChangedError as error:
            outcomes[text] = "refused: " + " ".join(error.messages)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(text,)) for text in ("One.", "Two.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcome.split(":")[0] for outcome in outcomes.values()) == ["refused", "saved"]
    winner = next(text for text, outcome in outcomes.items() if outcome == "saved")
    loser = next(text for text in outcomes if text != winner)
    assert f'"Before." -> "{winner}"' in outcomes[loser]
    claim.refresh_from_db()
    assert (claim.text, claim.version) == (winner, 2)
