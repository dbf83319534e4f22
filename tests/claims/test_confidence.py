import pytest

from claims.core.confidence import (
    Confidence,
    RatingValues,
    consensus,
    rationale_required,
    suggest_credibility,
)


@pytest.mark.parametrize(
    ("independent", "contradicting", "grade"),
    [
        (0, [], "6"),
        (0, [3], "6"),
        (1, [], "2"),
        (2, [], "1"),
        (5, [], "1"),
        (1, [1], "4"),
        (2, [1, 2], "3"),
        (1, [2], "5"),
        (2, [1, 3], "5"),
    ],
)
def test_suggested_credibility_follows_independent_sources_and_open_contradictions(
    independent, contradicting, grade
):
    suggestion = suggest_credibility(
        independent_sources=independent, contradicting_sources=contradicting
    )
    assert suggestion.grade == grade


def test_suggestion_says_why():
    suggestion = suggest_credibility(independent_sources=1, contradicting_sources=[3])
    assert suggestion.reason == (
        "1 independent source; 1 open contradiction, one with 3 independent sources"
    )
    assert suggestion.label == "5: improbable"


def test_consensus_is_the_lower_median_of_likelihood_and_confidence():
    ratings = [
        RatingValues("very_likely", "high", "1"),
        RatingValues("likely", "low", "2"),
        RatingValues("almost_certain", "moderate", "3"),
    ]
    assert consensus(ratings) == Confidence("very_likely", "moderate", "2", 3)
    # Two reviewers: the less likely, the less confident, the worse grade.
    assert consensus(ratings[:2]) == Confidence("likely", "low", "2", 2)


def test_consensus_of_nothing_is_none():
    assert consensus([]) is None


def test_confidence_gives_the_icd_203_band():
    confidence = Confidence("very_likely", "moderate", "2", 1)
    assert (confidence.likelihood_label, confidence.likelihood_low) == ("very likely", 80)
    assert confidence.likelihood_high == 95
    assert (
        str(confidence) == "very likely (80-95%), moderate confidence, credibility 2 (1 reviewer)"
    )


@pytest.mark.parametrize(
    ("likelihood", "credibility", "suggested", "required"),
    [
        ("likely", "2", "2", False),
        ("almost_certain", "1", "", False),
        ("roughly_even", "2", "2", True),
        ("likely", "3", "2", True),
    ],
)
def test_rationale_is_required_below_likely_or_against_the_suggestion(
    likelihood, credibility, suggested, required
):
    needed = rationale_required(likelihood=likelihood, credibility=credibility, suggested=suggested)
    assert (needed is not None) == required
