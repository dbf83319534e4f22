"""Admin pages for predicates, claims, their appearances and relations, and contradiction flags."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from claims.admin import candidates as candidate_admin
from claims.admin.forms import AppearanceAdminForm, AppearanceFormSet, ClaimAdminForm
from claims.admin.reviews import ClaimReviewAdminMixin
from claims.admin.supersessions import claim_supersessions_html, flag_supersession_text
from claims.core import display
from claims.core.roles import REVIEW_CONTRADICTION
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRating,
    ClaimRelation,
    ClaimStatusChange,
    Contradiction,
    ContradictionKind,
    ContradictionReport,
    ContradictionScan,
    ContradictionStatus,
    Predicate,
    PredicateAlias,
    ReportEdition,
)
from claims.reports import contradictions as reports
from claims.selectors.claims import (
    ContradictionFilters,
    claim_open_contradictions,
    contradictions_for_report,
    entity_names_with_contradictions,
)
from claims.selectors.desk import AWAITING_REVIEW
from claims.services.claims import (
    AppearanceInput,
    claim_save,
    contradiction_decide,
    predicate_alias_normalize,
    predicate_names_normalize,
    predicate_save,
    relation_save,
)
from sources.admin import (
    ComputedColumnsForm,
    HistoryAdmin,
    NormalizedAliasInline,
    NormalizedSearchMixin,
    SavedWithAliasesMixin,
)
from sources.models import Entity, Outlet
from tracker.errors import ApplicationError

SHORT_TEXT_LENGTH = 90
LIST_TEXT_LENGTH = 70
COMPACT_TEXTAREA = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 50})}}

# --- predicates --------------------------------------------------------------------------------


class PredicateForm(ComputedColumnsForm):
    class Meta:
        model = Predicate
        fields = (
            "key",
            "name",
            "value_type",
            "unit",
            "functional",
            "time_varying",
            "cumulative",
        )

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
class PredicateAdmin(SavedWithAliasesMixin, NormalizedSearchMixin, admin.ModelAdmin):
    form = PredicateForm
    list_display = (
        "name",
        "key",
        "value_type",
        "unit",
        "functional",
        "time_varying",
        "cumulative",
    )
    list_filter = ("value_type", "functional", "time_varying", "cumulative")
    search_fields = ("name", "key", "aliases__name")
    normalized_search_fields = ("normalized_name", "aliases__normalized")
    fields = (
        "key",
        "name",
        "normalized_name",
        "value_type",
        "unit",
        "functional",
        "time_varying",
        "cumulative",
    )
    readonly_fields = ("normalized_name",)
    inlines = [PredicateAliasInline]

    def save_with_aliases(
        self, request: HttpRequest, record: Predicate, aliases: list[str]
    ) -> None:
        predicate_save(by=request.user, predicate=record, aliases=aliases)


# --- claims ------------------------------------------------------------------------------------


def outlet_with_reliability(appearance: Appearance) -> str | None:
    """The outlet of the appearance's source and its reliability letter: "Reuters (B)"."""
    source = appearance.source if appearance.source_id else None
    if source is None or source.outlet is None:
        return None
    return f"{source.outlet.name} ({source.outlet.reliability or 'not graded'})"


# A claim carried by thousands of sources (a wire story picked up everywhere) would make its
# page thousands of form rows: 10,000 took 100 s and 52 MB. The page edits the first ones and
# links to the rest, listed (and paginated) by the appearance list page.
APPEARANCE_INLINE_ROWS = 50


class FirstAppearancesFormSet(AppearanceFormSet):
    """The claim's first APPEARANCE_INLINE_ROWS appearances by position, on GET and POST alike:
    a save changes and deletes only the rows the page showed (AppearanceFormSet hands claim_save
    the changed rows alone), and claim_save adds the new ones after the claim's last appearance."""

    def get_queryset(self) -> models.QuerySet[Appearance]:
        if not hasattr(self, "_queryset"):
            # Ordered by position (the model's ordering), then cut: a sliced queryset cannot be
            # filtered, so the cut comes after BaseInlineFormSet's filter by claim.
            self._queryset = super().get_queryset()[:APPEARANCE_INLINE_ROWS]
        return self._queryset

    @cached_property
    def appearances_total(self) -> int:
        """How many appearances the claim has; counted only when the page is full."""
        shown = len(self.get_queryset())
        if shown < APPEARANCE_INLINE_ROWS or self.instance.pk is None:
            return shown
        return self.instance.appearances.count()

    @property
    def appearances_url(self) -> str:
        """The appearance list page, filtered to this claim."""
        url = reverse("admin:claims_appearance_changelist")
        return f"{url}?{urlencode({'claim__id__exact': self.instance.pk})}"


