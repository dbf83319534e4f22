import datetime
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from sources.models import Entity, EntityAlias, Outlet, Source, SourceCitation, SourceCorrection
from tests.admin import PERMISSION_QUERIES, changelist_queries
from tests.factories import EntityAliasFactory, EntityFactory, OutletFactory, SourceFactory
from tracker.models import Precision

# Queries of one changelist GET, whatever the number of rows: the session, the user, two counts
# (filtered and full), the page of rows with their related rows joined, and one query each for
# the outlet's distinct countries / the entity's aliases (prefetched) / the source's outlets
# and distinct languages (filters).
OUTLET_CHANGELIST_QUERIES = 6 + PERMISSION_QUERIES
ENTITY_CHANGELIST_QUERIES = 6 + PERMISSION_QUERIES
SOURCE_CHANGELIST_QUERIES = 7 + PERMISSION_QUERIES


def add_outlets(count: int, first: int) -> list[Outlet]:
    return Outlet.objects.bulk_create(
        Outlet(
            key=f"bulk-outlet-{n}",
            name=f"Bulk outlet {n}",
            kind=Outlet.Kind.NEWSPAPER,
            country=("LY", "GB", "US")[n % 3],
            reliability="ABCDEF"[n % 6],
        )
        for n in range(first, first + count)
    )


def add_entities(count: int, first: int) -> list[Entity]:
    """Entities each affiliated with an organisation and known by two aliases."""
    organisations = Entity.objects.bulk_create(
        Entity(key=f"bulk-org-{n}", name=f"Org {n}", normalized_name=f"org{n}", kind="organization")
        for n in range(first, first + count)
    )
    people = Entity.objects.bulk_create(
        Entity(
            key=f"bulk-person-{n}",
            name=f"Person {n}",
            normalized_name=f"person{n}",
            kind="person",
            affiliation=organisation,
            role="spokesman",
        )
        for n, organisation in zip(range(first, first + count), organisations, strict=True)
    )
    EntityAlias.objects.bulk_create(
        EntityAlias(entity=person, name=f"P{n} {suffix}", normalized=f"p{n}{suffix}")
        for n, person in zip(range(first, first + count), people, strict=True)
        for suffix in ("a", "b")
    )
    return people


def add_sources(count: int, first: int) -> list[Source]:
    outlets = add_outlets(count, first)
    return Source.objects.bulk_create(
        Source(
            key=f"bulk-source-{n}",
            title=f"Bulk report {n}",
            outlet=outlet,
            url=f"https://example.com/{n}",
            normalized_url=f"example.com/{n}",
            published=datetime.date(2015, 7, 1),
            published_precision=Precision.MONTH,
        )
        for n, outlet in zip(range(first, first + count), outlets, strict=True)
    )


@pytest.mark.parametrize(
    ("model", "add_rows", "expected"),
    [
        ("outlet", add_outlets, OUTLET_CHANGELIST_QUERIES),
        ("entity", add_entities, ENTITY_CHANGELIST_QUERIES),
        ("source", add_sources, SOURCE_CHANGELIST_QUERIES),
    ],
)
def test_changelist_runs_constant_queries_at_10_and_500_rows(
    staff_client, model, add_rows, expected
):
    add_rows(10, first=0)
    at_10 = changelist_queries(staff_client, "sources", model)
    add_rows(490, first=10)
    at_500 = changelist_queries(staff_client, "sources", model)

    assert (at_10, at_500) == (expected, expected)


