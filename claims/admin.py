"""Admin pages for predicates, claims, their appearances and relations."""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.text import Truncator

from claims import values
from claims.forms import ClaimAdminForm
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRelation,
    Predicate,
    PredicateAlias,
    ValueType,
)
from claims.services import (
    claim_appearance_positions_assign,
    predicate_alias_normalize,
    predicate_names_normalize,
)
from sources.admin import ComputedColumnsForm, NormalizedAliasInline, NormalizedSearchMixin

SHORT_TEXT_LENGTH = 90
COMPACT_TEXTAREA = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}

# --- predicates --------------------------------------------------------------------------------


class PredicateForm(ComputedColumnsForm):
    class Meta:
        model = Predicate
        fields = ("key", "name", "value_type", "unit", "functional", "time_varying")

    def fill_computed_columns(self) -> None:
        predicate_names_normalize(predicate=self.instance)


class PredicateAliasForm(ComputedColumnsForm):
    computed_column_errors = {
        "normalized": ("name", "This alias has no letters or digits to compare it by."),
    }

    class Meta:
        model = PredicateAlias
        fields = ("name",)

    def fill_computed_columns(self) -> None:
        predicate_alias_normalize(alias=self.instance)


class PredicateAliasInline(NormalizedAliasInline):
    model = PredicateAlias
    form = PredicateAliasForm


@admin.register(Predicate)
class PredicateAdmin(NormalizedSearchMixin, admin.ModelAdmin):
    form = PredicateForm
    list_display = ("name", "key", "value_type", "unit", "functional", "time_varying")
    list_filter = ("value_type", "functional", "time_varying")
    search_fields = ("name", "key", "aliases__name")
    normalized_search_fields = ("normalized_name", "aliases__normalized")
    fields = ("key", "name", "normalized_name", "value_type", "unit", "functional", "time_varying")
    readonly_fields = ("normalized_name",)
    inlines = [PredicateAliasInline]


# --- claims ------------------------------------------------------------------------------------


def outlet_with_reliability(appearance: Appearance) -> str | None:
    """The outlet of the appearance's source and its reliability letter: "Reuters (B)"."""
    source = appearance.source if appearance.source_id else None
    if source is None or source.outlet is None:
        return None
    return f"{source.outlet.name} ({source.outlet.reliability or '?'})"


