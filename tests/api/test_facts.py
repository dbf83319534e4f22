import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import AppearanceVia, Claim, Contradiction
from claims.services.fact_documents import fact_documents_refresh
from sources.models import SourceCitation
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    EntityAliasFactory,
    EntityFactory,
    OutletFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

FACTS = "/api/v1/facts/"


def vetted(**kwargs) -> Claim:
    return ClaimFactory(status=Claim.Status.VETTED, **kwargs)


def keys(response) -> list[str]:
    return [fact["key"] for fact in response.json()["results"]]


def test_facts_lists_only_vetted_claims_without_a_login(anonymous):
    fact = vetted()
    ClaimFactory(status=Claim.Status.UNREVIEWED)
    ClaimFactory(status=Claim.Status.REFUTED)
    response = anonymous.get(FACTS)
    assert response.status_code == 200
    assert keys(response) == [fact.key]


def test_a_fact_has_its_value_subject_predicate_and_every_appearance(anonymous):
    outlet = OutletFactory(name="Reuters", reliability="B")
    source = SourceFactory(outlet=outlet, title="Fighters escape", url="https://example.org/a")
    speaker = EntityFactory(name="A commander", kind="person")
    fact = vetted(quantity_high=None)
    AppearanceFactory(claim=fact, source=source, speaker=speaker)
    data = anonymous.get(f"{FACTS}{fact.key}/").json()
    assert data["text"] == fact.text
    assert data["subject"] == {
        "key": fact.subject.key,
        "name": fact.subject.name,
        "kind": fact.subject.kind,
    }
    assert data["predicate"]["name"] == fact.predicate.name
    assert data["value"]["type"] == "quantity"
    assert data["value"]["quantity"] == {
        "low": 400.0,
        "high": None,
        "low_inclusive": True,
        "high_inclusive": True,
        "unit": "fighters",
    }
    assert data["independent_sources"] == 1
    assert data["open_contradictions"] == 0
    [appearance] = data["appearances"]
    assert appearance["quote"] == "At least 400 fighters escaped the city"
    assert appearance["speaker"]["name"] == "A commander"
    assert appearance["source"]["title"] == "Fighters escape"
    assert appearance["source"]["url"] == "https://example.org/a"
    assert appearance["source"]["published"] == "2015-07-01"
    assert appearance["source"]["published_precision"] == "month"
    assert appearance["source"]["outlet"] == {
        "key": outlet.key,
        "name": "Reuters",
        "reliability": "B",
    }


def test_independent_sources_count_a_rewrite_of_a_wire_report_once(anonymous):
    fact = vetted()
    wire = SourceFactory()
    rewrite = SourceFactory()
    SourceCitation.objects.create(citing=rewrite, cited=wire)
    AppearanceFactory(claim=fact, source=wire)
    AppearanceFactory(claim=fact, source=rewrite, position=1)
    relayed = AppearanceFactory(claim=fact, source=SourceFactory(), position=2)
    AppearanceVia.objects.create(appearance=relayed, source=wire)
    AppearanceFactory(claim=fact, source=SourceFactory(), position=3)
    assert anonymous.get(f"{FACTS}{fact.key}/").json()["independent_sources"] == 2


def test_open_contradictions_count_only_open_flags(anonymous):
    fact = vetted()
    ContradictionFactory(claim_a=fact)
    ContradictionFactory(claim_b=fact, status=Contradiction.Status.CONFIRMED)
    assert anonymous.get(f"{FACTS}{fact.key}/").json()["open_contradictions"] == 1


def test_an_unvetted_claim_is_not_found_as_a_fact(anonymous):
    claim = ClaimFactory()
    response = anonymous.get(f"{FACTS}{claim.key}/")
    assert response.status_code == 404
    body = response.json()
    assert body == {"status": 404, "code": "not_found", "message": body["message"], "errors": []}


def test_subject_filter_finds_facts_by_key_name_or_alias(anonymous):
    isis = EntityFactory(name="Islamic State")
    EntityAliasFactory(entity=isis, name="ISIS", normalized="isis")
    fact = vetted(subject=isis)
    vetted()
    for reference in ("ISIS", "islamic state", isis.key):
        assert keys(anonymous.get(FACTS, {"subject": reference})) == [fact.key]
    assert keys(anonymous.get(FACTS, {"subject": "nobody"})) == []


def test_predicate_outlet_and_text_filters(anonymous):
    first, second = vetted(text="Fighters fled Sirte."), vetted(text="Fighters held Derna.")
    outlet = OutletFactory(name="Libya Herald")
    AppearanceFactory(claim=first, source=SourceFactory(outlet=outlet))
    AppearanceFactory(claim=second, source=SourceFactory())
    assert keys(anonymous.get(FACTS, {"predicate": second.predicate.name})) == [second.key]
    assert keys(anonymous.get(FACTS, {"outlet": "libya herald"})) == [first.key]
    assert keys(anonymous.get(FACTS, {"outlet": outlet.key})) == [first.key]
    assert keys(anonymous.get(FACTS, {"q": "sirte"})) == [first.key]


