"""What makes a change to a claim material: one that changes what the claim says, so a vetted
claim must be reviewed again (issue 11). Plain data in, plain data out; every write channel
(the claim services and the claimset import's bulk form) decides with these functions.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Columns whose change alters what the claim says: its wording, what it is about, its value
# (every type's columns), its negation and when it holds. Derived or bookkeeping columns
# (wording index, check marks, version, status) are not here.
MATERIAL_FIELDS = (
    "text",
    "subject_id",
    "predicate_id",
    "value_type",
    "quantity_low",
    "quantity_high",
    "quantity_low_inclusive",
    "quantity_high_inclusive",
    "date_from",
    "date_from_precision",
    "date_to",
    "date_to_precision",
    "value_entity_id",
    "value_text",
    "negated",
    "valid_from",
    "valid_from_precision",
    "valid_to",
    "valid_to_precision",
)

# What identifies an appearance for this purpose: where the claim was said, in which words, by
# whom and how. Its position in the list does not count.
APPEARANCE_FIELDS = ("source_id", "quote", "speaker_id", "speaker_description", "stance")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def material_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The material fields whose values differ between two states of one claim."""
    return [name for name in MATERIAL_FIELDS if not _same(before.get(name), after.get(name))]


def appearance_signature(
    appearances: Iterable[Mapping[str, Any]], via: Mapping[int, Sequence[int]] | None = None
) -> frozenset:
    """A comparable summary of a claim's appearances (order ignored). `via` maps an
    appearance's position in `appearances` to the ids of the sources it was attributed to."""
    via = via or {}
    return frozenset(
        (tuple(row.get(name) for name in APPEARANCE_FIELDS), tuple(sorted(via.get(i, ()))))
        for i, row in enumerate(appearances)
    )


def demotion_reason(fields: Sequence[str], appearances_changed: bool) -> str:
    """The history note written when a vetted claim goes back to review."""
    changed = list(fields) + (["appearances"] if appearances_changed else [])
    return "returned to review: material change to a vetted claim (" + ", ".join(changed) + ")"


def require_finite(number: float | None, where: str) -> None:
    """Refuse Infinity and NaN: they break every reader (charts, JSON export, the scan)."""
    if number is not None and not math.isfinite(number):
        raise ValueError(f"{where}: {number!r} is not a finite number")
