import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import (
    Appearance,
    Claim,
    ClaimStatus,
    Contradiction,
    ContradictionKind,
    ContradictionScan,
    ContradictionStatus,
)
from sources.models import Entity, Outlet, Source
from tests.admin import PERMISSION_QUERIES, changelist_queries
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    ContradictionFactory,
    EntityFactory,
    OutletFactory,
    SourceFactory,
)
from tracker.models import Precision

# Queries of one GET of the flag list, whatever the number of flags: the session, the user, two
# counts (filtered and full), the page of flags with both claims and their subjects joined, and
# the choices of the subject and outlet filters.
CONTRADICTION_CHANGELIST_QUERIES = 7 + PERMISSION_QUERIES
# Queries of one GET of a flag's page, whatever the number of appearances: the session, the
# user, the flag with its claims, subjects and reviewer joined, the two claims with their
# subjects, predicates, values and locations, and their appearances with sources, outlets and
# speakers, and whether its claims have come to supersede one another.
CONTRADICTION_CHANGE_PAGE_QUERIES = 6 + PERMISSION_QUERIES

CHANGELIST = reverse("admin:claims_contradiction_changelist")


def change_url(flag: Contradiction) -> str:
    return reverse("admin:claims_contradiction_change", args=[flag.pk])


def listed(client, **params) -> list[Contradiction]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- the list ----------------------------------------------------------------------------------


def test_flag_list_shows_open_flags_first_then_by_subject(staff_client):
    zawiya, benghazi = EntityFactory(name="Zawiya"), EntityFactory(name="Benghazi")
    dismissed_benghazi = ContradictionFactory(
        claim_a=ClaimFactory(subject=benghazi),
        status=ContradictionStatus.DISMISSED,
        dismissed_reason="different events",
    )
    open_zawiya = ContradictionFactory(claim_a=ClaimFactory(subject=zawiya))
    confirmed_zawiya = ContradictionFactory(
        claim_a=ClaimFactory(subject=zawiya), status=ContradictionStatus.CONFIRMED
    )
    open_benghazi = ContradictionFactory(claim_a=ClaimFactory(subject=benghazi))

    assert listed(staff_client) == [
        open_benghazi,
        open_zawiya,
        dismissed_benghazi,
        confirmed_zawiya,
    ]


def test_flag_list_links_both_claims_and_shows_the_subject(staff_client):
    flag = ContradictionFactory(
        claim_a=ClaimFactory(key="sirte-400", subject=EntityFactory(name="Sirte"))
    )

    content = staff_client.get(CHANGELIST).content.decode()

    claim_a_url = reverse("admin:claims_claim_change", args=[flag.claim_a_id])
    claim_b_url = reverse("admin:claims_claim_change", args=[flag.claim_b_id])
    # Each claim named by its text, never by its key or id.
    assert f'<a href="{claim_a_url}">{flag.claim_a.text}</a>' in content
    assert f'<a href="{claim_b_url}">{flag.claim_b.text}</a>' in content
    assert '<td class="field-subject">Sirte</td>' in content


def test_flag_list_filtered_by_kind_shows_only_that_kind(staff_client):
    quantity = ContradictionFactory(kind=ContradictionKind.QUANTITY)
    ContradictionFactory(kind=ContradictionKind.NEGATION)

    assert listed(staff_client, kind__exact="quantity") == [quantity]


def test_flag_list_filtered_by_status_shows_only_that_status(staff_client):
    ContradictionFactory()
    confirmed = ContradictionFactory(status=ContradictionStatus.CONFIRMED)

    assert listed(staff_client, status__exact="confirmed") == [confirmed]


def test_flag_list_filtered_by_subject_shows_the_flags_of_either_claim_about_it(staff_client):
    sirte = EntityFactory(name="Sirte")
    as_a = ContradictionFactory(claim_a=ClaimFactory(subject=sirte))
    as_b = ContradictionFactory(claim_b=ClaimFactory(subject=sirte))
    ContradictionFactory()

    assert set(listed(staff_client, subject=sirte.pk)) == {as_a, as_b}