def search(client, model: str, term: str):
    response = client.get(reverse(f"admin:sources_{model}_changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list), response.context["cl"].result_count


def test_entity_search_by_alias_finds_the_entity_once(staff_client):
    isis = EntityFactory(name="Islamic State")
    EntityAliasFactory(entity=isis, name="Daesh")
    EntityAliasFactory(entity=isis, name="Daesh fighters")
    EntityFactory(name="Libyan National Army")

    results, count = search(staff_client, "entity", "daesh")

    assert (results, count) == ([isis], 1)


def test_entity_search_finds_names_spelt_differently_once_normalised(staff_client):
    brigade = EntityFactory(name="al-Bunyan al-Marsous", normalized_name="albunyanalmarsous")
    EntityFactory(name="Bunyan Street", normalized_name="bunyanstreet")

    results, _ = search(staff_client, "entity", "Albunyan Almarsous")

    assert results == [brigade]


def test_entity_search_by_key_and_name(staff_client):
    sirte = EntityFactory(key="place:sirte", name="Sirte")
    EntityFactory(name="Misrata")

    assert search(staff_client, "entity", "place:sirte")[0] == [sirte]
    assert search(staff_client, "entity", "sirt")[0] == [sirte]


def test_entity_autocomplete_finds_an_entity_by_alias_once(staff_client):
    isis = EntityFactory(name="Islamic State")
    EntityAliasFactory(entity=isis, name="ISIS")
    EntityAliasFactory(entity=isis, name="ISIS (Libya province)")

    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "claims", "model_name": "claim", "field_name": "subject", "term": "isis"},
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(isis.pk)]


