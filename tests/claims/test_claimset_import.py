import copy
import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Appearance, Claim, ClaimRelation, ClaimStatusChange, Predicate
from claims.selectors.claims import facts_queryset
from claims.selectors.claimsets import export_claimset
from claims.services.claims import SYSTEM_USERNAME, claim_rate
from claims.services.claimsets import IMPORTED, ClaimsetInvalid, import_claimset
from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "demo" / "libya.claimset.json"


@pytest.fixture
def libya():
    return json.loads(DEMO.read_text(encoding="utf-8"))


def minimal(**claim_fields):
    """A small valid claimset with one source and one claim, the claim's fields overridable."""
    claim = {
        "key": "c1",
        "text": "At least 400 fighters escaped Sirte.",
        "subject": "sirte",
        "predicate": "escaped",
        "value": {"quantity": {"as_written": "at least 400", "unit": "fighters"}},
        "appearances": [{"source": "s1", "quote": "at least 400 fighters escaped"}],
    }
    claim.update(claim_fields)
    return {
        "format": "claimset/1",
        "outlets": [{"key": "o1", "name": "Outlet One", "kind": "wire"}],
        "entities": [
            {"key": "sirte", "name": "Sirte", "kind": "place", "aliases": ["Sirt", "Surt"]},
            {"key": "is", "name": "Islamic State", "kind": "organization", "aliases": ["ISIS"]},
        ],
        "predicates": [
            {
                "key": "escaped",
                "name": "fighters who escaped",
                "value_type": "quantity",
                "unit": "fighters",
            }
        ],
        "sources": [
            {
                "key": "s1",
                "title": "Report",
                "outlet": "o1",
                "published": "2016-12-05",
                "text": "A commander said “at least 400   fighters escaped” the city.",
            }
        ],
        "claims": [claim],
    }


def delete_everything():
    for model in (
        ClaimRelation,
        Appearance,
        Claim,
        Predicate,
        SourceCitation,
        Source,
        Entity,
        Outlet,
    ):
        model.objects.all().delete()


def table_counts():
    return [
        m.objects.count()
        for m in (Outlet, Entity, EntityAlias, Predicate, Source, Claim, Appearance, ClaimRelation)
    ]


def test_libya_claimset_imports_into_an_empty_database(libya):
    summary = import_claimset(libya)

    assert summary.counts["claims"].created == 42
    assert summary.counts["sources"].created == 12
    assert Claim.objects.count() == 42
    assert Appearance.objects.filter(claim__key="derna-is-lost").count() == 2


def test_second_import_of_the_same_file_changes_nothing(libya):
    import_claimset(libya)
    before = export_claimset()
    updated_at = dict(Claim.objects.values_list("key", "updated_at"))

    summary = import_claimset(libya)

    assert not summary.changed
    assert summary.counts["claims"].unchanged == 42
    assert export_claimset() == before
    assert dict(Claim.objects.values_list("key", "updated_at")) == updated_at


def test_export_imported_into_an_empty_database_exports_the_same_document(libya):
    import_claimset(libya)
    first = json.dumps(export_claimset())
    delete_everything()

    import_claimset(json.loads(first))

    assert json.dumps(export_claimset()) == first


def test_export_sorts_every_section_by_key(libya):
    libya["claims"].reverse()
    import_claimset(libya)

    document = export_claimset()

    for section in ("outlets", "entities", "predicates", "sources", "claims"):
        keys = [record["key"] for record in document[section]]
        assert keys == sorted(keys), section


def test_export_counts_independent_sources_and_carries_status(libya):
    import_claimset(libya)

    claims = {c["key"]: c for c in export_claimset()["claims"]}

    # Both appearances trace to the Barqa video: one origin.
    assert claims["derna-is-lost"]["independent_sources"] == 1
    # Two papers with no outlet in common and no shared origin.
    assert claims["benghazi-ansar-al-sharia"]["independent_sources"] == 2
    assert claims["derna-is-lost"]["status"] == "unreviewed"


