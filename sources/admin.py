"""Admin pages for outlets, sources and entities.

The forms here fill the comparison columns (normalized names, normalized URL) through
sources.services and validate the constraints on them; claims/admin/claims.py reuses them for
predicates.
"""

from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseNotAllowed
from django.template.defaultfilters import pluralize
from simple_history.admin import SimpleHistoryAdmin

from claims.core.display import partial_date_in_words
from claims.core.roles import GRADE_OUTLET
from claims.core.values import (
    PartialDate,
    Precision,
    ValueParseError,
    normalize_name,
)
from sources import services
from sources.models import (
    Entity,
    EntityAlias,
    Outlet,
    Source,
    SourceCitation,
    SourceCorrection,
)
from sources.url_normalization import normalize_url


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's admin with its history pages for reading only.

    Its "revert" form saves a past version straight through the form, past the services (no
    version check, no role check on a grade, no re-check of contradictions), and a POST to its
    list page was a 500: both answer a POST with 405. To go back to an old version, its values
    are entered on the change page, which saves through the services.
    """

    def history_view(self, request: HttpRequest, object_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request: HttpRequest, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class ComputedColumnsForm(forms.ModelForm):
    """A model form that fills the columns the services compute, then validates them.

    Django validates only the constraints on a form's own fields, and computed columns
    (`editable=False`) are not form fields: unchecked, a duplicate normalized URL would reach the
    database as an IntegrityError, a 500 instead of a message on the field.
    """

    # computed column: (the form field its errors are shown on, the message; {value} is the
    # computed value).
    computed_column_errors: ClassVar[dict[str, tuple[str, str]]] = {}

    def fill_computed_columns(self) -> None:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # ModelForm builds self.instance from the submitted fields here: the computed columns can
        # be filled only after that, and must be checked before the form counts as valid.
        super()._post_clean()
        self.fill_computed_columns()
        all_columns = {field.name for field in self.instance._meta.fields}
        for column, (field, message) in self.computed_column_errors.items():
            if field in self.errors:
                continue  # computed from a value that was refused; nothing sound to check
            try:
                # Every other column excluded: only the constraints on this one are checked.
                self.instance.validate_constraints(exclude=all_columns - {column})
            except ValidationError:
                self.add_error(field, message.format(value=getattr(self.instance, column)))


class ServiceSavedFormSet(forms.BaseInlineFormSet):
    """An inline formset whose rows a service writes together with their parent record: the
    formset itself is never saved, and says afterwards what changed."""

    def record_changes(self) -> None:
        """What ModelAdmin's change message reads from a formset that saved itself."""
        self.new_objects = [f.instance for f in self.extra_forms if f.has_changed()]
        self.changed_objects = [
            (f.instance, f.changed_data)
            for f in self.initial_forms
            if f.has_changed() and not self._should_delete_form(f)
        ]
        self.deleted_objects = [f.instance for f in self.deleted_forms]


class NormalizedAliasFormSet(ServiceSavedFormSet):
    """Refuses two aliases of one record that are the same once normalised ("ISIS", "Isis").

    The per-record unique constraint on the normalized column is not checked by the forms (the
    column is not a form field). Every alias of the record is in this formset, so comparing its
    rows finds every clash before the database would.
    """

    def clean(self) -> None:
        super().clean()
        names_by_normalized: dict[str, str] = {}
        for form in self.forms:
            if form.instance._state.adding and not form.has_changed():
                continue  # an empty extra row
            if form.errors or form.cleaned_data.get("DELETE"):
                continue
            name, normalized = form.instance.name, form.instance.normalized
            if normalized in names_by_normalized:
                raise ValidationError(
                    f'"{name}" and "{names_by_normalized[normalized]}" are the same alias once '
                    f"normalised ({normalized}): keep one."
                )
            names_by_normalized[normalized] = name

    def alias_names(self) -> list[str]:
        """Every alias the record keeps once this POST is saved: its service replaces them."""
        return [
            form.cleaned_data["name"]
            for form in self.forms
            if form.cleaned_data.get("name") and not self._should_delete_form(form)
        ]


