"""Supersessions in the admin: the list, each record's page where a reviewer may undo it with a
reason, and what a claim's page shows of what it supersedes and what supersedes it."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from claims.core.roles import REVIEW_CONTRADICTION
from claims.models import Claim, Contradiction, Supersession, SupersessionStatus
from claims.selectors.supersessions import claim_supersessions, supersessions_between
from claims.services.claims import supersession_undo

UNDO_REASON_REQUIRED = "Say why the supersession is undone."


def _claim_link(claim: Claim) -> SafeString:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[claim.pk]), claim.key
    )


def _row(supersession: Supersession, other: Claim) -> tuple:
    url = reverse("admin:claims_supersession_change", args=[supersession.pk])
    return (
        url,
        supersession.get_reason_display(),
        supersession.get_status_display(),
        _claim_link(other),
        supersession.explanation,
    )


def claim_supersessions_html(claim: Claim) -> SafeString | None:
    """What the claim supersedes and what supersedes it, every record with its reason, status
    and explanation, each linked to its page (where it can be undone). None when there is
    none."""
    supersedes, superseded_by = claim_supersessions(claim_id=claim.pk)
    if not supersedes and not superseded_by:
        return None
    line = '<li><a href="{}">{}</a> ({}): {} — {}</li>'
    parts = []
    if superseded_by:
        rows = [_row(s, s.newer) for s in superseded_by]
        parts.append(
            format_html(
                '<p>Superseded by:</p><ul class="superseded-by">{}</ul>',
                format_html_join("", line, rows),
            )
        )
    if supersedes:
        rows = [_row(s, s.older) for s in supersedes]
        parts.append(
            format_html(
                '<p>Supersedes:</p><ul class="supersedes">{}</ul>',
                format_html_join("", line, rows),
            )
        )
    return format_html_join("", "{}", ((part,) for part in parts))


def flag_supersession_text(flag: Contradiction) -> str:
    """The relation a reviewed flag's claims have come to: "correction: 2 attackers ... corrects
    3 attackers ...", or "" when they do not supersede one another."""
    # Asked by the page's fieldsets and its field: read once per flag loaded.
    if not hasattr(flag, "_supersession_text"):
        found = supersessions_between([flag]).get(flag.pk)
        flag._supersession_text = (
            "" if found is None else f"{found.get_reason_display()}: {found.explanation}"
        )
    return flag._supersession_text


class SupersessionUndoForm(forms.ModelForm):
    """A supersession's only change: a reviewer undoes it, with a reason."""

    undo = forms.BooleanField(
        required=False,
        label="Undo this supersession",
        help_text="The newer claim does not replace the older one: the two are compared as "
        "usual again, and this stays undone until either claim changes.",
    )
    undo_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    class Meta:
        model = Supersession
        fields = ()

    def clean(self) -> dict[str, object]:
        cleaned_data = super().clean()
        if cleaned_data.get("undo") and not cleaned_data.get("undo_reason", "").strip():
            self.add_error("undo_reason", UNDO_REASON_REQUIRED)
        return cleaned_data


@admin.register(Supersession)
class SupersessionAdmin(SimpleHistoryAdmin):
    """Supersessions come only from detection: reviewers read them and may undo them here."""

    form = SupersessionUndoForm
    list_display = (
        "short_explanation",
        "reason",
        "status",
        "newer_link",
        "older_link",
        "created_at",
    )
    list_select_related = ("newer", "older")
    list_filter = ("reason", "status")
    search_fields = ("newer__key", "newer__text", "older__key", "older__text", "explanation")
    readonly_fields = (
        "newer_link",
        "older_link",
        "reason",
        "status",
        "explanation",
        "detected_by",
        "created_at",
        "last_detected_at",
        "undone_by",
        "undone_at",
        "undone_reason",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Supersession | None = None):
        fieldsets = [
            (
                None,
                {
                    "fields": (
                        "newer_link",
                        "older_link",
                        "reason",
                        "status",
                        "explanation",
                        ("detected_by", "created_at", "last_detected_at"),
                    )
                },
            ),
            ("Undone", {"fields": (("undone_by", "undone_at"), "undone_reason")}),
        ]
        if obj is not None and obj.status == SupersessionStatus.ACTIVE:
            if self.has_change_permission(request, obj):
                fieldsets.append(("Decision", {"fields": ("undo", "undo_reason")}))
        return fieldsets

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Supersession | None = None) -> bool:
        # Kept as a record, never deleted: undo it instead.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Supersession | None = None) -> bool:
        # Its only change is a reviewer's undo (the service checks it too).
        return request.user.has_perm(REVIEW_CONTRADICTION)

    def save_model(
        self, request: HttpRequest, obj: Supersession, form: forms.ModelForm, change: bool
    ) -> None:
        if form.cleaned_data.get("undo"):
            supersession_undo(
                supersession_id=obj.pk, by=request.user, reason=form.cleaned_data["undo_reason"]
            )
            obj.refresh_from_db()  # for the change message and the history entry

    @admin.display(description="explanation", ordering="explanation")
    def short_explanation(self, supersession: Supersession) -> str:
        return Truncator(supersession.explanation).chars(90)

    @admin.display(description="newer claim", ordering="newer__key")
    def newer_link(self, supersession: Supersession) -> str:
        return _claim_link(supersession.newer)

    @admin.display(description="older claim (superseded)", ordering="older__key")
    def older_link(self, supersession: Supersession) -> str:
        return _claim_link(supersession.older)
