"""What the import writes besides the records: derived columns, index rows, history, check marks.

The import writes a claim's derived columns (the time it holds, its wording, its check mark)
with the claim's row and its index rows after it, and copies history entries inside the
database. These tests hold it to what the one-claim paths write: the refresh functions of
detection find nothing to change, rebuilding the index from scratch gives the same rows, and
every history entry holds the row as written, with the user and the reason.
"""

import copy
import datetime
import json
import threading
from pathlib import Path

import pytest
from django.db.models import Q

import tracker.timings as timings
from claims.models import Appearance, Claim, ClaimTerm
from claims.services import detection
from claims.services.claimsets import IMPORTED, import_claimset
from claims.services.detection import WordingIndexer, claim_holds_refresh, claim_terms_refresh
from sources.models import Outlet

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "demo" / "libya.claimset.json"


@pytest.fixture
def libya():
    return json.loads(DEMO.read_text(encoding="utf-8"))


def mixed(document: dict) -> dict:
    """The demo claimset changed every way an import can change what is stored: new claims
    (one repeating another's wording, one text-only), changed wordings, values and valid times,
    replaced, added and removed appearances, a source's publication date moved."""
    changed = copy.deepcopy(document)
    claims = changed["claims"]
    claims[0]["text"] = claims[0]["text"].replace("Derna", "the city of Derna", 1)
    claims[1]["valid"] = {"from": "2016-01"}
    claims[2]["appearances"] = claims[2]["appearances"][:1] + [
        {"source": changed["sources"][5]["key"], "speaker": {"description": "an official"}}
    ]
    claims[3]["appearances"] = []
    claims[4].pop("value", None)
    claims[4].pop("predicate", None)
    claims[4].pop("subject", None)
    changed["sources"][1]["published"] = "2014-03"
    claims.append({**copy.deepcopy(claims[6]), "key": "a-new-claim-same-words"})
    claims.append(
        {
            "key": "a-new-text-only-claim",
            "text": "Not 300 but 3,000 fighters left Sirte in June 2016.",
            "appearances": [{"source": changed["sources"][0]["key"]}],
        }
    )
    return changed


def derived_state() -> tuple[list, set]:
    claims = list(
        Claim.objects.order_by("key").values_list(
            "key", "holds_from", "holds_to", "wording_terms", "wording_digest"
        )
    )
    terms = set(ClaimTerm.objects.values_list("claim__key", "term", "size", "text_only"))
    return claims, terms


def test_the_derived_columns_an_import_writes_are_those_the_refresh_would(libya, reviewer):
    import_claimset(libya, by=reviewer)
    import_claimset(mixed(libya), by=reviewer)
    ids = list(Claim.objects.values_list("id", flat=True))

    assert claim_holds_refresh(claim_ids=ids) == 0
    assert claim_terms_refresh(claim_ids=ids) == 0


def test_the_index_rows_an_import_writes_are_those_rebuilt_from_scratch(libya, reviewer):
    import_claimset(libya, by=reviewer)
    import_claimset(mixed(libya), by=reviewer)
    written = derived_state()
    assert written[1]  # the index is not empty

    ClaimTerm.objects.all().delete()
    Claim.objects.update(wording_terms="", wording_digest="", holds_from=None, holds_to=None)
    ids = list(Claim.objects.values_list("id", flat=True))
    claim_holds_refresh(claim_ids=ids)
    claim_terms_refresh(claim_ids=ids)

    assert derived_state() == written