class SavedWithAliasesMixin:
    """A ModelAdmin whose record and alias inline are written by one service call
    (`save_with_aliases`), which replaces the aliases; any other inline is saved as usual."""

    def save_with_aliases(self, request: HttpRequest, record, aliases: list[str]) -> None:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Nothing yet: written with its aliases in save_related."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        aliases = next(f for f in formsets if isinstance(f, NormalizedAliasFormSet))
        self.save_with_aliases(request, form.instance, aliases.alias_names())
        aliases.record_changes()
        others = [f for f in formsets if f is not aliases]
        super().save_related(request, form, others, change)  # type: ignore[misc]


class NormalizedSearchMixin:
    """Admin search that also matches the normalized columns against the normalized term.

    Editors then find "al-Bunyan al-Marsous" by typing "albunyan almarsous", and ISIS by
    "Daesh" however an alias is spelt; autocomplete widgets search the same way.
    """

    normalized_search_fields: tuple[str, ...] = ()
    normalize_search_term: Callable[[str], str] = staticmethod(normalize_name)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        unsearched = queryset
        queryset, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        term = self.normalize_search_term(search_term) if search_term else ""
        if not term or not self.normalized_search_fields:
            return queryset, may_have_duplicates
        matching = Q.create(
            [(f"{field}__contains", term) for field in self.normalized_search_fields],
            connector=Q.OR,
        )
        # Matches by primary key in subqueries: a search across aliases joins one row per
        # matching alias, and selecting the pks in a subquery returns each record once, without
        # the DISTINCT Django would otherwise add (may_have_duplicates).
        queryset = unsearched.filter(
            Q(pk__in=queryset.values("pk"))
            | Q(pk__in=unsearched.model._default_manager.filter(matching).values("pk"))
        )
        return queryset, False


# --- outlets -----------------------------------------------------------------------------------


def track_record_text(record) -> str:
    """A track record for people: "0.60 (1 vetted, 0 refuted)"; computed by
    claims/services/credibility.py, so absent until its first run."""
    if record is None:
        return "not computed yet"
    return f"{record.score:.2f} ({record.vetted} vetted, {record.refuted} refuted)"


def truth_score_text(record) -> str:
    if record is None or record.truth_score is None:
        return "not computed yet"
    return f"{record.truth_score:.2f} (over {record.claims} claim{pluralize(record.claims)})"


@admin.register(Outlet)
class OutletAdmin(HistoryAdmin):
    list_display = (
        "name",
        "key",
        "kind",
        "country",
        "reliability",
        "settled_record",
        "truth_score",
        "url",
    )
    list_select_related = ("track_record",)
    list_filter = ("kind", "reliability", "country")
    search_fields = ("name", "key")
    fields = (
        "key",
        "name",
        "url",
        "kind",
        "country",
        "reliability",
        "settled_record",
        "truth_score",
    )
    readonly_fields = ("settled_record", "truth_score")

    # Not named track_record: that is the reverse relation, which the admin would show instead.
    @admin.display(description="track record", ordering="track_record__score")
    def settled_record(self, outlet: Outlet) -> str:
        return track_record_text(getattr(outlet, "track_record", None))

    @admin.display(description="truth score", ordering="track_record__truth_score")
    def truth_score(self, outlet: Outlet) -> str:
        return truth_score_text(getattr(outlet, "track_record", None))

    # https: Django 6's default, chosen now (Django 5.2 warns when no scheme is chosen).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_form(self, request: HttpRequest, obj: Outlet | None = None, change=False, **kwargs):
        kwargs.setdefault(
            "help_texts", {"country": "Two-letter country code: GB, LY, US (ISO 3166)."}
        )
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Outlet | None = None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        # Only reviewers set the reliability letter (services.outlet_grade checks it too).
        return readonly if request.user.has_perm(GRADE_OUTLET) else (*readonly, "reliability")

    def save_model(self, request: HttpRequest, obj: Outlet, form, change: bool) -> None:
        # The grade is handed on only when changed: the service checks who may grade.
        graded = "reliability" in form.changed_data
        services.outlet_save(
            by=request.user, outlet=obj, reliability=obj.reliability if graded else None
        )