def test_import_refuses_four_kinds_of_error_at_once_with_their_paths_and_writes_nothing(libya):
    broken = copy.deepcopy(libya)
    claims = {c["key"]: c for c in broken["claims"]}
    claims["benghazi-four-americans"]["value"]["quantity"]["low"] = "four hundred"
    claims["sirte-escaped-400"]["confidence"] = "high"
    claims["benghazi-2011"]["subject"] = "no-such-entity"
    claims["t-withdrew-derna"]["appearances"][0]["quote"] = "words the article never printed"
    index = {c["key"]: i for i, c in enumerate(broken["claims"])}

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(broken)

    at = {key: f"claims[{i}]" for key, i in index.items()}
    assert [str(e) for e in raised.value.errors] == [
        f'{at["sirte-escaped-400"]}.confidence: unknown field "confidence"',
        f'{at["benghazi-2011"]}.subject: no entity has the key, name or alias "no-such-entity"',
        f"{at['benghazi-four-americans']}.value.quantity.low: "
        'expected a number, got "four hundred"',
        f"{at['t-withdrew-derna']}.appearances[0].quote: not found in the text of source "
        '"libya-000": "words the article never printed"',
    ]
    assert table_counts() == [0] * 8


def test_import_command_prints_every_error_exits_non_zero_and_leaves_the_database_unchanged(
    libya, tmp_path
):
    import_claimset(minimal())
    before = export_claimset()
    broken = minimal(subject="nowhere", extra=1)
    broken["claims"][0]["value"]["quantity"] = {"low": "four hundred"}
    broken["claims"][0]["appearances"][0]["quote"] = "not in the text"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="4 error"):
        call_command("import_claims", str(path), stderr=stderr)

    printed = stderr.getvalue()
    for expected in (
        "claims[0].extra: unknown field",
        "claims[0].subject: no entity",
        'claims[0].value.quantity.low: expected a number, got "four hundred"',
        "claims[0].appearances[0].quote: not found",
    ):
        assert expected in printed
    assert export_claimset() == before


def test_import_command_reads_standard_input(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(minimal())))
    out = io.StringIO()

    call_command("import_claims", "-", stdout=out)

    assert "claims: 1 created" in out.getvalue()
    assert Claim.objects.filter(key="c1").exists()


def test_import_command_names_the_line_of_invalid_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "claimset/1",\n "claims": [,]}')

    with pytest.raises(CommandError, match="line 2 column 13"):
        call_command("import_claims", str(path))


def test_export_command_writes_the_file_given_with_out(tmp_path):
    import_claimset(minimal())
    path = tmp_path / "export.json"

    call_command("export_claims", "--out", str(path), stderr=io.StringIO())

    assert json.loads(path.read_text())["claims"][0]["key"] == "c1"


def test_quantity_as_written_is_parsed_to_its_interval():
    import_claimset(minimal())

    claim = Claim.objects.get(key="c1")
    assert (claim.quantity_low, claim.quantity_high) == (400.0, None)
    assert claim.quantity_low_inclusive and claim.quantity_high_inclusive


def test_more_than_is_an_open_lower_bound():
    import_claimset(
        minimal(value={"quantity": {"as_written": "more than 400", "unit": "fighters"}})
    )

    claim = Claim.objects.get(key="c1")
    assert claim.quantity_low == 400.0
    assert not claim.quantity_low_inclusive


def test_quantities_are_converted_to_the_predicates_unit():
    document = minimal(
        predicate="distance", value={"quantity": {"low": 150, "high": 150, "unit": "miles"}}
    )
    document["predicates"] = [
        {"key": "distance", "name": "distance", "value_type": "quantity", "unit": "km"}
    ]

    import_claimset(document)

    claim = Claim.objects.get(key="c1")
    assert claim.quantity_low == pytest.approx(241.4016)
    assert (claim.quantity_given_low, claim.quantity_given_unit) == (150.0, "miles")


