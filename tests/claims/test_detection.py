"""Contradiction detection against the database: the spec's rules end to end through the
importer, the incremental check, the full scan, and the lifecycle of a flag."""

import copy
import datetime
import io
import itertools
import json
import random

import pytest
from django.core.management import call_command
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.core import text_compare
from claims.core.contradictions import pair_conflict
from claims.models import (
    Claim,
    ClaimStatus,
    ClaimTerm,
    Contradiction,
    ContradictionScan,
    ContradictionScanChunk,
    ContradictionStatus,
    Predicate,
)
from claims.services import detection
from claims.services.claims import (
    contradiction_decide,
)
from claims.services.claimsets import import_claimset
from sources.models import Entity
from tests.factories import ClaimFactory, EntityFactory, PredicateFactory, TextClaimFactory

pytestmark = pytest.mark.django_db

BASE = {
    "format": "claimset/1",
    "outlets": [{"key": "wire", "name": "A Wire", "kind": "wire"}],
    "entities": [
        {
            "key": "islamic-state",
            "name": "Islamic State",
            "kind": "organization",
            "aliases": ["ISIS", "IS"],
        },
        {"key": "shura", "name": "Shura Council", "kind": "organization", "aliases": ["TCMD"]},
        {"key": "derna", "name": "Derna", "kind": "place"},
        {"key": "sirte", "name": "Sirte", "kind": "place", "aliases": ["Sirt"]},
        {"key": "battle", "name": "Battle of Sirte", "kind": "event", "aliases": ["Operation X"]},
        {"key": "harbour", "name": "the harbour", "kind": "place"},
        {"key": "airport", "name": "the airport", "kind": "place"},
    ],
    "predicates": [
        {
            "key": "escaped",
            "name": "fighters who escaped",
            "value_type": "quantity",
            "unit": "fighters",
        },
        {"key": "distance", "name": "distance", "value_type": "quantity", "unit": "km"},
        {"key": "began", "name": "start date", "value_type": "date"},
        {
            "key": "controlled-by",
            "name": "controlled by",
            "value_type": "entity",
            "functional": True,
            "time_varying": True,
        },
        {"key": "ally", "name": "ally", "value_type": "entity"},
        {
            "key": "population",
            "name": "population",
            "value_type": "quantity",
            "unit": "people",
            "time_varying": True,
        },
    ],
    "sources": [
        {"key": "june-report", "title": "June report", "outlet": "wire", "published": "2015-06-25"},
        {"key": "july-report", "title": "July report", "outlet": "wire", "published": "2015-07"},
        {"key": "report-2016", "title": "2016 report", "outlet": "wire", "published": "2016"},
    ],
}


def claim(key, text, subject=None, predicate=None, value=None, source="july-report", **extra):
    record = {"key": key, "text": text, "appearances": [{"source": source}]}
    if subject:
        record.update(subject=subject, predicate=predicate, value=value)
    record.update(extra)
    return record


def quantity(as_written, unit=None):
    body = {"as_written": as_written}
    if unit:
        body["unit"] = unit
    return {"quantity": body}


def load(*claims):
    document = copy.deepcopy(BASE)
    document["claims"] = list(claims)
    import_claimset(document)
    detection.scan_run_here(requested_by="test")


def flagged() -> dict[frozenset, Contradiction]:
    return {
        frozenset((f.claim_a.key, f.claim_b.key)): f
        for f in Contradiction.objects.select_related("claim_a", "claim_b")
    }


def pair(a, b) -> frozenset:
    return frozenset((a, b))


# --- the structured rules, end to end ---------------------------------------------------------


def test_disjoint_quantities_are_flagged_with_a_checkable_explanation():
    load(
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim(
            "b", "Fewer than 100 fighters escaped.", "battle", "escaped", quantity("fewer than 100")
        ),
    )
    flag = flagged()[pair("a", "b")]
    assert flag.kind == "quantity"
    assert flag.status == ContradictionStatus.OPEN
    assert flag.detected_by == "structured/1"
    assert flag.explanation == (
        "at least 400 fighters vs fewer than 100 fighters — fighters who escaped, Battle of Sirte"
    )


def test_intersecting_quantities_are_not_flagged():
    load(
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim("b", "About 500 fighters escaped.", "battle", "escaped", quantity("about 500")),
    )
    assert flagged() == {}


def test_subjects_are_compared_after_alias_resolution():
    load(
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim("b", "About 50 fighters escaped.", "Operation X", "escaped", quantity("about 50")),
    )
    assert pair("a", "b") in flagged()


def test_different_subjects_are_not_compared():
    load(
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim("b", "About 50 fighters escaped Derna.", "derna", "escaped", quantity("about 50")),
    )
    assert flagged() == {}


def test_units_are_converted_before_comparing():
    load(
        claim("a", "It lay 150 miles away.", "sirte", "distance", quantity("150", "miles")),
        claim("b", "It lay about 240 km away.", "sirte", "distance", quantity("about 240", "km")),
        claim("c", "It lay 50 miles away.", "sirte", "distance", quantity("50", "miles")),
    )
    assert set(flagged()) == {pair("a", "c"), pair("b", "c")}