def test_flag_list_filtered_by_outlet_shows_each_flag_with_an_appearance_there_once(staff_client):
    reuters = OutletFactory(name="Reuters", reliability="B")
    in_reuters = ContradictionFactory()
    # Two appearances of claim A and one of claim B in Reuters: the flag is still listed once.
    for claim, position in (
        (in_reuters.claim_a, 0),
        (in_reuters.claim_a, 1),
        (in_reuters.claim_b, 0),
    ):
        AppearanceFactory(claim=claim, source=SourceFactory(outlet=reuters), position=position)
    b_in_reuters = ContradictionFactory()
    AppearanceFactory(claim=b_in_reuters.claim_b, source=SourceFactory(outlet=reuters))
    elsewhere = ContradictionFactory()
    AppearanceFactory(claim=elsewhere.claim_a)

    assert sorted(listed(staff_client, outlet=reuters.pk), key=lambda f: f.pk) == [
        in_reuters,
        b_in_reuters,
    ]


def test_subject_and_outlet_filters_offer_only_what_flags_have(staff_client):
    flag = ContradictionFactory(
        claim_a=ClaimFactory(subject=EntityFactory(name="Sirte")),
        claim_b=ClaimFactory(subject=EntityFactory(name="Benghazi")),
    )
    AppearanceFactory(claim=flag.claim_b, source=SourceFactory(outlet=OutletFactory(name="AFP")))
    unflagged = ClaimFactory(subject=EntityFactory(name="Derna"))
    AppearanceFactory(claim=unflagged, source=SourceFactory(outlet=OutletFactory(name="BBC")))

    response = staff_client.get(CHANGELIST)

    choices = {
        spec.title: [label for _, label in spec.lookup_choices]
        for spec in response.context["cl"].filter_specs
        if spec.title in ("subject", "outlet")
    }
    assert choices == {"subject": ["Benghazi", "Sirte"], "outlet": ["AFP (not graded)"]}


def test_flag_list_searches_claim_keys_and_texts_and_explanations(staff_client):
    by_key = ContradictionFactory(claim_a=ClaimFactory(key="sirte-escape"))
    by_text = ContradictionFactory(claim_b=ClaimFactory(text="The siege of Derna ended."))
    by_explanation = ContradictionFactory(explanation="Tripoli airport: 2014-08 against 2014-07")

    assert listed(staff_client, q="sirte-escape") == [by_key]
    assert listed(staff_client, q="siege of derna") == [by_text]
    assert listed(staff_client, q="tripoli airport") == [by_explanation]


def add_flags(count: int, first: int) -> None:
    """Flags between claims of their own subjects, each claim with an appearance in a source of
    its own outlet, half of them reviewed, so that a query per row for any of them would show."""
    subjects = Entity.objects.bulk_create(
        Entity(key=f"bulk-subject-{n}", name=f"Subject {n}", kind="place")
        for n in range(first, first + 2 * count)
    )
    claims = Claim.objects.bulk_create(
        Claim(key=f"bulk-claim-{n}", text=f"Statement {n}.", subject=subject)
        for n, subject in zip(range(first, first + 2 * count), subjects, strict=True)
    )
    outlets = Outlet.objects.bulk_create(
        Outlet(key=f"bulk-outlet-{n}", name=f"Outlet {n}", reliability="ABCDEF"[n % 6])
        for n in range(first, first + 2 * count)
    )
    sources = Source.objects.bulk_create(
        Source(key=f"bulk-source-{n}", title=f"Report {n}", outlet=outlet)
        for n, outlet in zip(range(first, first + 2 * count), outlets, strict=True)
    )
    Appearance.objects.bulk_create(
        Appearance(claim=claim, source=source, quote=claim.text)
        for claim, source in zip(claims, sources, strict=True)
    )
    now = timezone.now()
    Contradiction.objects.bulk_create(
        Contradiction(
            claim_a=a,
            claim_b=b,
            kind="text",
            explanation=f"{a.key} against {b.key}",
            detected_by="text-1",
            status="open" if index % 2 else "confirmed",
            status_changed_at=None if index % 2 else now,
            fingerprint=f"{index:032x}",
            last_detected_at=now,
        )
        for index, (a, b) in enumerate(zip(claims[::2], claims[1::2], strict=True))
    )


def test_flag_list_runs_constant_queries_at_10_and_110_flags(staff_client):
    add_flags(10, first=0)
    at_10 = changelist_queries(staff_client, "claims", "contradiction")
    add_flags(100, first=20)
    at_110 = changelist_queries(staff_client, "claims", "contradiction")

    assert Contradiction.objects.count() == 110
    assert (at_10, at_110) == (CONTRADICTION_CHANGELIST_QUERIES, CONTRADICTION_CHANGELIST_QUERIES)