def test_units_of_another_dimension_are_refused():
    document = minimal(value={"quantity": {"low": 3, "high": 3, "unit": "km"}})
    document["predicates"][0]["unit"] = "minutes"

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [e.path for e in raised.value.errors] == ["claims[0].value.quantity.unit"]


def test_year_less_date_is_resolved_against_the_earliest_appearance():
    document = minimal(predicate="began", value={"date": {"as_written": "May"}})
    document["predicates"] = [{"key": "began", "name": "start date", "value_type": "date"}]
    document["sources"].append({"key": "s0", "title": "Earlier", "published": "2015"})
    document["claims"][0]["appearances"].append({"source": "s0"})

    import_claimset(document)

    claim = Claim.objects.get(key="c1")
    assert (claim.date_from, claim.date_to) == (
        datetime.date(2015, 5, 1),
        datetime.date(2015, 5, 31),
    )
    assert claim.date_from_precision == "month"


def test_relative_date_without_a_dated_source_is_an_error_at_its_path():
    document = minimal(predicate="began", value={"date": {"as_written": "late last year"}})
    document["predicates"] = [{"key": "began", "name": "start date", "value_type": "date"}]
    del document["sources"][0]["published"]

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [e.path for e in raised.value.errors] == ["claims[0].value.date.as_written"]


def test_valid_time_since_is_open_ended():
    import_claimset(minimal(valid={"as_written": "since June 2016"}))

    claim = Claim.objects.get(key="c1")
    assert (claim.valid_from, claim.valid_to) == (datetime.date(2016, 6, 1), None)


def test_references_resolve_by_alias_after_normalisation():
    import_claimset(minimal(subject="SURT", location="sirt"))

    claim = Claim.objects.get(key="c1")
    assert claim.subject.key == "sirte"
    assert claim.location.key == "sirte"


def test_a_reference_matching_two_entities_is_an_error():
    document = minimal(subject="Twin")
    document["entities"][0]["aliases"].append("Twin")
    document["entities"][1]["aliases"].append("twin")

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert (
        str(raised.value.errors[0])
        == 'claims[0].subject: "Twin" names more than one entity: is, sirte'
    )


def test_references_resolve_against_stored_entities_not_in_the_file():
    import_claimset(minimal())
    document = minimal(subject="Islamic State", key="c2")
    del document["entities"]

    import_claimset(document)

    assert Claim.objects.get(key="c2").subject.key == "is"


def test_a_claim_naming_an_unknown_predicate_creates_it_typed_by_its_value():
    import_claimset(minimal(predicate="number who fled"))

    predicate = Claim.objects.get(key="c1").predicate
    assert (predicate.key, predicate.name, predicate.value_type) == (
        "number-who-fled",
        "number who fled",
        "quantity",
    )
    assert predicate.unit == "fighters"


def test_an_unknown_predicate_without_a_value_is_an_error():
    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(minimal(predicate="unheard of", value=None))

    assert [e.path for e in raised.value.errors] == ["claims[0].predicate"]


def test_a_value_of_the_wrong_type_for_its_predicate_is_an_error():
    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(minimal(value={"date": "2015"}))

    assert [e.path for e in raised.value.errors] == ["claims[0].value"]


def test_as_written_that_disagrees_with_low_and_high_is_an_error():
    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(
            minimal(value={"quantity": {"as_written": "at least 400", "low": 500, "high": None}})
        )

    assert [e.path for e in raised.value.errors] == ["claims[0].value.quantity"]


def test_quotes_match_across_quote_marks_and_white_space():
    import_claimset(minimal())  # the source has curly quotes and three spaces

    assert Appearance.objects.get().quote == "at least 400 fighters escaped"


def test_the_same_url_after_normalisation_is_refused():
    document = minimal()
    document["sources"][0]["url"] = "https://www.example.org/story/?utm_source=x"
    document["sources"].append({"key": "s2", "title": "Copy", "url": "http://example.org/story"})

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [e.path for e in raised.value.errors] == ["sources[1].url"]


