"""Updates and corrections against the database: the spec's rules end to end through the
importer, the full scan and the incremental check; the records kept, their history, and a
reviewer undoing one."""

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from claims.models import (
    Claim,
    Contradiction,
    ContradictionStatus,
    Supersession,
    SupersessionStatus,
)
from claims.reports.contradictions import report_html
from claims.selectors.claims import contradictions_for_report
from claims.selectors.claimsets import export_claimset
from claims.services import detection
from claims.services.claims import contradiction_decide, supersession_undo
from claims.services.claimsets import ClaimsetInvalid, import_claimset
from sources.models import SourceCorrection

pytestmark = pytest.mark.django_db

BASE = {
    "format": "claimset/1",
    "outlets": [
        {"key": "wire", "name": "A Wire", "kind": "wire"},
        {"key": "paper", "name": "A Paper", "kind": "newspaper"},
    ],
    "entities": [{"key": "bombing", "name": "Harbour bombing", "kind": "event"}],
    "predicates": [
        {
            "key": "killed",
            "name": "number killed in the bombing",
            "value_type": "quantity",
            "unit": "people",
            "cumulative": True,
        },
        {"key": "attackers", "name": "number of attackers", "value_type": "quantity"},
    ],
    "sources": [
        {"key": "d3", "title": "Bombing kills 40", "outlet": "wire", "published": "2016-03-03"},
        {"key": "d4", "title": "About 30 dead", "outlet": "paper", "published": "2016-03-04"},
        {"key": "d5", "title": "Toll rises to 63", "outlet": "wire", "published": "2016-03-05"},
        {
            "key": "d6",
            "title": "12 dead, officials say",
            "outlet": "paper",
            "published": "2016-03-06",
        },
        {"key": "march", "title": "March round-up", "outlet": "paper", "published": "2016-03"},
    ],
}


def killed(key, as_written, source, **extra):
    return {
        "key": key,
        "text": f"{as_written} people were killed in the bombing.",
        "subject": "bombing",
        "predicate": "killed",
        "value": {"quantity": {"as_written": as_written}},
        "appearances": [{"source": s} for s in ([source] if isinstance(source, str) else source)],
        **extra,
    }


def attackers(key, as_written, sources):
    return {
        "key": key,
        "text": f"{as_written} attackers carried out the bombing.",
        "subject": "bombing",
        "predicate": "attackers",
        "value": {"quantity": {"as_written": as_written}},
        "appearances": [{"source": s} for s in sources],
    }


def document(*claims, sources=()):
    doc = copy.deepcopy(BASE)
    doc["sources"] += list(sources)
    doc["claims"] = list(claims)
    return doc


def load(*claims, sources=()):
    import_claimset(document(*claims, sources=sources))
    detection.scan_run_here(requested_by="test")


def check(*keys):
    detection.claims_check(
        claim_ids=list(Claim.objects.filter(key__in=keys).values_list("id", flat=True))
    )


def flagged() -> set[frozenset]:
    return {
        frozenset((f.claim_a.key, f.claim_b.key))
        for f in Contradiction.objects.select_related("claim_a", "claim_b")
    }


def superseded(status=SupersessionStatus.ACTIVE) -> set[tuple[str, str, str]]:
    return {
        (s.newer.key, s.older.key, s.reason)
        for s in Supersession.objects.filter(status=status).select_related("newer", "older")
    }


def pair(a, b) -> frozenset:
    return frozenset((a, b))


def superseded_by(key) -> list[dict] | None:
    claims = {c["key"]: c for c in export_claimset()["claims"]}
    return claims[key].get("superseded_by")


# --- 1. updates of a cumulative count -----------------------------------------------------------


def test_a_later_higher_count_supersedes_the_earlier_one_instead_of_contradicting_it():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))

    assert flagged() == set()
    assert superseded() == {("k63", "k40", "update")}
    record = Supersession.objects.get()
    assert record.detected_by == "supersession/1"
    assert record.explanation == (
        "at least 63 people on 2016-03-05 updates 40 people on 2016-03-03 — "
        "number killed in the bombing, Harbour bombing"
    )
    assert superseded_by("k40") == [{"claim": "k63", "reason": "update"}]
    assert superseded_by("k63") is None


