import datetime
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRating,
    ClaimRelation,
    ClaimStatusChange,
    Contradiction,
    ContradictionReport,
    ContradictionScan,
    Predicate,
    PredicateAlias,
    ReportEdition,
    Supersession,
    ValueType,
)
from sources.models import Entity, Outlet, Source
from tests.admin import PERMISSION_QUERIES, changelist_queries
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ClaimRelationFactory,
    EntityFactory,
    OutletFactory,
    PredicateAliasFactory,
    PredicateFactory,
    SourceFactory,
)
from tracker.models import Precision

# Queries of one changelist GET, whatever the number of rows: the session, the user, two counts
# (filtered and full), the page of rows with their related rows joined, and the filters' choices
# (the claim list's predicates); the claim list also reads its page's appearances, their via
# sources and the citations, for the independent-source column.
CLAIM_CHANGELIST_QUERIES = 9 + PERMISSION_QUERIES
APPEARANCE_CHANGELIST_QUERIES = 5 + PERMISSION_QUERIES
CLAIM_RELATION_CHANGELIST_QUERIES = 5 + PERMISSION_QUERIES
PREDICATE_CHANGELIST_QUERIES = 5 + PERMISSION_QUERIES


# --- changelists -------------------------------------------------------------------------------


def add_claims(count: int, first: int) -> list[Claim]:
    """Claims, each with its own subject, predicate, entity value and an appearance in a source
    of its own outlet, so that a query per row for any of them would show."""
    entities = Entity.objects.bulk_create(
        Entity(key=f"bulk-entity-{n}-{role}", name=f"Entity {n} {role}", kind="organization")
        for n in range(first, first + count)
        for role in ("subject", "value")
    )
    predicates = Predicate.objects.bulk_create(
        Predicate(key=f"bulk-predicate-{n}", name=f"controlled by {n}", value_type="entity")
        for n in range(first, first + count)
    )
    claims = Claim.objects.bulk_create(
        Claim(
            key=f"bulk-claim-{n}",
            text=f"Town {n} is controlled by entity {n}.",
            subject=entities[2 * index],
            predicate=predicates[index],
            value_type=ValueType.ENTITY,
            value_entity=entities[2 * index + 1],
        )
        for index, n in enumerate(range(first, first + count))
    )
    outlets = Outlet.objects.bulk_create(
        Outlet(key=f"bulk-outlet-{n}", name=f"Outlet {n}", reliability="ABCDEF"[n % 6])
        for n in range(first, first + count)
    )
    sources = Source.objects.bulk_create(
        Source(key=f"bulk-source-{n}", title=f"Report {n}", outlet=outlet)
        for n, outlet in zip(range(first, first + count), outlets, strict=True)
    )
    appearances = Appearance.objects.bulk_create(
        Appearance(claim=claim, source=source, quote=claim.text, speaker=claim.subject)
        for claim, source in zip(claims, sources, strict=True)
    )
    AppearanceVia.objects.bulk_create(
        AppearanceVia(appearance=appearance, source=source)
        for appearance, source in zip(appearances, sources[1:], strict=False)
    )
    return claims


def add_claim_relations(count: int, first: int) -> None:
    claims = add_claims(count, first)
    ClaimRelation.objects.bulk_create(
        ClaimRelation(from_claim=a, to_claim=b, type="supports")
        for a, b in zip(claims, [*claims[1:], claims[0]], strict=True)
    )


def add_predicates(count: int, first: int) -> None:
    Predicate.objects.bulk_create(
        Predicate(key=f"bulk-predicate-{n}", name=f"fighters {n}", value_type="quantity")
        for n in range(first, first + count)
    )


@pytest.mark.parametrize(
    ("model", "add_rows", "expected"),
    [
        ("claim", add_claims, CLAIM_CHANGELIST_QUERIES),
        ("appearance", add_claims, APPEARANCE_CHANGELIST_QUERIES),
        ("claimrelation", add_claim_relations, CLAIM_RELATION_CHANGELIST_QUERIES),
        ("predicate", add_predicates, PREDICATE_CHANGELIST_QUERIES),
    ],
)
def test_changelist_runs_constant_queries_at_10_and_500_rows(
    staff_client, model, add_rows, expected
):
    add_rows(10, first=0)
    at_10 = changelist_queries(staff_client, "claims", model)
    add_rows(490, first=10)
    at_500 = changelist_queries(staff_client, "claims", model)

    assert (at_10, at_500) == (expected, expected)


