"""The admin's "Propose claims" desk: an article's candidate claims, to accept, edit or reject.

Two ways in: a stored source that has text (a link on its page), or an article pasted in as a
new source, text or HTML (its main text extracted with trafilatura). The candidates are listed
in text order, each quote highlighted in its paragraph; the editor accepts (as proposed or
edited) or rejects each in one form, and the accepted ones become claims with their appearance
in the source through claims.candidate_services. Nothing is written before that, and a
candidate already stored as a claim of the source is shown as such, not proposed again.

The views are admin views (admin.site.admin_view) routed beside the claim admin's pages, so
that the sources app's admin does not depend on the claims app; the source's page links here
from its template (claims/templates/admin/sources/source/change_form.html).
"""

import re
import uuid

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from claims.core import values
from claims.core.extraction import Candidate
from claims.models import Claim, Predicate, Stance
from claims.selectors.candidates import (
    article_candidates,
    candidate_stored_as,
    contradictions_of_claims,
    predicate_best_guess,
    predicates_for_choice,
    source_stored_claims,
)
from claims.selectors.claims import entity_ids_named
from claims.services.candidates import (
    ACCEPT_PERMISSIONS,
    NEW_SOURCE_PERMISSIONS,
    AcceptedCandidate,
    candidates_accept,
)
from sources.admin import SourceForm
from sources.models import Entity, Source
from tracker.models import Precision

TEMPLATE = "admin/claims/propose_claims.html"
_HTML_RE = re.compile(r"<(?:html|body|article|div|p|h1|h2|span|br)\b", re.IGNORECASE)


# --- forms ---------------------------------------------------------------------------------------


class ArticleForm(SourceForm):
    """A new source from a pasted article: its text, or its page's HTML."""

    class Meta(SourceForm.Meta):
        fields = ("key", "title", "outlet", "url", "authors", "language", "text")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text = "Left empty, one is made up."
        self.fields["text"].required = True
        self.fields["text"].label = "Text or HTML"
        self.fields[
            "text"
        ].help_text = (
            "Paste the article's text, or the HTML of its page: the main text is taken from it."
        )
        self.fields["text"].strip = False  # offsets index into the text as kept

    def clean_key(self) -> str:
        return self.cleaned_data["key"] or f"source-{uuid.uuid4().hex[:12]}"

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].replace("\r\n", "\n")
        if _HTML_RE.search(text):
            text = _main_text(text)
            if not text:
                raise ValidationError("No article text could be found in this HTML.")
        return text


def _main_text(html: str) -> str:
    import trafilatura  # loaded when HTML is pasted: it brings lxml and its models

    extracted = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_precision=True
    )
    return (extracted or "").strip()


class CandidateForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("reject", "Reject"), ("accept", "Accept")],
        initial="reject",
        widget=forms.RadioSelect,
    )
    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        choices=[("quantity", "quantity"), ("date", "date")], widget=forms.HiddenInput
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    value_as_written = forms.CharField(label="Value", max_length=200)
    subject = forms.CharField(
        required=False, max_length=300, help_text="A stored entity: key, name or alias."
    )
    predicate = forms.ChoiceField(required=False)
    new_predicate = forms.CharField(
        required=False, max_length=300, label="or a new predicate", help_text="Created if new."
    )
    speaker = forms.CharField(
        required=False, max_length=300, help_text="A stored entity: key, name or alias."
    )
    speaker_description = forms.CharField(
        required=False, max_length=300, label="or unnamed speaker"
    )
    stance = forms.ChoiceField(choices=Stance.choices)
    negated = forms.BooleanField(required=False)

    def __init__(self, *args, predicates: list[Predicate], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["predicate"].choices = [("", "(name a new one below)")] + [
            (p.key, f"{p.name} ({p.value_type})") for p in predicates
        ]
        self._predicates = {p.key: p for p in predicates}

    def clean(self):
        data = super().clean()
        if data.get("decision") != "accept":
            return data
        data["subject_entity"] = self._entity(data.get("subject", ""), "subject")
        data["speaker_entity"] = self._entity(data.get("speaker", ""), "speaker")
        if data["speaker_entity"] and data.get("speaker_description", "").strip():
            self.add_error("speaker", "Give a stored speaker or an unnamed one, not both.")
        data["predicate_record"] = self._predicates.get(data.get("predicate") or "")
        if data["predicate_record"] is None and not data.get("new_predicate", "").strip():
            self.add_error("predicate", "Choose a predicate or name a new one.")
        return data

    def _entity(self, reference: str, field: str) -> Entity | None:
        reference = reference.strip()
        if not reference:
            return None
        ids = entity_ids_named(reference)
        if len(ids) == 1:
            return Entity.objects.get(pk=ids[0])
        if ids:
            self.add_error(field, f'"{reference}" names {len(ids)} entities: give a key.')
        else:
            self.add_error(field, f'No entity has the key, name or alias "{reference}".')
        return None


class BaseCandidateFormSet(forms.BaseFormSet):
    def __init__(self, *args, predicates: list[Predicate], text: str, **kwargs) -> None:
        self.predicates, self.text = predicates, text
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "predicates": self.predicates}

    def clean(self) -> None:
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                continue
            if not start < end <= len(self.text):
                form.add_error(None, "The quote's place is not in the text: read it again.")


