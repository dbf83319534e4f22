"""Abstract bases shared by the apps."""

from django.core.validators import RegexValidator
from django.db import models

KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,200}$"
KEY_MAX_LENGTH = 200

key_validator = RegexValidator(
    KEY_PATTERN, "A key is 1 to 200 characters of A-Z a-z 0-9 . _ : -", code="invalid_key"
)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Precision(models.TextChoices):
    """How much of a partial date is known: 2015, 2015-07 or 2015-07-01."""

    YEAR = "year", "year"
    MONTH = "month", "month"
    DAY = "day", "day"


def date_has_precision(prefix: str) -> models.Q:
    """A date column and its precision column are set together or not at all."""
    return models.Q(**{f"{prefix}__isnull": True, f"{prefix}_precision": ""}) | models.Q(
        models.Q(**{f"{prefix}__isnull": False}) & ~models.Q(**{f"{prefix}_precision": ""})
    )