class AppearanceInline(admin.TabularInline):
    model = Appearance
    formset = FirstAppearancesFormSet
    template = "admin/claims/claim/appearance_inline.html"
    # Not "outlet": that names the appearance's copied outlet column, which the admin would
    # show in place of this method (a model field comes first).
    fields = ("source", "outlet_reliability", "quote", "speaker", "speaker_description", "stance")
    readonly_fields = ("outlet_reliability",)
    autocomplete_fields = ("source", "speaker")
    formfield_overrides = COMPACT_TEXTAREA
    show_change_link = True  # via sources are edited on the appearance's own page
    extra = 1

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Appearance]:
        return super().get_queryset(request).select_related("source__outlet")

    @admin.display(description="outlet (reliability)")
    def outlet_reliability(self, appearance: Appearance) -> str:
        # A read-only column shows None as "None"; the list pages show the empty value for it.
        return outlet_with_reliability(appearance) or self.get_empty_value_display()


class AwaitingReviewFilter(admin.SimpleListFilter):
    """Claims no reviewer has decided on yet (unreviewed or under review): the desk's link."""

    title = "awaiting review"
    parameter_name = "awaiting"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", "awaiting review")]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() == "yes":
            return queryset.filter(status__in=AWAITING_REVIEW)
        return queryset


@admin.register(Claim)
class ClaimAdmin(ClaimReviewAdminMixin, HistoryAdmin):
    form = ClaimAdminForm
    change_list_template = "admin/claims/claim/change_list_with_desk.html"

    def get_urls(self):
        # The "Propose claims" desk (claims/admin/candidates.py), before the catch-all
        # <object_id>/ patterns.
        return candidate_admin.admin_urls() + super().get_urls()

    # Named by its text (the key is an external id); the predicate and value in one column, so
    # that status and independent sources fit beside them at 1280 px.
    list_display = ("short_text", "subject", "says", "status")
    list_display_links = ("short_text",)
    list_select_related = ("subject", "predicate", "value_entity")
    list_filter = (
        AwaitingReviewFilter,
        "status",
        "value_type",
        "negated",
        ("predicate", admin.RelatedOnlyFieldListFilter),
        "appearances__source__outlet__reliability",
    )
    search_fields = ("text", "key")
    autocomplete_fields = ("subject", "predicate", "value_entity", "location")
    readonly_fields = (
        "parsed_value",
        "parsed_valid_time",
        "open_contradictions",
        "supersessions",
        "charts",
    )
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

    def get_fieldsets(self, request: HttpRequest, obj: Claim | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:  # a new claim has no flags yet
            return fieldsets
        first, *rest = fieldsets
        # The hidden version the page was loaded with (ClaimAdminForm.loaded_version).
        first = (first[0], {**first[1], "fields": (*first[1]["fields"], "loaded_version")})
        return [
            first,
            ("Contradictions", {"fields": ("open_contradictions",)}),
            ("Updates and corrections", {"fields": ("supersessions",)}),
            ("Compared with other claims", {"fields": ("charts",)}),
            *rest,
        ]

    @admin.display(description="charts")
    def charts(self, claim: Claim) -> str:
        return reports.claim_charts_html(claim) or "no other claim about this subject to compare"

    @admin.display(description="open contradictions")
    def open_contradictions(self, claim: Claim) -> str:
        return open_contradictions_html(claim) or "none open"

    @admin.display(description="supersedes and superseded by")
    def supersessions(self, claim: Claim) -> str:
        return claim_supersessions_html(claim) or "neither supersedes nor is superseded"

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return Truncator(claim.text).chars(LIST_TEXT_LENGTH)

    @admin.display(description="value")
    def value(self, claim: Claim) -> str | None:
        return display.value_text(claim)

    @admin.display(description="says", ordering="predicate__name")
    def says(self, claim: Claim) -> str | None:
        """ "population: 80,000 people"; empty for a claim kept as text only."""
        value = display.value_text(claim)
        if claim.predicate is None or value is None:
            return None
        return f"{claim.predicate.name}: {value}"

    @admin.display(description="parsed value")
    def parsed_value(self, claim: Claim) -> str:
        # A read-only field shows None as "None": show the admin's empty value instead.
        return display.value_text(claim) or self.get_empty_value_display()

    @admin.display(description="parsed valid time")
    def parsed_valid_time(self, claim: Claim) -> str:
        if claim.valid_from is None and claim.valid_to is None:
            return "not given: the claim holds when its earliest appearance was published"
        return display.valid_time_text(claim)

    def save_model(
        self, request: HttpRequest, obj: Claim, form: forms.ModelForm, change: bool
    ) -> None:
        """Nothing yet: the claim is written with its appearances by claim_save (save_related)."""

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets, change: bool
    ) -> None:
        appearances = next(f for f in formsets if isinstance(f, AppearanceFormSet))
        rows = appearances.appearance_inputs()
        claim_save(
            by=request.user,
            claim=form.instance,
            appearances=[a for _, a in rows],
            expected_version=form.cleaned_data.get("loaded_version"),
        )
        appearances.record_changes(rows)
        # The rest (the review mixin's rating and status) after the claim is saved.
        others = [f for f in formsets if f is not appearances]
        super().save_related(request, form, others, change)