def test_publication_date_filters(anonymous):
    old, new = vetted(), vetted()
    AppearanceFactory(claim=old, source=SourceFactory(published=datetime.date(2014, 1, 1)))
    AppearanceFactory(claim=new, source=SourceFactory(published=datetime.date(2016, 5, 1)))
    assert keys(anonymous.get(FACTS, {"published_after": "2015-01-01"})) == [new.key]
    assert keys(anonymous.get(FACTS, {"published_before": "2015-01-01"})) == [old.key]


def test_valid_at_filter_uses_the_time_a_fact_holds(anonymous):
    then = vetted(holds_from=datetime.date(2015, 1, 1), holds_to=datetime.date(2015, 12, 31))
    always = vetted()
    assert keys(anonymous.get(FACTS, {"valid_at": "2015-06-01"})) == [then.key, always.key]
    assert keys(anonymous.get(FACTS, {"valid_at": "2017-06-01"})) == [always.key]


def test_a_malformed_filter_is_a_400_naming_the_parameter(anonymous):
    response = anonymous.get(FACTS, {"valid_at": "June"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert [e["path"] for e in body["errors"]] == ["valid_at"]


def test_cursor_pages_cover_every_fact_once_in_a_stable_order(anonymous):
    facts = [vetted() for _ in range(7)]
    seen, url = [], FACTS + "?page_size=3"
    while url:
        response = anonymous.get(url)
        seen += keys(response)
        url = response.json()["next"]
    assert seen == [f.key for f in facts]


def test_a_cursor_that_was_not_made_here_is_a_400(anonymous):
    response = anonymous.get(FACTS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "cursor"


def test_a_page_of_facts_is_a_constant_number_of_queries(anonymous):
    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert anonymous.get(FACTS, {"page_size": 50}).status_code == 200
        return len(captured)

    fact = vetted()
    AppearanceFactory(claim=fact)
    few = queries_for_page()
    for _ in range(10):
        more = vetted()
        for position in range(3):
            appearance = AppearanceFactory(claim=more, position=position)
            AppearanceVia.objects.create(appearance=appearance, source=SourceFactory())
    assert queries_for_page() == few
    assert not [q for q in captured_sql(anonymous) if "COUNT(" in q.upper()]


def captured_sql(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        client.get(FACTS)
    return [q["sql"] for q in captured.captured_queries]


def test_etag_and_if_none_match_give_a_304(anonymous):
    fact = vetted()
    for url in (FACTS, f"{FACTS}{fact.key}/"):
        first = anonymous.get(url)
        etag = first["ETag"]
        again = anonymous.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304
        Claim.objects.filter(pk=fact.pk).update(text=f"Changed for {url}.")
        # Facts are served from stored documents, which the write services rebuild; a raw
        # update bypasses them, so the test rebuilds as they would.
        fact_documents_refresh(claim_ids=[fact.pk])
        assert anonymous.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_csv_has_one_row_per_appearance_and_defuses_formulas(anonymous):
    fact = vetted(text="=HYPERLINK(1) fighters")
    AppearanceFactory(claim=fact)
    AppearanceFactory(claim=fact, position=1, source=SourceFactory(title="Second report"))
    vetted(text="No appearances yet.")
    for url in (FACTS, f"{FACTS}{fact.key}/"):
        response = anonymous.get(url, {"format": "csv"})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        mine = [r for r in rows if r["key"] == fact.key]
        assert [r["source_title"] for r in mine] == [
            fact.appearances.first().source.title,
            "Second report",
        ]
        assert mine[0]["text"] == "'=HYPERLINK(1) fighters"
    rows = list(
        csv.DictReader(io.StringIO(anonymous.get(FACTS, {"format": "csv"}).content.decode()))
    )
    assert len(rows) == 3


def test_errors_are_json_whatever_format_was_asked(anonymous):
    response = anonymous.get(FACTS + "nope/", {"format": "csv"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_csv_defuses_formulas_behind_white_space_and_line_breaks(anonymous):
    fact = vetted(text=" =HYPERLINK(1) fighters", quantity_low=-5.0, quantity_given_low=-5.0)
    AppearanceFactory(claim=fact, quote="\n@SUM(A1) fighters")

    rows = list(
        csv.DictReader(io.StringIO(anonymous.get(FACTS, {"format": "csv"}).content.decode()))
    )

    assert rows[0]["text"] == "' =HYPERLINK(1) fighters"
    assert rows[0]["quote"] == "'\n@SUM(A1) fighters"
    assert rows[0]["quantity_low"] == "-5.0"  # a number, not a formula
