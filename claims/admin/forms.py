"""The claim admin's change form and its appearance rows: each checked by the claim services.

The form runs claim_lock_unchanged (the version it was loaded with) and claim_fields_validate
(phrases parsed, finite numbers, every constraint) on clean; the appearance formset runs
claim_appearances_validate (quotes in their source's text, ...) on its rows; ClaimAdmin then
saves both through claim_save. Each error is shown on its field or row.
"""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.forms.widgets import CheckboxInput

from claims.core.value_columns import VALUE_COLUMNS
from claims.core.values import PartialDate
from claims.models import Appearance, Claim, ValueType
from claims.selectors.claims import claim_reference_date
from claims.services.claims import (
    AppearanceInput,
    ClaimChangedError,
    claim_appearances_validate,
    claim_fields_validate,
    claim_key_generate,
    claim_lock_unchanged,
)

# The prefix of the claim page's appearance inline formset. Django's default for an inline is the
# reverse accessor of its foreign key: "appearances". ClaimAdmin keeps that default.
APPEARANCE_FORMSET_PREFIX = Appearance._meta.get_field("claim").remote_field.get_accessor_name()
# Django's own cap on the forms of one formset (BaseFormSet.absolute_max); rows past it are
# never saved, so they are not read either.
MAX_APPEARANCE_ROWS = 1000

# A problem with these fields leaves nothing sound to parse.
_PARSE_INPUTS = ("predicate", *VALUE_COLUMNS)