def test_disjoint_dates_are_flagged_and_overlapping_ones_not():
    load(
        claim(
            "aug",
            "It began on 1 August 2016.",
            "battle",
            "began",
            {"date": {"as_written": "1 August 2016"}},
        ),
        claim(
            "july",
            "It began in July 2016.",
            "battle",
            "began",
            {"date": {"as_written": "July 2016"}},
        ),
        claim("year", "It began in 2016.", "battle", "began", {"date": "2016"}),
    )
    flags = flagged()
    assert set(flags) == {pair("aug", "july")}
    assert flags[pair("aug", "july")].kind == "date"


def test_different_locations_are_not_the_same_thing():
    load(
        claim(
            "a",
            "400 escaped at the harbour.",
            "battle",
            "escaped",
            quantity("400"),
            location="harbour",
        ),
        claim(
            "b",
            "50 escaped at the airport.",
            "battle",
            "escaped",
            quantity("50"),
            location="airport",
        ),
        claim("c", "10 escaped.", "battle", "escaped", quantity("10")),
    )
    # c gives no location, so it is the same thing as both.
    assert set(flagged()) == {pair("a", "c"), pair("b", "c")}


def test_a_functional_predicate_flags_different_entities_at_overlapping_times():
    load(
        claim(
            "shura",
            "The Shura Council took Derna in July 2015.",
            "derna",
            "controlled-by",
            {"entity": "TCMD"},
            valid={"from": "2015-07"},
        ),
        claim(
            "is-july",
            "IS still held Derna in July 2015.",
            "derna",
            "controlled-by",
            {"entity": "islamic-state"},
            valid={"from": "2015-07", "to": "2015-07"},
        ),
        claim(
            "is-2014",
            "IS held Derna from late 2014.",
            "derna",
            "controlled-by",
            {"entity": "islamic-state"},
            valid={"from": "2014-10", "to": "2015-06"},
        ),
    )
    flags = flagged()
    assert set(flags) == {pair("shura", "is-july")}
    assert flags[pair("shura", "is-july")].kind == "entity"
    assert "both holding 2015-07" in flags[pair("shura", "is-july")].explanation


def test_a_non_functional_predicate_allows_different_entities():
    load(
        claim("a", "IS is an ally.", "derna", "ally", {"entity": "islamic-state"}),
        claim("b", "The Shura Council is an ally.", "derna", "ally", {"entity": "shura"}),
    )
    assert flagged() == {}


def test_a_claim_without_valid_time_holds_at_its_earliest_publication_date():
    # Published 2015-06-25 (day precision): inside June 2015, so it meets a June claim ...
    load(
        claim(
            "june",
            "Population 80,000.",
            "sirte",
            "population",
            quantity("80,000"),
            source="june-report",
        ),
        claim(
            "probe",
            "Population 120,000 in June 2015.",
            "sirte",
            "population",
            quantity("120,000"),
            valid={"from": "2015-06", "to": "2015-06"},
        ),
        claim(
            "later",
            "Population 50,000 in 2017.",
            "sirte",
            "population",
            quantity("50,000"),
            valid={"from": "2017", "to": "2017"},
        ),
    )
    # ... but not one about 2017.
    assert set(flagged()) == {pair("june", "probe")}
    june = Claim.objects.get(key="june")
    assert (june.holds_from, june.holds_to) == (datetime.date(2015, 6, 25),) * 2


def test_a_claim_without_valid_time_or_dated_source_holds_at_all_times():
    document = copy.deepcopy(BASE)
    document["sources"].append({"key": "undated", "title": "Undated", "outlet": "wire"})
    document["claims"] = [
        claim(
            "always",
            "Population 80,000.",
            "sirte",
            "population",
            quantity("80,000"),
            source="undated",
        ),
        claim(
            "then",
            "Population 120,000 in 2017.",
            "sirte",
            "population",
            quantity("120,000"),
            valid={"from": "2017", "to": "2017"},
        ),
    ]
    import_claimset(document)
    detection.scan_run_here(requested_by="test")
    assert set(flagged()) == {pair("always", "then")}


def test_a_negated_claim_contradicts_an_affirmed_one_it_denies_wholly():
    load(
        claim(
            "not-under-100",
            "Fewer than 100 did not escape.",
            "battle",
            "escaped",
            quantity("fewer than 100"),
            negated=True,
        ),
        claim("about-50", "About 50 escaped.", "battle", "escaped", quantity("about 50")),
        claim("at-most-150", "At most 150 escaped.", "battle", "escaped", quantity("at most 150")),
    )
    flags = flagged()
    assert set(flags) == {pair("not-under-100", "about-50")}
    assert flags[pair("not-under-100", "about-50")].kind == "negation"
    assert flags[pair("not-under-100", "about-50")].explanation.startswith(
        "not fewer than 100 fighters vs about 50 fighters"
    )