def test_claim_list_shows_the_predicate_and_parsed_value_in_plain_words(staff_client):
    predicate = PredicateFactory(name="fighters escaped", unit="fighters")
    ClaimFactory(predicate=predicate, negated=True)

    response = staff_client.get(reverse("admin:claims_claim_changelist"))

    assert (
        b'<td class="field-says">fighters escaped: not at least 400 fighters</td>'
        in response.content
    )


def search_claims(client, term: str) -> list[Claim]:
    response = client.get(reverse("admin:claims_claim_changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_claim_search_finds_claims_by_text_and_by_key(staff_client):
    escaped = ClaimFactory(key="sirte-escape", text="At least 400 fighters escaped Sirte.")
    ClaimFactory(key="derna-siege", text="The siege of Derna lasted ten months.")

    assert search_claims(staff_client, "escaped sirte") == [escaped]
    assert search_claims(staff_client, "sirte-escape") == [escaped]


def test_claim_filtered_by_outlet_reliability_is_listed_once(staff_client):
    claim = ClaimFactory()
    reliable = OutletFactory(reliability="A")
    AppearanceFactory(claim=claim, source=SourceFactory(outlet=reliable), position=0)
    AppearanceFactory(claim=claim, source=SourceFactory(outlet=reliable), position=1)
    ClaimFactory()

    response = staff_client.get(
        reverse("admin:claims_claim_changelist"),
        {"appearances__source__outlet__reliability__exact": "A"},
    )

    assert list(response.context["cl"].result_list) == [claim]


def test_predicate_search_finds_a_predicate_by_alias_once(staff_client):
    predicate = PredicateFactory(name="number of fighters who escaped")
    PredicateAliasFactory(predicate=predicate, name="fighters escaped")
    PredicateAliasFactory(predicate=predicate, name="fighters who escaped")
    PredicateFactory(name="controlled by", value_type="entity", unit="")

    response = staff_client.get(reverse("admin:claims_predicate_changelist"), {"q": "escaped"})

    assert list(response.context["cl"].result_list) == [predicate]


# --- entering a claim --------------------------------------------------------------------------


def claim_post(*appearances: dict[str, object], **fields: object) -> dict[str, object]:
    """The POST of the claim add/change form, with one inline row per appearance given."""
    data: dict[str, object] = {
        "key": "",
        "text": "At least 400 fighters escaped.",
        "status": Claim.Status.UNREVIEWED,
        "subject": "",
        "predicate": "",
        "value_as_written": "",
        "quantity_given_unit": "",
        "value_entity": "",
        "value_text": "",
        "location": "",
        "valid_as_written": "",
        "quantity_low_inclusive": "on",
        "quantity_high_inclusive": "on",
        # A change form loaded before anyone saved the claim after creating it (ignored when
        # adding one).
        "loaded_version": "1",
        "appearances-TOTAL_FORMS": str(len(appearances)),
        "appearances-INITIAL_FORMS": "0",
        "appearances-MIN_NUM_FORMS": "0",
        "appearances-MAX_NUM_FORMS": "1000",
    }
    for name in (
        "quantity_low",
        "quantity_high",
        "quantity_given_low",
        "quantity_given_high",
        "date_from",
        "date_from_precision",
        "date_to",
        "date_to_precision",
        "valid_from",
        "valid_from_precision",
        "valid_to",
        "valid_to_precision",
    ):
        data[name] = ""
    for index, row in enumerate(appearances):
        defaults = {"id": "", "quote": "", "speaker": "", "speaker_description": ""}
        for name, value in {**defaults, "stance": "asserts", **row}.items():
            data[f"appearances-{index}-{name}"] = value
    data.update(fields)
    return data


def post_new_claim(client, data):
    return client.post(reverse("admin:claims_claim_add"), data)


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "the form was expected to be refused"
    return response.context["adminform"].form.errors


def test_claim_entered_as_written_is_parsed_to_its_interval_and_shown_on_the_change_page(
    staff_client,
):
    predicate = PredicateFactory(value_type="quantity", unit="fighters")
    data = claim_post(
        predicate=predicate.pk, subject=EntityFactory().pk, value_as_written="at least 400"
    )
    data["quantity_given_unit"] = "fighters"

    response = post_new_claim(staff_client, data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.value_type == ValueType.QUANTITY
    assert (claim.quantity_low, claim.quantity_high) == (400, None)
    assert (claim.quantity_given_low, claim.quantity_given_unit) == (400, "fighters")
    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert b"at least 400 fighters" in page.content


def test_quantity_given_in_another_unit_is_shown_converted_and_as_given(staff_client):
    predicate = PredicateFactory(value_type="quantity", unit="km")
    data = claim_post(predicate=predicate.pk, value_as_written="about 150 miles")

    response = post_new_claim(staff_client, data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert (
        "between 217.26144 and 265.54176 km (given as between 135 and 165 mi)"
        in page.content.decode()
    )


def test_relative_date_is_read_against_the_source_of_an_appearance_in_the_same_post(
    staff_client,
):
    predicate = PredicateFactory(value_type="date", unit="")
    source = SourceFactory(published=datetime.date(2015, 6, 25), published_precision=Precision.DAY)
    data = claim_post(
        {"source": source.pk, "quote": "a commander said"},
        predicate=predicate.pk,
        value_as_written="late last year",
    )

    response = post_new_claim(staff_client, data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.date_from, claim.date_from_precision) == (
        datetime.date(2014, 9, 1),
        Precision.MONTH,
    )
    assert (claim.date_to, claim.date_to_precision) == (
        datetime.date(2014, 12, 31),
        Precision.MONTH,
    )
    assert claim.appearances.get().source == source
    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert b"2014-09 to 2014-12" in page.content


def test_relative_date_is_read_against_the_earliest_of_saved_and_submitted_appearances(
    staff_client,
):
    claim = ClaimFactory(predicate=PredicateFactory(value_type="date", unit=""), key="c-1")
    later = SourceFactory(published=datetime.date(2016, 3, 1), published_precision="month")
    earlier = SourceFactory(published=datetime.date(2015, 8, 1), published_precision="month")
    saved = AppearanceFactory(claim=claim, source=later)
    data = claim_post(
        {"id": saved.pk, "source": later.pk, "claim": claim.pk},
        {"source": earlier.pk, "claim": claim.pk},
        key="c-1",
        predicate=claim.predicate_id,
        value_as_written="May",
    )
    data["appearances-INITIAL_FORMS"] = "1"

    response = staff_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), data)

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.date_from, claim.date_to) == (
        datetime.date(2015, 5, 1),
        datetime.date(2015, 5, 31),
    )


def test_an_appearance_ticked_for_deletion_does_not_date_the_claim(staff_client):
    claim = ClaimFactory(predicate=PredicateFactory(value_type="date", unit=""), key="c-1")
    source = SourceFactory(published=datetime.date(2015, 8, 1), published_precision="month")
    saved = AppearanceFactory(claim=claim, source=source)
    data = claim_post(
        {"id": saved.pk, "source": source.pk, "claim": claim.pk, "DELETE": "on"},
        key="c-1",
        predicate=claim.predicate_id,
        value_as_written="May",
    )
    data["appearances-INITIAL_FORMS"] = "1"

    response = staff_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), data)

    assert "needs a dated source" in str(form_errors(response)["value_as_written"])