class ClaimAdminForm(forms.ModelForm):
    """Parses `value_as_written` and `valid_as_written` into the structured columns on clean.

    The parsed values are written back into cleaned_data, so ModelForm builds the instance from
    them and validates the model's constraints (interval order and so on) on what will be saved.
    value_type is not a form field: it follows the predicate and is set on the instance.
    """

    class Meta:
        model = Claim
        fields = (
            *("key", "text", "status", "subject", "predicate", "negated", "location"),
            *VALUE_COLUMNS,
        )
        help_texts = {
            "key": "Stable external id. Leave empty on a new claim to generate one.",
            "value_as_written": (
                'A quantity or date phrase: "at least 400", "about 1.5 million km", '
                '"late last year", "May". Read by the predicate\'s value type on save; it '
                "wins over the structured fields. Year-less and relative dates are read against "
                "the earliest publication date among the claim's appearances."
            ),
            "quantity_given_unit": (
                'The unit the source used, when the phrase does not say it ("150" + "miles"). '
                "Converted to the predicate's unit."
            ),
            "valid_as_written": (
                'When the claim holds: "since June 2015", "until May 2016", "2014 to 2016".'
            ),
        }

    # The claim's version when the page was loaded, posted back so that a save over someone
    # else's newer one is refused (claims.services.claim_lock_unchanged). Not on a new claim.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "key" in self.fields:
            self.fields["key"].required = False
        if self.instance._state.adding:
            del self.fields["loaded_version"]
        else:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if "loaded_version" in self.fields:
            self._clean_version(cleaned_data)
        self._clean_key(cleaned_data)
        self._apply_as_written(cleaned_data)
        return cleaned_data

    def _clean_version(self, cleaned_data: dict[str, Any]) -> None:
        """Refuse the save if the claim changed since the form was loaded, saying what changed.

        Runs in the admin's transaction around the whole change view (ModelAdmin.changeform_view
        is atomic), so the claim stays locked from this check until it is saved: no other save
        can slip in between.
        """
        loaded = cleaned_data.get("loaded_version")
        if loaded is None:
            if "loaded_version" not in self.errors:
                self.add_error(
                    None,
                    "The form does not say which version of the claim it "
                    "edits: open the claim again and make your changes there.",
                )
            return
        try:
            claim_lock_unchanged(claim_id=self.instance.pk, loaded_version=loaded)
        except ClaimChangedError as error:
            self.add_error(None, error.messages)

    def _clean_key(self, cleaned_data: dict[str, Any]) -> None:
        if "key" not in self.fields or cleaned_data.get("key") or "key" in self.errors:
            return
        if self.instance._state.adding:
            cleaned_data["key"] = claim_key_generate()
        else:
            self.add_error("key", "A claim's key is its stable external id: it cannot be emptied.")

    def _apply_as_written(self, cleaned_data: dict[str, Any]) -> None:
        if any(name in self.errors for name in _PARSE_INPUTS):
            return
        # Build the instance now (ModelForm does it again after clean(), from cleaned_data):
        # the service works on a claim, with its predicate and phrases as submitted.
        claim = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
        try:
            # The model's constraints: checked by ModelForm after clean(), each on its field.
            claim_fields_validate(
                claim=claim, reference=self._reference_date(claim), constraints=False
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return
        for name in VALUE_COLUMNS:
            if name in self.fields:
                cleaned_data[name] = getattr(claim, name)

    def _reference_date(self, claim: Claim) -> PartialDate | None:
        reads_dates = claim.valid_as_written.strip() or (
            claim.value_as_written.strip()
            and claim.predicate is not None
            and claim.predicate.value_type == ValueType.DATE
        )
        if not reads_dates:
            return None
        return claim_reference_date(source_ids=self.appearance_source_ids())

    def appearance_source_ids(self) -> set[int]:
        """The sources of the claim's appearances as they will be once this POST is saved.

        The admin validates this form before it builds the appearance inline formset, so the
        rows are read from the POST itself, by the inline's field names: for each N below
        `appearances-TOTAL_FORMS`, `appearances-N-source`, `appearances-N-id` (set on a saved
        appearance's row) and `appearances-N-DELETE`. A saved appearance counts with its stored
        source unless its row is submitted with another source or ticked for deletion (a POST
        without the inline changes none); a new row counts when it names a source.
        """
        saved = (
            dict(self.instance.appearances.values_list("id", "source_id"))
            if self.instance.pk
            else {}
        )
        new: set[int] = set()
        prefix = APPEARANCE_FORMSET_PREFIX
        rows = min(_int_or_none(self.data.get(f"{prefix}-TOTAL_FORMS")) or 0, MAX_APPEARANCE_ROWS)
        for index in range(rows):
            row = f"{prefix}-{index}-"
            appearance_id = _int_or_none(self.data.get(row + "id"))
            source_id = _int_or_none(self.data.get(row + "source"))
            deleted = _checkbox_ticked(self.data, row + "DELETE")
            if appearance_id in saved:
                if deleted:
                    del saved[appearance_id]
                elif source_id is not None:
                    saved[appearance_id] = source_id
            elif source_id is not None and not deleted:
                new.add(source_id)
        return set(saved.values()) | new


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _checkbox_ticked(data: Mapping[str, Any], name: str) -> bool:
    # The same reading as the formset's own DELETE checkbox.
    return bool(CheckboxInput().value_from_datadict(data, {}, name))


class AppearanceFormSet(forms.BaseInlineFormSet):
    """The claim page's appearance rows, checked by claim_appearances_validate as they will be
    saved, and handed to claim_save as AppearanceInput changes (appearance_inputs)."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        rows = self.appearance_inputs()
        try:
            claim_appearances_validate(claim=self.instance, appearances=[a for _, a in rows])
        except ValidationError as error:
            for path, messages in error.message_dict.items():
                index, field = _appearance_error_place(path)
                form = rows[index][0]
                form.add_error(field if field in form.fields else None, messages)

    def appearance_inputs(self) -> list[tuple[forms.ModelForm, AppearanceInput]]:
        """The rows that change something, each with its form: a changed or deleted saved
        appearance (by id), or a new one. Unchanged rows are left out: claim_save leaves the
        appearances it is not told about as they are."""
        rows = []
        for form in self.forms:
            saved = form.instance.pk is not None and form in self.initial_forms
            if self.can_delete and self._should_delete_form(form):
                if saved:
                    rows.append(
                        (form, AppearanceInput(source=None, id=form.instance.pk, delete=True))
                    )
                continue
            if not form.has_changed():
                continue
            data = form.cleaned_data
            rows.append(
                (
                    form,
                    AppearanceInput(
                        source=data.get("source"),
                        quote=data.get("quote", ""),
                        speaker=data.get("speaker"),
                        speaker_description=data.get("speaker_description", ""),
                        stance=data.get("stance") or Appearance.Stance.ASSERTS,
                        id=form.instance.pk if saved else None,
                    ),
                )
            )
        return rows

    def record_changes(self, rows: list[tuple[forms.ModelForm, AppearanceInput]]) -> None:
        """What ModelAdmin's change message reads from a formset that saved itself."""
        self.new_objects = [form.instance for form, a in rows if a.id is None]
        self.changed_objects = [
            (form.instance, form.changed_data) for form, a in rows if a.id and not a.delete
        ]
        self.deleted_objects = [form.instance for form, a in rows if a.delete]


def _appearance_error_place(path: str) -> tuple[int, str]:
    """`appearances[2].quote` -> (2, "quote")."""
    head, _, field = path.partition("].")
    return int(head.removeprefix("appearances[")), field


class AppearanceAdminForm(forms.ModelForm):
    """An appearance on its own page, checked by claim_appearances_validate as claim_save will
    write it (its quote in the source's text, ...), each error on its field."""

    class Meta:
        model = Appearance
        fields = ("claim", "source", "quote", "speaker", "speaker_description", "stance")

    def appearance_input(self, via=None) -> AppearanceInput:
        data = self.cleaned_data
        return AppearanceInput(
            source=data.get("source"),
            quote=data.get("quote", ""),
            speaker=data.get("speaker"),
            speaker_description=data.get("speaker_description", ""),
            stance=data.get("stance") or Appearance.Stance.ASSERTS,
            via=via,
            id=self.instance.pk,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        claim = cleaned.get("claim") or (self.instance.claim if self.instance.claim_id else None)
        if self.errors or claim is None:
            return cleaned
        try:
            claim_appearances_validate(claim=claim, appearances=[self.appearance_input()])
        except ValidationError as error:
            for path, messages in error.message_dict.items():
                field = _appearance_error_place(path)[1]
                self.add_error(field if field in self.fields else None, messages)
        return cleaned