# --- entities ----------------------------------------------------------------------------------


class EntityForm(ComputedColumnsForm):
    class Meta:
        model = Entity
        fields = ("key", "name", "kind", "affiliation", "role")

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        affiliation = cleaned_data.get("affiliation")
        # sources_entity_not_affiliated_with_itself names the id, which the form does not check.
        if affiliation is not None and affiliation.pk == self.instance.pk:
            self.add_error("affiliation", "An entity cannot be affiliated with itself.")
        return cleaned_data

    def fill_computed_columns(self) -> None:
        services.entity_names_normalize(entity=self.instance)


class EntityAliasForm(ComputedColumnsForm):
    computed_column_errors = {
        "normalized": ("name", "This alias has no letters or digits to compare it by."),
    }

    class Meta:
        model = EntityAlias
        fields = ("name",)

    def fill_computed_columns(self) -> None:
        services.entity_alias_normalize(alias=self.instance)


class NormalizedAliasInline(admin.TabularInline):
    """Aliases under their entity or predicate, each shown with the form it is compared by."""

    formset = NormalizedAliasFormSet
    fields = ("name", "normalized")
    readonly_fields = ("normalized",)
    extra = 1


class EntityAliasInline(NormalizedAliasInline):
    model = EntityAlias
    form = EntityAliasForm


@admin.register(Entity)
class EntityAdmin(SavedWithAliasesMixin, NormalizedSearchMixin, admin.ModelAdmin):
    form = EntityForm
    list_display = (
        "name",
        "key",
        "kind",
        "affiliation",
        "role",
        "alias_names",
        "speaker_record",
    )
    list_select_related = ("affiliation", "speaker_track_record")
    list_filter = ("kind",)
    search_fields = ("name", "key", "aliases__name")
    normalized_search_fields = ("normalized_name", "aliases__normalized")
    autocomplete_fields = ("affiliation",)
    fields = (
        "key",
        "name",
        "normalized_name",
        "kind",
        "affiliation",
        "role",
        "speaker_record",
        "speaker_truth_score",
    )
    readonly_fields = ("normalized_name", "speaker_record", "speaker_truth_score")
    inlines = [EntityAliasInline]

    def save_with_aliases(self, request: HttpRequest, record: Entity, aliases: list[str]) -> None:
        services.entity_save(by=request.user, entity=record, aliases=aliases)

    @admin.display(description="as a speaker", ordering="speaker_track_record__score")
    def speaker_record(self, entity: Entity) -> str:
        record = getattr(entity, "speaker_track_record", None)
        return "" if record is None else track_record_text(record)

    @admin.display(description="speaker's truth score")
    def speaker_truth_score(self, entity: Entity) -> str:
        return truth_score_text(getattr(entity, "speaker_track_record", None))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entity]:
        # alias_names: one query for the aliases of a whole page, not one per row.
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="aliases")
    def alias_names(self, entity: Entity) -> str:
        return ", ".join(alias.name for alias in entity.aliases.all())


# --- sources -----------------------------------------------------------------------------------


