"""The admin's "Propose claims" desk (claims/admin/candidates.py): candidates of a source's
text accepted, edited or rejected in one form, stored through the claim services."""

import datetime

import pytest
from django.urls import reverse

from claims.models import Appearance, Claim, Contradiction, Predicate, ValueType
from sources.models import Source
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    EntityAliasFactory,
    EntityFactory,
    PredicateFactory,
    SourceFactory,
)
from tracker.models import Precision

ARTICLE = (
    "At least 400 fighters escaped Sirte, a Libyan commander said.\n\n"
    "The offensive against the city began in May 2016.\n\n"
    "About 80,000 people lived in Sirte before the war.\n\n"
    "The battle lasted 3 months."
)


@pytest.fixture
def desk(db):
    sirte = EntityFactory(key="sirte", name="Sirte", normalized_name="sirte")
    EntityAliasFactory(entity=sirte, name="Surt", normalized="surt")
    escaped = PredicateFactory(
        key="escaped",
        name="number of fighters who escaped",
        normalized_name="numberoffighterswhoescaped",
        unit="fighters",
    )
    # Already stored elsewhere: fewer than 100 escaped. "At least 400" contradicts it.
    earlier = ClaimFactory(
        key="few-escaped",
        subject=sirte,
        predicate=escaped,
        value_as_written="fewer than 100",
        quantity_low=0,
        quantity_high=100,
        quantity_high_inclusive=False,
        quantity_given_low=0,
        quantity_given_high=100,
    )
    AppearanceFactory(claim=earlier, quote="At least 400 fighters escaped the city")
    source = SourceFactory(
        key="gazette",
        text=ARTICLE,
        published=datetime.date(2016, 8, 1),
        published_precision=Precision.DAY,
    )
    return {"source": source, "escaped": escaped, "sirte": sirte}


def desk_url(source):
    return reverse("admin:claims_propose_source", args=[source.pk])


def decisions(page, **per_row):
    """The form as proposed (the page's initial values), with the given rows changed."""
    formset = page.context["formset"]
    data = {
        "step": "accept",
        "candidate-TOTAL_FORMS": str(formset.total_form_count()),
        "candidate-INITIAL_FORMS": str(formset.initial_form_count()),
    }
    for index, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if name == "negated":
                if value:
                    data[f"candidate-{index}-{name}"] = "on"
                continue
            data[f"candidate-{index}-{name}"] = "" if value is None else str(value)
        for name, value in per_row.get(f"row{index}", {}).items():
            data[f"candidate-{index}-{name}"] = value
    return data


def test_the_desk_lists_candidates_in_text_order_with_quotes_highlighted_and_guesses(
    client, editor, desk
):
    client.force_login(editor)
    page = client.get(desk_url(desk["source"]))
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [r.candidate.value_words for r in rows] == [
        "At least 400",
        "May 2016",
        "About 80,000",
        "3",
    ]
    html = page.content.decode()
    assert (
        "<mark><strong>At least 400</strong> fighters escaped Sirte, a Libyan commander said."
        in html
    )
    first = rows[0].form.initial
    assert first["predicate"] == "escaped"  # the stored predicate best matching
    assert first["subject"] == "sirte"
    assert first["speaker_description"] == "a Libyan commander"
    assert rows[0].value == "[400, open) fighters"
    assert not Claim.objects.filter(appearances__source=desk["source"]).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_accept_two_edit_one_reject_one_stores_exactly_those_with_quotes_and_raises_flags(
    client, editor, desk
):
    client.force_login(editor)
    source = desk["source"]
    page = client.get(desk_url(source))
    data = decisions(
        page,
        row0={"decision": "accept"},
        row1={"decision": "accept", "new_predicate": "date the offensive began"},
        row2={
            "decision": "accept",
            "text": "Sirte had about 75,000 inhabitants before the war.",
            "value_as_written": "about 75,000",
            "new_predicate": "population",
            "subject": "Surt",
        },
        row3={"decision": "reject"},
    )
    result = client.post(desk_url(source), data)
    assert result.status_code == 200, result.content.decode()[:2000]
    created = Claim.objects.filter(appearances__source=source).order_by("pk")
    assert [c.text for c in created] == [
        "At least 400 fighters escaped Sirte, a Libyan commander said.",
        "The offensive against the city began in May 2016.",
        "Sirte had about 75,000 inhabitants before the war.",
    ]
    escaped, began, population = created
    assert (escaped.predicate, escaped.subject, escaped.quantity_low) == (
        desk["escaped"],
        desk["sirte"],
        400,
    )
    assert (began.predicate.name, began.predicate.value_type) == (
        "date the offensive began",
        ValueType.DATE,
    )
    assert (began.date_from, began.date_to) == (
        datetime.date(2016, 5, 1),
        datetime.date(2016, 5, 31),
    )
    assert (population.subject, population.quantity_low, population.quantity_high) == (
        desk["sirte"],
        67500,
        82500,
    )
    quotes = list(
        Appearance.objects.filter(source=source)
        .order_by("claim_id")
        .values_list("quote", flat=True)
    )
    assert quotes == [
        "At least 400 fighters escaped Sirte, a Libyan commander said.",
        "The offensive against the city began in May 2016.",
        "About 80,000 people lived in Sirte before the war.",
    ]
    assert Appearance.objects.get(claim=escaped).speaker_description == "a Libyan commander"
    flag = Contradiction.objects.get()
    assert {flag.claim_a.key, flag.claim_b.key} == {"few-escaped", escaped.key}
    html = result.content.decode()
    assert "3 claims created" in html
    assert "1 contradiction flag raised" in html
    assert escaped.key in html