CandidateFormSet = forms.formset_factory(
    CandidateForm, formset=BaseCandidateFormSet, extra=0, max_num=2000, absolute_max=2000
)


# --- rows of the page ----------------------------------------------------------------------------


class _Row:
    """One candidate on the page: where it is, and its form or the claim it already is."""

    def __init__(self, number: int, candidate: Candidate, text: str, stored, form=None) -> None:
        self.number = number
        self.candidate = candidate
        self.context = _highlighted(text, candidate)
        self.value = _value_text(candidate)
        self.stored = stored
        self.form = form
        self.subject_found = (candidate.subject or {}).get("as_written", "")
        self.speaker_found = _speaker_text(candidate.speaker)


def _highlighted(text: str, c: Candidate) -> SafeString:
    """The candidate's paragraph, its quote marked and its value's words in bold."""
    start = text.rfind("\n\n", 0, c.start)
    start = 0 if start < 0 else start + 2
    end = text.find("\n\n", c.end)
    end = len(text) if end < 0 else end
    value_start = max(c.value_start, c.start)
    value_end = min(c.value_end, c.end)
    return format_html(
        "{}<mark>{}<strong>{}</strong>{}</mark>{}",
        text[start : c.start],
        text[c.start : value_start],
        text[value_start:value_end],
        text[value_end : c.end],
        text[c.end : end],
    )


def _value_text(c: Candidate) -> str:
    if c.kind == "date":
        d = c.value["date"]
        return d["from"] if d["from"] == d["to"] else f"{d['from']} to {d['to']}"
    q = c.value["quantity"]
    left = "[" if q["low_inclusive"] else "("
    right = "]" if q["high_inclusive"] else ")"
    low = "open" if q["low"] is None else q["low"]
    high = "open" if q["high"] is None else q["high"]
    return f"{left}{low}, {high}{right}" + (f" {q['unit']}" if q["unit"] else "")


def _speaker_text(speaker: dict | None) -> str:
    if not speaker:
        return ""
    return speaker.get("as_written") or speaker.get("description") or ""


def _initial(c: Candidate, predicates: list[Predicate]) -> dict:
    """The form as proposed: matched records preselected, unmatched words shown beside."""
    guess = predicate_best_guess(c, predicates)
    speaker = c.speaker or {}
    value_words = " ".join(c.value_words.split())
    unit = (c.value.get("quantity") or {}).get("unit")
    if unit and _is_measure(unit) and not value_words.endswith(unit):
        value_words = f"{value_words} {unit}"  # "150 miles": the unit is part of the value
    return {
        "decision": "reject",
        "start": c.start,
        "end": c.end,
        "kind": c.kind,
        "text": c.text,
        "value_as_written": value_words,
        "subject": (c.subject or {}).get("entity") or "",
        "predicate": guess.key if guess else "",
        "new_predicate": "" if guess else (c.predicate.get("as_written") or ""),
        "speaker": speaker.get("entity") or "",
        "speaker_description": "" if speaker.get("entity") else _speaker_text(c.speaker),
        "stance": c.stance,
        "negated": c.negated,
    }


def _is_measure(unit: str) -> bool:
    try:
        return values.unit_dimension(unit) in ("length", "time")
    except values.ValueParseError:
        return False


# --- views ---------------------------------------------------------------------------------------


def _require(request: HttpRequest, permissions: tuple[str, ...]) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied("Proposing claims takes the editors group.")


def propose_for_source(request: HttpRequest, source_id: int) -> HttpResponse:
    """Candidates of a stored source's text."""
    _require(request, ACCEPT_PERMISSIONS)
    source = get_object_or_404(Source, pk=source_id)
    context = {"source": source, "title": f"Propose claims: {source.title}"}
    if not source.text.strip():
        context["no_text"] = True
        return _render(request, context)
    return _desk(request, source, context, accepting=request.method == "POST")


