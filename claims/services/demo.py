"""The demo's people and the review work they have done, for ./scripts/start.

Three accounts show the three roles: an admin (superuser), an editor and a reviewer (staff in
the editors and reviewers groups, claims/roles.py). The demo reviewer rates a handful of the
demo claims and vets those nothing blocks, through the same services the admin calls, so that
facts, track records, charts and the JSON-LD have something to show.
"""

import contextlib
import secrets
from dataclasses import dataclass
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from simple_history.models import HistoricalRecords

from claims.core.confidence import AnalyticConfidence, Likelihood
from claims.core.roles import EDITORS, REVIEWERS
from claims.models import Claim, ClaimRating, ClaimStatus
from claims.selectors.claims import claim_credibility_suggestion, claim_vetting_blockers
from claims.services.claims import claim_rate, claim_status_change


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    group: str | None  # None: a superuser


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin", None),
    DemoAccount("editor", "editor", EDITORS),
    DemoAccount("reviewer", "reviewer", REVIEWERS),
)
DEMO_REVIEWER = DEMO_ACCOUNTS[2]


@dataclass(frozen=True)
class DemoReview:
    claim_key: str
    likelihood: str
    confidence: str
    rationale: str
    vet: bool


# Claims the demo reviewer has looked at: the figures and dates the seed articles give plainly,
# vetted where nothing blocks it, and the misdated Benghazi attack rated down (its flag stays
# open for a reviewer to decide).
DEMO_REVIEWS = (
    DemoReview(
        "sirte-population-80000",
        Likelihood.VERY_LIKELY,
        AnalyticConfidence.MODERATE,
        "A round census figure, consistent with other estimates of Sirte's population.",
        vet=True,
    ),
    DemoReview(
        "strikes-2017-six",
        Likelihood.VERY_LIKELY,
        AnalyticConfidence.HIGH,
        "NBC News reported the six strikes from the US military's own statement.",
        vet=True,
    ),
    DemoReview(
        "strikes-2017-killed-17",
        Likelihood.LIKELY,
        AnalyticConfidence.MODERATE,
        "A casualty figure from the military that carried out the strikes: likely, not proven.",
        vet=True,
    ),
    DemoReview(
        "sirte-lost-dec-2016",
        Likelihood.ALMOST_CERTAIN,
        AnalyticConfidence.HIGH,
        "The end of the battle of Sirte in December 2016 was widely reported.",
        vet=True,
    ),
    DemoReview(
        "derna-shura-july-2015",
        Likelihood.LIKELY,
        AnalyticConfidence.MODERATE,
        "The Islamic State's own video acknowledged the loss of Derna in July 2015.",
        vet=True,
    ),
    DemoReview(
        "video-10-minute",
        Likelihood.VERY_LIKELY,
        AnalyticConfidence.HIGH,
        "Two outlets give the video's length as ten minutes.",
        vet=True,
    ),
    DemoReview(
        "t-derna-egypt-border",
        Likelihood.ALMOST_CERTAIN,
        AnalyticConfidence.HIGH,
        "Geography, stated by two independent outlets.",
        vet=True,
    ),
    DemoReview(
        "benghazi-2011",
        Likelihood.VERY_UNLIKELY,
        AnalyticConfidence.HIGH,
        "The Senate's review dates the attack on the US facilities in Benghazi to 2012.",
        vet=False,
    ),
)


def demo_accounts_create_or_reset(*, reset: bool) -> list[tuple[DemoAccount, str | None]]:
    """Each demo account with the password just set, or None when none was set.

    Creates a missing account with a generated password; sets a new one on an existing account
    when `reset` is true (an account load_demo made for the reviews has no usable password until
    then); otherwise leaves it alone.
    """
    return [(account, _account_create_or_reset(account, reset=reset)) for account in DEMO_ACCOUNTS]


def demo_account_ensure(account: DemoAccount) -> AbstractBaseUser:
    """The account, made without a usable password when missing (its group included)."""
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            **{user_model.USERNAME_FIELD: account.username},
            defaults={"is_staff": True, "email": f"{account.username}@example.org"},
        )
        if created:
            user.set_unusable_password()
            if account.group is None:
                user.is_superuser = True
            user.save()
            if account.group is not None:
                user.groups.add(Group.objects.get(name=account.group))
    return user


def _account_create_or_reset(account: DemoAccount, *, reset: bool) -> str | None:
    user_model = get_user_model()
    with transaction.atomic():
        # Locked so that two resets at once cannot each print a password only one of them set.
        user = (
            user_model.objects.select_for_update()
            .filter(**{user_model.USERNAME_FIELD: account.username})
            .first()
        )
        if user is not None and user.has_usable_password() and not reset:
            return None
        if user is None:
            user = demo_account_ensure(account)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
    return password


def demo_reviews_apply() -> int:
    """Rate (and vet where nothing blocks it) the demo reviewer's claims; returns how many
    were rated now. A claim the demo reviewer has rated already is left alone, so running it
    again changes nothing; a claim missing from the database is skipped."""
    reviewer = demo_account_ensure(DEMO_REVIEWER)
    claims = Claim.objects.in_bulk([review.claim_key for review in DEMO_REVIEWS], field_name="key")
    rated = set(
        ClaimRating.objects.filter(reviewer=reviewer, claim__in=claims.values()).values_list(
            "claim_id", flat=True
        )
    )
    done = 0
    with _history_by(reviewer):
        for review in DEMO_REVIEWS:
            done += _review_apply(review, claims.get(review.claim_key), rated, reviewer)
    return done


@contextlib.contextmanager
def _history_by(user):
    """History entries written meanwhile name `user`, as they would in the admin (outside a
    request django-simple-history records no user: the desk would call them the tracker's)."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


def _review_apply(review: DemoReview, claim: Claim | None, rated: set[int], reviewer) -> int:
    if claim is None or claim.pk in rated:
        return 0
    claim_rate(
        by=reviewer,
        claim_id=claim.pk,
        likelihood=review.likelihood,
        confidence=review.confidence,
        credibility=claim_credibility_suggestion(claim_id=claim.pk).grade,
        rationale=review.rationale,
    )
    if review.vet and not claim_vetting_blockers(claim_id=claim.pk):
        claim_status_change(
            by=reviewer, claim_id=claim.pk, status=ClaimStatus.VETTED, reason=review.rationale
        )
    return 1
