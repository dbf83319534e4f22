"""The admin site: its front page is the editors' desk.

The desk leads with the work waiting (claims to review, open flags, sources not yet read for
claims, what others changed), each a count and a link; below it every page people use, grouped
by what they do with it rather than by app, the rarely used link tables last and folded away.
"""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

DESK_LIST_LENGTH = 5

# (section, what it is for, [(app_label.ModelName, label)]), in the order the desk shows them.
SECTIONS = (
    (
        "Reviewing",
        "Decide on claims and contradiction flags; read the report.",
        (
            ("claims.Claim", "Claims"),
            ("claims.Contradiction", "Contradiction flags"),
            ("claims.ContradictionReport", "Contradiction report"),
            ("claims.ReportEdition", "Weekly report editions"),
            ("claims.ClaimRating", "Ratings"),
            ("claims.ClaimStatusChange", "Status changes"),
        ),
    ),
    (
        "Sources",
        "Articles and documents, the outlets that publish them and the claims found in them.",
        (
            ("sources.Source", "Sources"),
            ("sources.Outlet", "Outlets"),
            ("claims.Appearance", "Appearances (a claim quoted in a source)"),
        ),
    ),
    (
        "Reference data",
        "The people, organisations, places and events claims are about, and what they say of them.",
        (
            ("sources.Entity", "People, organisations, places and events"),
            ("claims.Predicate", "Predicates (what a claim says about its subject)"),
            ("claims.ContradictionScan", "Contradiction scans"),
        ),
    ),
    (
        "Access",
        "Who may sign in and what they may do.",
        (
            ("auth.User", "Users"),
            ("auth.Group", "Roles (groups)"),
            ("knox.AuthToken", "API tokens"),
        ),
    ),
    (
        "Link tables",
        "Edited inline on their records; listed here to search across them.",
        (
            ("sources.EntityAlias", "Entity aliases"),
            ("claims.PredicateAlias", "Predicate aliases"),
            ("claims.AppearanceVia", "Attributions (according to another source)"),
            ("sources.SourceCitation", "Source citations"),
            ("claims.ClaimRelation", "Links between claims"),
        ),
    ),
)


class TrackerAdminSite(admin.AdminSite):
    site_header = "Claim tracker"
    site_title = "Claim tracker"
    index_title = "The desk"
    index_template = "admin/desk.html"
    # The page's full width for the lists: the sidebar repeats what the desk lists.
    enable_nav_sidebar = False

    def index(self, request: HttpRequest, extra_context=None) -> TemplateResponse:
        extra = {"desk": desk_context(request), "sections": self.sections(request)}
        return super().index(request, {**extra, **(extra_context or {})})

    def sections(self, request: HttpRequest) -> list[dict]:
        """The desk's groups of pages, each page the user may see with its links."""
        result = []
        for title, description, entries in SECTIONS:
            pages = []
            for dotted, label in entries:
                page = self._page(request, dotted, label)
                if page is not None:
                    pages.append(page)
            if pages:
                result.append(
                    {
                        "title": title,
                        "description": description,
                        "pages": pages,
                        "folded": title == "Link tables",
                    }
                )
        return result

    def _page(self, request: HttpRequest, dotted: str, label: str) -> dict | None:
        app_label, model_name = dotted.split(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return None
        model_admin = self._registry.get(model)
        if model_admin is None:
            return None
        perms = model_admin.get_model_perms(request)
        if not any(perms.values()):
            return None
        info = (app_label, model._meta.model_name)
        try:
            url = reverse(f"admin:{info[0]}_{info[1]}_changelist", current_app=self.name)
        except NoReverseMatch:
            return None
        add_url = None
        if perms.get("add"):
            add_url = reverse(f"admin:{info[0]}_{info[1]}_add", current_app=self.name)
        return {"label": label, "url": url, "add_url": add_url}


class TrackerAdminConfig(AdminConfig):
    default_site = "tracker.admin_site.TrackerAdminSite"


def desk_context(request: HttpRequest) -> dict:
    """The work waiting, for the desk: counts, links and the first few records."""
    # Imported here: the admin site is built before the apps' models are ready.
    from claims.selectors import desk

    user = request.user
    claims_url = reverse("admin:claims_claim_changelist")
    flags_url = reverse("admin:claims_contradiction_changelist")
    sources_url = reverse("admin:sources_source_changelist")
    changes_total, changes = desk.recent_changes_by_others(user=user, limit=DESK_LIST_LENGTH)
    change_urls = {
        "claim": "admin:claims_claim_change",
        "appearance": "admin:claims_appearance_change",
        "flag": "admin:claims_contradiction_change",
    }
    return {
        "awaiting_review": {
            "count": desk.claims_awaiting_review().count(),
            "url": f"{claims_url}?{urlencode({'awaiting': 'yes'})}",
        },
        "open_flags": {
            "count": desk.open_flags().count(),
            "url": f"{flags_url}?{urlencode({'status__exact': 'open'})}",
            "first": [
                {
                    "flag": flag,
                    "url": reverse("admin:claims_contradiction_change", args=[flag.pk]),
                    "independent_sources": flag.independent_sources,
                }
                for flag in desk.open_flags_first_to_review(DESK_LIST_LENGTH)
            ],
        },
        "unread_sources": {
            "count": desk.sources_unread_for_claims().count(),
            "url": f"{sources_url}?{urlencode({'read_for_claims': 'no'})}",
        },
        "recent_changes": {
            "count": changes_total,
            "days": desk.RECENT_CHANGES_DAYS,
            "latest": [
                {
                    "change": change,
                    "url": _change_url(change_urls[change.what], change.record),
                }
                for change in changes
            ],
        },
    }


def _change_url(url_name: str, record) -> str | None:
    if record.history_type == "-":
        return None  # deleted: nothing to open
    return reverse(url_name, args=[record.id])