def entity_post(**fields) -> dict[str, str]:
    data = {
        "key": "org:isis",
        "name": "Islamic State",
        "kind": "organization",
        "affiliation": "",
        "role": "",
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def with_aliases(data: dict[str, str], *names: str) -> dict[str, str]:
    data["aliases-TOTAL_FORMS"] = str(len(names))
    for index, name in enumerate(names):
        data[f"aliases-{index}-name"] = name
        data[f"aliases-{index}-id"] = ""
        data[f"aliases-{index}-entity"] = ""
    return data


def test_saving_an_entity_sets_the_normalized_names_of_it_and_its_aliases(staff_client):
    data = with_aliases(entity_post(name="al-Bunyan al-Marsous"), "Al Bunyan Al Marsous", "U.S.")

    response = staff_client.post(reverse("admin:sources_entity_add"), data)

    assert response.status_code == 302
    entity = Entity.objects.get(key="org:isis")
    assert entity.normalized_name == "albunyanalmarsous"
    assert sorted(entity.aliases.values_list("normalized", flat=True)) == [
        "albunyanalmarsous",
        "us",
    ]


def test_renaming_an_entity_updates_its_normalized_name(staff_client):
    entity = EntityFactory(key="org:lna", name="LNA", normalized_name="lna")
    data = entity_post(key="org:lna", name="Libyan National Army")

    response = staff_client.post(reverse("admin:sources_entity_change", args=[entity.pk]), data)

    assert response.status_code == 302
    entity.refresh_from_db()
    assert entity.normalized_name == "libyannationalarmy"


def test_two_aliases_that_normalise_alike_are_a_form_error_not_a_500(staff_client):
    data = with_aliases(entity_post(), "ISIS", "I.S.I.S.")

    response = staff_client.post(reverse("admin:sources_entity_add"), data)

    assert response.status_code == 200
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert "same alias once normalised (isis)" in str(formset.non_form_errors())
    assert not Entity.objects.exists()


def test_an_alias_without_letters_or_digits_is_a_form_error(staff_client):
    data = with_aliases(entity_post(), "...")

    response = staff_client.post(reverse("admin:sources_entity_add"), data)

    assert response.status_code == 200
    (formset,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert "no letters or digits" in str(formset.forms[0].errors["name"])


def test_an_entity_affiliated_with_itself_is_a_form_error(staff_client):
    entity = EntityFactory(key="org:lna")
    data = entity_post(key="org:lna", affiliation=str(entity.pk))

    response = staff_client.post(reverse("admin:sources_entity_change", args=[entity.pk]), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["affiliation"] == [
        "An entity cannot be affiliated with itself."
    ]


def source_post(**fields) -> dict[str, str]:
    data = {
        "key": "reuters-2015-07-01",
        "title": "Fighters escape Sirte",
        "outlet": "",
        "url": "",
        "published_as_text": "",
        "authors": "",
        "language": "en",
        "text": "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
        "corrections-MIN_NUM_FORMS": "0",
        "corrections-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_saving_a_source_sets_its_normalized_url_and_its_partial_publication_date(staff_client):
    data = source_post(
        url="https://www.Reuters.com/world/sirte/?utm_source=twitter", published_as_text="2015-07"
    )

    response = staff_client.post(reverse("admin:sources_source_add"), data)

    assert response.status_code == 302
    source = Source.objects.get()
    assert source.normalized_url == "reuters.com/world/sirte"
    assert (source.published, source.published_precision) == (
        datetime.date(2015, 7, 1),
        Precision.MONTH,
    )
    change_page = staff_client.get(reverse("admin:sources_source_change", args=[source.pk]))
    assert change_page.context["adminform"].form.initial["published_as_text"] == "July 2015"


def test_a_source_url_that_duplicates_another_after_normalisation_is_a_form_error(staff_client):
    SourceFactory(url="http://reuters.com/world/sirte", normalized_url="reuters.com/world/sirte")
    data = source_post(url="https://www.reuters.com/world/sirte/?fbclid=abc")

    response = staff_client.post(reverse("admin:sources_source_add"), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Another source has this URL once normalised (reuters.com/world/sirte)" in str(
        errors["url"]
    )
    assert Source.objects.count() == 1


def test_resaving_a_source_does_not_clash_with_its_own_url(staff_client):
    source = SourceFactory(
        key="reuters-1", url="https://reuters.com/a", normalized_url="reuters.com/a"
    )
    data = source_post(key="reuters-1", url="https://www.reuters.com/a/")

    response = staff_client.post(reverse("admin:sources_source_change", args=[source.pk]), data)

    assert response.status_code == 302


def test_sources_without_urls_do_not_clash(staff_client):
    SourceFactory(url="", normalized_url="")

    response = staff_client.post(reverse("admin:sources_source_add"), source_post(url=""))

    assert response.status_code == 302
    assert Source.objects.count() == 2


@pytest.mark.parametrize(
    ("typed", "published", "precision"),
    [
        ("6 December 2016", datetime.date(2016, 12, 6), Precision.DAY),
        ("December 6, 2016", datetime.date(2016, 12, 6), Precision.DAY),
        ("July 2015", datetime.date(2015, 7, 1), Precision.MONTH),
        ("2015", datetime.date(2015, 1, 1), Precision.YEAR),
        ("2015-07-01", datetime.date(2015, 7, 1), Precision.DAY),
    ],
)
def test_a_publication_date_is_read_as_people_write_it(staff_client, typed, published, precision):
    response = staff_client.post(
        reverse("admin:sources_source_add"), source_post(published_as_text=typed)
    )

    assert response.status_code == 302
    source = Source.objects.get()
    assert (source.published, source.published_precision) == (published, precision)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("the day after", 'cannot read "the day after" as a date: write it as 6 December 2016'),
        ("early 2016", '"early 2016" is a span of time, not a publication date'),
    ],
)
def test_an_unreadable_publication_date_is_a_form_error_that_keeps_what_was_typed(
    staff_client, typed, message
):
    response = staff_client.post(
        reverse("admin:sources_source_add"), source_post(published_as_text=typed)
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert message in form.errors["published_as_text"][0]
    assert f'value="{typed}"' in response.content.decode()


def test_authors_are_entered_one_a_line_and_kept_as_a_list(staff_client):
    data = source_post(authors="Catherine Doolan\r\n\r\n  Staff Writer  \r\n")

    response = staff_client.post(reverse("admin:sources_source_add"), data)

    assert response.status_code == 302
    source = Source.objects.get()
    assert source.authors == ["Catherine Doolan", "Staff Writer"]
    page = staff_client.get(reverse("admin:sources_source_change", args=[source.pk]))
    assert "Catherine Doolan\nStaff Writer</textarea>" in page.content.decode()


def test_a_new_source_without_a_key_gets_one_from_its_title(staff_client):
    response = staff_client.post(reverse("admin:sources_source_add"), source_post(key=""))

    assert response.status_code == 302
    source = Source.objects.get()
    assert re.fullmatch(r"fighters-escape-sirte-[0-9a-f]{6}", source.key), source.key


def test_an_existing_sources_key_cannot_be_emptied(staff_client):
    source = SourceFactory(key="afp-1")

    response = staff_client.post(
        reverse("admin:sources_source_change", args=[source.pk]), source_post(key="")
    )

    assert response.status_code == 200
    assert "cannot be emptied" in str(response.context["adminform"].form.errors["key"])


def test_a_source_citing_itself_is_a_form_error(staff_client):
    source = SourceFactory(key="afp-1")
    data = source_post(
        key="afp-1", **{"citations-TOTAL_FORMS": "1", "citations-0-cited": source.pk}
    )

    response = staff_client.post(reverse("admin:sources_source_change", args=[source.pk]), data)

    assert response.status_code == 200
    assert not SourceCitation.objects.exists()


def test_source_search_finds_a_source_by_title_key_or_a_differently_written_url(staff_client):
    source = SourceFactory(
        key="reuters-sirte",
        title="Fighters escape Sirte",
        url="http://reuters.com/world/sirte",
        normalized_url="reuters.com/world/sirte",
    )
    SourceFactory(title="Unrelated", url="https://bbc.co.uk/a", normalized_url="bbc.co.uk/a")

    for term in ("escape sirte", "reuters-sirte", "https://www.reuters.com/world/sirte/"):
        assert search(staff_client, "source", term)[0] == [source], term
    assert search(staff_client, "source", "http://[")[0] == []  # no address at all: no 500


def test_outlet_search_by_name_and_key(staff_client):
    reuters = OutletFactory(key="reuters", name="Reuters")
    OutletFactory(key="bbc", name="BBC")

    assert search(staff_client, "outlet", "reut")[0] == [reuters]
    assert search(staff_client, "outlet", "reuters")[0] == [reuters]


def test_source_list_shows_the_outlet_reliability_and_partial_publication_date(staff_client):
    SourceFactory(
        outlet=OutletFactory(name="Reuters", reliability="B"),
        published=datetime.date(2015, 7, 1),
        published_precision=Precision.MONTH,
    )

    response = staff_client.get(reverse("admin:sources_source_changelist"))

    assert b'<td class="field-outlet_reliability">B</td>' in response.content
    assert b'<td class="field-published_on">July 2015</td>' in response.content


SOURCE_MODELS = {
    Outlet: OutletFactory,
    Entity: EntityFactory,
    EntityAlias: EntityAliasFactory,
    Source: SourceFactory,
    SourceCitation: lambda: SourceCitation.objects.create(
        citing=SourceFactory(), cited=SourceFactory()
    ),
    SourceCorrection: lambda: SourceCorrection.objects.create(
        correcting=SourceFactory(), corrected=SourceFactory()
    ),
}


def test_every_sources_model_is_registered():
    registered = {model for model in admin.site._registry if model._meta.app_label == "sources"}

    assert registered == set(SOURCE_MODELS)


def test_an_alias_added_on_its_own_page_gets_its_normalized_form(staff_client):
    entity = EntityFactory()

    response = staff_client.post(
        reverse("admin:sources_entityalias_add"), {"entity": entity.pk, "name": "Dae-sh"}
    )

    assert response.status_code == 302
    assert EntityAlias.objects.get(entity=entity).normalized == "daesh"


@pytest.mark.parametrize(
    ("page", "parent", "linked", "model", "message"),
    [
        ("sourcecitation", "citing", "cited", SourceCitation, "A source cannot cite itself."),
        (
            "sourcecorrection",
            "correcting",
            "corrected",
            SourceCorrection,
            "A source cannot correct itself.",
        ),
    ],
)
def test_a_source_linked_to_itself_on_the_links_page_is_a_form_error(
    staff_client, page, parent, linked, model, message
):
    source = SourceFactory()

    response = staff_client.post(
        reverse(f"admin:sources_{page}_add"), {parent: source.pk, linked: source.pk}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not model.objects.exists()


@pytest.mark.parametrize("model", SOURCE_MODELS, ids=lambda model: model.__name__)
def test_add_and_change_pages_render(staff_client, model):
    instance = SOURCE_MODELS[model]()
    if model is Entity:
        EntityAliasFactory(entity=instance)
    if model is Source:
        SourceCitation.objects.create(citing=instance, cited=SourceFactory())
    name = f"admin:sources_{model._meta.model_name}"

    assert staff_client.get(reverse(f"{name}_add")).status_code == 200
    assert staff_client.get(reverse(f"{name}_change", args=[instance.pk])).status_code == 200


@pytest.mark.parametrize("model", SOURCE_MODELS, ids=lambda model: model.__name__)
def test_anonymous_visitor_is_sent_to_the_login_page(client, db, model):
    name = f"admin:sources_{model._meta.model_name}"

    for url in (reverse(f"{name}_changelist"), reverse(f"{name}_add")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_the_outlet_and_source_forms_explain_codes_in_plain_words(staff_client):
    outlet_page = staff_client.get(reverse("admin:sources_outlet_add")).content.decode()
    source_page = staff_client.get(reverse("admin:sources_source_add")).content.decode()

    assert "Two-letter country code: GB, LY, US" in outlet_page
    assert "en for English" in source_page
    assert "BCP 47" not in source_page and "alpha-2" not in outlet_page


def test_a_correction_added_inline_goes_through_the_service_and_supersedes_at_once(
    staff_client, django_capture_on_commit_callbacks
):
    """The inline rows are written by source_save, which re-checks the claims of both sources:
    the corrected claim is superseded and its flag withdrawn on this save, not by the next scan."""
    from claims.models import Contradiction, Supersession
    from tests.claims.test_supersessions import attackers, load

    fix = {"key": "fix", "title": "Correction", "outlet": "paper", "published": "2016-03-08"}
    load(attackers("three", "three", ["d4"]), attackers("two", "two", ["fix"]), sources=[fix])
    assert Contradiction.objects.count() == 1
    fixing, corrected = Source.objects.get(key="fix"), Source.objects.get(key="d4")
    data = source_post(
        key="fix",
        title="Correction",
        outlet=fixing.outlet_id,
        published_as_text="8 March 2016",
        **{"corrections-TOTAL_FORMS": "1", "corrections-0-corrected": corrected.pk},
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:sources_source_change", args=[fixing.pk]), data)

    assert response.status_code == 302
    assert list(SourceCorrection.objects.values_list("correcting__key", "corrected__key")) == [
        ("fix", "d4")
    ]
    assert list(Supersession.objects.values_list("newer__key", "older__key", "reason")) == [
        ("two", "three", "correction")
    ]
    assert not Contradiction.objects.exists()


def test_inline_citations_are_replaced_only_when_they_change(staff_client):
    source, cited, other, third = (SourceFactory(key="afp-1"), *SourceFactory.create_batch(3))
    rows = [SourceCitation.objects.create(citing=source, cited=s) for s in (cited, other)]

    def post(second):
        data = source_post(
            key="afp-1",
            title=source.title,
            **{"citations-TOTAL_FORMS": "2", "citations-INITIAL_FORMS": "2"},
        )
        for n, (row, linked) in enumerate(zip(rows, (cited, second), strict=True)):
            data |= {
                f"citations-{n}-id": row.pk,
                f"citations-{n}-citing": source.pk,
                f"citations-{n}-cited": linked.pk,
            }
        response = staff_client.post(reverse("admin:sources_source_change", args=[source.pk]), data)
        assert response.status_code == 302

    post(other)
    assert set(SourceCitation.objects.values_list("pk", flat=True)) == {r.pk for r in rows}

    post(third)
    assert set(SourceCitation.objects.values_list("cited", flat=True)) == {cited.pk, third.pk}