def test_candidates_already_stored_as_claims_of_the_source_are_marked_not_proposed(
    client, editor, desk
):
    client.force_login(editor)
    source = desk["source"]
    stored = ClaimFactory(key="stored-400", value_as_written="at least 400")
    AppearanceFactory(claim=stored, source=source, quote="At least 400 fighters escaped Sirte")
    page = client.get(desk_url(source))
    rows = page.context["rows"]
    assert rows[0].stored.key == "stored-400" and rows[0].form is None
    assert [r.form is not None for r in rows[1:]] == [True, True, True]
    assert len(page.context["formset"].forms) == 3
    assert "Already stored as claim" in page.content.decode()


def test_an_invalid_accepted_row_stores_nothing_and_says_what_is_wrong(client, editor, desk):
    client.force_login(editor)
    source = desk["source"]
    page = client.get(desk_url(source))
    data = decisions(
        page,
        row0={"decision": "accept"},
        row1={"decision": "accept", "value_as_written": "four hundredd", "predicate": "escaped"},
    )
    result = client.post(desk_url(source), data)
    assert result.status_code == 200
    assert not Claim.objects.filter(appearances__source=source).exists()
    assert "four hundredd" in result.content.decode()
    errors = result.context["formset"].forms[1].errors
    assert "value_as_written" in errors


def test_a_subject_that_names_no_entity_is_refused_on_its_row(client, editor, desk):
    client.force_login(editor)
    page = client.get(desk_url(desk["source"]))
    data = decisions(page, row0={"decision": "accept", "subject": "Atlantis"})
    result = client.post(desk_url(desk["source"]), data)
    assert "No entity has the key, name or alias" in str(result.context["formset"].forms[0].errors)
    assert not Claim.objects.filter(appearances__source=desk["source"]).exists()


def test_a_pasted_html_article_becomes_a_source_only_when_candidates_are_accepted(
    client, editor, desk
):
    client.force_login(editor)
    url = reverse("admin:claims_propose_new")
    html = (
        "<html><head><title>x</title></head><body><nav>Home | News</nav><article>"
        "<h1>Sirte falls</h1><p>At least 400 fighters escaped Sirte, a Libyan commander said "
        "on Thursday, as forces took the last districts of the coastal city.</p>"
        "<p>The offensive against the city began in May 2016 and lasted for months.</p>"
        "</article><footer>Copyright 2016</footer></body></html>"
    )
    form = {
        "step": "read",
        "source-title": "Sirte falls",
        "source-language": "en",
        "source-authors": "[]",
        "source-published_as_text": "2016-08-05",
        "source-text": html,
    }
    page = client.post(url, form)
    assert page.status_code == 200, page.content.decode()[:3000]
    assert not Source.objects.filter(title="Sirte falls").exists()
    rows = page.context["rows"]
    assert [r.candidate.value_words for r in rows] == ["At least 400", "Thursday", "May 2016"]
    text = page.context["source"].text
    assert "<p>" not in text and "Home | News" not in text
    data = decisions(page, row0={"decision": "accept"})
    data.update({k: v for k, v in form.items() if k.startswith("source-")})
    data["source-text"] = text
    result = client.post(url, data)
    assert result.status_code == 200, result.content.decode()[:3000]
    source = Source.objects.get(title="Sirte falls")
    assert source.text == text
    claim = Claim.objects.get(appearances__source=source)
    assert claim.predicate == desk["escaped"]
    assert Appearance.objects.get(claim=claim).quote.startswith("At least 400 fighters")


def test_outsiders_and_readers_are_refused(client, reader, desk):
    client.force_login(reader)
    assert client.get(desk_url(desk["source"])).status_code == 403
    assert client.get(reverse("admin:claims_propose_new")).status_code == 403


def test_the_source_page_links_to_the_desk(client, editor, desk):
    client.force_login(editor)
    page = client.get(reverse("admin:sources_source_change", args=[desk["source"].pk]))
    assert desk_url(desk["source"]) in page.content.decode()


def test_nothing_is_written_by_reading_the_candidates(client, editor, desk):
    client.force_login(editor)
    before = (Claim.objects.count(), Predicate.objects.count(), Source.objects.count())
    client.get(desk_url(desk["source"]))
    assert (Claim.objects.count(), Predicate.objects.count(), Source.objects.count()) == before