# --- the change page: both claims side by side -------------------------------------------------


def test_change_page_shows_both_claims_side_by_side_with_every_appearance(staff_client):
    sirte = EntityFactory(name="Sirte")
    claim_a = ClaimFactory(
        key="escaped-400",
        text="At least 400 fighters escaped Sirte.",
        subject=sirte,
        valid_from=datetime.date(2016, 12, 1),
        valid_from_precision=Precision.MONTH,
        valid_to=datetime.date(2016, 12, 31),
        valid_to_precision=Precision.MONTH,
    )
    claim_b = ClaimFactory(
        key="escaped-few",
        text="Fewer than 100 fighters escaped Sirte.",
        subject=sirte,
        value_as_written="fewer than 100",
        quantity_low=0.0,
        quantity_high=100.0,
        quantity_high_inclusive=False,
        quantity_given_low=0.0,
        quantity_given_high=100.0,
        holds_from=datetime.date(2016, 12, 1),
        holds_to=datetime.date(2016, 12, 31),
    )
    AppearanceFactory(
        claim=claim_a,
        quote="some 400 fighters fled",
        speaker=EntityFactory(name="Mohammed al-Ghasri"),
        source=SourceFactory(
            title="Hundreds of fighters fled Sirte",
            outlet=OutletFactory(name="Reuters", reliability="B"),
        ),
    )
    AppearanceFactory(
        claim=claim_b,
        quote="only a few dozen got away",
        speaker_description="a Misrata commander",
        source=SourceFactory(
            title="Sirte falls",
            outlet=OutletFactory(name="Libya Observer", reliability="D"),
            published=datetime.date(2016, 12, 1),
            published_precision=Precision.MONTH,
        ),
    )
    flag = ContradictionFactory(claim_a=claim_a, claim_b=claim_b, explanation="400 or fewer")

    response = staff_client.get(change_url(flag))

    assert response.status_code == 200
    side_a, side_b = (
        section.split("</section>")[0]
        for section in response.content.decode().split('class="contradiction-side module"')[1:]
    )
    claim_a_url = reverse("admin:claims_claim_change", args=[claim_a.pk])
    assert f'<a href="{claim_a_url}">At least 400 fighters escaped Sirte.</a>' in side_a
    for expected in (
        "At least 400 fighters escaped Sirte.",
        "at least 400 fighters",
        "2016-12",
        "Sirte",
        "some 400 fighters fled",
        "Mohammed al-Ghasri",
        "Hundreds of fighters fled Sirte",
        "Reuters",
        ">B</td>",
    ):
        assert expected in side_a, expected
    for expected in (
        "Fewer than 100 fighters escaped Sirte.",
        "fewer than 100 fighters",
        "holds when its earliest appearance was published: 2016-12-01 to 2016-12-31",
        "only a few dozen got away",
        "a Misrata commander",
        "Sirte falls",
        "Libya Observer",
        ">D</td>",
    ):
        assert expected in side_b, expected
    assert "400 or fewer" in response.content.decode()


def change_page_queries(client, flag: Contradiction) -> int:
    # Once before counting: the page's content type is then cached, as it is after the first
    # page a process serves.
    client.get(change_url(flag))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(change_url(flag))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_change_page_runs_constant_queries_whatever_the_number_of_appearances(staff_client):
    flag = ContradictionFactory()
    AppearanceFactory(claim=flag.claim_a)
    one_each = change_page_queries(staff_client, flag)
    for claim in (flag.claim_a, flag.claim_b):
        for position in range(1, 6):
            AppearanceFactory(
                claim=claim, position=position, speaker=EntityFactory(), source=SourceFactory()
            )
    six_each = change_page_queries(staff_client, flag)

    assert (one_each, six_each) == (
        CONTRADICTION_CHANGE_PAGE_QUERIES,
        CONTRADICTION_CHANGE_PAGE_QUERIES,
    )


# --- the decision on the change page -----------------------------------------------------------


def decide(client, flag: Contradiction, decision: str, reason: str = ""):
    return client.post(change_url(flag), {"decision": decision, "reason": reason, "_save": "Save"})


def test_confirming_on_the_change_page_confirms_the_flag(staff_client, staff_user):
    flag = ContradictionFactory()

    response = decide(staff_client, flag, "confirm")

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.CONFIRMED
    assert flag.status_changed_by == staff_user
    assert flag.status_changed_at is not None