def test_repeated_keys_unknown_sections_and_a_missing_format_are_reported():
    document = minimal()
    document["claims"].append(dict(document["claims"][0]))
    document["claim"] = []
    del document["format"]

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [str(e) for e in raised.value.errors] == [
        'format: expected "claimset/1", got null',
        'claim: unknown section "claim"',
        'claims[1].key: repeats the key "c1" of claims[0]',
    ]


def test_dangling_source_and_via_references_are_errors():
    document = minimal()
    document["claims"][0]["appearances"] = [{"source": "nope", "via": ["gone"]}]

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [e.path for e in raised.value.errors] == [
        "claims[0].appearances[0].source",
        "claims[0].appearances[0].via[0]",
    ]


def test_reimport_with_a_changed_claim_updates_it_and_replaces_its_appearances():
    import_claimset(minimal())
    changed = minimal(text="At least 400 fighters fled.")
    changed["claims"][0]["appearances"][0]["speaker"] = {"description": "a commander"}

    summary = import_claimset(changed)

    assert summary.counts["claims"].updated == 1
    claim = Claim.objects.get(key="c1")
    assert claim.text == "At least 400 fighters fled."
    assert list(claim.appearances.values_list("speaker_description", flat=True)) == ["a commander"]


def test_reimport_keeps_the_review_status():
    import_claimset(minimal())
    Claim.objects.filter(key="c1").update(status=Claim.Status.DISPUTED)

    import_claimset(minimal(text="Changed wording."))

    assert Claim.objects.get(key="c1").status == Claim.Status.DISPUTED


def test_entity_affiliation_may_name_an_entity_later_in_the_file():
    document = minimal()
    document["entities"].insert(
        0, {"key": "p", "name": "A Spokesman", "kind": "person", "affiliation": "ISIS"}
    )

    import_claimset(document)

    assert Entity.objects.get(key="p").affiliation.key == "is"


def test_relations_are_imported_and_idempotent():
    document = minimal()
    document["claims"].append({"key": "c2", "text": "Fewer than 100 escaped."})
    document["relations"] = [{"claims": ["c1", "c2"], "type": "contradicts", "note": "figures"}]

    import_claimset(document)
    again = import_claimset(document)

    assert ClaimRelation.objects.get().note == "figures"
    assert again.counts["relations"].unchanged == 1


def _claimset_of(n):
    document = minimal()
    document["claims"] = [
        {
            **document["claims"][0],
            "key": f"c{i}",
            "subject": "Sirt" if i % 2 else "sirte",
            "appearances": [
                {"source": "s1", "quote": "at least 400 fighters escaped", "via": ["s1"]}
            ],
        }
        for i in range(n)
    ]
    return document


def test_import_runs_queries_per_batch_not_per_claim():
    with CaptureQueriesContext(connection) as small:
        import_claimset(_claimset_of(10))
    delete_everything()
    with CaptureQueriesContext(connection) as large:
        import_claimset(_claimset_of(400))

    # A query per row would add 390 claims + 390 appearances + 390 via links. What may grow is
    # the number of INSERT and UPDATE batches (SQLite caps the parameters of one statement):
    # the term index alone takes ten rows a claim here (four terms and their six pairs).
    # A query per row would add 390 claims + 390 appearances + 390 via links (and as many
    # history entries). What may grow is the number of INSERT batches: SQLite caps the
    # parameters of one statement at 999, so the history rows of claims and appearances (35
    # and 15 columns) go in batches of 28 and 66 rows.
    assert len(large) - len(small) < 60


def test_a_phrase_unit_that_differs_from_the_unit_field_is_an_error_even_when_convertible():
    document = minimal(
        predicate="distance", value={"quantity": {"as_written": "40 miles", "unit": "km"}}
    )
    document["predicates"] = [
        {"key": "distance", "name": "distance", "value_type": "quantity", "unit": "km"}
    ]

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [e.path for e in raised.value.errors] == ["claims[0].value.quantity.unit"]