def test_relative_date_without_a_dated_appearance_is_an_error_saying_it_needs_one(staff_client):
    predicate = PredicateFactory(value_type="date", unit="")
    undated = SourceFactory(published=None, published_precision="")
    data = claim_post(
        {"source": undated.pk}, predicate=predicate.pk, value_as_written="late last year"
    )

    errors = form_errors(post_new_claim(staff_client, data))

    assert errors["value_as_written"] == [
        '"late last year" needs a dated source: add an appearance in a source with a '
        "publication date; the phrase is read against the earliest one."
    ]
    assert not Claim.objects.exists()


def test_valid_time_phrase_is_parsed_and_shown(staff_client):
    data = claim_post(text="Sirte has been held by IS since June 2015.")
    data["valid_as_written"] = "since June 2015"

    response = post_new_claim(staff_client, data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.valid_from, claim.valid_from_precision, claim.valid_to) == (
        datetime.date(2015, 6, 1),
        Precision.MONTH,
        None,
    )
    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert b"from 2015-06" in page.content


def test_unreadable_phrase_is_an_error_on_its_field(staff_client):
    predicate = PredicateFactory(value_type="quantity", unit="fighters")
    data = claim_post(predicate=predicate.pk, value_as_written="four hundredd")

    errors = form_errors(post_new_claim(staff_client, data))

    assert errors["value_as_written"] == ['cannot read "four hundredd" as a quantity']