def test_a_negated_entity_contradicts_only_the_same_entity():
    load(
        claim(
            "lost",
            "IS lost Derna.",
            "derna",
            "controlled-by",
            {"entity": "ISIS"},
            negated=True,
            valid={"from": "2015-07"},
        ),
        claim(
            "held",
            "IS held Derna in July 2015.",
            "derna",
            "controlled-by",
            {"entity": "IS"},
            valid={"from": "2015-07", "to": "2015-07"},
        ),
        claim(
            "shura",
            "The Shura Council held Derna.",
            "derna",
            "controlled-by",
            {"entity": "shura"},
            valid={"from": "2015-08"},
        ),
    )
    flags = flagged()
    assert flags[pair("lost", "held")].kind == "negation"
    assert pair("lost", "shura") not in flags


def test_two_negated_claims_never_contradict():
    load(
        claim(
            "a", "IS did not hold Derna.", "derna", "controlled-by", {"entity": "IS"}, negated=True
        ),
        claim(
            "b",
            "The Council did not hold Derna.",
            "derna",
            "controlled-by",
            {"entity": "shura"},
            negated=True,
        ),
    )
    assert flagged() == {}


# --- wordings ---------------------------------------------------------------------------------


def test_near_identical_wordings_differing_in_a_number_are_flagged():
    load(
        claim("t400", "At least 400 ISIS fighters managed to escape Sirte."),
        claim("t150", "Only around 150 ISIS fighters managed to escape from Sirte."),
    )
    flag = flagged()[pair("t400", "t150")]
    assert flag.kind == "text"
    assert flag.detected_by.startswith("text/")
    assert "400" in flag.explanation and "150" in flag.explanation


def test_a_wording_is_compared_with_a_structured_claim():
    load(
        claim(
            "s",
            "At least 400 Islamic State fighters escaped Sirte.",
            "battle",
            "escaped",
            quantity("at least 400"),
        ),
        claim("t", "Only around 150 ISIS fighters managed to escape from Sirte."),
    )
    assert pair("s", "t") in flagged()


def test_wordings_about_different_things_are_not_flagged_whatever_their_numbers():
    load(
        claim("escaped", "At least 400 ISIS fighters managed to escape Sirte."),
        claim("killed", "17 ISIS militants were killed in airstrikes near Sirte."),
    )
    assert flagged() == {}


def test_wordings_differing_in_a_negation_are_flagged():
    load(
        claim("withdrew", "The Islamic State withdrew from Derna."),
        claim("stayed", "The Islamic State did not withdraw from Derna."),
    )
    assert flagged()[pair("withdrew", "stayed")].kind == "text"


def test_two_structured_claims_are_never_compared_by_wording():
    load(
        claim(
            "a",
            "At least 400 fighters escaped Sirte.",
            "battle",
            "escaped",
            quantity("at least 400"),
        ),
        claim("b", "At least 400 fighters escaped Sirte.", "sirte", "escaped", quantity("150")),
    )
    assert flagged() == {}


def test_terms_index_the_wording_with_entities_by_alias():
    load(claim("t", "At least 400 ISIS fighters managed to escape Sirt."))
    terms = set(ClaimTerm.objects.filter(claim__key="t").values_list("term", flat=True))
    entity_ids = dict(Entity.objects.values_list("key", "id"))
    assert f"@{entity_ids['islamic-state']}" in terms
    assert f"@{entity_ids['sirte']}" in terms
    assert "400" not in terms


def test_a_wording_is_stored_with_its_terms_pairs_size_and_kind():
    load(
        claim("t", "At least 400 ISIS fighters managed to escape Sirt."),
        claim("s", "Sirte fell.", "sirte", "escaped", quantity("150")),
    )
    t = Claim.objects.get(key="t")
    terms = t.wording_terms.split(" ")
    assert sorted(terms) == terms and len(terms) == 5  # @IS, fighter, manage, escape, @Sirte
    rows = set(ClaimTerm.objects.filter(claim=t).values_list("term", "size", "text_only"))
    assert rows == {(key, 5, True) for key in text_compare.index_keys(terms)}
    assert len(rows) == 5 + 10
    assert json.loads(t.wording_digest)[0] is False  # not negated
    assert {
        row[2]
        for row in ClaimTerm.objects.filter(claim__key="s").values_list("term", "size", "text_only")
    } == {False}


def test_a_claim_made_structured_is_indexed_as_structured():
    load(claim("t", "At least 400 ISIS fighters managed to escape Sirte."))
    t = Claim.objects.get(key="t")
    Claim.objects.filter(pk=t.pk).update(
        subject=Entity.objects.get(key="sirte"),
        predicate=Predicate.objects.get(key="escaped"),
        value_type="quantity",
        quantity_low=400,
    )
    assert detection.claim_terms_refresh(claim_ids=[t.pk]) == 1
    assert set(ClaimTerm.objects.filter(claim=t).values_list("text_only", flat=True)) == {False}
    assert detection.claim_terms_refresh(claim_ids=[t.pk]) == 0  # up to date now