def propose_for_new_source(request: HttpRequest) -> HttpResponse:
    """A pasted article: first its source form, then its candidates, then the result."""
    _require(request, ACCEPT_PERMISSIONS + NEW_SOURCE_PERMISSIONS)
    context: dict = {"title": "Bring an article in"}
    if request.method != "POST":
        context["article_form"] = ArticleForm(prefix="source")
        return _render(request, context)
    article_form = ArticleForm(request.POST, prefix="source")
    if not article_form.is_valid():
        context["article_form"] = article_form
        return _render(request, context)
    source = article_form.instance
    # The text as read (the HTML's main text) travels with the candidates' form, so that the
    # offsets stay true to it; nothing is stored until the editor accepts.
    carried = request.POST.copy()
    carried["source-text"] = source.text
    context["hidden_article"] = ArticleForm(carried, prefix="source")
    return _desk(request, source, context, accepting=request.POST.get("step") == "accept")


def _desk(request, source: Source, context: dict, *, accepting: bool) -> HttpResponse:
    """The candidates of the source's text, or, when accepting, the posted decisions applied."""
    text = source.text
    predicates = predicates_for_choice()
    candidates = article_candidates(text=text, published=_published(source))
    stored = source_stored_claims(source_id=source.pk) if source.pk else []
    marks = [candidate_stored_as(c, stored) for c in candidates]
    open_candidates = [c for c, mark in zip(candidates, marks, strict=True) if mark is None]
    formset = CandidateFormSet(
        request.POST if accepting else None,
        initial=None if accepting else [_initial(c, predicates) for c in open_candidates],
        prefix="candidate",
        predicates=predicates,
        text=text,
    )
    if accepting and formset.is_valid():
        accepted = [
            _accepted(form.cleaned_data, text)
            for form in formset.forms
            if form.cleaned_data.get("decision") == "accept"
        ]
        try:
            claims = candidates_accept(by=request.user, source=source, accepted=accepted)
        except ValidationError as error:
            _attach_errors(formset, error)
        else:
            return _result(request, source, claims, context)
    forms_of_open = iter(formset.forms)
    rows = [
        _Row(i + 1, c, text, mark, None if mark else next(forms_of_open, None))
        for i, (c, mark) in enumerate(zip(candidates, marks, strict=True))
    ]
    context.update(source=source, rows=rows, formset=formset)
    return _render(request, context)


def _accepted(data: dict, text: str) -> AcceptedCandidate:
    return AcceptedCandidate(
        kind=data["kind"],
        text=data["text"],
        quote=text[data["start"] : data["end"]],
        value_as_written=data["value_as_written"],
        subject=data.get("subject_entity"),
        predicate=data.get("predicate_record"),
        new_predicate_name=data.get("new_predicate", ""),
        negated=data.get("negated", False),
        speaker=data.get("speaker_entity"),
        speaker_description=data.get("speaker_description", ""),
        stance=data["stance"],
    )


def _attach_errors(formset, error: ValidationError) -> None:
    """The service's "<index>.<field>" errors shown on the accepted rows' fields."""
    accepted_forms = [f for f in formset.forms if f.cleaned_data.get("decision") == "accept"]
    for key, messages in error.message_dict.items():
        index, _, field = key.partition(".")
        if not index.isdigit():
            formset._non_form_errors = formset.error_class(messages)
            continue
        form = accepted_forms[int(index)]
        target = field if field in form.fields else None
        if field == "value_as_written" or field.startswith(("quantity", "date")):
            target = "value_as_written"
        for message in messages:
            form.add_error(target, message)


def _result(request, source: Source, claims: list[Claim], context: dict) -> HttpResponse:
    ids = [c.pk for c in claims]
    context.update(
        created=Claim.objects.filter(pk__in=ids)
        .select_related("subject", "predicate")
        .order_by("pk"),
        flags=contradictions_of_claims(claim_ids=ids),
        source=source,
        done=True,
    )
    return _render(request, context)


def _render(request, context: dict) -> TemplateResponse:
    context = {
        **admin.site.each_context(request),
        "opts": Claim._meta,
        "propose_again": (
            reverse("admin:claims_propose_source", args=[context["source"].pk])
            if context.get("source") is not None and context["source"].pk
            else None
        ),
        **context,
    }
    return TemplateResponse(request, TEMPLATE, context)


def _published(source: Source) -> values.PartialDate | None:
    if source.published is None or not source.published_precision:
        return None
    return values.PartialDate.from_date(source.published, Precision(source.published_precision))


def admin_urls() -> list:
    """The desk's routes, added to the claim admin's (claims/admin.py, ClaimAdmin.get_urls)."""
    return [
        path(
            "propose/",
            admin.site.admin_view(propose_for_new_source),
            name="claims_propose_new",
        ),
        path(
            "propose/source/<int:source_id>/",
            admin.site.admin_view(propose_for_source),
            name="claims_propose_source",
        ),
    ]