def test_of_two_sources_published_the_same_first_day_the_more_precise_date_resolves_phrases():
    document = minimal(predicate="began", value={"date": {"as_written": "last month"}})
    document["predicates"] = [{"key": "began", "name": "start date", "value_type": "date"}]
    document["sources"][0]["published"] = "2015"
    document["sources"].append({"key": "s0", "title": "Same day", "published": "2015-01-01"})
    document["claims"][0]["appearances"].append({"source": "s0"})

    import_claimset(document)

    assert Claim.objects.get(key="c1").date_from == datetime.date(2014, 12, 1)


def test_malformed_urls_of_outlets_and_sources_are_errors_at_their_paths():
    document = minimal()
    document["outlets"][0]["url"] = "not a url"
    document["sources"][0]["url"] = "http//missing-colon"

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [str(e) for e in raised.value.errors] == [
        'outlets[0].url: not a valid URL: "not a url"',
        'sources[0].url: not a valid URL: "http//missing-colon"',
    ]


# --- review decisions through a claimset: the reviewer role, and what is left out is kept ---------


def graded(reliability: str | None, **claim_fields) -> dict:
    document = minimal(**claim_fields)
    if reliability is not None:
        document["outlets"][0]["reliability"] = reliability
    return document


def stored_state() -> list:
    """Every row an import writes, and the review records, as plain values."""
    return [
        table_counts(),
        list(Outlet.objects.values_list("key", "reliability")),
        list(Claim.objects.values_list("key", "text", "status", "version")),
        ClaimStatusChange.objects.count(),
        Claim.history.count(),
    ]


def test_an_editor_grading_an_outlet_through_a_claimset_is_refused_at_its_path(editor):
    import_claimset(graded("B"))
    before = stored_state()

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(graded("F", text="A changed wording."), by=editor)

    assert [(e.path, e.message) for e in raised.value.errors] == [
        (
            "outlets[0].reliability",
            "an-editor may not grade outlets: it takes the reviewers group (leave reliability "
            "out to keep the stored grade)",
        )
    ]
    assert stored_state() == before


def test_an_editor_grading_a_new_outlet_through_a_claimset_is_refused(editor):
    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(graded("A"), by=editor)

    assert [e.path for e in raised.value.errors] == ["outlets[0].reliability"]
    assert table_counts() == [0] * 8


def test_a_reviewer_grades_an_outlet_through_a_claimset(reviewer):
    import_claimset(graded("B"))

    import_claimset(graded("F"), by=reviewer)

    assert Outlet.objects.get(key="o1").reliability == "F"
    latest = Outlet.history.filter(key="o1").first()
    assert (latest.reliability, latest.history_user) == ("F", reviewer)


def test_leaving_reliability_out_keeps_the_stored_grade(editor):
    import_claimset(graded("B"))

    summary = import_claimset(graded(None), by=editor)

    assert Outlet.objects.get(key="o1").reliability == "B"
    assert summary.counts["outlets"].unchanged == 1


def test_an_editor_may_send_the_grade_already_stored(editor):
    import_claimset(graded("B"))

    summary = import_claimset(graded("B", text="A changed wording."), by=editor)

    assert Outlet.objects.get(key="o1").reliability == "B"
    assert summary.counts["claims"].updated == 1


def test_an_editor_changing_a_claims_status_through_a_claimset_is_refused_at_its_path(editor):
    import_claimset(minimal())
    before = stored_state()

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(minimal(status="refuted", text="Changed."), by=editor)

    assert [(e.path, e.message) for e in raised.value.errors] == [
        (
            "claims[0].status",
            "an-editor may not change the status of claims: it takes the reviewers group",
        )
    ]
    assert stored_state() == before