def test_a_later_lower_count_contradicts_the_earlier_one():
    load(killed("k40", "40", "d3"), killed("k12", "12", "d6"))

    assert flagged() == {pair("k40", "k12")}
    assert superseded() == set()


def test_counts_whose_intervals_meet_are_compatible():
    load(killed("dozens", "dozens", "d3"), killed("k63", "at least 63", "d5"))

    assert flagged() == set()
    assert superseded() == set()


def test_counts_as_of_the_same_day_follow_the_usual_rules():
    load(killed("k40", "40", "d3"), killed("k63", "63", ["d3"]))

    assert flagged() == {pair("k40", "k63")}
    assert superseded() == set()


def test_counts_as_of_overlapping_periods_follow_the_usual_rules():
    # Published "in March": as of the whole month, which overlaps the 5th.
    load(killed("k40", "40", "march"), killed("k63", "63", "d5"))

    assert flagged() == {pair("k40", "k63")}
    assert superseded() == set()


def test_a_count_is_as_of_the_end_of_its_valid_time():
    # Published on the 6th, but counted up to the 2nd: the 40 of the 3rd is the later count.
    load(
        killed("k40", "40", "d3"),
        killed("k30", "30", "d6", valid={"to": "2016-03-02"}),
    )

    assert superseded() == {("k40", "k30", "update")}
    assert flagged() == set()