def test_a_scan_indexes_wordings_never_indexed():
    load(
        claim("t400", "At least 400 ISIS fighters managed to escape Sirte."),
        claim("t150", "Only around 150 ISIS fighters managed to escape from Sirte."),
    )
    Contradiction.objects.all().delete()
    ClaimTerm.objects.all().delete()
    Claim.objects.update(wording_terms="", wording_digest="")
    detection.scan_run_here(requested_by="test")
    assert pair("t400", "t150") in flagged()
    assert ClaimTerm.objects.filter(claim__key="t150").exists()


def test_a_scan_compares_a_pair_of_wordings_once():
    load(
        claim("t400", "At least 400 ISIS fighters managed to escape Sirte."),
        claim("t150", "Only around 150 ISIS fighters managed to escape from Sirte."),
    )
    scan = ContradictionScan.objects.latest("id")
    assert scan.candidates_compared == 1
    assert (
        detection.claims_check(claim_ids=list(Claim.objects.values_list("id", flat=True))).compared
        == 2
    )


def test_a_stale_digest_is_not_flagged_when_the_wording_no_longer_conflicts():
    # The decision is taken on stored digests; the explanation reads the wordings again, and a
    # wording changed since its digest was stored (its own check is due) is not flagged on it.
    load(
        claim("t400", "At least 400 ISIS fighters managed to escape Sirte."),
        claim("t150", "Only around 150 ISIS fighters managed to escape from Sirte."),
    )
    Contradiction.objects.all().delete()
    Claim.objects.filter(key="t150").update(
        text="Only around 400 ISIS fighters managed to escape from Sirte."
    )
    found = detection.claims_check(claim_ids=[Claim.objects.get(key="t400").pk])
    assert found.pairs == {}


# --- the incremental check --------------------------------------------------------------------


def test_importing_a_claim_checks_it_on_commit(django_capture_on_commit_callbacks):
    document = copy.deepcopy(BASE)
    document["claims"] = [
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim(
            "b", "Fewer than 100 fighters escaped.", "battle", "escaped", quantity("fewer than 100")
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_claimset(document)
    assert callbacks, "the check is sent only on commit"
    assert pair("a", "b") in flagged()
    assert not Claim.objects.filter(check_requested_at__isnull=False).exists()


def test_a_change_marks_the_claim_until_its_check_runs(django_capture_on_commit_callbacks):
    document = copy.deepcopy(BASE)
    document["claims"] = [
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("400"))
    ]
    with django_capture_on_commit_callbacks(execute=False):
        import_claimset(document)
    # The task never ran (as when the broker is down at commit): the mark stays for the sweeper.
    marked = Claim.objects.get(key="a")
    assert marked.check_requested_at is not None
    assert detection.claims_check_overdue(older_than=datetime.timedelta(0)) == [marked.pk]
    assert detection.claims_check_overdue(older_than=datetime.timedelta(hours=1)) == []
    detection.claims_check(claim_ids=[marked.pk])
    marked.refresh_from_db()
    assert marked.check_requested_at is None


def test_a_check_keeps_a_mark_set_by_a_change_during_it(monkeypatch):
    load(claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("400")))
    a = Claim.objects.get(key="a")
    Claim.objects.filter(pk=a.pk).update(check_requested_at=timezone.now())
    compare_wordings = detection.text_candidates_check

    def changed_meanwhile(*args, **kwargs):
        later = timezone.now() + datetime.timedelta(seconds=1)
        Claim.objects.filter(pk=a.pk).update(check_requested_at=later)
        return compare_wordings(*args, **kwargs)

    monkeypatch.setattr(detection, "text_candidates_check", changed_meanwhile)
    detection.claims_check(claim_ids=[a.pk])
    a.refresh_from_db()
    assert a.check_requested_at is not None


def test_the_check_of_one_claim_reads_only_its_candidates():
    claims = [
        claim(
            f"c{i}",
            f"About {500 + i % 5} fighters escaped.",
            "battle",
            "escaped",
            quantity(f"about {500 + i % 5}"),
        )
        for i in range(200)
    ]
    claims.append(
        claim(
            "odd", "Fewer than 10 fighters escaped.", "battle", "escaped", quantity("fewer than 10")
        )
    )
    load(*claims)
    odd = Claim.objects.get(key="odd")
    rules = detection.predicate_rules([odd.predicate_id])[odd.predicate_id]
    row = Claim.objects.filter(pk=odd.pk).values_list(*detection.FACT_COLUMNS).get()
    candidates = detection.structured_candidates(row, rules)
    # Every candidate conflicts: the query never reads the claims that agree.
    assert len(candidates) == 200
    agreeing = Claim.objects.get(key="c5")
    row = Claim.objects.filter(pk=agreeing.pk).values_list(*detection.FACT_COLUMNS).get()
    assert [c[0] for c in detection.structured_candidates(row, rules)] == [odd.pk]