def test_dismissing_on_the_change_page_keeps_the_reason(staff_client, staff_user):
    flag = ContradictionFactory()

    response = decide(staff_client, flag, "dismiss", "Two different escapes, a week apart.")

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.DISMISSED
    assert flag.dismissed_reason == "Two different escapes, a week apart."
    assert flag.status_changed_by == staff_user


def test_dismissing_without_a_reason_is_an_error_on_the_reason_and_changes_nothing(staff_client):
    flag = ContradictionFactory()

    response = decide(staff_client, flag, "dismiss", "   ")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "reason": ["Say why the flag is dismissed."]
    }
    # The claims are still shown beside the error.
    assert response.context["contradiction_sides"][0]["claim"] == flag.claim_a
    flag.refresh_from_db()
    assert (flag.status, flag.status_changed_by) == (ContradictionStatus.OPEN, None)


def test_resolving_by_refuting_claim_a_refutes_it_and_resolves_the_flag(staff_client, staff_user):
    flag = ContradictionFactory()

    response = decide(staff_client, flag, "refute_a")

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.RESOLVED
    assert flag.status_changed_by == staff_user
    assert Claim.objects.get(pk=flag.claim_a_id).status == ClaimStatus.REFUTED
    assert Claim.objects.get(pk=flag.claim_b_id).status == ClaimStatus.UNREVIEWED


def test_resolving_by_refuting_claim_b_refutes_claim_b_only(staff_client):
    flag = ContradictionFactory()

    decide(staff_client, flag, "refute_b")

    assert Claim.objects.get(pk=flag.claim_a_id).status == ClaimStatus.UNREVIEWED
    assert Claim.objects.get(pk=flag.claim_b_id).status == ClaimStatus.REFUTED


def test_saving_with_leave_as_it_is_changes_nothing(staff_client):
    flag = ContradictionFactory()

    response = decide(staff_client, flag, "", "a reason that is not used")

    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.status, flag.dismissed_reason) == (ContradictionStatus.OPEN, "")


# --- list actions ------------------------------------------------------------------------------


def run_action(client, action: str, flags: list[Contradiction], **extra):
    data = {"action": action, "_selected_action": [flag.pk for flag in flags], **extra}
    return client.post(CHANGELIST, data)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def test_confirm_action_confirms_the_selected_flags_and_says_how_many(staff_client, staff_user):
    first, second, not_selected = ContradictionFactory.create_batch(3)
    already = ContradictionFactory(status=ContradictionStatus.CONFIRMED)

    response = run_action(staff_client, "confirm_selected", [first, second, already], index=0)

    assert response.status_code == 302
    assert messages_of(response) == ["2 flags confirmed; 1 was confirmed already."]
    statuses = dict(Contradiction.objects.values_list("pk", "status"))
    assert statuses == {
        first.pk: "confirmed",
        second.pk: "confirmed",
        not_selected.pk: "open",
        already.pk: "confirmed",
    }
    first.refresh_from_db()
    assert first.status_changed_by == staff_user


def test_dismiss_action_asks_for_the_reason_first(staff_client):
    first, second = ContradictionFactory.create_batch(2)

    response = run_action(staff_client, "dismiss_selected", [first, second], index=0)

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == (
        "admin/claims/contradiction/dismiss_reason.html"
    )
    content = response.content.decode()
    assert f'name="_selected_action" value="{first.pk}"' in content
    assert f'name="_selected_action" value="{second.pk}"' in content
    assert set(Contradiction.objects.values_list("status", flat=True)) == {"open"}


def test_dismiss_action_with_a_reason_dismisses_the_selected_flags(staff_client, staff_user):
    first, second, not_selected = ContradictionFactory.create_batch(3)

    response = run_action(
        staff_client, "dismiss_selected", [first, second], apply="yes", reason="Different towns."
    )

    assert response.status_code == 302
    assert messages_of(response) == ["2 flags dismissed."]
    dismissed = Contradiction.objects.filter(status=ContradictionStatus.DISMISSED)
    assert set(dismissed) == {first, second}
    assert set(dismissed.values_list("dismissed_reason", "status_changed_by")) == {
        ("Different towns.", staff_user.pk)
    }
    not_selected.refresh_from_db()
    assert not_selected.status == ContradictionStatus.OPEN