class AppearanceInline(admin.TabularInline):
    model = Appearance
    fields = ("source", "outlet", "quote", "speaker", "speaker_description", "stance")
    readonly_fields = ("outlet",)
    autocomplete_fields = ("source", "speaker")
    formfield_overrides = COMPACT_TEXTAREA
    show_change_link = True  # via sources are edited on the appearance's own page
    extra = 1

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Appearance]:
        return super().get_queryset(request).select_related("source__outlet")

    @admin.display(description="outlet (reliability)")
    def outlet(self, appearance: Appearance) -> str:
        # A read-only column shows None as "None"; the list pages show the empty value for it.
        return outlet_with_reliability(appearance) or self.get_empty_value_display()


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimAdminForm
    list_display = ("key", "short_text", "subject", "predicate", "value", "status")
    list_select_related = ("subject", "predicate", "value_entity")
    list_filter = (
        "status",
        "value_type",
        "negated",
        ("predicate", admin.RelatedOnlyFieldListFilter),
        "appearances__source__outlet__reliability",
    )
    search_fields = ("text", "key")
    autocomplete_fields = ("subject", "predicate", "value_entity", "location")
    readonly_fields = ("parsed_value", "parsed_valid_time")
    fieldsets = (
        (None, {"fields": ("key", "text", "status")}),
        (
            "Value",
            {
                "fields": (
                    "subject",
                    "predicate",
                    "negated",
                    ("value_as_written", "quantity_given_unit"),
                    "parsed_value",
                    "value_entity",
                    "value_text",
                    "location",
                ),
                "description": "A quantity or date is entered as written; an entity or text "
                "value in its own field. The kind of value follows the predicate.",
            },
        ),
        ("Valid time", {"fields": ("valid_as_written", "parsed_valid_time")}),
        (
            "Structured value, set directly",
            {
                "classes": ("collapse",),
                "description": "Used only when the phrases above are empty; a phrase, when "
                "given, overwrites these on save.",
                "fields": (
                    ("quantity_low", "quantity_low_inclusive"),
                    ("quantity_high", "quantity_high_inclusive"),
                    ("quantity_given_low", "quantity_given_high"),
                    ("date_from", "date_from_precision"),
                    ("date_to", "date_to_precision"),
                    ("valid_from", "valid_from_precision"),
                    ("valid_to", "valid_to_precision"),
                ),
            },
        ),
    )
    formfield_overrides = COMPACT_TEXTAREA
    inlines = [AppearanceInline]

    @admin.display(description="text", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return Truncator(claim.text).chars(SHORT_TEXT_LENGTH)

    @admin.display(description="value")
    def value(self, claim: Claim) -> str | None:
        return claim_value_text(claim)

    @admin.display(description="parsed value")
    def parsed_value(self, claim: Claim) -> str:
        # A read-only field shows None as "None": show the admin's empty value instead.
        return claim_value_text(claim) or self.get_empty_value_display()

    @admin.display(description="parsed valid time")
    def parsed_valid_time(self, claim: Claim) -> str:
        if claim.valid_from is None and claim.valid_to is None:
            return "not given: the claim holds when its earliest appearance was published"
        return values.format_date_interval(
            values.DateInterval(
                start=_partial_date(claim.valid_from, claim.valid_from_precision),
                end=_partial_date(claim.valid_to, claim.valid_to_precision),
            )
        )

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is Appearance:
            # Rows the formset will create, as BaseModelFormSet.save_new_objects picks them.
            new = [
                row.instance
                for row in formset.extra_forms
                if row.has_changed() and not row.cleaned_data.get("DELETE")
            ]
            claim_appearance_positions_assign(claim=form.instance, appearances=new)
        super().save_formset(request, form, formset, change)


def claim_value_text(claim: Claim) -> str | None:
    """The stored value for people: "[400, open) fighters", "2014-09 to 2014-12", "not ..."."""
    text = _value_text(claim)
    if text is None:
        return None
    return f"not {text}" if claim.negated else text


def _value_text(claim: Claim) -> str | None:
    if claim.value_type == ValueType.QUANTITY:
        return _quantity_text(claim)
    if claim.value_type == ValueType.DATE:
        return values.format_date_interval(
            values.DateInterval(
                start=_partial_date(claim.date_from, claim.date_from_precision),
                end=_partial_date(claim.date_to, claim.date_to_precision),
            )
        )
    if claim.value_type == ValueType.ENTITY:
        return str(claim.value_entity)
    if claim.value_type == ValueType.TEXT:
        return claim.value_text
    return None


def _quantity_text(claim: Claim) -> str:
    predicate_unit = claim.predicate.unit if claim.predicate else ""
    # Without a predicate unit nothing was converted: the figures are in the given unit.
    unit = predicate_unit or claim.quantity_given_unit or None
    text = _interval_text(
        claim.quantity_low,
        claim.quantity_high,
        claim.quantity_low_inclusive,
        claim.quantity_high_inclusive,
        unit,
    )
    given_unit = claim.quantity_given_unit
    if predicate_unit and given_unit and not _same_unit(given_unit, predicate_unit):
        given = _interval_text(
            claim.quantity_given_low,
            claim.quantity_given_high,
            claim.quantity_low_inclusive,
            claim.quantity_high_inclusive,
            given_unit,
        )
        text = f"{text} (given as {given})"
    return text


def _interval_text(
    low: float | None,
    high: float | None,
    low_inclusive: bool,
    high_inclusive: bool,
    unit: str | None,
) -> str:
    try:
        quantity = values.Quantity(
            low=_decimal(low),
            high=_decimal(high),
            low_inclusive=low_inclusive,
            high_inclusive=high_inclusive,
        )
    except values.ValueParseError:  # an empty interval, e.g. (5, 5): show what is stored
        return f"{low}, {high} {unit or ''}".strip()
    return values.format_quantity(quantity, unit)


def _decimal(value: float | None) -> Decimal | None:
    # Through str: Decimal(0.1) would show the float's binary expansion.
    return None if value is None else Decimal(str(value))


def _same_unit(a: str, b: str) -> bool:
    try:
        return values.normalize_unit(a) == values.normalize_unit(b)
    except values.ValueParseError:
        return False


def _partial_date(day: date | None, precision: str) -> values.PartialDate | None:
    if day is None:
        return None
    return values.PartialDate.from_date(day, values.Precision(precision or "day"))


# --- appearances and relations -----------------------------------------------------------------


class AppearanceViaInline(admin.TabularInline):
    model = AppearanceVia
    autocomplete_fields = ("source",)
    verbose_name = "attributed to"
    verbose_name_plural = 'attributed to ("according to an AFP report")'
    extra = 1


@admin.register(Appearance)
class AppearanceAdmin(admin.ModelAdmin):
    list_display = ("claim_text", "source", "outlet", "stance", "speaker")
    list_select_related = ("claim", "source__outlet", "speaker")
    list_filter = ("stance", "source__outlet__reliability")
    search_fields = ("quote", "claim__text", "claim__key", "source__title", "source__key")
    autocomplete_fields = ("claim", "source", "speaker")
    formfield_overrides = COMPACT_TEXTAREA
    inlines = [AppearanceViaInline]

    def get_fields(self, request: HttpRequest, obj: Appearance | None = None) -> list[str]:
        fields = ["claim", "source", "quote", "speaker", "speaker_description", "stance"]
        # A new appearance is numbered after its claim's others on save.
        return [*fields, "position"] if obj is not None else fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: Appearance | None = None
    ) -> tuple[str, ...]:
        # Moving an appearance to another claim would clash with that claim's positions.
        return ("claim", "position") if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: Appearance, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            claim_appearance_positions_assign(claim=obj.claim, appearances=[obj])
        super().save_model(request, obj, form, change)

    @admin.display(description="claim", ordering="claim__text")
    def claim_text(self, appearance: Appearance) -> str:
        return Truncator(appearance.claim.text).chars(SHORT_TEXT_LENGTH)

    @admin.display(description="outlet (reliability)")
    def outlet(self, appearance: Appearance) -> str | None:
        return outlet_with_reliability(appearance)


