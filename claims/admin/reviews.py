"""The review part of the claim admin: ratings, status, and what the tracker knows to help.

ClaimAdmin (claims/admin/claims.py) takes ClaimReviewAdminMixin. On a claim's page everyone sees the
reviewers' current ratings and their consensus, the suggested credibility grade, what blocks
vetting and the record of status changes; a reviewer also gets a rating form and a status
form, handed to claims.services.claim_rate and claim_status_change on save. The claim's
`status` itself is never an editable field: it changes only through the service.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from claims.core.confidence import (
    AnalyticConfidence,
    Credibility,
    CredibilitySuggestion,
    Likelihood,
    RatingValues,
    consensus,
    rationale_required,
)
from claims.core.roles import CHANGE_CLAIM_STATUS, RATE_CLAIM
from claims.models import Claim, ClaimStatus
from claims.selectors.claims import (
    claim_corroboration,
    claim_credibility_suggestion,
    claim_current_ratings,
    claim_vetting_blockers,
    independent_sources_by_claim,
)
from claims.services.claims import claim_review_submit

RATING_FIELDS = ("rate_likelihood", "rate_confidence", "rate_credibility", "rate_rationale")
STATUS_FIELDS = ("new_status", "status_reason")
# Groups of dependent appearances listed on a claim's page at most (each source standing alone is
# a group: a claim in thousands of unrelated sources would list thousands); the count is whole.
CORROBORATION_GROUPS_SHOWN = 20
REVIEW_DISPLAYS = (
    "corroboration",
    "current_ratings",
    "suggested_credibility",
    "vetting",
    "status_record",
)


class ClaimReviewFormMixin(forms.Form):
    """Rating and status fields on top of the claim's own form. `reviewer`, `suggestion` and
    which parts the user may use are set on the class by ClaimReviewAdminMixin.get_form."""

    rate_likelihood = forms.ChoiceField(
        label="Likelihood",
        choices=[("", "no new rating"), *Likelihood.choices],
        required=False,
        help_text="How likely the claim is to be true (the US intelligence community's scale, "
        "ICD 203). A new rating replaces your previous one, which is kept.",
    )
    rate_confidence = forms.ChoiceField(
        label="Confidence in your judgement",
        choices=[("", "---------"), *AnalyticConfidence.choices],
        required=False,
    )
    rate_credibility = forms.ChoiceField(
        label="Credibility",
        choices=[("", "---------"), *Credibility.choices],
        required=False,
    )
    rate_rationale = forms.CharField(
        label="Why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text='Required below "likely" and when the grade differs from the suggestion.',
    )
    new_status = forms.ChoiceField(
        label="Change status to",
        choices=[("", "keep the status"), *ClaimStatus.choices],
        required=False,
    )
    status_reason = forms.CharField(
        label="Why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Kept with the status change.",
    )

    reviewer = None
    suggestion: CredibilitySuggestion | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "rate_credibility" in self.fields and self.suggestion is not None:
            field = self.fields["rate_credibility"]
            field.initial = self.suggestion.grade
            field.help_text = (
                f"The tracker suggests {self.suggestion.label} ({self.suggestion.reason}): "
                "accept it or choose another grade and say why."
            )

    def clean(self):
        cleaned = super().clean()
        if "rate_likelihood" in self.fields:
            self._clean_rating(cleaned)
        if "new_status" in self.fields:
            self._clean_status(cleaned)
        return cleaned

    def new_rating(self) -> RatingValues | None:
        likelihood = self.cleaned_data.get("rate_likelihood")
        if not likelihood:
            return None
        return RatingValues(
            likelihood, self.cleaned_data["rate_confidence"], self.cleaned_data["rate_credibility"]
        )

    def _clean_rating(self, cleaned) -> None:
        likelihood = cleaned.get("rate_likelihood")
        if not likelihood:
            suggested = self.suggestion.grade if self.suggestion else ""
            if (
                cleaned.get("rate_confidence")
                or cleaned.get("rate_rationale")
                or (cleaned.get("rate_credibility") not in ("", suggested))
            ):
                self.add_error("rate_likelihood", "Choose a likelihood to make a rating.")
            return
        for name in ("rate_confidence", "rate_credibility"):
            if not cleaned.get(name):
                self.add_error(name, "A rating needs this too.")
        if self.errors:
            return
        # claim_rate checks this again in its transaction; said here, it shows on the field.
        needs = rationale_required(
            likelihood=likelihood,
            credibility=cleaned["rate_credibility"],
            suggested=self.suggestion.grade if self.suggestion else "",
        )
        if needs and not cleaned.get("rate_rationale", "").strip():
            self.add_error("rate_rationale", needs)

    def _clean_status(self, cleaned) -> None:
        status = cleaned.get("new_status")
        if not status:
            return
        if status == self.instance.status:
            self.add_error("new_status", "The claim has this status already.")
        if not cleaned.get("status_reason", "").strip():
            self.add_error("status_reason", "Say why the status changes.")
        # What blocks vetting is not checked here: the save keeps the rating entered with it
        # and says why the status did not move (claim_review_submit, save_related).


class ClaimReviewAdminMixin:
    """Adds the review section to ClaimAdmin (see the module docstring)."""

    def get_list_display(self, request: HttpRequest):
        return [*super().get_list_display(request), "independent_sources"]

    def get_changelist_instance(self, request: HttpRequest):
        changelist = super().get_changelist_instance(request)
        # The page's independent-source counts in a fixed number of queries, not one per row.
        page = changelist.result_list
        counts = independent_sources_by_claim([claim.pk for claim in page])
        for claim in page:
            claim.independent_source_count = counts.get(claim.pk, 0)
        return changelist

    @admin.display(description="independent sources")
    def independent_sources(self, claim: Claim) -> int:
        return claim.independent_source_count

    @admin.display(description="independent sources")
    def corroboration(self, claim: Claim) -> SafeString | str:
        groups = claim_corroboration(claim_id=claim.pk)
        if not groups:
            return "0: no appearance yet"
        shown = groups[:CORROBORATION_GROUPS_SHOWN]
        more = len(groups) - len(shown)
        return format_html(
            '{}<ul class="dependent-groups">{}{}</ul>',
            len(groups),
            format_html_join("", "<li>{}</li>", ((group,) for group in shown)),
            format_html("<li>and {} more</li>", more) if more else "",
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Claim | None = None):
        fields = [*super().get_readonly_fields(request, obj), "status"]
        return [*fields, *REVIEW_DISPLAYS] if obj is not None else fields

    def get_fieldsets(self, request: HttpRequest, obj: Claim | None = None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        review = [("Review", {"fields": REVIEW_DISPLAYS})]
        if request.user.has_perm(RATE_CLAIM):
            review.append(("Your rating", {"fields": RATING_FIELDS}))
        if request.user.has_perm(CHANGE_CLAIM_STATUS):
            review.append(("Status", {"fields": STATUS_FIELDS}))
        return [fieldsets[0], *review, *fieldsets[1:]]

    def get_form(self, request: HttpRequest, obj: Claim | None = None, change=False, **kwargs):
        may_rate = obj is not None and request.user.has_perm(RATE_CLAIM)
        may_move = obj is not None and request.user.has_perm(CHANGE_CLAIM_STATUS)
        if may_rate or may_move:
            attrs = {
                "reviewer": request.user,
                "suggestion": _suggestion(obj) if may_rate else None,
            }
            if not may_rate:
                attrs.update(dict.fromkeys(RATING_FIELDS))
            if not may_move:
                attrs.update(dict.fromkeys(STATUS_FIELDS))
            kwargs["form"] = type(
                "ClaimReviewForm", (ClaimReviewFormMixin, kwargs.get("form", self.form)), attrs
            )
        return super().get_form(request, obj, change, **kwargs)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not isinstance(form, ClaimReviewFormMixin):
            return
        claim = form.instance
        try:
            outcome = claim_review_submit(
                by=request.user,
                claim_id=claim.pk,
                rating=form.new_rating() if "rate_likelihood" in form.fields else None,
                rationale=form.cleaned_data.get("rate_rationale", ""),
                status=form.cleaned_data.get("new_status", ""),
                status_reason=form.cleaned_data.get("status_reason", ""),
            )
        except ValidationError as error:
            # Checked by the form already; this is another reviewer's change in between.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        if outcome.status_refused:
            claim.refresh_from_db(fields=["status"])
            saved = "Your rating was saved, but the" if outcome.rating else "The"
            self.message_user(
                request,
                f"{saved} status stays {claim.get_status_display().lower()}: "
                f"{outcome.status_refused}",
                messages.WARNING,
            )

    @admin.display(description="current ratings")
    def current_ratings(self, claim: Claim) -> SafeString | str:
        return current_ratings_html(claim) or "not rated yet"

    @admin.display(description="suggested credibility")
    def suggested_credibility(self, claim: Claim) -> str:
        suggestion = _suggestion(claim)
        return f"{suggestion.label} ({suggestion.reason})"

    @admin.display(description="vetting")
    def vetting(self, claim: Claim) -> str:
        if claim.status == ClaimStatus.VETTED:
            return "vetted"
        blockers = claim_vetting_blockers(claim_id=claim.pk)
        if not blockers:
            return "can be vetted"
        return "cannot be vetted: " + "; ".join(blockers)

    @admin.display(description="status changes")
    def status_record(self, claim: Claim) -> SafeString | str:
        changes = claim.status_changes.select_related("changed_by")
        rows = [
            (
                change.created_at.strftime("%Y-%m-%d %H:%M"),
                change.changed_by.get_username(),
                ClaimStatus(change.from_status).label,
                ClaimStatus(change.to_status).label,
                change.reason,
            )
            for change in changes
        ]
        if not rows:
            return "none yet"
        return format_html(
            '<ul class="status-changes">{}</ul>',
            format_html_join("", "<li>{}: {} moved it from {} to {}: {}</li>", rows),
        )


def _suggestion(claim: Claim) -> CredibilitySuggestion:
    """The claim's suggested grade, computed once per page (the form and the display both show
    it) and kept on the instance the page was built from."""
    if not hasattr(claim, "_credibility_suggestion"):
        claim._credibility_suggestion = claim_credibility_suggestion(claim_id=claim.pk)
    return claim._credibility_suggestion


def current_ratings_html(claim: Claim) -> SafeString | None:
    """Each reviewer's current rating and, above them, their consensus."""
    ratings = list(claim_current_ratings(claim_id=claim.pk))
    if not ratings:
        return None
    agreed = consensus([RatingValues(r.likelihood, r.confidence, r.credibility) for r in ratings])
    rows = [
        (
            rating.reviewer.get_username(),
            rating.get_likelihood_display(),
            rating.confidence,
            rating.credibility,
            rating.suggested_credibility or "none",
            rating.rationale or "",
            rating.created_at.strftime("%Y-%m-%d %H:%M"),
        )
        for rating in ratings
    ]
    return format_html(
        '<p class="rating-consensus">Consensus: {}</p><table class="current-ratings"><thead><tr>'
        "<th>reviewer</th><th>likelihood</th><th>confidence</th><th>credibility</th>"
        "<th>suggested</th><th>rationale</th><th>when</th></tr></thead><tbody>{}</tbody></table>",
        str(agreed),
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "</tr>",
            rows,
        ),
    )