def test_a_predicate_that_is_not_cumulative_makes_no_update():
    doc = document(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    doc["predicates"][0]["cumulative"] = False
    import_claimset(doc)
    detection.scan_run_here(requested_by="test")

    assert flagged() == {pair("k40", "k63")}
    assert superseded() == set()


def test_the_incremental_check_decides_as_the_full_scan_does():
    import_claimset(document(killed("k40", "40", "d3"), killed("k30", "about 30", "d4")))
    import_claimset(document(killed("k63", "at least 63", "d5"), killed("k12", "12", "d6")))
    check("k40", "k30", "k63", "k12")
    by_check = (flagged(), superseded())

    Contradiction.objects.all().delete()
    Supersession.objects.all().delete()
    detection.scan_run_here(requested_by="test")

    assert (flagged(), superseded()) == by_check
    assert by_check[1] == {("k63", "k40", "update"), ("k63", "k30", "update")}
    assert by_check[0] == {
        pair("k40", "k30"),
        pair("k40", "k12"),
        pair("k30", "k12"),
        pair("k63", "k12"),
    }


# --- 2. corrections -----------------------------------------------------------------------------

CORRECTION = {
    "key": "fix",
    "title": "Correction: two attackers, not three",
    "outlet": "paper",
    "published": "2016-03-08",
    "corrects": ["d4"],
}


def test_a_claim_in_a_correction_supersedes_the_claim_it_corrects():
    load(
        attackers("three", "three", ["d4"]), attackers("two", "two", ["fix"]), sources=[CORRECTION]
    )

    assert flagged() == set()
    assert superseded() == {("two", "three", "correction")}
    assert Supersession.objects.get().explanation == (
        "two in “Correction: two attackers, not three” (2016-03-08) corrects three in "
        "“About 30 dead” (2016-03-04) — number of attackers, Harbour bombing"
    )


def test_a_correction_chain_runs_through_several_sources():
    revised = {"key": "rev", "title": "Revised", "outlet": "paper", "published": "2016-03-09"}
    load(
        attackers("three", "three", ["d4", "fix"]),
        attackers("two", "two", ["rev"]),
        sources=[CORRECTION, {**revised, "corrects": ["fix"]}],
    )

    assert superseded() == {("two", "three", "correction")}


def test_a_corrected_claim_that_also_appears_outside_the_chain_still_contradicts():
    load(
        attackers("three", "three", ["d4", "d5"]),
        attackers("two", "two", ["fix"]),
        sources=[CORRECTION],
    )

    assert flagged() == {pair("three", "two")}
    assert superseded() == set()


def test_a_correction_does_not_touch_claims_that_agree():
    load(
        attackers("three", "three", ["d4"]),
        attackers("also-three", "3", ["fix"]),
        sources=[CORRECTION],
    )

    assert superseded() == set()
    assert flagged() == set()


def test_an_open_flag_is_withdrawn_when_a_correction_relates_its_claims():
    uncorrected = {key: value for key, value in CORRECTION.items() if key != "corrects"}
    import_claimset(
        document(
            attackers("three", "three", ["d4"]),
            attackers("two", "two", ["fix"]),
            sources=[uncorrected],
        )
    )
    check("three", "two")
    assert flagged() == {pair("three", "two")}

    import_claimset(document(sources=[CORRECTION]))
    check("three", "two")

    assert flagged() == set()
    assert superseded() == {("two", "three", "correction")}


def test_a_reviewed_flag_is_kept_and_shown_with_the_new_relation(reviewer):
    uncorrected = {key: value for key, value in CORRECTION.items() if key != "corrects"}
    load(
        attackers("three", "three", ["d4"]), attackers("two", "two", ["fix"]), sources=[uncorrected]
    )
    flag = Contradiction.objects.get()
    contradiction_decide(contradiction_id=flag.pk, by=reviewer, status="confirmed")

    import_claimset(document(sources=[CORRECTION]))
    detection.scan_run_here(requested_by="test")

    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.CONFIRMED
    assert superseded() == {("two", "three", "correction")}
    html = report_html(contradictions_for_report())
    assert "now related as Correction: two in “Correction: two attackers, not three”" in html


# --- the records: kept, never deleted, with their history ----------------------------------------


def test_a_supersession_no_longer_found_lapses_and_is_kept_with_its_history():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()

    import_claimset(document(killed("k63", "at least 30", "d5")))  # now it meets 40
    detection.scan_run_here(requested_by="test")

    record.refresh_from_db()
    assert record.status == SupersessionStatus.LAPSED
    assert superseded_by("k40") is None
    assert [h.status for h in record.history.order_by("history_date", "history_id")] == [
        "active",
        "lapsed",
    ]


def test_a_lapsed_supersession_found_again_is_active_again():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    import_claimset(document(killed("k63", "at least 30", "d5")))
    detection.scan_run_here(requested_by="test")

    import_claimset(document(killed("k63", "at least 63", "d5")))
    detection.scan_run_here(requested_by="test")

    assert Supersession.objects.get().status == SupersessionStatus.ACTIVE


def test_running_detection_twice_keeps_one_record_and_no_new_history():
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    detection.scan_run_here(requested_by="test")
    check("k40", "k63")

    record = Supersession.objects.get()
    assert record.history.count() == 1


# --- undoing a supersession -----------------------------------------------------------------------


def test_a_reviewer_undoes_a_supersession_and_the_pair_is_flagged_again(reviewer):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()

    supersession_undo(supersession_id=record.pk, by=reviewer, reason="the 63 counts a second blast")
    check("k40", "k63")

    record.refresh_from_db()
    assert record.status == SupersessionStatus.UNDONE
    assert (record.undone_by, record.undone_reason) == (reviewer, "the 63 counts a second blast")
    assert flagged() == {pair("k40", "k63")}
    assert superseded_by("k40") is None
    latest = record.history.latest("history_date")
    assert (latest.status, latest.history_user) == ("undone", reviewer)


def test_an_undone_supersession_stays_undone_when_nothing_changes(reviewer):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()
    supersession_undo(supersession_id=record.pk, by=reviewer, reason="a second blast")

    detection.scan_run_here(requested_by="test")
    check("k40", "k63")

    record.refresh_from_db()
    assert record.status == SupersessionStatus.UNDONE
    assert flagged() == {pair("k40", "k63")}


def test_an_undone_supersession_returns_when_either_claim_changes(reviewer):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()
    supersession_undo(supersession_id=record.pk, by=reviewer, reason="a second blast")
    detection.scan_run_here(requested_by="test")

    import_claimset(document(killed("k63", "at least 64", "d5")))
    check("k63")

    record.refresh_from_db()
    assert record.status == SupersessionStatus.ACTIVE
    assert flagged() == set()


def test_undoing_needs_a_reason_and_a_reviewer(reviewer, editor):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()

    with pytest.raises(ValidationError):
        supersession_undo(supersession_id=record.pk, by=reviewer, reason="  ")
    with pytest.raises(PermissionDenied):
        supersession_undo(supersession_id=record.pk, by=editor, reason="no")
    record.refresh_from_db()
    assert record.status == SupersessionStatus.ACTIVE


def test_only_an_active_supersession_can_be_undone(reviewer):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()
    supersession_undo(supersession_id=record.pk, by=reviewer, reason="a second blast")

    with pytest.raises(ValidationError, match="not active"):
        supersession_undo(supersession_id=record.pk, by=reviewer, reason="again")


def test_a_reviewer_undoes_a_supersession_on_its_admin_page(client, reviewer):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    record = Supersession.objects.get()
    client.force_login(reviewer)
    url = reverse("admin:claims_supersession_change", args=[record.pk])

    refused = client.post(url, {"undo": "on", "undo_reason": ""})
    assert refused.status_code == 200
    assert "Say why the supersession is undone." in refused.content.decode()

    response = client.post(url, {"undo": "on", "undo_reason": "a second blast"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == SupersessionStatus.UNDONE


def test_a_claims_page_shows_what_it_supersedes_and_what_supersedes_it(client, reviewer):
    load(killed("k40", "40", "d3"), killed("k63", "at least 63", "d5"))
    client.force_login(reviewer)
    older, newer = Claim.objects.get(key="k40"), Claim.objects.get(key="k63")

    older_page = client.get(reverse("admin:claims_claim_change", args=[older.pk])).content.decode()
    newer_page = client.get(reverse("admin:claims_claim_change", args=[newer.pk])).content.decode()

    assert '<ul class="superseded-by">' in older_page and ">k63</a>" in older_page
    assert '<ul class="supersedes">' in newer_page and ">k40</a>" in newer_page
    assert "updates 40 people on 2016-03-03" in older_page


# --- the claimset ---------------------------------------------------------------------------------


def test_cumulative_and_corrects_round_trip_and_superseded_by_is_ignored_on_import():
    load(
        attackers("three", "three", ["d4"]),
        attackers("two", "two", ["fix"]),
        killed("k40", "40", "d3"),
        sources=[CORRECTION],
    )
    exported = export_claimset()
    assert next(p for p in exported["predicates"] if p["key"] == "killed")["cumulative"] is True
    assert next(s for s in exported["sources"] if s["key"] == "fix")["corrects"] == ["d4"]

    summary = import_claimset(exported)

    assert not summary.changed
    assert SourceCorrection.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda doc: doc["predicates"][1].update(cumulative=True, value_type="date"),
            "predicates[1].cumulative: only a quantity predicate can be cumulative",
        ),
        (
            lambda doc: doc["sources"][0].update(corrects=["nowhere"]),
            'sources[0].corrects[0]: no source has the key "nowhere"',
        ),
        (
            lambda doc: doc["sources"][0].update(corrects=["d3"]),
            "sources[0].corrects[0]: a source cannot correct itself",
        ),
        (
            lambda doc: doc["predicates"][0].update(cumulative="yes"),
            "predicates[0].cumulative",
        ),
    ],
)
def test_bad_cumulative_or_corrects_is_an_error_with_its_path(change, message):
    doc = document()
    change(doc)
    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(doc)
    assert any(message in str(error) for error in raised.value.errors)


def test_a_correction_settles_a_contradiction_between_wordings_too():
    def text_claim(key, text, source):
        return {"key": key, "text": text, "appearances": [{"source": source}]}

    load(
        text_claim("three", "Three attackers carried out the harbour bombing.", "d4"),
        text_claim("two", "Two attackers carried out the harbour bombing.", "fix"),
        sources=[CORRECTION],
    )

    assert flagged() == set()
    assert superseded() == {("two", "three", "correction")}
    assert Supersession.objects.get().explanation.startswith(
        "“Two attackers carried out the harbour bombing.” in “Correction: two attackers"
    )