@admin.register(ClaimRelation)
class ClaimRelationAdmin(admin.ModelAdmin):
    list_display = ("from_claim", "type", "to_claim", "created_at")
    list_select_related = ("from_claim", "to_claim")
    list_filter = ("type",)
    search_fields = ("from_claim__text", "from_claim__key", "to_claim__text", "to_claim__key")
    autocomplete_fields = ("from_claim", "to_claim")
    fields = ("from_claim", "type", "to_claim", "note")


# Alias and via rows are edited inline under their predicate or appearance; these pages list
# and find them across the whole table.


@admin.register(PredicateAlias)
class PredicateAliasAdmin(admin.ModelAdmin):
    form = PredicateAliasForm
    list_display = ("name", "predicate", "normalized")
    list_select_related = ("predicate",)
    search_fields = ("name", "normalized", "predicate__name", "predicate__key")
    autocomplete_fields = ("predicate",)
    fields = ("predicate", "name", "normalized")
    readonly_fields = ("normalized",)


@admin.register(AppearanceVia)
class AppearanceViaAdmin(admin.ModelAdmin):
    list_display = ("appearance", "source")
    list_select_related = ("appearance", "source")
    search_fields = ("source__title", "source__key", "appearance__claim__key")
    autocomplete_fields = ("appearance", "source")
