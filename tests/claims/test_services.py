import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from claims.core.values import PartialDate
from claims.models import Claim, ValueType
from claims.services.claims import (
    AppearanceInput,
    claim_apply_as_written,
    claim_key_generate,
    claim_save,
    predicate_alias_normalize,
    predicate_names_normalize,
)
from tests.factories import (
    AppearanceFactory,
    ClaimFactory,
    EntityFactory,
    PredicateFactory,
    SourceFactory,
    TextClaimFactory,
)
from tracker.models import Precision

pytestmark = pytest.mark.django_db


def test_claim_key_generate_gives_distinct_keys_of_the_documented_form():
    keys = {claim_key_generate() for _ in range(100)}

    assert len(keys) == 100
    assert all(re.fullmatch(r"claim-[0-9a-f]{12}", key) for key in keys)


def test_predicate_names_normalize_sets_the_comparison_columns():
    predicate = PredicateFactory.build(name="Number of Fighters who Escaped")
    alias = predicate.aliases.model(name="fighters-escaped")

    predicate_names_normalize(predicate=predicate)
    predicate_alias_normalize(alias=alias)

    assert predicate.normalized_name == "numberoffighterswhoescaped"
    assert alias.normalized == "fightersescaped"


def claim_with(predicate=None, **fields) -> Claim:
    """An unsaved claim with no value; apply the phrases, then save it to check constraints."""
    claim = TextClaimFactory.build(predicate=predicate)
    for name, value in fields.items():
        setattr(claim, name, value)
    return claim


def applied(claim: Claim, reference: PartialDate | None = None) -> Claim:
    claim_apply_as_written(claim=claim, reference=reference)
    claim.save()  # the database's constraints agree with what the service filled in
    return claim


def test_quantity_phrase_fills_the_interval_as_written_and_in_the_predicates_unit():
    predicate = PredicateFactory(value_type="quantity", unit="km")

    claim = applied(claim_with(predicate, value_as_written="more than 150 miles"))

    assert claim.value_type == ValueType.QUANTITY
    assert (claim.quantity_given_low, claim.quantity_given_high) == (150, None)
    assert claim.quantity_given_unit == "mi"
    assert (claim.quantity_low, claim.quantity_high) == (241.4016, None)
    assert (claim.quantity_low_inclusive, claim.quantity_high_inclusive) == (False, True)


def test_quantity_unit_field_gives_the_unit_a_phrase_leaves_out():
    predicate = PredicateFactory(value_type="quantity", unit="minutes")

    claim = applied(
        claim_with(predicate, value_as_written="between 2 and 3", quantity_given_unit="hours")
    )

    assert (claim.quantity_low, claim.quantity_high) == (120, 180)
    assert claim.quantity_given_unit == "hours"


def test_quantity_is_not_converted_when_the_predicate_has_no_unit():
    predicate = PredicateFactory(value_type="quantity", unit="")

    claim = applied(claim_with(predicate, value_as_written="about 500 fighters"))

    assert (claim.quantity_low, claim.quantity_high) == (450, 550)
    assert claim.quantity_given_unit == "fighter"


def test_quantity_in_a_unit_of_another_dimension_is_refused_on_the_unit_field():
    predicate = PredicateFactory(value_type="quantity", unit="km")
    claim = claim_with(predicate, value_as_written="40", quantity_given_unit="minutes")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert list(raised.value.message_dict) == ["quantity_given_unit"]


def test_a_phrase_and_a_unit_field_that_disagree_are_refused():
    predicate = PredicateFactory(value_type="quantity", unit="km")
    claim = claim_with(predicate, value_as_written="40 miles", quantity_given_unit="km")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert list(raised.value.message_dict) == ["quantity_given_unit"]


def test_date_phrase_is_read_against_the_reference_at_its_precision():
    predicate = PredicateFactory(value_type="date", unit="")

    claim = applied(claim_with(predicate, value_as_written="May"), PartialDate(2016, 8, 3))

    assert (claim.date_from, claim.date_from_precision) == (
        datetime.date(2016, 5, 1),
        Precision.MONTH,
    )
    assert (claim.date_to, claim.date_to_precision) == (
        datetime.date(2016, 5, 31),
        Precision.MONTH,
    )


