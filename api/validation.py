"""Model validation for API writes: field checks as 400s, uniqueness conflicts as 409s.

DRF validates neither CheckConstraints nor conditional UniqueConstraints; a write that reached
the database with one broken would be a 500. Here every constraint is checked before saving:
a broken CheckConstraint is a 400 naming it, a UniqueConstraint already taken a 409 on its field.
"""

from collections.abc import Collection, Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from rest_framework import exceptions

from api.errors import Conflict


def _detail(error: ValidationError, fields: Mapping[str, str]) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {"": list(error.messages)}
    return {
        ("" if f == NON_FIELD_ERRORS else fields.get(f, f)): list(messages)
        for f, messages in error.message_dict.items()
    }


def validate_model(
    instance: models.Model,
    *,
    exclude: Collection[str] = (),
    fields: Mapping[str, str] | None = None,
) -> None:
    """Run the model's field validation and every constraint on `instance`.

    `fields` maps model field names to the API's (`subject` is written as a reference, and the
    normalised URL is reported on `url`). Raises a DRF ValidationError (400) or Conflict (409).
    """
    fields = fields or {}
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        raise exceptions.ValidationError(_detail(error, fields)) from None
    problems: dict[str, list[str]] = {}
    conflicts: dict[str, list[str]] = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=set(exclude))
            except ValidationError as error:
                if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                    field = fields.get(constraint.fields[0], constraint.fields[0])
                    conflicts.setdefault(field, []).append(
                        f"{constraint.name}: another record already has this value."
                    )
                else:
                    for path, messages in _detail(error, fields).items():
                        problems.setdefault(path, []).extend(
                            f"{constraint.name}: {m}" for m in messages
                        )
    if problems:
        raise exceptions.ValidationError(problems)
    if conflicts:
        raise Conflict(
            "; ".join(f"{path}: {m}" for path, ms in conflicts.items() for m in ms),
            errors=conflicts,
        )