def test_dismiss_action_without_a_reason_asks_again_and_changes_nothing(staff_client):
    flag = ContradictionFactory()

    response = run_action(staff_client, "dismiss_selected", [flag], apply="yes", reason=" ")

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["Say why the flag is dismissed."]}
    assert "Say why the flag is dismissed." in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.OPEN


@pytest.fixture
def reader_client(client, django_user_model):
    """A staff user who may view flags but not change them."""
    reader = django_user_model.objects.create_user(username="reader", password="x", is_staff=True)
    reader.user_permissions.add(
        Permission.objects.get(codename="view_contradiction", content_type__app_label="claims")
    )
    client.force_login(reader)
    return client


def test_staff_user_without_change_permission_is_not_offered_the_actions(reader_client):
    ContradictionFactory()

    response = reader_client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert b"confirm_selected" not in response.content


def test_staff_user_without_change_permission_cannot_run_the_actions(reader_client):
    flag = ContradictionFactory()

    for action, extra in (
        ("confirm_selected", {"index": 0}),
        ("dismiss_selected", {"apply": "yes", "reason": "because"}),
    ):
        run_action(reader_client, action, [flag], **extra)

    flag.refresh_from_db()
    assert (flag.status, flag.status_changed_by) == (ContradictionStatus.OPEN, None)


def test_staff_user_without_change_permission_sees_the_flag_but_cannot_decide(reader_client):
    flag = ContradictionFactory()

    page = reader_client.get(change_url(flag))
    response = decide(reader_client, flag, "confirm")

    assert page.status_code == 200
    assert b'name="decision"' not in page.content
    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.status == ContradictionStatus.OPEN


# --- a claim's own page, adding, scans ---------------------------------------------------------


def test_claim_page_lists_its_open_flags_and_not_its_dismissed_ones(staff_client):
    claim = ClaimFactory()
    other_open = ClaimFactory(key="other-open")
    open_flag = ContradictionFactory(
        claim_a=claim, claim_b=other_open, explanation="400 against 100"
    )
    ContradictionFactory(
        claim_a=claim,
        claim_b=ClaimFactory(key="other-dismissed"),
        explanation="not a contradiction",
        status=ContradictionStatus.DISMISSED,
        dismissed_reason="different towns",
    )

    content = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content

    page = content.decode()
    assert f'<a href="{change_url(open_flag)}">quantity flag</a>: 400 against 100' in page
    other_url = reverse("admin:claims_claim_change", args=[other_open.pk])
    assert f'(with <a href="{other_url}">{other_open.text}</a>)' in page
    assert "not a contradiction" not in page
    assert "other-dismissed" not in page


def test_claim_page_escapes_the_explanation_of_its_flags(staff_client):
    flag = ContradictionFactory(explanation="<script>alert(1)</script>")

    page = staff_client.get(reverse("admin:claims_claim_change", args=[flag.claim_b_id])).content

    assert b"<script>alert(1)</script>" not in page
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_claim_without_flags_says_none_are_open_and_the_add_page_has_no_flags(staff_client):
    claim = ClaimFactory()

    change = staff_client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    add = staff_client.get(reverse("admin:claims_claim_add"))

    assert b"none open" in change.content
    assert b"open contradictions" not in add.content.lower()


def test_flags_cannot_be_added_in_the_admin(staff_client):
    assert staff_client.get(reverse("admin:claims_contradiction_add")).status_code == 403


def test_flags_cannot_be_deleted_in_the_admin(staff_client):
    flag = ContradictionFactory()

    response = staff_client.get(reverse("admin:claims_contradiction_delete", args=[flag.pk]))

    assert response.status_code == 403


def test_scan_list_shows_scans_for_reading_only(staff_client):
    scan = ContradictionScan.objects.create(
        status="finished", requested_by="command", chunks_total=4, pairs_found=12
    )

    listing = staff_client.get(reverse("admin:claims_contradictionscan_changelist"))
    page = staff_client.get(reverse("admin:claims_contradictionscan_change", args=[scan.pk]))

    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [scan]
    assert b'<td class="field-pairs_found">12</td>' in listing.content
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert staff_client.get(reverse("admin:claims_contradictionscan_add")).status_code == 403


def test_flags_and_scans_are_registered_in_the_admin():
    assert {Contradiction, ContradictionScan} <= set(admin.site._registry)
