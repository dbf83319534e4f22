"""factory_boy factories for every model, each producing a valid, minimal row."""

import datetime

import factory
from django.utils import timezone

from claims.models import (
    Appearance,
    Claim,
    ClaimRelation,
    Contradiction,
    Predicate,
    PredicateAlias,
    ValueType,
)
from sources.models import Entity, EntityAlias, Outlet, Source
from tracker.models import Precision


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    key = factory.Sequence(lambda n: f"outlet-{n}")
    name = factory.Sequence(lambda n: f"Outlet {n}")
    kind = Outlet.Kind.NEWSPAPER


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    key = factory.Sequence(lambda n: f"entity-{n}")
    name = factory.Sequence(lambda n: f"Entity {n}")
    normalized_name = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", ""))
    kind = Entity.Kind.ORGANIZATION


class EntityAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntityAlias

    entity = factory.SubFactory(EntityFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")
    normalized = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", ""))


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    key = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Report {n}")
    outlet = factory.SubFactory(OutletFactory)
    published = datetime.date(2015, 7, 1)
    published_precision = Precision.MONTH
    text = "At least 400 fighters escaped the city, a commander said."


class PredicateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Predicate

    key = factory.Sequence(lambda n: f"predicate-{n}")
    name = factory.Sequence(lambda n: f"predicate {n}")
    normalized_name = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", ""))
    value_type = ValueType.QUANTITY
    unit = "fighters"


class PredicateAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PredicateAlias

    predicate = factory.SubFactory(PredicateFactory)
    name = factory.Sequence(lambda n: f"predicate alias {n}")
    normalized = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", ""))


class ClaimFactory(factory.django.DjangoModelFactory):
    """A quantity claim: at least 400 fighters."""

    class Meta:
        model = Claim

    key = factory.Sequence(lambda n: f"claim-{n}")
    text = factory.Sequence(lambda n: f"At least {400 + n} fighters escaped.")
    subject = factory.SubFactory(EntityFactory)
    predicate = factory.SubFactory(PredicateFactory)
    value_type = ValueType.QUANTITY
    value_as_written = "at least 400"
    quantity_low = 400.0
    quantity_given_low = 400.0
    quantity_given_unit = "fighters"


class TextClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    key = factory.Sequence(lambda n: f"text-claim-{n}")
    text = factory.Sequence(lambda n: f"Statement number {n}.")


class AppearanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appearance

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    # Derived from the source, as the services write it (Appearance.outlet).
    outlet = factory.LazyAttribute(lambda appearance: appearance.source.outlet)
    quote = "At least 400 fighters escaped the city"


class ClaimRelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimRelation

    from_claim = factory.SubFactory(ClaimFactory)
    to_claim = factory.SubFactory(ClaimFactory)
    type = ClaimRelation.Type.SUPPORTS


class ContradictionFactory(factory.django.DjangoModelFactory):
    """An open quantity flag between two new claims; claims given in either order are stored
    lower id first, as claims_contradiction_pair_ordered requires."""

    class Meta:
        model = Contradiction

    claim_a = factory.SubFactory(ClaimFactory)
    claim_b = factory.SubFactory(ClaimFactory)
    kind = Contradiction.Kind.QUANTITY
    explanation = factory.Sequence(lambda n: f"At least 400 fighters against fewer than {n}.")
    detected_by = "structured-1"
    fingerprint = factory.Sequence(lambda n: f"{n:032x}")
    last_detected_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs["claim_a"].pk > kwargs["claim_b"].pk:
            kwargs["claim_a"], kwargs["claim_b"] = kwargs["claim_b"], kwargs["claim_a"]
        return super()._create(model_class, *args, **kwargs)
