"""Model validation for the services: every field check and every constraint, before saving.

Django's own `full_clean` stops at the first constraint layer that fails and DRF checks no
CheckConstraint at all; a write that reached the database with one broken would be a 500. The
services run this on every record they save, so that a bad write is a ValidationError naming its
field, whichever channel sent it.
"""

from collections.abc import Collection, Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

# The code of an error saying a value is taken by another record: the API answers it with a 409.
UNIQUE = "unique"


def _by_field(error: ValidationError, fields: Mapping[str, str]) -> dict[str, list]:
    if not hasattr(error, "error_dict"):
        return {NON_FIELD_ERRORS: list(error.error_list)}
    return {fields.get(f, f): list(errors) for f, errors in error.error_dict.items()}


def model_validate(
    instance: models.Model,
    *,
    exclude: Collection[str] = (),
    fields: Mapping[str, str] | None = None,
) -> None:
    """Run the model's field validation and every constraint on `instance`.

    Raises one ValidationError keyed by field name (`fields` renames model fields to the field a
    writer entered: the normalised URL is reported on `url`). A value another record holds is an
    error with code UNIQUE on the constraint's first field; a broken CheckConstraint names it.
    """
    fields = fields or {}
    errors: dict[str, list] = {}
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for field, found in _by_field(error, fields).items():
            errors.setdefault(field, []).extend(found)
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=set(exclude))
            except ValidationError as error:
                if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                    field = fields.get(constraint.fields[0], constraint.fields[0])
                    errors.setdefault(field, []).append(
                        ValidationError(
                            f"{constraint.name}: another record already has this value.",
                            code=UNIQUE,
                        )
                    )
                    continue
                for field, found in _by_field(error, fields).items():
                    errors.setdefault(field, []).extend(
                        ValidationError(f"{constraint.name}: {message}", code=error_item.code)
                        for error_item in found
                        for message in error_item
                    )
    if errors:
        raise ValidationError(errors)
