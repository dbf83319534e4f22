"""The Django admin of claims: claims (claims, appearances, predicates, contradictions and the
report pages), reviews (ratings and status on a claim's page), forms (the claim form)."""

from claims.admin import claims  # noqa: F401 - registers the ModelAdmins