def test_the_check_of_one_claim_runs_a_fixed_number_of_queries():
    def queries_for(n):
        Claim.objects.all().delete()
        claims = [
            claim(
                f"c{i}",
                f"About {500 + i % 5} fighters escaped.",
                "battle",
                "escaped",
                quantity(f"about {500 + i % 5}"),
            )
            for i in range(n)
        ]
        load(*claims)
        target = Claim.objects.get(key="c0")
        with CaptureQueriesContext(connection) as ctx:
            detection.claims_check(claim_ids=[target.pk])
        return len(ctx)

    assert queries_for(5) == queries_for(60)


# --- flags: one per pair, reviews respected ---------------------------------------------------


def _two_conflicting():
    load(
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim(
            "b", "Fewer than 100 fighters escaped.", "battle", "escaped", quantity("fewer than 100")
        ),
    )
    return flagged()[pair("a", "b")]


def test_running_detection_again_never_duplicates_a_flag():
    flag = _two_conflicting()
    detection.scan_run_here(requested_by="test")
    ids = [c.pk for c in Claim.objects.all()]
    detection.claims_check(claim_ids=ids)
    detection.claims_check(claim_ids=ids)
    assert list(Contradiction.objects.values_list("id", flat=True)) == [flag.pk]


def test_the_database_refuses_a_second_flag_for_a_pair():
    flag = _two_conflicting()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contradiction.objects.create(
            claim_a_id=flag.claim_a_id,
            claim_b_id=flag.claim_b_id,
            kind="quantity",
            explanation="again",
            detected_by="x",
            fingerprint="x",
            last_detected_at=timezone.now(),
        )


def test_a_flag_is_stored_with_the_lower_claim_id_first():
    flag = _two_conflicting()
    assert flag.claim_a_id < flag.claim_b_id
    with pytest.raises(IntegrityError), transaction.atomic():
        Contradiction.objects.filter(pk=flag.pk).update(
            claim_a_id=flag.claim_b_id, claim_b_id=flag.claim_a_id
        )


def test_a_dismissed_flag_stays_dismissed_when_detection_runs_again(admin_user):
    flag = _two_conflicting()
    contradiction_decide(
        status="dismissed", contradiction_id=flag.pk, by=admin_user, reason="different battles"
    )
    detection.scan_run_here(requested_by="test")
    detection.claims_check(claim_ids=[flag.claim_a_id, flag.claim_b_id])
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.DISMISSED
    assert flag.dismissed_reason == "different battles"
    assert flag.status_changed_by == admin_user


def test_a_dismissed_flag_reopens_when_one_of_its_claims_changes(admin_user):
    flag = _two_conflicting()
    contradiction_decide(
        status="dismissed", contradiction_id=flag.pk, by=admin_user, reason="different battles"
    )
    document = copy.deepcopy(BASE)
    document["claims"] = [
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim(
            "b", "Fewer than 90 fighters escaped.", "battle", "escaped", quantity("fewer than 90")
        ),
    ]
    import_claimset(document)
    detection.scan_run_here(requested_by="test")
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.OPEN
    assert flag.dismissed_reason == ""
    assert "fewer than 90" in flag.explanation


def test_a_claim_status_change_does_not_reopen_a_dismissed_flag(admin_user):
    flag = _two_conflicting()
    contradiction_decide(
        status="dismissed", contradiction_id=flag.pk, by=admin_user, reason="different battles"
    )
    Claim.objects.filter(pk=flag.claim_a_id).update(status=ClaimStatus.VETTED)
    detection.scan_run_here(requested_by="test")
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.DISMISSED


def test_dismissing_needs_a_reason(admin_user):
    from django.core.exceptions import ValidationError

    flag = _two_conflicting()
    with pytest.raises(ValidationError):
        contradiction_decide(
            status="dismissed", contradiction_id=flag.pk, by=admin_user, reason="  "
        )
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.OPEN


def test_confirming_and_resolving_are_recorded(admin_user):
    flag = _two_conflicting()
    contradiction_decide(status="confirmed", contradiction_id=flag.pk, by=admin_user)
    flag.refresh_from_db()
    assert (flag.status, flag.status_changed_by) == (ContradictionStatus.CONFIRMED, admin_user)
    contradiction_decide(
        status="resolved", contradiction_id=flag.pk, by=admin_user, refuted_claim_id=flag.claim_b_id
    )
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.RESOLVED
    assert Claim.objects.get(pk=flag.claim_b_id).status == ClaimStatus.REFUTED
    assert Claim.objects.get(pk=flag.claim_a_id).status == ClaimStatus.UNREVIEWED


def test_an_open_flag_whose_claims_no_longer_conflict_is_withdrawn():
    flag = _two_conflicting()
    document = copy.deepcopy(BASE)
    document["claims"] = [
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim("b", "About 450 fighters escaped.", "battle", "escaped", quantity("about 450")),
    ]
    import_claimset(document)
    detection.claims_check(claim_ids=[flag.claim_b_id])
    assert not Contradiction.objects.exists()