class AuthorsField(forms.CharField):
    """Authors as a list, one a line: stored as the JSON list the model keeps."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 40})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return "\n".join(str(name) for name in value)
        return "" if value is None else str(value)

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)


class SourceForm(ComputedColumnsForm):
    """A source, its publication date entered as people write it ("6 December 2016")."""

    # https: Django 6's default, chosen now (Django 5.2 warns when no scheme is chosen).
    url = forms.URLField(label="URL", max_length=2000, required=False, assume_scheme="https")
    published_as_text = forms.CharField(
        label="Published",
        required=False,
        max_length=100,
        help_text="As precisely as the source gives it: 6 December 2016, July 2015, 2015 or "
        "2015-07-01.",
    )
    authors = AuthorsField(label="Authors", required=False, help_text="One author a line.")
    computed_column_errors = {
        "normalized_url": (
            "url",
            "Another source has this URL once normalised ({value}): add to that one instead.",
        ),
    }

    class Meta:
        model = Source
        fields = ("key", "title", "outlet", "url", "authors", "language", "text")
        help_texts = {
            "key": "Stable external id. Leave empty on a new source to generate one from the "
            "title.",
            "language": "The language's code: en for English, fr for French, ar for Arabic.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "key" in self.fields:
            self.fields["key"].required = False
        source = self.instance
        if source.published is not None and source.published_precision:
            self.initial.setdefault(
                "published_as_text",
                _partial_date_text(source.published, source.published_precision),
            )

    def clean_published_as_text(self) -> PartialDate | None:
        try:
            return services.source_published_parse(self.cleaned_data["published_as_text"])
        except ValueParseError as error:
            raise ValidationError(str(error)) from None

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if "key" in self.fields and not cleaned_data.get("key") and "key" not in self.errors:
            if self.instance._state.adding:
                cleaned_data["key"] = services.source_key_generate(
                    title=cleaned_data.get("title", "")
                )
            else:
                self.add_error(
                    "key", "A source's key is its stable external id: it cannot be emptied."
                )
        return cleaned_data

    def fill_computed_columns(self) -> None:
        services.source_url_normalize(source=self.instance)
        if "published_as_text" in self.cleaned_data:
            services.source_published_set(
                source=self.instance, published=self.cleaned_data["published_as_text"]
            )


class SourceLinkForm(forms.ModelForm):
    """A row linking a source to another (a citation, a correction): refused when it links the
    source to itself. The model's `<app>_<model>_not_self` constraint names the parent field,
    which the form does not check: an inline row's parent is the instance's, a link's own page
    posts it."""

    parent_field: str
    linked_field: str
    self_link_message: str

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        linked = cleaned_data.get(self.linked_field)
        parent = cleaned_data.get(self.parent_field)
        parent_id = (
            parent.pk if parent is not None else getattr(self.instance, f"{self.parent_field}_id")
        )
        if linked is not None and linked.pk == parent_id:
            self.add_error(self.linked_field, self.self_link_message)
        return cleaned_data


class SourceLinkFormSet(ServiceSavedFormSet):
    """The inline rows of a source's citations or corrections. They are not saved by the
    formset: the source's service replaces the links (and re-checks the claims they touch)."""

    def linked_records(self) -> list:
        """Every source the edited source links to once this POST is saved."""
        linked_field = self.form.linked_field
        return [
            form.cleaned_data[linked_field]
            for form in self.forms
            if form.cleaned_data.get(linked_field) and not self._should_delete_form(form)
        ]


class SourceCitationForm(SourceLinkForm):
    parent_field, linked_field = "citing", "cited"
    self_link_message = "A source cannot cite itself."

    class Meta:
        model = SourceCitation
        fields = ("cited",)


class SourceCitationInline(admin.TabularInline):
    model = SourceCitation
    form = SourceCitationForm
    formset = SourceLinkFormSet
    fk_name = "citing"
    autocomplete_fields = ("cited",)
    verbose_name = "cited source"
    verbose_name_plural = "cites (sources this document relies on as a whole)"
    extra = 0


class SourceCorrectionForm(SourceLinkForm):
    parent_field, linked_field = "correcting", "corrected"
    self_link_message = "A source cannot correct itself."

    class Meta:
        model = SourceCorrection
        fields = ("corrected",)


class SourceCorrectionInline(admin.TabularInline):
    model = SourceCorrection
    form = SourceCorrectionForm
    formset = SourceLinkFormSet
    fk_name = "correcting"
    autocomplete_fields = ("corrected",)
    verbose_name = "corrected source"
    verbose_name_plural = (
        "corrects (earlier documents this one corrects or supersedes: a correction notice, "
        "a revised version)"
    )
    extra = 0