def test_unreadable_valid_time_is_an_error_on_its_field(staff_client):
    data = claim_post(valid_as_written="since the war")

    errors = form_errors(post_new_claim(staff_client, data))

    assert list(errors) == ["valid_as_written"]


def test_a_unit_of_another_dimension_is_an_error_on_the_unit(staff_client):
    predicate = PredicateFactory(value_type="quantity", unit="km")
    data = claim_post(
        predicate=predicate.pk, value_as_written="about 40", quantity_given_unit="hours"
    )

    errors = form_errors(post_new_claim(staff_client, data))

    assert 'cannot convert "hours" to "km"' in errors["quantity_given_unit"][0]


def test_a_value_without_a_predicate_is_an_error_on_the_predicate(staff_client):
    errors = form_errors(post_new_claim(staff_client, claim_post(value_as_written="400")))

    assert list(errors) == ["predicate"]


def test_entity_and_text_values_are_saved_from_their_own_fields(staff_client):
    controlled_by = PredicateFactory(value_type="entity", unit="")
    said = PredicateFactory(value_type="text", unit="")
    isis = EntityFactory()

    first = post_new_claim(
        staff_client, claim_post(key="a", predicate=controlled_by.pk, value_entity=isis.pk)
    )
    second = post_new_claim(
        staff_client, claim_post(key="b", predicate=said.pk, value_text="a tactical withdrawal")
    )

    assert (first.status_code, second.status_code) == (302, 302)
    assert Claim.objects.get(key="a").value_type == ValueType.ENTITY
    assert Claim.objects.get(key="b").value_type == ValueType.TEXT


def test_structured_value_can_be_set_directly_without_a_phrase(staff_client):
    predicate = PredicateFactory(value_type="quantity", unit="fighters")
    data = claim_post(predicate=predicate.pk, quantity_low="100", quantity_high="200")

    response = post_new_claim(staff_client, data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.value_type, claim.quantity_low, claim.quantity_high) == ("quantity", 100, 200)


def test_a_phrase_wins_over_structured_values_given_with_it(staff_client):
    predicate = PredicateFactory(value_type="quantity", unit="fighters")
    data = claim_post(predicate=predicate.pk, value_as_written="fewer than 100", quantity_low="500")

    response = post_new_claim(staff_client, data)

    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.quantity_low, claim.quantity_high, claim.quantity_high_inclusive) == (
        0,
        100,
        False,
    )


def test_new_claim_with_an_empty_key_gets_a_generated_key(staff_client):
    response = post_new_claim(staff_client, claim_post(key=""))

    assert response.status_code == 302
    assert re.fullmatch(r"claim-[0-9a-f]{12}", Claim.objects.get().key)


def test_new_claim_keeps_the_key_it_was_given(staff_client):
    post_new_claim(staff_client, claim_post(key="sirte-escape"))

    assert Claim.objects.get().key == "sirte-escape"


def test_emptying_the_key_of_a_saved_claim_is_an_error(staff_client):
    claim = ClaimFactory(key="sirte-escape")
    data = claim_post(key="", predicate=claim.predicate_id, value_as_written="at least 400")

    response = staff_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), data)

    assert list(form_errors(response)) == ["key"]


def test_new_appearances_are_numbered_after_the_claims_existing_ones(staff_client):
    claim = ClaimFactory(key="c-1")
    AppearanceFactory(claim=claim, position=4)
    first, second = SourceFactory(), SourceFactory()
    data = claim_post(
        {"source": first.pk, "claim": claim.pk},
        {"source": second.pk, "claim": claim.pk},
        key="c-1",
        predicate=claim.predicate_id,
        value_as_written="at least 400",
    )

    response = staff_client.post(reverse("admin:claims_claim_change", args=[claim.pk]), data)

    assert response.status_code == 302
    assert list(claim.appearances.values_list("source", "position"))[1:] == [
        (first.pk, 5),
        (second.pk, 6),
    ]