def test_an_editor_may_send_the_status_already_stored(editor):
    import_claimset(minimal())
    Claim.objects.filter(key="c1").update(status=Claim.Status.DISPUTED)

    import_claimset(minimal(status="disputed"), by=editor)

    assert Claim.objects.get(key="c1").status == Claim.Status.DISPUTED


def test_a_reviewer_changes_a_claims_status_through_a_claimset_as_the_review_does(reviewer):
    import_claimset(minimal())
    version = Claim.objects.get(key="c1").version

    summary = import_claimset(minimal(status="disputed"), by=reviewer)

    claim = Claim.objects.get(key="c1")
    assert (claim.status, claim.version) == (Claim.Status.DISPUTED, version + 1)
    assert summary.counts["claims"].updated == 1
    (change,) = ClaimStatusChange.objects.filter(claim=claim)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "unreviewed",
        "disputed",
        reviewer,
        IMPORTED,
    )
    assert claim.history.first().history_user == reviewer


def test_vetting_through_a_claimset_keeps_the_review_rules(reviewer):
    import_claimset(minimal())
    before = stored_state()

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(minimal(status="vetted"), by=reviewer)

    assert [(e.path, e.message) for e in raised.value.errors] == [
        (
            "claims[0].status",
            'the claim cannot be vetted: no current rating says "likely" or higher',
        )
    ]
    assert stored_state() == before


def test_a_reviewer_vets_a_rated_claim_through_a_claimset(reviewer):
    import_claimset(minimal())
    claim = Claim.objects.get(key="c1")
    claim_rate(
        by=reviewer,
        claim_id=claim.pk,
        likelihood="likely",
        confidence="moderate",
        credibility="3",
        rationale="One wire report.",
    )

    import_claimset(minimal(status="vetted"), by=reviewer)

    assert Claim.objects.get(key="c1").status == Claim.Status.VETTED


def test_an_import_without_a_user_ignores_status_as_the_spec_says():
    import_claimset(minimal(status="refuted"))

    assert Claim.objects.get(key="c1").status == Claim.Status.UNREVIEWED
    assert not ClaimStatusChange.objects.exists()


def test_history_entries_of_an_import_name_the_user_who_sent_it(editor):
    import_claimset(minimal(), by=editor)
    claim = Claim.objects.get(key="c1")

    for entries in (
        claim.history.all(),
        Outlet.history.filter(key="o1"),
        Appearance.history.filter(claim_id=claim.pk),
    ):
        assert [e.history_user for e in entries] == [editor]

    (first,) = Appearance.objects.filter(claim=claim)

    import_claimset(
        minimal(text="A changed wording.", appearances=[{"source": "s1", "quote": "escaped"}]),
        by=editor,
    )

    assert claim.history.first().history_user == editor
    gone = Appearance.history.filter(id=first.pk).order_by("history_id")
    assert [(e.history_type, e.history_user) for e in gone] == [("+", editor), ("-", editor)]


# --- a material change returns a vetted claim to review ------------------------------------------


def vetted_claim() -> Claim:
    import_claimset(minimal())
    Claim.objects.filter(key="c1").update(status=Claim.Status.VETTED)
    return Claim.objects.get(key="c1")


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"text": "At least 500 fighters escaped Sirte."}, "text"),
        (
            {"value": {"quantity": {"as_written": "at least 500", "unit": "fighters"}}},
            "quantity_low",
        ),
        ({"negated": True}, "negated"),
        ({"valid": {"from": "2016-12"}}, "valid_from, valid_from_precision"),
        ({"appearances": [{"source": "s1", "quote": "fighters escaped"}]}, "appearances"),
    ],
)
def test_a_material_change_returns_a_vetted_claim_to_review_with_a_note(editor, change, fields):
    claim = vetted_claim()

    import_claimset(minimal(**change), by=editor)

    claim.refresh_from_db()
    assert claim.status == Claim.Status.UNDER_REVIEW
    assert not facts_queryset().filter(pk=claim.pk).exists()
    (note,) = ClaimStatusChange.objects.filter(claim=claim)
    assert (note.from_status, note.to_status, note.changed_by) == (
        "vetted",
        "under_review",
        editor,
    )
    assert note.reason.startswith("returned to review: material change to a vetted claim")
    for field in fields.split(", "):
        assert field in note.reason
    assert (claim.history.first().status, claim.history.first().history_user) == (
        "under_review",
        editor,
    )