class ReadForClaimsFilter(admin.SimpleListFilter):
    """Sources with text whose claims are yet to be recorded ("not read for claims"), for the
    desk's link and for whoever proposes claims from articles."""

    title = "read for claims"
    parameter_name = "read_for_claims"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("no", "not yet: text and no claim"), ("yes", "yes: claims recorded")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        from claims.selectors.desk import sources_unread_for_claims  # claims depends on sources

        unread = sources_unread_for_claims().values("pk")
        if self.value() == "no":
            return queryset.filter(pk__in=unread)
        if self.value() == "yes":
            return queryset.exclude(pk__in=unread)
        return queryset


@admin.register(Source)
class SourceAdmin(NormalizedSearchMixin, admin.ModelAdmin):
    form = SourceForm
    list_display = (
        "title",
        "key",
        "outlet",
        "outlet_reliability",
        "published_on",
        "language",
        "url",
    )
    list_select_related = ("outlet",)
    list_filter = (
        ReadForClaimsFilter,
        "outlet__reliability",
        "outlet__kind",
        ("outlet", admin.RelatedOnlyFieldListFilter),
        "published_precision",
        "language",
    )
    search_fields = ("title", "url", "key")
    normalized_search_fields = ("normalized_url",)
    normalize_search_term = staticmethod(normalize_url)
    autocomplete_fields = ("outlet",)
    fields = (
        "key",
        "title",
        "outlet",
        "url",
        "normalized_url",
        "published_as_text",
        "authors",
        "language",
        "text",
    )
    readonly_fields = ("normalized_url",)
    inlines = [SourceCitationInline, SourceCorrectionInline]

    def save_model(self, request: HttpRequest, obj: Source, form, change: bool) -> None:
        """Nothing yet: written with its citations and corrections in save_related."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # One service call writes the source and replaces its links; a new publication date or
        # a new correction re-checks the claims they touch.
        links = {f.model: f for f in formsets if isinstance(f, SourceLinkFormSet)}
        cites, corrects = links[SourceCitation], links[SourceCorrection]
        services.source_save(
            by=request.user,
            source=form.instance,
            cites=cites.linked_records(),
            corrects=corrects.linked_records(),
        )
        for formset in (cites, corrects):
            formset.record_changes()
        others = [f for f in formsets if not isinstance(f, SourceLinkFormSet)]
        super().save_related(request, form, others, change)

    @admin.display(description="reliability", ordering="outlet__reliability")
    def outlet_reliability(self, source: Source) -> str | None:
        return source.outlet.reliability if source.outlet else None

    @admin.display(description="published", ordering="published")
    def published_on(self, source: Source) -> str | None:
        return _partial_date_text(source.published, source.published_precision)


def _partial_date_text(day: date | None, precision: str) -> str | None:
    """ "6 December 2016", "July 2015", "2015": as the source form reads it back."""
    if day is None or not precision:
        return None
    return partial_date_in_words(PartialDate.from_date(day, Precision(precision)))


# The alias and citation rows are edited inline under their entity or source; these pages list
# them across the whole table (every alias spelling in use, every citation) and find them.


@admin.register(EntityAlias)
class EntityAliasAdmin(admin.ModelAdmin):
    form = EntityAliasForm
    list_display = ("name", "entity", "normalized")
    list_select_related = ("entity",)
    search_fields = ("name", "normalized", "entity__name", "entity__key")
    autocomplete_fields = ("entity",)
    fields = ("entity", "name", "normalized")
    readonly_fields = ("normalized",)


@admin.register(SourceCitation)
class SourceCitationAdmin(admin.ModelAdmin):
    form = SourceCitationForm
    list_display = ("citing", "cited")
    list_select_related = ("citing", "cited")
    search_fields = ("citing__title", "citing__key", "cited__title", "cited__key")
    autocomplete_fields = ("citing", "cited")
    fields = ("citing", "cited")  # the inline form's own list has no citing: its parent is it


@admin.register(SourceCorrection)
class SourceCorrectionAdmin(admin.ModelAdmin):
    form = SourceCorrectionForm
    list_display = ("correcting", "corrected")
    list_select_related = ("correcting", "corrected")
    search_fields = ("correcting__title", "correcting__key", "corrected__title", "corrected__key")
    autocomplete_fields = ("correcting", "corrected")
    fields = ("correcting", "corrected")