# --- appearances and relations -----------------------------------------------------------------


class AppearanceViaInline(admin.TabularInline):
    model = AppearanceVia
    autocomplete_fields = ("source",)
    verbose_name = "attributed to"
    verbose_name_plural = 'attributed to ("according to an AFP report")'
    extra = 1


def _via_sources(formset) -> list:
    return [
        form.cleaned_data["source"]
        for form in formset.forms
        if form.cleaned_data.get("source") and not formset._should_delete_form(form)
    ]


def _claim_of(appearance: Appearance) -> Claim:
    return Claim.objects.get(pk=appearance.claim_id)


@admin.register(Appearance)
class AppearanceAdmin(HistoryAdmin):
    form = AppearanceAdminForm
    list_display = ("claim_text", "source", "outlet_reliability", "stance", "speaker")
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
        """Nothing yet: written with its via sources through claim_save (save_related)."""

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets, change: bool
    ) -> None:
        via = next(f for f in formsets if f.model is AppearanceVia)
        sent = form.appearance_input(via=_via_sources(via) if via.has_changed() else None)
        claim_save(by=request.user, claim=_claim_of(form.instance), appearances=[sent])
        form.instance = sent.saved  # for the change message and the redirect
        via.new_objects, via.changed_objects, via.deleted_objects = [], [], []

    def delete_model(self, request: HttpRequest, obj: Appearance) -> None:
        self.delete_queryset(request, Appearance.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        by_claim: dict[int, list[int]] = {}
        for pk, claim_id in queryset.values_list("pk", "claim_id"):
            by_claim.setdefault(claim_id, []).append(pk)
        for claim_id, ids in by_claim.items():
            claim_save(
                by=request.user,
                claim=Claim.objects.get(pk=claim_id),
                appearances=[AppearanceInput(source=None, id=pk, delete=True) for pk in ids],
            )

    @admin.display(description="claim", ordering="claim__text")
    def claim_text(self, appearance: Appearance) -> str:
        return Truncator(appearance.claim.text).chars(SHORT_TEXT_LENGTH)

    @admin.display(description="outlet (reliability)")
    def outlet_reliability(self, appearance: Appearance) -> str | None:
        return outlet_with_reliability(appearance)


@admin.register(ClaimRelation)
class ClaimRelationAdmin(admin.ModelAdmin):
    list_display = ("from_claim", "type", "to_claim", "created_at")
    list_select_related = ("from_claim", "to_claim")
    list_filter = ("type",)
    search_fields = ("from_claim__text", "from_claim__key", "to_claim__text", "to_claim__key")
    autocomplete_fields = ("from_claim", "to_claim")
    fields = ("from_claim", "type", "to_claim", "note")

    def save_model(self, request: HttpRequest, obj: ClaimRelation, form, change: bool) -> None:
        relation_save(by=request.user, relation=obj)


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
    """For reading: via sources are changed on their appearance's page, through claim_save."""

    list_display = ("appearance", "source")
    list_select_related = ("appearance", "source")
    search_fields = ("source__title", "source__key", "appearance__claim__key")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# --- contradiction flags -----------------------------------------------------------------------

# The reviewer's decisions on a flag's change page; "" leaves the flag as it is.
DECISION_CONFIRM = "confirm"
DECISION_DISMISS = "dismiss"
DECISION_REFUTE_A = "refute_a"
DECISION_REFUTE_B = "refute_b"
DISMISS_REASON_REQUIRED = "Say why the flag is dismissed."
DECISION_STATUS = {
    DECISION_CONFIRM: ContradictionStatus.CONFIRMED,
    DECISION_DISMISS: ContradictionStatus.DISMISSED,
    DECISION_REFUTE_A: ContradictionStatus.RESOLVED,
    DECISION_REFUTE_B: ContradictionStatus.RESOLVED,
}

# The flag list's order: open flags first, then by subject (claim A's, else claim B's).
OPEN_FIRST = Case(When(status=ContradictionStatus.OPEN, then=Value(0)), default=Value(1))
SUBJECT_NAME = Coalesce("claim_a__subject__name", "claim_b__subject__name")


def _claim_url(claim_id: int) -> str:
    return reverse("admin:claims_claim_change", args=[claim_id])


def _claim_link(claim: Claim) -> str:
    return format_html('<a href="{}">{}</a>', _claim_url(claim.pk), Truncator(claim.text).chars(60))


def detector_html(detected_by: str) -> SafeString:
    """ "found automatically", the detector and its version on hover: jargon kept out of sight."""
    return format_html(
        '<span class="detector-version" title="detector {}">found automatically</span>',
        detected_by,
    )


def open_contradictions_html(claim: Claim) -> SafeString | None:
    """The claim's open flags as a list: each flag (linked), its kind, its explanation and the
    other claim (linked). None when it has none."""
    rows = []
    for flag in claim_open_contradictions(claim_id=claim.pk):
        other = flag.claim_b if flag.claim_a_id == claim.pk else flag.claim_a
        flag_url = reverse("admin:claims_contradiction_change", args=[flag.pk])
        rows.append(
            (
                flag_url,
                flag.get_kind_display().lower(),
                flag.explanation,
                _claim_url(other.pk),
                Truncator(other.text).chars(80),
            )
        )
    if not rows:
        return None
    return format_html(
        '<ul class="open-contradictions">{}</ul>',
        format_html_join(
            "",
            '<li><a href="{}">{} flag</a>: {} (with <a href="{}">{}</a>)</li>',
            rows,
        ),
    )


def _appearance_row(appearance: Appearance) -> dict[str, object]:
    source = appearance.source
    outlet = source.outlet
    speaker = appearance.speaker.name if appearance.speaker else appearance.speaker_description
    return {
        "quote": appearance.quote,
        "stance": appearance.get_stance_display(),
        "speaker": speaker,
        "source": source.title,
        "source_url": reverse("admin:sources_source_change", args=[source.pk]),
        "published": display.partial_date_text(source.published, source.published_precision),
        "outlet": outlet.name if outlet else "",
        "reliability": (outlet.reliability or "not graded") if outlet else "",
        "reliability_label": outlet.get_reliability_display() if outlet else "",
    }


def contradiction_sides(flag: Contradiction) -> list[dict[str, object]]:
    """Both claims of the flag for the side-by-side view, with every appearance, its source and
    outlet: two queries, whatever the number of appearances."""
    appearances = Appearance.objects.select_related("source__outlet", "speaker").order_by(
        "position"
    )
    claims = (
        Claim.objects.select_related("subject", "predicate", "value_entity", "location")
        .prefetch_related(Prefetch("appearances", queryset=appearances))
        .in_bulk([flag.claim_a_id, flag.claim_b_id])
    )
    sides = []
    for label, claim_id in (("A", flag.claim_a_id), ("B", flag.claim_b_id)):
        claim = claims[claim_id]
        sides.append(
            {
                "label": label,
                "claim": claim,
                "url": _claim_url(claim.pk),
                "value": display.value_text(claim),
                "valid_time": display.valid_time_text(claim),
                "appearances": [_appearance_row(row) for row in claim.appearances.all()],
            }
        )
    return sides


class ContradictionReviewForm(forms.ModelForm):
    """The reviewer's decision; save_model hands it to the review services."""

    decision = forms.ChoiceField(
        choices=[
            ("", "leave as it is"),
            (DECISION_CONFIRM, "confirm: the two claims cannot both be true"),
            (DECISION_DISMISS, "dismiss: a false alarm (say why below)"),
            (DECISION_REFUTE_A, "resolve by refuting claim A"),
            (DECISION_REFUTE_B, "resolve by refuting claim B"),
        ],
        required=False,
        initial="",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Kept with the flag (and with the refuted claim's status change). Required "
        "to dismiss: why the two claims do not contradict each other.",
    )

    class Meta:
        model = Contradiction
        fields = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        flag = self.instance
        if flag.pk is not None and "decision" in self.fields:
            # Name the claims, so that A and B cannot be mixed up (loaded with the flag).
            choices = dict(self.fields["decision"].choices)
            choices[DECISION_REFUTE_A] = (
                f"resolve by refuting claim A: {Truncator(flag.claim_a.text).chars(80)}"
            )
            choices[DECISION_REFUTE_B] = (
                f"resolve by refuting claim B: {Truncator(flag.claim_b.text).chars(80)}"
            )
            self.fields["decision"].choices = list(choices.items())

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        # contradiction_decide refuses an empty dismissal reason too; said here, it shows on its
        # field.
        if cleaned.get("decision") == DECISION_DISMISS and not cleaned.get("reason"):
            self.add_error("reason", DISMISS_REASON_REQUIRED)
        return cleaned


class DismissReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        error_messages={"required": DISMISS_REASON_REQUIRED},
        help_text="Kept with each flag: why the two claims do not contradict each other.",
    )


class ContradictionSubjectFilter(admin.SimpleListFilter):
    title = "subject"
    parameter_name = "subject"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        # Only the subjects that have flags, in one query that starts from the flags.
        flagged = Q(pk__in=Contradiction.objects.values("claim_a__subject")) | Q(
            pk__in=Contradiction.objects.values("claim_b__subject")
        )
        subjects = Entity.objects.filter(flagged).order_by("name").values_list("pk", "name")
        return [(str(pk), name) for pk, name in subjects]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() is None:
            return queryset
        return queryset.filter(
            Q(claim_a__subject_id=self.value()) | Q(claim_b__subject_id=self.value())
        )


class ContradictionOutletFilter(admin.SimpleListFilter):
    """Flags either of whose claims appears in a source of the outlet."""

    title = "outlet"
    parameter_name = "outlet"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        # Only the outlets with an appearance of a flagged claim, in one query.
        flagged_claim = Exists(Contradiction.objects.filter(claim_a=OuterRef("claim"))) | Exists(
            Contradiction.objects.filter(claim_b=OuterRef("claim"))
        )
        outlets = (
            Outlet.objects.filter(
                Exists(Appearance.objects.filter(flagged_claim, source__outlet=OuterRef("pk")))
            )
            .order_by("name")
            .values_list("pk", "name", "reliability")
        )
        return [
            (str(pk), f"{name} ({reliability or 'not graded'})")
            for pk, name, reliability in outlets
        ]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() is None:
            return queryset
        # Exists rather than joins: a flag with many appearances in the outlet is listed once.
        in_outlet = Appearance.objects.filter(source__outlet_id=self.value())
        return queryset.filter(
            Exists(in_outlet.filter(claim=OuterRef("claim_a")))
            | Exists(in_outlet.filter(claim=OuterRef("claim_b")))
        )


@admin.register(Contradiction)
class ContradictionAdmin(HistoryAdmin):
    """Flags come only from detection: reviewers confirm, dismiss or resolve them here."""

    form = ContradictionReviewForm
    list_display = (
        "short_explanation",
        "kind",
        "status",
        "claim_a_link",
        "claim_b_link",
        "subject",
        "last_detected_at",
    )
    list_select_related = ("claim_a__subject", "claim_b__subject")
    list_filter = ("kind", "status", ContradictionSubjectFilter, ContradictionOutletFilter)
    search_fields = (
        "claim_a__key",
        "claim_a__text",
        "claim_b__key",
        "claim_b__text",
        "explanation",
    )
    actions = ("confirm_selected", "dismiss_selected")
    readonly_fields = (
        "kind",
        "explanation",
        "found_by",
        "last_detected_at",
        "status",
        "status_changed_by",
        "status_changed_at",
        "dismissed_reason",
        "now_related",
    )

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Contradiction]:
        return (
            super()
            .get_queryset(request)
            .select_related("claim_a__subject", "claim_b__subject", "status_changed_by")
        )

    def get_ordering(self, request: HttpRequest) -> tuple:
        return (OPEN_FIRST.asc(), SUBJECT_NAME.asc(), "id")

    def get_fieldsets(self, request: HttpRequest, obj: Contradiction | None = None):
        fieldsets = [
            (None, {"fields": ("explanation", "kind", "found_by", "last_detected_at")}),
            (
                "Review",
                {
                    "fields": (
                        "status",
                        ("status_changed_by", "status_changed_at"),
                        "dismissed_reason",
                    )
                },
            ),
        ]
        if obj is not None and flag_supersession_text(obj):
            # A reviewed flag is kept when its claims come to supersede one another.
            fieldsets.insert(1, ("Now related as", {"fields": ("now_related",)}))
        if self.has_change_permission(request, obj):
            fieldsets.append(("Decision", {"fields": ("decision", "reason")}))
        return fieldsets

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Contradiction | None = None) -> bool:
        # Detection would raise a deleted flag again, without its review: dismiss it instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Contradiction | None = None) -> bool:
        # A flag's only change is a reviewer's decision (the services check it too).
        return request.user.has_perm(REVIEW_CONTRADICTION)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict,
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Contradiction | None = None,
    ):
        if obj is not None:
            context["contradiction_sides"] = contradiction_sides(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(
        self, request: HttpRequest, obj: Contradiction, form: forms.ModelForm, change: bool
    ) -> None:
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        refuted = {DECISION_REFUTE_A: obj.claim_a_id, DECISION_REFUTE_B: obj.claim_b_id}
        contradiction_decide(
            by=request.user,
            contradiction_id=obj.pk,
            status=DECISION_STATUS[decision],
            reason=form.cleaned_data.get("reason", ""),
            refuted_claim_id=refuted.get(decision),
        )
        obj.refresh_from_db()  # for the change message and the history entry

    @admin.display(description="update or correction")
    def now_related(self, flag: Contradiction) -> str:
        return flag_supersession_text(flag)

    @admin.display(description="found by")
    def found_by(self, flag: Contradiction) -> str:
        return detector_html(flag.detected_by)

    @admin.display(description="explanation", ordering="explanation")
    def short_explanation(self, flag: Contradiction) -> str:
        return Truncator(flag.explanation).chars(SHORT_TEXT_LENGTH)

    @admin.display(description="claim A", ordering="claim_a__text")
    def claim_a_link(self, flag: Contradiction) -> str:
        return _claim_link(flag.claim_a)

    @admin.display(description="claim B", ordering="claim_b__text")
    def claim_b_link(self, flag: Contradiction) -> str:
        return _claim_link(flag.claim_b)

    @admin.display(description="subject", ordering=SUBJECT_NAME)
    def subject(self, flag: Contradiction) -> Entity | None:
        return flag.claim_a.subject or flag.claim_b.subject

    @admin.action(description="Confirm selected", permissions=["change"])
    def confirm_selected(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        ids = list(queryset.values_list("pk", "status"))
        changed = [pk for pk, status in ids if status != ContradictionStatus.CONFIRMED]
        for pk in changed:
            contradiction_decide(
                by=request.user, contradiction_id=pk, status=ContradictionStatus.CONFIRMED
            )
        self.message_user(request, _count_message(changed, ids, "confirmed"), messages.SUCCESS)

    @admin.action(description="Dismiss selected (asks for a reason)", permissions=["change"])
    def dismiss_selected(self, request: HttpRequest, queryset: models.QuerySet):
        form = DismissReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ids = list(queryset.values_list("pk", "status"))
            changed = [pk for pk, status in ids if status != ContradictionStatus.DISMISSED]
            for pk in changed:
                contradiction_decide(
                    by=request.user,
                    contradiction_id=pk,
                    status=ContradictionStatus.DISMISSED,
                    reason=form.cleaned_data["reason"],
                )
            self.message_user(request, _count_message(changed, ids, "dismissed"), messages.SUCCESS)
            return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "title": "Dismiss contradiction flags",
            "subtitle": None,
            "opts": self.opts,
            "flags": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/claims/contradiction/dismiss_reason.html", context)


def _count_message(changed: list[int], selected: list[tuple], verb: str) -> str:
    """ "2 flags dismissed; 1 was dismissed already." """
    text = f"{len(changed)} flag{'' if len(changed) == 1 else 's'} {verb}"
    unchanged = len(selected) - len(changed)
    if unchanged:
        text += f"; {unchanged} {'was' if unchanged == 1 else 'were'} {verb} already"
    return f"{text}."


@admin.register(ContradictionScan)
class ContradictionScanAdmin(admin.ModelAdmin):
    """Full scans, as detection records them: for reading only."""

    list_display = (
        "__str__",
        "status",
        "requested_by",
        "started_at",
        "finished_at",
        "chunks_total",
        "claims_compared",
        "candidates_compared",
        "pairs_found",
        "flags_withdrawn",
    )
    list_filter = ("status",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ContradictionScan | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ContradictionScan | None = None
    ) -> bool:
        return False


# --- the contradiction report and its editions -------------------------------------------------


class ContradictionReportFilterForm(forms.Form):
    """The report page's filters, as ContradictionFilters reads them."""

    status = forms.MultipleChoiceField(
        choices=ContradictionStatus.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    kind = forms.MultipleChoiceField(
        choices=ContradictionKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    subject = forms.CharField(
        required=False,
        help_text="A name or alias, or part of one: Sirte finds the Battle of Sirte too.",
        # Suggestions as one types: the subjects with flags, by name and every alias.
        widget=forms.TextInput(attrs={"list": "report-subjects", "autocomplete": "off"}),
    )
    outlet = forms.ModelChoiceField(
        queryset=Outlet.objects.order_by("name"),
        required=False,
        to_field_name="key",
        empty_label="any outlet",
    )
    since = forms.DateField(
        required=False, label="detected since", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="detected until", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the date range is before its start.")
        return cleaned

    def filters(self) -> ContradictionFilters:
        data = self.cleaned_data
        return ContradictionFilters(
            statuses=tuple(data["status"]) or None,
            kinds=tuple(data["kind"]) or None,
            subject=data["subject"] or None,
            outlet=data["outlet"].key if data["outlet"] else None,
            since=data["since"],
            until=data["until"],
        )


@admin.register(ContradictionReport)
class ContradictionReportAdmin(admin.ModelAdmin):
    """The contradiction report as an admin page (listed on the index as a model would be):
    the flags grouped by subject and predicate, side by side, with charts; filters; a PDF."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Whoever may read the flags may read the report of them.
        return request.user.has_perm("claims.view_contradiction")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ContradictionReportFilterForm(request.GET or None)
        flags: list[Contradiction] = []
        filters = ContradictionFilters()
        if form.is_bound and not form.is_valid():
            filters = None
        elif form.is_bound:
            filters = form.filters()
        if filters is not None:
            try:
                flags = list(contradictions_for_report(filters))
            except ApplicationError as error:
                form.add_error("subject" if filters.subject else "outlet", str(error))
                filters = None
        described = reports.filters_text(filters) if filters else ""
        if filters is not None and request.GET.get("format") == "pdf":
            pdf = reports.report_pdf(flags, filters_text=described)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = 'inline; filename="contradictions.pdf"'
            return response
        query = request.GET.copy()
        query["format"] = "pdf"
        context = {
            **self.admin_site.each_context(request),
            **reports.report_context(flags, filters_text=described),
            "title": "Contradiction report",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "pdf_query": query.urlencode(),
            "subject_suggestions": entity_names_with_contradictions(),
            "editions_url": reverse("admin:claims_reportedition_changelist"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/claims/contradiction_report.html", context)


@admin.register(ReportEdition)
class ReportEditionAdmin(admin.ModelAdmin):
    """Editions of the report kept by the weekly task: for reading and comparing only."""

    list_display = (
        "__str__",
        "flags_total",
        "flags_open",
        "flags_confirmed",
        "flags_dismissed",
        "flags_resolved",
        "flags_new",
        "kinds",
        "created_at",
    )
    fields = (
        ("period_start", "period_end"),
        "created_at",
        ("flags_total", "flags_new"),
        ("flags_open", "flags_confirmed", "flags_dismissed", "flags_resolved"),
        "kinds",
        "changes_since_previous",
        "report",
    )
    readonly_fields = tuple(
        name for row in fields for name in (row if isinstance(row, tuple) else (row,))
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="by kind")
    def kinds(self, edition: ReportEdition) -> str:
        return ", ".join(f"{kind} {count}" for kind, count in edition.counts_by_kind.items())

    @admin.display(description="since the previous edition")
    def changes_since_previous(self, edition: ReportEdition) -> str:
        changes = reports.report_edition_changes(edition)
        if changes["previous"] is None:
            return "This is the first edition."
        lines = [("new", entry["explanation"], "") for entry in changes["added"]] + [
            ("no longer listed", entry["explanation"], "") for entry in changes["removed"]
        ]
        lines += [
            ("status", entry["explanation"], f" ({entry['previous_status']} → {entry['status']})")
            for entry in changes["status_changed"]
        ]
        summary = format_html(
            "Compared with {}: {} new, {} no longer listed, {} changed status.",
            changes["previous"],
            len(changes["added"]),
            len(changes["removed"]),
            len(changes["status_changed"]),
        )
        if not lines:
            return summary
        return format_html(
            "{}<ul>{}</ul>", summary, format_html_join("", "<li>{}: {}{}</li>", lines)
        )

    @admin.display(description="the report as it read")
    def report(self, edition: ReportEdition) -> str:
        # In a frame: the edition is a whole HTML document with its own styles. srcdoc is
        # escaped like any attribute; sandboxed, the frame runs nothing (there is nothing to run).
        return format_html(
            '<iframe class="report-edition" sandbox srcdoc="{}" title="{}" '
            'style="width: 100%; height: 70vh; border: 1px solid #ccc"></iframe>',
            edition.html,
            edition,
        )


# --- review records ----------------------------------------------------------------------------


class ReadOnlyAdmin(HistoryAdmin):
    """Rows the services write: listed and read here, changed only through the claim's page."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ClaimRating)
class ClaimRatingAdmin(ReadOnlyAdmin):
    list_display = (
        "claim",
        "reviewer",
        "likelihood",
        "confidence",
        "credibility",
        "suggested_credibility",
        "created_at",
        "superseded_at",
    )
    list_select_related = ("claim", "reviewer")
    list_filter = (
        "likelihood",
        "confidence",
        "credibility",
        ("superseded_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("claim__key", "claim__text", "reviewer__username", "rationale")


@admin.register(ClaimStatusChange)
class ClaimStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("claim", "from_status", "to_status", "changed_by", "created_at", "reason")
    list_select_related = ("claim", "changed_by")
    list_filter = ("to_status", "from_status")
    search_fields = ("claim__key", "claim__text", "changed_by__username", "reason")