def test_every_claim_written_is_marked_due_a_check_and_sent_after_commit(
    libya, reviewer, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("claims.services.detection._send_check", sent.extend)
    with django_capture_on_commit_callbacks(execute=True):
        import_claimset(libya, by=reviewer)

    assert not Claim.objects.filter(check_requested_at__isnull=True).exists()
    assert sorted(sent) == sorted(Claim.objects.values_list("id", flat=True))


@pytest.mark.parametrize("model", [Claim, Appearance, Outlet])
def test_each_history_entry_holds_the_row_as_written_with_the_user_and_reason(
    libya, reviewer, model
):
    import_claimset(libya, by=reviewer)
    import_claimset(mixed(libya), by=reviewer)
    fields = [f.attname for f in model.history.model.tracked_fields]

    rows = {row["id"]: row for row in model.objects.values(*fields)}
    latest = {}
    for entry in model.history.order_by("history_id").values(
        *fields, "history_type", "history_user_id", "history_change_reason"
    ):
        latest[entry["id"]] = entry

    assert rows
    for row_id, row in rows.items():
        entry = latest[row_id]
        assert {name: entry[name] for name in fields} == row
        assert (entry["history_user_id"], entry["history_change_reason"]) == (reviewer.pk, IMPORTED)
    gone = set(latest) - set(rows)
    assert all(latest[row_id]["history_type"] == "-" for row_id in gone)
    if model is Appearance:
        assert gone  # the mixed claimset removed appearances


def test_a_mixed_claimset_imported_twice_changes_nothing_the_second_time(libya, reviewer):
    import_claimset(libya, by=reviewer)
    import_claimset(mixed(libya), by=reviewer)
    before = derived_state()
    versions = dict(Claim.objects.values_list("key", "version"))
    entries = (Claim.history.count(), Appearance.history.count())

    summary = import_claimset(mixed(libya), by=reviewer)

    assert not summary.changed
    assert derived_state() == before
    assert dict(Claim.objects.values_list("key", "version")) == versions
    assert (Claim.history.count(), Appearance.history.count()) == entries


def test_a_wording_said_twice_in_one_import_is_indexed_alike(libya):
    import_claimset(mixed(libya))
    original, repeated = libya["claims"][6]["key"], "a-new-claim-same-words"

    def terms_of(key):
        return set(
            ClaimTerm.objects.filter(Q(claim__key=key)).values_list("term", "size", "text_only")
        )

    assert terms_of(repeated) == terms_of(original) != set()


def test_wordings_analysed_side_by_side_are_indexed_as_one_by_one(libya, monkeypatch, settings):
    settings.IMPORT_ANALYSIS_PROCESSES = 1
    import_claimset(mixed(libya))
    one_by_one = derived_state()
    Claim.objects.all().delete()

    settings.IMPORT_ANALYSIS_PROCESSES = 2
    monkeypatch.setattr(WordingIndexer, "PARALLEL_MIN_WORDINGS", 1)
    # Threads an earlier test left running (a live server) would keep it in this process.
    monkeypatch.setattr(detection.threading, "active_count", lambda: 1)
    with timings.collecting() as collected:
        import_claimset(mixed(libya))

    assert "wording analysis, side by side" in collected.phases  # it did run side by side
    assert "wording analysis" not in collected.phases  # and left nothing to analyse after
    assert derived_state() == one_by_one


def test_a_process_with_other_threads_analyses_its_wordings_itself(libya, monkeypatch, settings):
    """Forking copies the locks other threads hold (a threaded web worker): no fork then."""
    settings.IMPORT_ANALYSIS_PROCESSES = 2
    monkeypatch.setattr(WordingIndexer, "PARALLEL_MIN_WORDINGS", 1)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with timings.collecting() as collected:
            import_claimset(mixed(libya))
    finally:
        release.set()
        other.join()

    assert "wording analysis, side by side" not in collected.phases
    assert "wording analysis" in collected.phases


def test_a_stored_sources_new_date_moves_the_time_its_unchanged_claims_hold(libya):
    import_claimset(libya)
    moved = copy.deepcopy(libya)
    source = moved["sources"][1]
    source["published"] = "2013-02-03"
    keys = [
        c["key"]
        for c in moved["claims"]
        if not c.get("valid") and [a["source"] for a in c["appearances"]] == [source["key"]]
    ]
    versions = dict(Claim.objects.filter(key__in=keys).values_list("key", "version"))

    import_claimset(moved)

    unwritten = [
        key
        for key, version in Claim.objects.filter(key__in=keys).values_list("key", "version")
        if versions[key] == version
    ]
    assert unwritten  # claims the import did not write, held only by that source's date
    holds = set(Claim.objects.filter(key__in=unwritten).values_list("holds_from", "holds_to"))
    assert holds == {(datetime.date(2013, 2, 3), datetime.date(2013, 2, 3))}