def test_an_identical_reimport_leaves_a_vetted_claim_vetted(editor):
    claim = vetted_claim()

    summary = import_claimset(minimal(), by=editor)

    claim.refresh_from_db()
    assert (claim.status, summary.changed) == (Claim.Status.VETTED, False)
    assert not ClaimStatusChange.objects.exists()


def test_a_change_that_says_the_same_leaves_a_vetted_claim_vetted_and_raises_its_version(editor):
    import_claimset(minimal())
    Entity.objects.create(key="libya", name="Libya", kind="place")
    Claim.objects.filter(key="c1").update(status=Claim.Status.VETTED)
    version = Claim.objects.get(key="c1").version

    import_claimset(minimal(location="libya"), by=editor)  # where, not what: not material

    claim = Claim.objects.get(key="c1")
    assert (claim.status, claim.version) == (Claim.Status.VETTED, version + 1)
    assert not ClaimStatusChange.objects.exists()


def review_while_importing(monkeypatch, status: str) -> None:
    """A reviewer moves claim c1 to `status` after the import read it and before it writes."""
    from claims.services import claimsets

    bulk_save = claimsets.claims_bulk_save

    def reviewed_meanwhile(**kwargs):
        Claim.objects.filter(key="c1").update(status=status)
        return bulk_save(**kwargs)

    monkeypatch.setattr(claimsets, "claims_bulk_save", reviewed_meanwhile)


def test_a_claim_vetted_while_the_import_ran_is_returned_to_review(editor, monkeypatch):
    import_claimset(minimal())
    review_while_importing(monkeypatch, Claim.Status.VETTED)

    import_claimset(minimal(text="At least 500 fighters escaped Sirte."), by=editor)

    assert Claim.objects.get(key="c1").status == Claim.Status.UNDER_REVIEW
    assert ClaimStatusChange.objects.get().from_status == "vetted"


def test_a_status_another_reviewer_set_while_the_import_ran_is_no_change(reviewer, monkeypatch):
    import_claimset(minimal())
    review_while_importing(monkeypatch, Claim.Status.DISPUTED)

    import_claimset(minimal(status="disputed"), by=reviewer)

    assert Claim.objects.get(key="c1").status == Claim.Status.DISPUTED
    assert not ClaimStatusChange.objects.exists()


def test_an_import_without_a_user_returns_a_vetted_claim_to_review_as_the_system():
    claim = vetted_claim()

    import_claimset(minimal(text="At least 500 fighters escaped Sirte."))

    (note,) = ClaimStatusChange.objects.filter(claim=claim)
    assert note.changed_by.get_username() == SYSTEM_USERNAME
    assert not note.changed_by.is_active
    assert not note.changed_by.has_usable_password()


# --- what the database cannot store: refused with its path, nothing written -----------------------


def quantity(low) -> dict:
    return {"quantity": {"low": low, "high": None, "unit": "fighters"}}


@pytest.mark.parametrize(
    ("low", "message"),
    [
        (float("inf"), "a number too large to store (over 1.8e308, read as infinity)"),
        (float("-inf"), "a number too large to store (over 1.8e308, read as infinity)"),
        (float("nan"), "expected a finite number, got NaN"),
    ],
)
def test_a_non_finite_quantity_is_refused_at_its_path_and_nothing_is_written(low, message):
    import_claimset(minimal())
    before = stored_state()

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(minimal(text="Changed.", value=quantity(low)))

    assert [(e.path, e.message) for e in raised.value.errors] == [
        ("claims[0].value.quantity.low", message)
    ]
    assert stored_state() == before