def test_a_reviewed_flag_is_kept_when_its_claims_no_longer_conflict(admin_user):
    flag = _two_conflicting()
    contradiction_decide(status="confirmed", contradiction_id=flag.pk, by=admin_user)
    document = copy.deepcopy(BASE)
    document["claims"] = [
        claim("a", "At least 400 fighters escaped.", "battle", "escaped", quantity("at least 400")),
        claim("b", "About 450 fighters escaped.", "battle", "escaped", quantity("about 450")),
    ]
    import_claimset(document)
    detection.scan_run_here(requested_by="test")
    assert Contradiction.objects.get().status == ContradictionStatus.CONFIRMED


# --- the full scan ----------------------------------------------------------------------------


def test_a_scan_waits_while_another_is_running():
    _two_conflicting()
    running = ContradictionScan.objects.create(requested_by="other", status="running")
    with pytest.raises(TimeoutError):
        detection.scan_run_here(requested_by="test", wait_seconds=0.6)
    running.status = "finished"
    running.save()
    report = detection.scan_run_here(requested_by="test")
    assert report.scan.status == "finished"


def test_the_database_allows_one_running_scan():
    ContradictionScan.objects.create(requested_by="one", status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContradictionScan.objects.create(requested_by="two", status="running")


def test_a_chunk_run_twice_changes_nothing():
    _two_conflicting()
    scan = detection.scan_request(requested_by="test")
    assert detection.scan_start_next() == scan
    chunk = scan.chunks.get()
    assert detection.scan_run_chunk(chunk_id=chunk.pk) is True
    assert detection.scan_run_chunk(chunk_id=chunk.pk) is False
    scan.refresh_from_db()
    assert scan.status == "finished"
    assert Contradiction.objects.count() == 1


def test_a_scan_queued_behind_a_running_one_is_not_started():
    _two_conflicting()
    running = ContradictionScan.objects.create(requested_by="other", status="running")
    queued = detection.scan_request(requested_by="test")
    assert detection.scan_start_next() is None
    queued.refresh_from_db()
    assert queued.status == "queued"
    running.status = "finished"
    running.save()
    assert detection.scan_start_next() == queued


def test_a_chunk_run_again_finishes_a_scan_whose_finish_was_lost(monkeypatch):
    _two_conflicting()
    scan = detection.scan_request(requested_by="test")
    detection.scan_start_next()
    chunk = scan.chunks.get()
    finish = detection._scan_finish_if_done

    def lost(scan_id):
        raise OperationalError("connection lost after the chunk's commit")

    monkeypatch.setattr(detection, "_scan_finish_if_done", lost)
    with pytest.raises(OperationalError):
        detection.scan_run_chunk(chunk_id=chunk.pk)
    monkeypatch.setattr(detection, "_scan_finish_if_done", finish)
    scan.refresh_from_db()
    assert scan.status == "running"
    # The task is retried (a transient error): the chunk is done, and the scan finishes now.
    assert detection.scan_run_chunk(chunk_id=chunk.pk) is False
    scan.refresh_from_db()
    assert scan.status == "finished"


def test_the_sweeper_resends_a_chunk_only_long_after_it_was_sent():
    _two_conflicting()
    scan = detection.scan_request(requested_by="test")
    detection.scan_start_next()
    chunk = scan.chunks.get()
    assert detection.scan_chunks_to_send() == [chunk.pk]
    stale = datetime.timedelta(minutes=30)
    # Just sent: a sweep leaves it alone, however long the scan has been running.
    assert detection.scan_chunks_to_send(stale_after=stale) == []
    ContradictionScanChunk.objects.filter(pk=chunk.pk).update(
        sent_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    assert detection.scan_chunks_to_send(stale_after=stale) == [chunk.pk]
    assert detection.scan_chunks_to_send(stale_after=stale) == []


def test_detect_contradictions_says_what_it_compared_and_found():
    _two_conflicting()
    out = io.StringIO()
    call_command("detect_contradictions", stdout=out)
    text = out.getvalue()
    assert "compared 2 claims" in text
    assert "1 contradicting pairs found" in text
    assert "1 quantity" in text


# --- the report -------------------------------------------------------------------------------


def test_contradiction_report_prints_the_spec_document():
    _two_conflicting()
    out = io.StringIO()
    call_command("contradiction_report", "--format", "json", stdout=out)
    document = json.loads(out.getvalue())
    assert document["format"] == "contradictions/1"
    [entry] = document["contradictions"]
    assert sorted(entry["claims"]) == ["a", "b"]
    assert entry["kind"] == "quantity"
    assert entry["status"] == "open"
    assert entry["detected_by"] == "structured/1"
    assert entry["explanation"].startswith("at least 400 fighters vs fewer than 100 fighters")


def test_contradiction_report_filters_by_status_and_subject(admin_user):
    flag = _two_conflicting()
    out = io.StringIO()
    call_command("contradiction_report", "--status", "dismissed", stdout=out)
    assert json.loads(out.getvalue())["contradictions"] == []
    contradiction_decide(status="dismissed", contradiction_id=flag.pk, by=admin_user, reason="no")
    out = io.StringIO()
    call_command(
        "contradiction_report", "--status", "dismissed", "--subject", "Operation X", stdout=out
    )
    assert len(json.loads(out.getvalue())["contradictions"]) == 1
    out = io.StringIO()
    call_command("contradiction_report", "--subject", "derna", stdout=out)
    assert json.loads(out.getvalue())["contradictions"] == []


def test_contradiction_report_refuses_an_unknown_subject():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match='no entity has the key, name or alias "Atlantis"'):
        call_command("contradiction_report", "--subject", "Atlantis", stdout=io.StringIO())


def test_contradiction_report_as_csv_and_html():
    _two_conflicting()
    out = io.StringIO()
    call_command("contradiction_report", "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("claim_a,claim_b,kind,status,explanation")
    assert len(lines) == 2 and "at least 400 fighters vs fewer than 100 fighters" in lines[1]
    out = io.StringIO()
    call_command("contradiction_report", "--format", "html", stdout=out)
    html = out.getvalue()
    assert "<h3>Battle of Sirte — fighters who escaped</h3>" in html
    assert "Fewer than 100 fighters escaped." in html


# --- the check's candidate statement is exact -------------------------------------------------


def _random_block_claims(rng, predicate, subject, locations, entities, n):
    """Claims of one block with values and times drawn from a few points, so that ends meet
    often: open and closed ends, missing ends, negations, locations, times held."""
    points = [1.0, 2.0, 3.0, 4.0]
    days = [datetime.date(2015, 1, d) for d in (1, 2, 3, 4)]
    made = []
    for i in range(n):
        fields = {
            "key": f"r{predicate.pk}-{i}",
            "text": f"Random claim {predicate.pk}-{i}.",
            "subject": subject,
            "predicate": predicate,
            "value_type": predicate.value_type,
            "value_as_written": "",
            "quantity_low": None,
            "quantity_given_low": None,
            "quantity_given_unit": "",
            "negated": rng.random() < 0.25,
            "location": rng.choice([None, None, *locations]),
        }
        if rng.random() < 0.7:
            fields["holds_from"] = rng.choice(days)
        if rng.random() < 0.7:
            fields["holds_to"] = max(rng.choice(days), fields.get("holds_from") or days[0])
        if predicate.value_type == "quantity":
            low, high = sorted(
                rng.sample(points, 2) if rng.random() < 0.7 else [rng.choice(points)] * 2
            )
            if rng.random() < 0.2:
                low = None
            elif rng.random() < 0.2 and low is not None:
                high = None
            fields.update(
                quantity_low=low,
                quantity_high=high,
                quantity_low_inclusive=rng.random() < 0.6,
                quantity_high_inclusive=rng.random() < 0.6,
            )
        elif predicate.value_type == "date":
            low, high = sorted(
                rng.sample(days, 2) if rng.random() < 0.7 else [rng.choice(days)] * 2
            )
            if rng.random() < 0.2:
                low = None
            elif rng.random() < 0.2:
                high = None
            fields.update(
                date_from=low,
                date_to=high,
                date_from_precision="day" if low else "",
                date_to_precision="day" if high else "",
            )
        else:
            fields["value_entity"] = rng.choice(entities)
        made.append(ClaimFactory.build(**fields))
    Claim.objects.bulk_create(made)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_check_reads_exactly_the_claims_that_conflict(seed):
    """The candidate statement's conditions mirror the rules at every end (open, closed,
    missing, touching), for negations, locations and times held: what it reads is what
    pair_conflict flags, no more (a block of agreeing claims costs nothing) and no less."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    subject = EntityFactory()
    locations = [EntityFactory(), EntityFactory()]
    entities = [EntityFactory(), EntityFactory(), EntityFactory()]
    predicates = [
        PredicateFactory(value_type="quantity"),
        PredicateFactory(value_type="quantity", unit="", time_varying=True),
        PredicateFactory(value_type="date", unit=""),
        PredicateFactory(value_type="entity", unit="", functional=True, time_varying=True),
        PredicateFactory(value_type="entity", unit=""),
    ]
    for predicate in predicates:
        _random_block_claims(rng, predicate, subject, locations, entities, 40)
    rows = list(
        Claim.objects.filter(subject=subject).order_by("id").values_list(*detection.FACT_COLUMNS)
    )
    rules = detection.predicate_rules({row[2] for row in rows})
    probes = [(row, rules[row[2]]) for row in rows]
    candidates = detection.structured_candidates_of(probes)
    flagged_pairs = 0
    for row, rule in probes:
        mine = detection.facts_of(row)
        expected = {
            other[0]
            for other in rows
            if other[0] != row[0]
            and other[2] == row[2]
            and pair_conflict(mine, detection.facts_of(other), rule)
        }
        assert {c[0] for c in candidates[row[0]]} == expected, row
        flagged_pairs += len(expected)
    assert flagged_pairs > 100  # the draw has conflicts of every kind to get right


def test_a_scan_is_cut_into_chunks_workers_can_share(settings, monkeypatch):
    """Each kind is cut into CONTRADICTION_SCAN_CHUNKS chunks (not below the floor) even when
    the per-chunk sizes would allow one, a hot subject is a chunk of its own, and the wording
    chunks, the costliest, come first, highest ids first."""
    settings.CONTRADICTION_SCAN_CHUNKS = 4
    monkeypatch.setattr(detection, "SCAN_CHUNK_FLOOR", 1)
    predicate = PredicateFactory()
    hot, *others = (EntityFactory() for _ in range(5))
    for subject, n in ((hot, 8), *((s, 2) for s in others)):
        for _ in range(n):
            ClaimFactory(subject=subject, predicate=predicate)
    texts = [TextClaimFactory().pk for _ in range(12)]
    scan = detection.scan_request(requested_by="test")
    chunks = detection._plan_chunks(scan)
    kinds = [c.kind for c in chunks]
    assert kinds == ["text"] * 4 + ["structured"] * 3
    assert [(c.first_id, c.last_id) for c in chunks[:4]] == [
        (texts[9], texts[11]),
        (texts[6], texts[8]),
        (texts[3], texts[5]),
        (texts[0], texts[2]),
    ]
    subjects = sorted(s.pk for s in (hot, *others))
    assert [(c.first_id, c.last_id) for c in chunks[4:]] == [
        (subjects[0], subjects[0]),  # the hot subject (created first): 8 claims, alone
        (subjects[1], subjects[2]),
        (subjects[3], subjects[4]),
    ]


def test_a_scan_in_many_chunks_finds_what_one_chunk_finds(settings, monkeypatch):
    claims = [
        claim(
            f"q{i}",
            f"About {500 + i} fighters escaped.",
            "battle",
            "escaped",
            quantity(f"{500 + i}"),
        )
        for i in range(6)
    ]
    claims += [claim(f"t{i}", f"The bombing killed {40 + i} people in Sirte.") for i in range(6)]
    load(*claims)
    one = {(f.claim_a_id, f.claim_b_id, f.kind) for f in Contradiction.objects.all()}
    assert one
    Contradiction.objects.all().delete()
    settings.CONTRADICTION_SCAN_CHUNKS = 6
    monkeypatch.setattr(detection, "SCAN_CHUNK_FLOOR", 1)
    report = detection.scan_run_here(requested_by="test")
    assert report.scan.chunks_total > 2
    assert {(f.claim_a_id, f.claim_b_id, f.kind) for f in Contradiction.objects.all()} == one


# --- the scan's wording join ------------------------------------------------------------------


def _wording_pairs_by_brute_force() -> set[frozenset]:
    """Every pair of claims (not both structured) whose wordings compare() flags."""
    matcher = detection.alias_matcher()
    claims = list(Claim.objects.values_list("key", "text", "subject_id", "predicate_id"))
    signatures = {key: text_compare.analyze(text, matcher) for key, text, _, _ in claims}
    structured = {key for key, _, subject, predicate in claims if subject and predicate}
    return {
        frozenset((a, b))
        for (a, *_), (b, *_) in itertools.combinations(claims, 2)
        if not (a in structured and b in structured)
        and text_compare.compare(signatures[a], signatures[b]) is not None
    }


@pytest.mark.parametrize("chunk_claims", [1000, 7])
def test_a_scan_flags_exactly_the_wording_pairs_of_all_pairs(settings, chunk_claims):
    # A template said many times with a few numbers and a negation (one group of identical
    # term sets, a handful of digests), near variants of it (another group, near-identical),
    # structured claims worded alike, and unrelated wordings; in one text chunk and in many
    # (a pair of text-only claims is compared in the chunk of its higher id).
    settings.CONTRADICTION_TEXT_CHUNK_CLAIMS = chunk_claims
    numbers = ["400", "150", "at least 400", "about 150", "400", "150", "90"]
    records = [
        claim(f"t{n}", f"{number} ISIS fighters managed to escape Sirte.")
        for n, number in enumerate(numbers * 3)
    ]
    records += [
        claim("neg", "ISIS fighters did not manage to escape Sirte."),
        claim("variant", "Only 150 ISIS fighters managed to escape from Sirte by sea."),
        claim(
            "s1", "400 ISIS fighters managed to escape Sirte.", "sirte", "escaped", quantity("400")
        ),
        claim(
            "s2", "150 ISIS fighters managed to escape Sirte.", "sirte", "escaped", quantity("150")
        ),
        claim("other", "The airport of Derna had 150 guards."),
        claim("other2", "The airport of Derna had 400 guards."),
    ]
    load(*records)
    text_flags = {pair for pair, flag in flagged().items() if flag.detected_by == "text/1"}
    expected = _wording_pairs_by_brute_force()
    assert text_flags == expected
    assert len(expected) > 100
    scan = ContradictionScan.objects.latest("id")
    # Decided per distinct digest of each group, not per pair of claims.
    assert scan.candidates_compared < len(expected)