def test_claim_change_page_shows_each_appearance_with_its_quote_and_outlet_reliability(
    staff_client,
):
    claim = ClaimFactory()
    AppearanceFactory(
        claim=claim,
        source=SourceFactory(outlet=OutletFactory(name="Libya Observer", reliability="C")),
        quote="some 400 fighters fled",
    )

    page = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert b"Libya Observer (C)" in page.content
    assert b"some 400 fighters fled" in page.content


# --- registration, rendering, access -----------------------------------------------------------

CLAIMS_MODELS = {
    Predicate: PredicateFactory,
    PredicateAlias: PredicateAliasFactory,
    Claim: ClaimFactory,
    Appearance: AppearanceFactory,
    AppearanceVia: lambda: AppearanceVia.objects.create(
        appearance=AppearanceFactory(), source=SourceFactory()
    ),
    ClaimRelation: ClaimRelationFactory,
}


def test_every_claims_model_is_registered_and_the_alias_and_via_rows_also_inline():
    registered = {model for model in admin.site._registry if model._meta.app_label == "claims"}

    # Flags and scans come from detection: listed and reviewed, never added by hand. Ratings
    # and status changes come from the claim's page: listed and read. The term index and scan
    # chunks are internal and not registered. The report page and its editions are made by the
    # tracker (tests/claims/test_reports_admin.py). Supersessions come from detection too: read,
    # and undone by a reviewer (tests/claims/test_supersessions.py).
    assert registered == set(CLAIMS_MODELS) | {
        Supersession,
        Contradiction,
        ContradictionScan,
        ContradictionReport,
        ReportEdition,
        ClaimRating,
        ClaimStatusChange,
    }
    inline_models = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    assert {PredicateAlias, AppearanceVia} <= inline_models


def test_a_predicate_alias_added_on_its_own_page_gets_its_normalized_form(staff_client):
    predicate = PredicateFactory()

    response = staff_client.post(
        reverse("admin:claims_predicatealias_add"),
        {"predicate": predicate.pk, "name": "Fighters-Escaped"},
    )

    assert response.status_code == 302
    assert PredicateAlias.objects.get(predicate=predicate).normalized == "fightersescaped"


@pytest.mark.parametrize("model", CLAIMS_MODELS, ids=lambda model: model.__name__)
def test_add_and_change_pages_render(staff_client, model):
    instance = CLAIMS_MODELS[model]()
    if model is Predicate:
        PredicateAliasFactory(predicate=instance)
    if model is Appearance:
        AppearanceVia.objects.create(appearance=instance, source=SourceFactory())
    if model is Claim:
        AppearanceFactory(claim=instance)
    name = f"admin:claims_{model._meta.model_name}"

    # Via rows are changed on their appearance's page (through claim_save): no add page here.
    add_status = 403 if model is AppearanceVia else 200
    assert staff_client.get(reverse(f"{name}_add")).status_code == add_status
    assert staff_client.get(reverse(f"{name}_change", args=[instance.pk])).status_code == 200


def test_anonymous_visitor_to_the_claim_list_is_sent_to_the_login_page(client, db):
    url = reverse("admin:claims_claim_changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


@pytest.mark.parametrize("model", CLAIMS_MODELS, ids=lambda model: model.__name__)
def test_user_who_is_not_staff_is_sent_to_the_login_page(client, django_user_model, model):
    outsider = django_user_model.objects.create_user(username="outsider", password="x")
    client.force_login(outsider)
    name = f"admin:claims_{model._meta.model_name}"

    for url in (reverse(f"{name}_changelist"), reverse(f"{name}_add")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_an_appearance_added_on_its_own_page_is_numbered_after_its_claims_others(staff_client):
    claim = ClaimFactory()
    AppearanceFactory(claim=claim, position=0)
    source, afp = SourceFactory(), SourceFactory()
    data = {
        "claim": claim.pk,
        "source": source.pk,
        "quote": "",
        "speaker": "",
        "speaker_description": "a Libyan commander",
        "stance": "reports",
        "via_links-TOTAL_FORMS": "1",
        "via_links-INITIAL_FORMS": "0",
        "via_links-MIN_NUM_FORMS": "0",
        "via_links-MAX_NUM_FORMS": "1000",
        "via_links-0-source": afp.pk,
    }

    response = staff_client.post(reverse("admin:claims_appearance_add"), data)

    assert response.status_code == 302
    appearance = claim.appearances.get(source=source)
    assert appearance.position == 1
    assert list(appearance.via.all()) == [afp]