def test_a_whole_number_beyond_a_double_is_refused_at_its_path():
    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(minimal(value=quantity(10**400)))

    assert [(e.path, e.message) for e in raised.value.errors] == [
        ("claims[0].value.quantity", "a number too large to store (over 1.8e308)")
    ]
    assert table_counts() == [0] * 8


def test_a_lone_surrogate_or_a_nul_anywhere_is_refused_at_its_path_and_nothing_is_written():
    import_claimset(minimal())
    before = stored_state()
    document = minimal(text="Lone \ud800 surrogate", subject="sirte\x00")
    document["sources"][0]["authors"] = ["A. Writer", "\udc00"]
    document["outlets"][0]["name\ud83d"] = "a field name"

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert sorted((e.path, e.message) for e in raised.value.errors) == [
        ("claims[0].subject", "contains a NUL character, which cannot be stored"),
        ("claims[0].text", "contains a lone surrogate (not a character), which cannot be stored"),
        (
            "outlets[0].name\\ud83d",
            "contains a lone surrogate (not a character), which cannot be stored",
        ),
        (
            "sources[0].authors[1]",
            "contains a lone surrogate (not a character), which cannot be stored",
        ),
    ]
    assert stored_state() == before


def test_a_lone_surrogate_in_a_key_is_refused_and_the_error_can_be_written_out():
    document = minimal(key="c\udfff")

    with pytest.raises(ClaimsetInvalid) as raised:
        import_claimset(document)

    assert [e.path for e in raised.value.errors] == ["claims[0].key"]
    for error in raised.value.errors:
        str(error).encode("utf-8")  # escaped: no lone surrogate left in the message
    assert table_counts() == [0] * 8


# --- the command: --user, and what it refuses ----------------------------------------------------


def test_import_command_imports_as_the_user_named_with_user(tmp_path, reviewer):
    path = tmp_path / "graded.json"
    path.write_text(json.dumps(graded("A")))

    call_command("import_claims", str(path), "--user", reviewer.username, stdout=io.StringIO())

    assert Outlet.objects.get(key="o1").reliability == "A"
    assert Claim.objects.get(key="c1").history.first().history_user == reviewer


def test_import_command_refuses_a_grade_from_an_editor_with_its_path(tmp_path, editor):
    path = tmp_path / "graded.json"
    path.write_text(json.dumps(graded("A")))
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_claims", str(path), "--user", editor.username, stderr=stderr)

    assert "outlets[0].reliability: an-editor may not grade outlets" in stderr.getvalue()
    assert table_counts() == [0] * 8


def test_import_command_refuses_json_nested_too_deep_with_an_error_not_a_traceback(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)

    with pytest.raises(CommandError, match="is not valid JSON"):
        call_command("import_claims", str(path))


def test_import_command_refuses_an_unknown_user(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(minimal()))

    with pytest.raises(CommandError, match="no user is named 'nobody'"):
        call_command("import_claims", str(path), "--user", "nobody")
    assert table_counts() == [0] * 8


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ('"low": 1e309', "claims[0].value.quantity.low"),
        ('"low": NaN', "claims[0].value.quantity.low"),
        ('"low": 400, "unit": "fighters\\ud800"', "claims[0].value.quantity.unit"),
        ('"low": 400, "unit": "fighters\\u0000"', "claims[0].value.quantity.unit"),
    ],
)
def test_import_command_refuses_what_cannot_be_stored_with_its_path(tmp_path, raw, path):
    import_claimset(minimal())
    before = stored_state()
    text = json.dumps(minimal(text="Changed.", value={"quantity": {"low": 1}}))
    text = text.replace('"low": 1', raw)
    file = tmp_path / "c.json"
    file.write_text(text)
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_claims", str(file), stderr=stderr)

    assert stderr.getvalue().startswith(f"{path}: ")
    assert stored_state() == before
