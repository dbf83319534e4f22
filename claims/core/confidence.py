"""Confidence vocabularies and the rules on them, in plain Python (no database).

- Likelihood: the ICD 203 scale of the US Intelligence Community Directive 203 ("Analytic
  Standards"), seven bands of probability.
- Analytic confidence: low, moderate, high; kept apart from likelihood, as ICD 203 asks.
- Information credibility: the Admiralty (NATO STANAG 2511) grade 1 to 6, with the tracker's
  suggestion computed from independent corroboration and open contradictions.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import TextChoices


class Likelihood(TextChoices):
    """ICD 203 likelihood bands, from least to most likely (the order is the ranking)."""

    ALMOST_NO_CHANCE = "almost_no_chance", "almost no chance (1-5%)"
    VERY_UNLIKELY = "very_unlikely", "very unlikely (5-20%)"
    UNLIKELY = "unlikely", "unlikely (20-45%)"
    ROUGHLY_EVEN = "roughly_even", "roughly even chance (45-55%)"
    LIKELY = "likely", "likely (55-80%)"
    VERY_LIKELY = "very_likely", "very likely (80-95%)"
    ALMOST_CERTAIN = "almost_certain", "almost certain (95-99%)"


# Percent bounds of each band, as ICD 203 gives them.
LIKELIHOOD_PERCENT: dict[str, tuple[int, int]] = {
    Likelihood.ALMOST_NO_CHANCE: (1, 5),
    Likelihood.VERY_UNLIKELY: (5, 20),
    Likelihood.UNLIKELY: (20, 45),
    Likelihood.ROUGHLY_EVEN: (45, 55),
    Likelihood.LIKELY: (55, 80),
    Likelihood.VERY_LIKELY: (80, 95),
    Likelihood.ALMOST_CERTAIN: (95, 99),
}
LIKELIHOOD_RANK = {value: rank for rank, value in enumerate(Likelihood.values)}
# A claim may be vetted only with a current rating at least this likely; a rating below it
# needs a rationale.
VETTING_LIKELIHOOD = Likelihood.LIKELY
LIKELY_OR_HIGHER = tuple(
    value for value in Likelihood.values if LIKELIHOOD_RANK[value] >= LIKELIHOOD_RANK["likely"]
)


class AnalyticConfidence(TextChoices):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


CONFIDENCE_RANK = {value: rank for rank, value in enumerate(AnalyticConfidence.values)}


class Credibility(TextChoices):
    """The Admiralty information-credibility grade."""

    CONFIRMED = "1", "1: confirmed by other sources"
    PROBABLY_TRUE = "2", "2: probably true"
    POSSIBLY_TRUE = "3", "3: possibly true"
    DOUBTFUL = "4", "4: doubtful"
    IMPROBABLE = "5", "5: improbable"
    CANNOT_BE_JUDGED = "6", "6: truth cannot be judged"


@dataclass(frozen=True)
class Confidence:
    """The reviewers' consensus on one claim, from their current ratings.

    Likelihood and analytic confidence are each the lower median of the current ratings (by
    rank): with two reviewers, "likely" and "very likely" make "likely". The lower median keeps
    a consensus from claiming more than half the reviewers said, and is always a band someone
    chose. `credibility` likewise is the median Admiralty grade, read the other way (a higher
    number is worse, so the upper median of the numbers).
    """

    likelihood: str
    confidence: str
    credibility: str
    ratings: int

    @property
    def likelihood_label(self) -> str:
        return self.likelihood.replace("_", " ")

    @property
    def likelihood_low(self) -> int:
        return LIKELIHOOD_PERCENT[self.likelihood][0]

    @property
    def likelihood_high(self) -> int:
        return LIKELIHOOD_PERCENT[self.likelihood][1]

    @property
    def confidence_label(self) -> str:
        return self.confidence

    def __str__(self) -> str:
        reviewers = f"{self.ratings} reviewer{'' if self.ratings == 1 else 's'}"
        return (
            f"{self.likelihood_label} ({self.likelihood_low}-{self.likelihood_high}%), "
            f"{self.confidence} confidence, credibility {self.credibility} ({reviewers})"
        )


@dataclass(frozen=True)
class RatingValues:
    likelihood: str
    confidence: str
    credibility: str


def consensus(ratings: Sequence[RatingValues]) -> Confidence | None:
    """The consensus of current ratings (see Confidence), None without any."""
    if not ratings:
        return None
    lower_middle = (len(ratings) - 1) // 2
    likelihoods = sorted((r.likelihood for r in ratings), key=LIKELIHOOD_RANK.__getitem__)
    confidences = sorted((r.confidence for r in ratings), key=CONFIDENCE_RANK.__getitem__)
    # Grade 1 is the best: the conservative middle is the upper median of the numbers.
    grades = sorted((r.credibility for r in ratings), reverse=True)
    return Confidence(
        likelihood=likelihoods[lower_middle],
        confidence=confidences[lower_middle],
        credibility=grades[lower_middle],
        ratings=len(ratings),
    )


@dataclass(frozen=True)
class CredibilitySuggestion:
    grade: str
    reason: str

    @property
    def label(self) -> str:
        return Credibility(self.grade).label


def suggest_credibility(
    *, independent_sources: int, contradicting_sources: Sequence[int]
) -> CredibilitySuggestion:
    """The Admiralty credibility grade the tracker suggests for a claim.

    independent_sources: the claim's number of independent sources (spec, "Independent
    sources"); contradicting_sources: the same number for each claim it has an open
    contradiction with.

    - 6 (cannot be judged): no source at all.
    - 5 (improbable): contradicted by a claim with more independent sources than it has.
    - 1 (confirmed by other sources): two or more independent sources, nothing contradicts it.
    - 2 (probably true): one independent source, nothing contradicts it.
    - 3 (possibly true): two or more independent sources, contradicted by claims with no more.
    - 4 (doubtful): one independent source, contradicted by claims with no more.
    """
    n = independent_sources
    sources = f"{n} independent source{'' if n == 1 else 's'}"
    if n == 0:
        return CredibilitySuggestion(Credibility.CANNOT_BE_JUDGED, "no source carries it")
    if contradicting_sources:
        k = len(contradicting_sources)
        strongest = max(contradicting_sources)
        flags = f"{k} open contradiction{'' if k == 1 else 's'}"
        if strongest > n:
            return CredibilitySuggestion(
                Credibility.IMPROBABLE,
                f"{sources}; {flags}, one with {strongest} independent sources",
            )
        grade = Credibility.POSSIBLY_TRUE if n >= 2 else Credibility.DOUBTFUL
        return CredibilitySuggestion(grade, f"{sources}; {flags}, none with more sources")
    if n >= 2:
        return CredibilitySuggestion(Credibility.CONFIRMED, f"{sources}, no open contradiction")
    return CredibilitySuggestion(Credibility.PROBABLY_TRUE, f"{sources}, no open contradiction")


def rationale_required(*, likelihood: str, credibility: str, suggested: str) -> str | None:
    """Why a rating needs a rationale, or None when it may go without one."""
    reasons = []
    if LIKELIHOOD_RANK[likelihood] < LIKELIHOOD_RANK[VETTING_LIKELIHOOD]:
        reasons.append('the likelihood is below "likely"')
    if suggested and credibility != suggested:
        reasons.append(f"the credibility grade differs from the suggested {suggested}")
    if not reasons:
        return None
    return "A rationale is required: " + " and ".join(reasons) + "."