def test_a_relative_phrase_without_a_reference_needs_a_dated_source():
    predicate = PredicateFactory(value_type="date", unit="")
    claim = claim_with(predicate, value_as_written="last month")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert "needs a dated source" in raised.value.message_dict["value_as_written"][0]


def test_an_unreadable_date_without_a_reference_says_it_cannot_be_read():
    predicate = PredicateFactory(value_type="date", unit="")
    claim = claim_with(predicate, value_as_written="the day after the battle")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert raised.value.message_dict["value_as_written"] == [
        'cannot read "the day after the battle" as a date'
    ]


def test_valid_phrases_fill_open_and_closed_valid_times():
    since = applied(claim_with(valid_as_written="since June 2015"))
    until = applied(claim_with(valid_as_written="until May"), PartialDate(2016))

    assert (since.valid_from, since.valid_from_precision, since.valid_to) == (
        datetime.date(2015, 6, 1),
        Precision.MONTH,
        None,
    )
    assert (until.valid_from, until.valid_to, until.valid_to_precision) == (
        None,
        datetime.date(2016, 5, 31),
        Precision.MONTH,
    )


def test_value_and_valid_time_errors_are_reported_together():
    predicate = PredicateFactory(value_type="quantity", unit="")
    claim = claim_with(predicate, value_as_written="lots", valid_as_written="whenever")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert sorted(raised.value.message_dict) == ["valid_as_written", "value_as_written"]


def test_a_phrase_for_an_entity_predicate_is_refused():
    predicate = PredicateFactory(value_type="entity", unit="")
    claim = claim_with(predicate, value_as_written="the Libyan National Army")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert "fill in value entity instead" in raised.value.message_dict["value_as_written"][0]


def test_a_value_of_another_type_without_a_phrase_is_refused_on_its_field():
    predicate = PredicateFactory(value_type="quantity", unit="")
    claim = claim_with(predicate, value_text="many")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert list(raised.value.message_dict) == ["value_text"]


def test_a_new_phrase_replaces_the_value_of_another_type():
    claim = ClaimFactory()  # at least 400 fighters
    claim.predicate = PredicateFactory(value_type="date", unit="")
    claim.value_as_written = "2015"

    applied(claim)

    assert claim.value_type == ValueType.DATE
    assert (claim.quantity_low, claim.quantity_given_low, claim.quantity_given_unit) == (
        None,
        None,
        "",
    )
    assert (claim.date_from, claim.date_to) == (
        datetime.date(2015, 1, 1),
        datetime.date(2015, 12, 31),
    )


def test_entity_and_text_values_take_the_type_of_their_predicate():
    entity_claim = applied(
        claim_with(PredicateFactory(value_type="entity", unit=""), value_entity=EntityFactory())
    )
    text_claim = applied(
        claim_with(PredicateFactory(value_type="text", unit=""), value_text="a withdrawal")
    )

    assert (entity_claim.value_type, text_claim.value_type) == (ValueType.ENTITY, ValueType.TEXT)


def test_a_claim_with_a_predicate_and_no_value_has_no_value_type():
    claim = applied(claim_with(PredicateFactory(value_type="quantity")))

    assert claim.value_type == ""


def test_a_value_without_a_predicate_is_refused_on_the_predicate():
    claim = claim_with(None, value_text="something")

    with pytest.raises(ValidationError) as raised:
        claim_apply_as_written(claim=claim, reference=None)

    assert list(raised.value.message_dict) == ["predicate"]


def test_claim_save_numbers_new_appearances_after_the_existing_ones(admin_user):
    claim = ClaimFactory()
    AppearanceFactory(claim=claim, position=2)
    sources = [SourceFactory(text=""), SourceFactory(text="")]

    claim_save(
        by=admin_user,
        claim=claim,
        appearances=[AppearanceInput(source=source) for source in sources],
    )

    assert list(claim.appearances.order_by("position").values_list("position", flat=True)) == [
        2,
        3,
        4,
    ]


def test_claim_save_numbers_the_first_appearance_of_a_claim_zero(admin_user):
    claim = ClaimFactory()

    claim_save(by=admin_user, claim=claim, appearances=[AppearanceInput(source=SourceFactory())])

    assert claim.appearances.get().position == 0
