"""Import of claimset/1 documents, as ../shared/spec/claimset.md defines them.

The whole document is checked before anything is written, and every error is reported with
its JSON path. The work is set-based: a fixed number of queries per section whatever the
number of records (look-ups by key in chunks, then COPY/bulk writes), never a query per row.

Before anything, every string of the document is checked for what the database cannot store
(a NUL, a lone surrogate such as "\\ud800"). Phase 1 (`_read` and the `_Reader` helpers) checks
the shape of every record without the database. Phase 2 (`_resolve`) loads what the document
refers to, resolves references by key, name or alias, parses values, checks quotes, and checks
that the sender may make the review decisions the document makes (an outlet's grade, a claim's
status: the reviewer role). Phase 3 (`_write`) hands the records to the bulk services of their
domains (sources.services: outlets, entities, sources; claims.services.claims: predicates,
claims with their appearances, relations), in one transaction; they compare each with the
stored one and write what is new or changed, with history entries naming the sender.

A record in the document replaces the stored record of the same key: fields it leaves out take
their defaults, except a reviewer's decisions: an outlet's grade (`reliability`) and a claim's
`status` left out keep what is stored. `by` is the user who sent the document; None is the
system (a command run without --user), which may grade outlets, and whose `status` fields are
ignored as the spec has the import do (a status change is recorded with the reviewer who made
it).
"""

import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, transaction

import tracker.timings as timings
from claims.core import values
from claims.core.quotes import fold_for_quote_search, quote_occurs_in
from claims.core.roles import GRADE_OUTLET
from claims.core.value_columns import (
    earliest_publication,
    interval_columns,
    quantity_columns,
    units_disagree,
)
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimStatus,
    Predicate,
    PredicateAlias,
    RelationType,
    Stance,
    ValueType,
)
from claims.services.claims import (
    CLAIM_STORED_COLUMNS,
    AppearanceRow,
    claims_bulk_save,
    claims_status_refusals,
    predicates_bulk_save,
    relations_bulk_save,
)
from sources.models import (
    Entity,
    EntityAlias,
    EntityKind,
    Outlet,
    OutletKind,
    Reliability,
    Source,
    SourceCitation,
    SourceCorrection,
)
from sources.services import (
    entities_bulk_save,
    outlet_grades_kept,
    outlets_bulk_save,
    outlets_regraded,
    sources_bulk_save,
)
from sources.url_normalization import normalize_url
from tracker.bulk import filter_in, gc_paused
from tracker.bulk_records import BulkSaved
from tracker.errors import ApplicationError, FieldError
from tracker.models import KEY_PATTERN

# The change reason of the history entries an import writes.
IMPORTED = "imported from a claimset"

FORMAT = "claimset/1"

FIELDS = {
    "outlets": ({"key", "name"}, {"url", "kind", "country", "reliability"}),
    "entities": ({"key", "name", "kind"}, {"aliases", "affiliation", "role"}),
    "predicates": (
        {"key", "name", "value_type"},
        {"unit", "functional", "time_varying", "cumulative", "aliases"},
    ),
    "sources": (
        {"key", "title"},
        {"outlet", "url", "published", "authors", "language", "text", "cites", "corrects"},
    ),
    # `independent_sources` and `superseded_by` are written by export_claims and ignored here.
    "claims": (
        {"key", "text"},
        {
            "subject",
            "predicate",
            "value",
            "negated",
            "valid",
            "location",
            "appearances",
            "status",
            "independent_sources",
            "superseded_by",
        },
    ),
    "relations": ({"claims", "type"}, {"note"}),
}
APPEARANCE_FIELDS = ({"source"}, {"quote", "speaker", "via", "stance"})
QUANTITY_FIELDS = (set(), {"low", "high", "unit", "as_written"})
INTERVAL_FIELDS = (set(), {"from", "to", "as_written"})
SECTIONS = tuple(FIELDS)
# Every field a record may have, by id() of its (required, optional) pair: built once.
_ALLOWED: dict[int, set[str]] = {}

# Django's TextChoices.values builds a new list on every access: taken once here.
OUTLET_KINDS = ("", *OutletKind.values)
RELIABILITIES = ("", *Reliability.values)
ENTITY_KINDS = tuple(EntityKind.values)
VALUE_TYPES = tuple(ValueType.values)
STANCES = tuple(Stance.values)
RELATION_TYPES = tuple(RelationType.values)
CLAIM_STATUSES = tuple(ClaimStatus.values)

_KEY = re.compile(KEY_PATTERN)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_url_validator = URLValidator()


class ClaimsetInvalid(ApplicationError):
    """The document has errors; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        # A path or message may quote the offending string: shown escaped, so that the error
        # itself can be written out as UTF-8 and stored.
        errors = [FieldError(_printable(e.path), _printable(e.message)) for e in errors]
        super().__init__(
            f"the claimset has {len(errors)} error(s); nothing was written", errors=errors
        )


@dataclass
class SectionCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportSummary:
    counts: dict[str, SectionCount] = field(
        default_factory=lambda: {section: SectionCount() for section in SECTIONS}
    )

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated for c in self.counts.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {name: vars(count).copy() for name, count in self.counts.items()}

    def __str__(self) -> str:
        return "; ".join(
            f"{name}: {c.created} created, {c.updated} updated, {c.unchanged} unchanged"
            for name, c in self.counts.items()
        )


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _printable(text: str) -> str:
    """`text` with NULs and lone surrogates written as escapes (\\u0000, \\ud800)."""
    if text.isascii() and "\x00" not in text:
        return text
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _not_finite(number: float) -> str:
    if math.isnan(number):
        return "expected a finite number, got NaN"
    return "a number too large to store (over 1.8e308, read as infinity)"


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}..."'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> Decimal:
    # Through str(), so that 0.1 stays 0.1 rather than its binary expansion.
    return Decimal(str(value))


# Claimsets repeat their phrases ("at least 400", "late last year" in sources of one month):
# the parsers are pure, so each phrase is parsed once per process.
_parse_quantity = functools.lru_cache(maxsize=8192)(values.parse_quantity)
_parse_date_phrase = functools.lru_cache(maxsize=8192)(values.parse_date_phrase)
_parse_valid_phrase = functools.lru_cache(maxsize=8192)(values.parse_valid_phrase)
_normalize_name = functools.lru_cache(maxsize=65536)(values.normalize_name)


def _same_bound(given: Decimal | None, parsed: Decimal | None) -> bool:
    """Equal ends, allowing for the float an export wrote (0.9 * 123456789.123 and so on)."""
    if given is None or parsed is None:
        return given is parsed
    return math.isclose(given, parsed, rel_tol=1e-12, abs_tol=1e-12)


def _as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class _Reader:
    """Phase 1: the shape of every record, checked without the database."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def records(self, document: dict, section: str) -> list[tuple[str, dict]]:
        """(path, record) for each well-formed object of a section, unknown fields reported."""
        items = document.get(section, [])
        if not isinstance(items, list):
            self.error(section, f"expected a list, got {_describe(items)}")
            return []
        out = []
        for i, record in enumerate(items):
            path = f"{section}[{i}]"
            if self.fields(record, path, FIELDS[section]):
                out.append((path, record))
        return out

    def fields(self, record: Any, path: str, spec: tuple[set[str], set[str]]) -> bool:
        """Whether `record` is an object; its unknown and missing fields reported."""
        if not isinstance(record, dict):
            self.error(path, f"expected an object, got {_describe(record)}")
            return False
        required, optional = spec
        allowed = _ALLOWED.get(id(spec)) or _ALLOWED.setdefault(id(spec), required | optional)
        # Cheap subset tests first: the loops below run only for a record with an error.
        if not allowed.issuperset(record):
            for name in record:
                if name not in allowed:
                    self.error(f"{path}.{name}", f'unknown field "{name}"')
        if not required.issubset(record):
            for name in sorted(required - record.keys()):
                self.error(f"{path}.{name}", "required")
        return True

    def keys(self, records: list[tuple[str, dict]]) -> dict[str, tuple[str, dict]]:
        """The section's records by key; bad and repeated keys reported."""
        by_key: dict[str, tuple[str, dict]] = {}
        for path, record in records:
            key = record.get("key")
            if key is None:
                continue
            if not isinstance(key, str) or not _KEY.match(key):
                self.error(
                    f"{path}.key",
                    f"expected 1 to 200 characters of A-Z a-z 0-9 . _ : -, got {_describe(key)}",
                )
            elif key in by_key:
                self.error(f"{path}.key", f'repeats the key "{key}" of {by_key[key][0]}')
            else:
                by_key[key] = (path, record)
        return by_key

    def text(
        self, record: dict, name: str, path: str, *, max_length: int | None = None, blank=True
    ) -> str:
        value = record.get(name, "")
        if not isinstance(value, str):
            self.error(f"{path}.{name}", f"expected a string, got {_describe(value)}")
            return ""
        if not blank and not value.strip():
            self.error(f"{path}.{name}", "must not be empty")
        if max_length is not None and len(value) > max_length:
            self.error(f"{path}.{name}", f"longer than {max_length} characters")
        return value

    def optional_text(self, record: dict, name: str, path: str, max_length: int) -> str | None:
        if name not in record or record[name] is None:
            return None
        value = self.text(record, name, path, max_length=max_length)
        return value or None

    def choice(
        self, record: dict, name: str, path: str, choices: tuple[str, ...], default=""
    ) -> str:
        value = record.get(name, default)
        if not isinstance(value, str) or value not in choices:
            allowed = ", ".join(c for c in choices if c)
            self.error(f"{path}.{name}", f"expected one of {allowed}; got {_describe(value)}")
            return default
        return value

    def url(self, record: dict, path: str) -> str:
        value = self.text(record, "url", path, max_length=2000)
        if value:
            try:
                _url_validator(value)
            except ValidationError:
                self.error(f"{path}.url", f"not a valid URL: {_describe(value)}")
        return value

    def boolean(self, record: dict, name: str, path: str) -> bool:
        value = record.get(name, False)
        if not isinstance(value, bool):
            self.error(f"{path}.{name}", f"expected true or false, got {_describe(value)}")
            return False
        return value

    def string_list(self, record: dict, name: str, path: str, *, max_length: int) -> list[str]:
        value = record.get(name, [])
        if not isinstance(value, list):
            self.error(f"{path}.{name}", f"expected a list of strings, got {_describe(value)}")
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.error(f"{path}.{name}[{i}]", f"expected a string, got {_describe(item)}")
            elif len(item) > max_length:
                self.error(f"{path}.{name}[{i}]", f"longer than {max_length} characters")
            else:
                out.append(item)
        return out

    def reference(self, record: dict, name: str, path: str) -> str | None:
        value = record.get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(
                f"{path}.{name}", f"expected a reference (a key or name), got {_describe(value)}"
            )
            return None
        return value

    def partial_date(self, value: Any, path: str) -> values.PartialDate | None:
        if not isinstance(value, str):
            self.error(
                path, f"expected a date such as 2015, 2015-07 or 2015-07-01, got {_describe(value)}"
            )
            return None
        try:
            return values.parse_partial_date(value)
        except values.ValueParseError as exc:
            self.error(path, str(exc))
            return None


@dataclass
class _Claim:
    """A claim as read in phase 1, waiting for its references to be resolved."""

    path: str
    key: str
    text: str
    subject: str | None
    predicate: str | None
    value_kind: str  # "" when the claim has no value
    value: Any  # the value form's body
    negated: bool
    valid: Any
    location: str | None
    appearances: list[dict]
    status: str | None

    def predicate_unknown(self, problem: str | None) -> bool:
        """Whether the predicate reference matched nothing (not: matched several)."""
        return bool(problem) and problem.startswith("no ")


class _NameIndex:
    """Finds records of one kind by key, or by name or alias after normalisation."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.keys: set[str] = set()
        self.names: dict[str, set[str]] = defaultdict(set)

    def add(self, key: str, names: list[str]) -> None:
        self.keys.add(key)
        for name in names:
            self.names[_normalize_name(name)].add(key)

    def resolve(self, reference: str) -> tuple[str | None, str | None]:
        """(key, None) when found; (None, reason) otherwise."""
        if reference in self.keys:
            return reference, None
        found = self.names.get(_normalize_name(reference), set())
        if len(found) == 1:
            return next(iter(found)), None
        if not found:
            return None, f'no {self.kind} has the key, name or alias "{reference}"'
        keys = ", ".join(sorted(found))
        return None, f'"{reference}" names more than one {self.kind}: {keys}'


_EMPTY_VALUE = {
    "value_type": "",
    "value_as_written": "",
    "quantity_low": None,
    "quantity_high": None,
    "quantity_low_inclusive": True,
    "quantity_high_inclusive": True,
    "quantity_given_low": None,
    "quantity_given_high": None,
    "quantity_given_unit": "",
    "date_from": None,
    "date_from_precision": "",
    "date_to": None,
    "date_to_precision": "",
    "value_entity": None,
    "value_text": "",
}


def _load_named(
    model, alias_model, parent: str, columns: tuple[str, ...], references: set[str]
) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """Stored entities or predicates that `references` name by key, name or alias, by key, and
    the aliases of each, in their stored order."""
    norms = {_normalize_name(ref) for ref in references}
    rows = model.objects.values(*columns)
    stored = {r["key"]: r for r in filter_in(rows, "key", references)}
    stored.update((r["key"], r) for r in filter_in(rows, "normalized_name", norms))
    alias_rows = alias_model.objects.values(f"{parent}__key")
    by_alias = {a[f"{parent}__key"] for a in filter_in(alias_rows, "normalized", norms)}
    stored.update((r["key"], r) for r in filter_in(rows, "key", by_alias - stored.keys()))
    aliases: dict[str, list[str]] = defaultdict(list)
    for alias in filter_in(
        alias_model.objects.order_by("id").values(f"{parent}__key", "name"),
        f"{parent}__key",
        stored.keys(),
    ):
        aliases[alias[f"{parent}__key"]].append(alias["name"])
    return stored, aliases


class _Resolution:
    """One import while it is read and resolved: the document, its records as read, the stored
    rows they name, the indexes references resolve with, the rows to write, and the errors."""

    def __init__(self, document: Any, by) -> None:
        self.reader = _Reader()
        self.document = document
        self.by = by
        # Phase 1 (_read): each section's records by key as (path, record), and as read.
        self.outlets: dict[str, tuple[str, dict]] = {}
        self.entities: dict[str, tuple[str, dict]] = {}
        self.predicates: dict[str, tuple[str, dict]] = {}
        self.sources: dict[str, tuple[str, dict]] = {}
        self.claim_records: dict[str, tuple[str, dict]] = {}
        self.relation_records: list[tuple[str, dict]] = []
        self.outlet_rows: dict[str, dict] = {}
        self.entity_rows: dict[str, dict] = {}
        self.predicate_rows: dict[str, dict] = {}
        self.source_rows: dict[str, dict] = {}
        self.claims: list[_Claim] = []
        # Phase 2 (_load_stored): the stored rows the document names, by key.
        self.stored_outlets: dict[str, dict] = {}
        self.stored_entities: dict[str, dict] = {}
        self.stored_entity_aliases: dict[str, list[str]] = {}
        self.stored_predicates: dict[str, dict] = {}
        self.stored_predicate_aliases: dict[str, list[str]] = {}
        self.stored_sources: dict[str, dict] = {}
        self.stored_cites: dict[str, list[str]] = {}
        self.stored_corrects: dict[str, list[str]] = {}
        self.url_owners: dict[str, str] = {}
        self.stored_claims: dict[str, dict] = {}
        self.stored_appearances: dict[str, tuple[AppearanceRow, ...]] = {}
        # Phase 2 (_resolve): the indexes references resolve with, and the rows to write.
        self.entity_index = _NameIndex("entity")
        self.predicate_index = _NameIndex("predicate")
        self.folded_texts: dict[str, str] = {}
        self.new_predicates: dict[str, dict] = {}
        self.claim_rows: dict[str, dict] = {}
        self.relation_rows: dict[tuple[str, str, str], str] = {}

    @property
    def errors(self) -> list[FieldError]:
        return self.reader.errors

    def error(self, path: str, message: str) -> None:
        self.reader.error(path, message)


def _strings_check(res: _Resolution) -> bool:
    """Report every string of the document (field names too) that the database cannot store,
    with its path: a NUL (PostgreSQL refuses it in text) or a lone surrogate such as "\\ud800"
    (not a character: it cannot be encoded as UTF-8). Returns whether there was none.

    One pass over the document, before anything reads it, so that no such string reaches a query.
    """
    bad: list[tuple[Any, str]] = []  # (where, what): `where` a chain (parent, key) built cheaply

    def unstorable(text: str) -> bool:
        return "\x00" in text or (not text.isascii() and _UNSTORABLE.search(text) is not None)

    stack: list[tuple[Any, Any]] = [(res.document, None)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            if type(value) is str and unstorable(value):
                bad.append((where, value))
            continue
        for name, item in items:
            if type(name) is str and unstorable(name):
                bad.append(((where, name), name))
            if type(item) is str:
                if unstorable(item):
                    bad.append(((where, name), item))
            elif isinstance(item, dict | list):
                stack.append((item, (where, name)))
    for where, text in bad:
        what = "a NUL character" if "\x00" in text else "a lone surrogate (not a character)"
        res.error(_path_of(where), f"contains {what}, which cannot be stored")
    return not bad


def _path_of(where: Any) -> str:
    parts = []
    while where is not None:
        where, name = where
        parts.append(f"[{name}]" if isinstance(name, int) else f".{name}")
    return "".join(reversed(parts)).lstrip(".")


# ---- phase 1 -----------------------------------------------------------------------


def _read(res: _Resolution) -> bool:
    document = res.document
    if not isinstance(document, dict):
        res.error("", f"expected a JSON object at the top level, got {_describe(document)}")
        return False
    if document.get("format") != FORMAT:
        res.error("format", f'expected "{FORMAT}", got {_describe(document.get("format"))}')
    for name in document:
        if name != "format" and name not in FIELDS:
            res.error(name, f'unknown section "{name}"')
    r = res.reader
    res.outlets = r.keys(r.records(document, "outlets"))
    res.entities = r.keys(r.records(document, "entities"))
    res.predicates = r.keys(r.records(document, "predicates"))
    res.sources = r.keys(r.records(document, "sources"))
    res.claim_records = r.keys(r.records(document, "claims"))
    res.relation_records = r.records(document, "relations")
    res.outlet_rows = {key: _read_outlet(res, p, rec) for key, (p, rec) in res.outlets.items()}
    res.entity_rows = {key: _read_entity(res, p, rec) for key, (p, rec) in res.entities.items()}
    res.predicate_rows = {
        key: _read_predicate(res, p, rec) for key, (p, rec) in res.predicates.items()
    }
    res.source_rows = {key: _read_source(res, p, rec) for key, (p, rec) in res.sources.items()}
    res.claims = [_read_claim(res, p, rec) for p, rec in res.claim_records.values()]
    return True


def _read_outlet(res: _Resolution, path: str, rec: dict) -> dict:
    r = res.reader
    url = r.url(rec, path)
    country = r.text(rec, "country", path)
    if country and not _COUNTRY.match(country):
        r.error(
            f"{path}.country",
            f'expected an ISO 3166 alpha-2 code such as "LY", got {_describe(country)}',
        )
    return {
        "name": r.text(rec, "name", path, max_length=300, blank=False),
        "url": url,
        "kind": r.choice(rec, "kind", path, OUTLET_KINDS),
        "country": country,
        # None when left out: the stored grade is kept (outlets_bulk_save).
        "reliability": (
            r.choice(rec, "reliability", path, RELIABILITIES) if "reliability" in rec else None
        ),
    }


def _read_entity(res: _Resolution, path: str, rec: dict) -> dict:
    r = res.reader
    name = r.text(rec, "name", path, max_length=300, blank=False)
    return {
        "name": name,
        "normalized_name": _normalize_name(name),
        "kind": r.choice(rec, "kind", path, ENTITY_KINDS, default=EntityKind.OTHER),
        "affiliation": r.reference(rec, "affiliation", path),
        "role": r.text(rec, "role", path, max_length=300),
        "aliases": _read_aliases(res, rec, path),
    }


def _read_aliases(res: _Resolution, rec: dict, path: str) -> tuple[str, ...]:
    aliases = res.reader.string_list(rec, "aliases", path, max_length=300)
    seen: set[str] = set()
    out = []
    for alias in aliases:
        normalized = _normalize_name(alias)
        if normalized and normalized not in seen:  # spellings that normalise alike are one alias
            seen.add(normalized)
            out.append(alias)
    return tuple(out)


def _read_predicate(res: _Resolution, path: str, rec: dict) -> dict:
    r = res.reader
    name = r.text(rec, "name", path, max_length=300, blank=False)
    value_type = r.choice(rec, "value_type", path, VALUE_TYPES, default=ValueType.TEXT)
    unit = r.text(rec, "unit", path, max_length=50)
    functional = r.boolean(rec, "functional", path)
    if functional and value_type != ValueType.ENTITY:
        r.error(f"{path}.functional", "only an entity-valued predicate can be functional")
    if unit and value_type != ValueType.QUANTITY:
        r.error(f"{path}.unit", "only a quantity predicate has a unit")
    cumulative = r.boolean(rec, "cumulative", path)
    if cumulative and value_type != ValueType.QUANTITY:
        r.error(f"{path}.cumulative", "only a quantity predicate can be cumulative")
    return {
        "name": name,
        "normalized_name": _normalize_name(name),
        "value_type": value_type,
        "unit": unit,
        "functional": functional,
        "time_varying": r.boolean(rec, "time_varying", path),
        "cumulative": cumulative,
        "aliases": _read_aliases(res, rec, path),
    }


def _read_source(res: _Resolution, path: str, rec: dict) -> dict:
    r = res.reader
    url = r.url(rec, path)
    published = None
    if rec.get("published") is not None:
        published = r.partial_date(rec["published"], f"{path}.published")
    language = r.text(rec, "language", path, max_length=35) if "language" in rec else "en"
    if language and not _LANGUAGE.match(language):
        r.error(
            f"{path}.language",
            f"expected a BCP 47 language tag such as en or ar-LY, got {_describe(language)}",
        )
    outlet = rec.get("outlet")
    if outlet is not None and not isinstance(outlet, str):
        r.error(f"{path}.outlet", f"expected an outlet key, got {_describe(outlet)}")
        outlet = None
    return {
        "title": r.text(rec, "title", path, max_length=1000, blank=False),
        "outlet": outlet,
        "url": url,
        "normalized_url": normalize_url(url) if url else "",
        "published": published.first_day() if published else None,
        "published_precision": published.precision.value if published else "",
        "authors": r.string_list(rec, "authors", path, max_length=300),
        "language": language or "en",
        "text": r.text(rec, "text", path),
        "cites": tuple(r.string_list(rec, "cites", path, max_length=200)),
        "corrects": tuple(r.string_list(rec, "corrects", path, max_length=200)),
        "_published": published,
    }


def _read_claim(res: _Resolution, path: str, rec: dict) -> _Claim:
    r = res.reader
    value_kind, value = "", None
    if rec.get("value") is not None:
        raw = rec["value"]
        if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in VALUE_TYPES:
            r.error(
                f"{path}.value",
                'expected one of {"quantity": ...}, {"date": ...}, {"entity": ...}, {"text": ...}',
            )
        else:
            value_kind, value = next(iter(raw.items()))
    appearances = rec.get("appearances", [])
    if not isinstance(appearances, list):
        r.error(f"{path}.appearances", f"expected a list, got {_describe(appearances)}")
        appearances = []
    checked = []
    for i, appearance in enumerate(appearances):
        a_path = f"{path}.appearances[{i}]"
        if r.fields(appearance, a_path, APPEARANCE_FIELDS):
            checked.append((a_path, appearance))
    return _Claim(
        path=path,
        key=rec["key"],
        text=r.text(rec, "text", path, blank=False),
        subject=r.reference(rec, "subject", path),
        predicate=r.reference(rec, "predicate", path),
        value_kind=value_kind,
        value=value,
        negated=r.boolean(rec, "negated", path),
        valid=rec.get("valid"),
        location=r.reference(rec, "location", path),
        appearances=checked,
        # None when left out: the stored status is kept (claims_bulk_save).
        status=r.choice(rec, "status", path, CLAIM_STATUSES) if "status" in rec else None,
    )


# ---- phase 2 -----------------------------------------------------------------------


def _resolve(res: _Resolution) -> None:
    with timings.phase("load stored records"):
        _load_stored(res)
    with timings.phase("resolve references"):
        _resolve_entities(res)
        _resolve_sources(res)
        for claim in res.claims:
            row = _resolve_claim(res, claim)
            if row is not None:
                res.claim_rows[claim.key] = row
        _resolve_relations(res)
    with timings.phase("role checks"):
        _decisions_check(res)


def _load_stored(res: _Resolution) -> None:
    """Every stored record the document names or refers to, in a few queries per table."""
    entity_refs = set(res.entity_rows)
    for row in res.entity_rows.values():
        if row["affiliation"]:
            entity_refs.add(row["affiliation"])
    predicate_refs = set(res.predicate_rows)
    source_refs = set(res.source_rows)
    outlet_refs = set(res.outlet_rows)
    for row in res.source_rows.values():
        source_refs.update(row["cites"])
        source_refs.update(row["corrects"])
        if row["outlet"]:
            outlet_refs.add(row["outlet"])
    for claim in res.claims:
        for ref in (claim.subject, claim.location):
            if ref:
                entity_refs.add(ref)
        if claim.value_kind == ValueType.ENTITY and isinstance(claim.value, str):
            entity_refs.add(claim.value)
        if claim.predicate:
            predicate_refs.add(claim.predicate)
        for _, appearance in claim.appearances:
            if isinstance(appearance.get("source"), str):
                source_refs.add(appearance["source"])
            if isinstance(appearance.get("speaker"), str):
                entity_refs.add(appearance["speaker"])
            via = appearance.get("via")
            if isinstance(via, list):
                source_refs.update(v for v in via if isinstance(v, str))

    res.stored_outlets = {
        o["key"]: o
        for o in filter_in(
            Outlet.objects.values("id", "key", "name", "url", "kind", "country", "reliability"),
            "key",
            outlet_refs,
        )
    }

    res.stored_entities, res.stored_entity_aliases = _load_named(
        Entity,
        EntityAlias,
        "entity",
        ("id", "key", "name", "normalized_name", "kind", "affiliation__key", "role"),
        entity_refs,
    )
    res.stored_predicates, res.stored_predicate_aliases = _load_named(
        Predicate,
        PredicateAlias,
        "predicate",
        (
            "id",
            "key",
            "name",
            "normalized_name",
            "value_type",
            "unit",
            "functional",
            "time_varying",
            "cumulative",
        ),
        predicate_refs,
    )

    source_columns = (
        "id",
        "key",
        "title",
        "outlet__key",
        "url",
        "normalized_url",
        "published",
        "published_precision",
        "authors",
        "language",
        "text",
    )
    res.stored_sources = {
        s["key"]: s for s in filter_in(Source.objects.values(*source_columns), "key", source_refs)
    }
    stored_cites: dict[str, list[str]] = defaultdict(list)
    for c in filter_in(
        SourceCitation.objects.order_by("id").values("citing__key", "cited__key"),
        "citing__key",
        set(res.source_rows) & res.stored_sources.keys(),
    ):
        stored_cites[c["citing__key"]].append(c["cited__key"])
    res.stored_cites = stored_cites
    stored_corrects: dict[str, list[str]] = defaultdict(list)
    for c in filter_in(
        SourceCorrection.objects.order_by("id").values("correcting__key", "corrected__key"),
        "correcting__key",
        set(res.source_rows) & res.stored_sources.keys(),
    ):
        stored_corrects[c["correcting__key"]].append(c["corrected__key"])
    res.stored_corrects = stored_corrects
    urls = {row["normalized_url"] for row in res.source_rows.values() if row["normalized_url"]}
    res.url_owners = {
        s["normalized_url"]: s["key"]
        for s in filter_in(Source.objects.values("key", "normalized_url"), "normalized_url", urls)
    }

    claim_keys = set(res.claim_records)
    for _, rec in res.relation_records:
        pair = rec.get("claims")
        if isinstance(pair, list):
            claim_keys.update(k for k in pair if isinstance(k, str))
    res.stored_claims = {
        c["key"]: c
        for c in filter_in(Claim.objects.values(*CLAIM_STORED_COLUMNS), "key", claim_keys)
    }
    in_doc = [k for k in res.claim_records if k in res.stored_claims]
    stored_appearances: dict[str, list] = defaultdict(list)
    appearance_ids: dict[int, tuple] = {}
    for a in filter_in(
        Appearance.objects.order_by("claim_id", "position").values(
            "id",
            "claim__key",
            "source__key",
            "quote",
            "speaker__key",
            "speaker_description",
            "stance",
        ),
        "claim__key",
        in_doc,
    ):
        appearance_ids[a["id"]] = (a["claim__key"], len(stored_appearances[a["claim__key"]]))
        stored_appearances[a["claim__key"]].append(
            [
                a["source__key"],
                a["quote"],
                a["speaker__key"],
                a["speaker_description"],
                a["stance"],
                [],
            ]
        )
    for v in filter_in(
        AppearanceVia.objects.order_by("id").values("appearance_id", "source__key"),
        "appearance_id",
        appearance_ids,
    ):
        claim_key, index = appearance_ids[v["appearance_id"]]
        stored_appearances[claim_key][index][5].append(v["source__key"])
    res.stored_appearances = {
        key: tuple(AppearanceRow(*a[:5], tuple(a[5])) for a in items)
        for key, items in stored_appearances.items()
    }


def _resolve_entities(res: _Resolution) -> None:
    index = _NameIndex("entity")
    for key, row in res.entity_rows.items():
        index.add(key, [row["name"], *row["aliases"]])
    for key, stored in res.stored_entities.items():
        if key not in res.entity_rows:  # the document's version replaces the stored names
            index.add(key, [stored["name"], *res.stored_entity_aliases.get(key, [])])
    res.entity_index = index
    for key, row in res.entity_rows.items():
        path = res.entities[key][0]
        if row["affiliation"]:
            row["affiliation"] = _entity_ref(res, row["affiliation"], f"{path}.affiliation")
            if row["affiliation"] == key:
                res.error(f"{path}.affiliation", "an entity cannot be affiliated with itself")
                row["affiliation"] = None

    p_index = _NameIndex("predicate")
    for key, row in res.predicate_rows.items():
        p_index.add(key, [row["name"], *row["aliases"]])
    for key, stored in res.stored_predicates.items():
        if key not in res.predicate_rows:
            p_index.add(key, [stored["name"], *res.stored_predicate_aliases.get(key, [])])
    res.predicate_index = p_index


def _entity_ref(res: _Resolution, reference: str, path: str) -> str | None:
    key, problem = res.entity_index.resolve(reference)
    if problem:
        res.error(path, problem)
    return key


def _predicate_info(res: _Resolution, key: str) -> dict:
    if key in res.predicate_rows:
        return res.predicate_rows[key]
    if key in res.new_predicates:
        return res.new_predicates[key]
    return res.stored_predicates[key]


def _source_info(res: _Resolution, key: str) -> dict | None:
    return res.source_rows.get(key) or res.stored_sources.get(key)


def _resolve_sources(res: _Resolution) -> None:
    urls: dict[str, str] = {}
    for key, row in res.source_rows.items():
        path = res.sources[key][0]
        outlet = row["outlet"]
        if outlet and outlet not in res.outlet_rows and outlet not in res.stored_outlets:
            res.error(f"{path}.outlet", f'no outlet has the key "{outlet}"')
        for i, cited in enumerate(row["cites"]):
            if cited == key:
                res.error(f"{path}.cites[{i}]", "a source cannot cite itself")
            elif _source_info(res, cited) is None:
                res.error(f"{path}.cites[{i}]", f'no source has the key "{cited}"')
        for i, corrected in enumerate(row["corrects"]):
            if corrected == key:
                res.error(f"{path}.corrects[{i}]", "a source cannot correct itself")
            elif _source_info(res, corrected) is None:
                res.error(f"{path}.corrects[{i}]", f'no source has the key "{corrected}"')
        url = row["normalized_url"]
        if url:
            if url in urls:
                res.error(f"{path}.url", f"the same URL as {res.sources[urls[url]][0]}")
            owner = res.url_owners.get(url)
            if owner and owner != key and owner not in res.source_rows:
                res.error(f"{path}.url", f'the same URL as the stored source "{owner}"')
            urls[url] = key


def _folded_text(res: _Resolution, source_key: str) -> str:
    if source_key not in res.folded_texts:
        res.folded_texts[source_key] = fold_for_quote_search(_source_info(res, source_key)["text"])
    return res.folded_texts[source_key]


def _resolve_claim(res: _Resolution, claim: _Claim) -> dict | None:
    path = claim.path
    errors_before = len(res.errors)
    row: dict[str, Any] = {
        "text": claim.text,
        "negated": claim.negated,
        "status": claim.status,
        **_EMPTY_VALUE,
    }
    row["subject"] = _entity_ref(res, claim.subject, f"{path}.subject") if claim.subject else None
    row["location"] = (
        _entity_ref(res, claim.location, f"{path}.location") if claim.location else None
    )
    appearances, reference = _resolve_appearances(res, claim)
    row["appearances"] = appearances

    predicate_key = None
    if claim.predicate:
        predicate_key, problem = res.predicate_index.resolve(claim.predicate)
        if predicate_key is None and claim.predicate_unknown(problem):
            predicate_key = _create_predicate(res, claim, path)
        elif predicate_key is None:
            res.error(f"{path}.predicate", problem)
    elif claim.value_kind:
        res.error(f"{path}.predicate", "a claim with a value needs a predicate")
    row["predicate"] = predicate_key

    if claim.value_kind and predicate_key:
        predicate = _predicate_info(res, predicate_key)
        if predicate["value_type"] != claim.value_kind:
            res.error(
                f"{path}.value",
                f'a {claim.value_kind} value, but predicate "{predicate_key}" takes '
                f"{predicate['value_type']} values",
            )
        else:
            started = timings.lap()
            row.update(_resolve_value(res, claim, predicate, reference))
            timings.add("parse values and phrases", started)
    started = timings.lap()
    row.update(_resolve_valid(res, claim, reference))
    timings.add("parse values and phrases", started)
    return row if len(res.errors) == errors_before else None


def _create_predicate(res: _Resolution, claim: _Claim, path: str) -> str | None:
    """A claim naming an unknown predicate creates it, typed by the claim's value (spec)."""
    if not claim.value_kind:
        res.error(
            f"{path}.predicate",
            f'no predicate has the key, name or alias "{claim.predicate}", and without a value '
            "the claim cannot create one",
        )
        return None
    base = (
        re.sub(r"[^A-Za-z0-9._:-]+", "-", claim.predicate.strip()).strip("-").lower()[:180]
        or "predicate"
    )
    key, n = base, 1
    taken = Predicate.objects.filter(key__startswith=base).values_list("key", flat=True)
    taken = set(taken) | set(res.predicate_rows) | set(res.new_predicates)
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    unit = ""
    if claim.value_kind == ValueType.QUANTITY and isinstance(claim.value, dict):
        unit = claim.value.get("unit") if isinstance(claim.value.get("unit"), str) else ""
    res.new_predicates[key] = {
        "name": claim.predicate.strip()[:300],
        "normalized_name": _normalize_name(claim.predicate),
        "value_type": claim.value_kind,
        "unit": unit,
        "functional": False,
        "time_varying": False,
        "cumulative": False,
        "aliases": (),
    }
    # Later claims naming the same predicate find this one.
    res.predicate_index.add(key, [claim.predicate])
    return key


def _resolve_appearances(
    res: _Resolution, claim: _Claim
) -> tuple[tuple, values.PartialDate | None]:
    """The claim's appearances as comparable tuples, and its earliest publication date."""
    out = []
    published_dates = []
    for a_path, appearance in claim.appearances:
        source_key = appearance.get("source")
        source = _source_info(res, source_key) if isinstance(source_key, str) else None
        if source is None:
            res.error(f"{a_path}.source", f"no source has the key {_describe(source_key)}")
        else:
            published_dates.append(_published_of(source))
        quote = res.reader.text(appearance, "quote", a_path)
        started = timings.lap()
        if (
            quote
            and source is not None
            and source["text"]
            and not quote_occurs_in(quote, _folded_text(res, source_key))
        ):
            res.error(
                f"{a_path}.quote",
                f'not found in the text of source "{source_key}": {_describe(quote)}',
            )
        timings.add("quote checks", started)
        speaker, description = None, ""
        raw_speaker = appearance.get("speaker")
        if isinstance(raw_speaker, dict):
            if (
                set(raw_speaker) != {"description"}
                or not isinstance(raw_speaker["description"], str)
                or not raw_speaker["description"].strip()
            ):
                res.error(
                    f"{a_path}.speaker",
                    'expected an entity reference or {"description": "..."}',
                )
            else:
                description = raw_speaker["description"].strip()[:300]
        elif raw_speaker is not None:
            if not isinstance(raw_speaker, str) or not raw_speaker.strip():
                res.error(
                    f"{a_path}.speaker",
                    f"expected an entity reference, got {_describe(raw_speaker)}",
                )
            else:
                speaker = _entity_ref(res, raw_speaker, f"{a_path}.speaker")
        via = res.reader.string_list(appearance, "via", a_path, max_length=200)
        for i, via_key in enumerate(via):
            if _source_info(res, via_key) is None:
                res.error(f"{a_path}.via[{i}]", f'no source has the key "{via_key}"')
        stance = res.reader.choice(appearance, "stance", a_path, STANCES, default=Stance.ASSERTS)
        out.append(
            AppearanceRow(
                source_key, quote, speaker, description, stance, tuple(dict.fromkeys(via))
            )
        )
    return tuple(out), earliest_publication(published_dates)


def _published_of(source: dict) -> values.PartialDate | None:
    if "_published" in source:
        return source["_published"]
    if source["published"] is None:
        return None
    return values.PartialDate.from_date(
        source["published"], values.Precision(source["published_precision"])
    )


def _resolve_value(res: _Resolution, claim: _Claim, predicate: dict, reference) -> dict:
    path = f"{claim.path}.value.{claim.value_kind}"
    body = claim.value
    kind = claim.value_kind
    if kind == ValueType.QUANTITY:
        return _resolve_quantity(res, body, path, predicate)
    if kind == ValueType.DATE:
        interval, as_written = _read_interval(res, body, path, reference, _parse_date_phrase)
        if interval is None:
            return {}
        if interval.start is None and interval.end is None:
            res.error(path, "a date value needs from, to or as_written")
            return {}
        return {
            "value_type": kind,
            "value_as_written": as_written,
            **interval_columns("date", interval),
        }
    if kind == ValueType.ENTITY:
        if not isinstance(body, str) or not body.strip():
            res.error(path, f"expected an entity reference, got {_describe(body)}")
            return {}
        entity = _entity_ref(res, body, path)
        return {"value_type": kind, "value_entity": entity} if entity else {}
    if not isinstance(body, str) or not body.strip():
        res.error(path, f"expected a non-empty string, got {_describe(body)}")
        return {}
    return {"value_type": kind, "value_text": body}


def _resolve_quantity(res: _Resolution, body: Any, path: str, predicate: dict) -> dict:
    r = res.reader
    if not r.fields(body, path, QUANTITY_FIELDS):
        return {}
    errors_before = len(res.errors)
    given: dict[str, Decimal | None] = {}
    for end in ("low", "high"):
        raw = body.get(end)
        if raw is not None and not _is_number(raw):
            res.error(f"{path}.{end}", f"expected a number, got {_describe(raw)}")
        elif isinstance(raw, float) and not math.isfinite(raw):
            res.error(f"{path}.{end}", _not_finite(raw))
        elif raw is not None:
            given[end] = _number(raw)
    unit = r.text(body, "unit", path, max_length=50).strip()
    as_written = r.text(body, "as_written", path, max_length=300).strip()
    parsed: values.Quantity | None = None
    if as_written:
        try:
            parsed = _parse_quantity(as_written)
        except values.ValueParseError as exc:
            res.error(f"{path}.as_written", str(exc))
    if len(res.errors) > errors_before:
        return {}
    if parsed is not None:
        if units_disagree(parsed.unit, unit):
            res.error(f"{path}.unit", f'"{unit}" does not match the unit in "{as_written}"')
            return {}
        if ("low" in body or "high" in body) and not (
            _same_bound(given.get("low"), parsed.low)
            and _same_bound(given.get("high"), parsed.high)
        ):
            res.error(
                path,
                f"low {given.get('low')} and high {given.get('high')} do not match "
                f'"{as_written}", which reads as {values.format_quantity(parsed)}',
            )
            return {}
        unit = unit or parsed.unit or ""
        quantity = parsed
    elif "low" not in given and "high" not in given:
        res.error(path, "give low, high (either may be null) or as_written")
        return {}
    else:
        try:
            quantity = values.Quantity(low=given.get("low"), high=given.get("high"))
        except values.ValueParseError as exc:
            res.error(path, str(exc))
            return {}
    try:
        columns = quantity_columns(quantity, given_unit=unit, predicate_unit=predicate["unit"])
    except values.ValueParseError:
        res.error(
            f"{path}.unit",
            f'"{unit}" cannot be compared with "{predicate["unit"]}", the unit of the predicate',
        )
        return {}
    for name in ("quantity_low", "quantity_high", "quantity_given_low", "quantity_given_high"):
        if columns[name] is not None and not math.isfinite(columns[name]):
            # A figure beyond a double's range, as written or once converted to the
            # predicate's unit: stored, it would be Infinity.
            res.error(path, "a number too large to store (over 1.8e308)")
            return {}
    return {"value_type": ValueType.QUANTITY, "value_as_written": as_written, **columns}


def _read_interval(
    res: _Resolution, body: Any, path: str, reference, parse_phrase
) -> tuple[values.DateInterval | None, str]:
    """A date or valid-time interval: a partial ISO date, {from, to}, or {as_written}."""
    if isinstance(body, str):
        date = res.reader.partial_date(body, path)
        return (values.DateInterval(date, date), "") if date else (None, "")
    if not res.reader.fields(body, path, INTERVAL_FIELDS):
        return None, ""
    errors_before = len(res.errors)
    start = (
        res.reader.partial_date(body["from"], f"{path}.from")
        if body.get("from") is not None
        else None
    )
    end = res.reader.partial_date(body["to"], f"{path}.to") if body.get("to") is not None else None
    as_written = res.reader.text(body, "as_written", path, max_length=300).strip()
    if len(res.errors) > errors_before:
        return None, ""
    if as_written:
        try:
            parsed = parse_phrase(as_written, reference)
        except values.ValueParseError as exc:
            res.error(f"{path}.as_written", str(exc))
            return None, ""
        if ("from" in body or "to" in body) and (start, end) != (parsed.start, parsed.end):
            res.error(
                path,
                f'from and to do not match "{as_written}", which reads as '
                f"{values.format_date_interval(parsed)}",
            )
            return None, ""
        return parsed, as_written
    interval = values.DateInterval(start, end)
    if start and end and start.first_day() > end.last_day():
        res.error(path, f"from {start.isoformat()} is after to {end.isoformat()}")
        return None, ""
    return interval, ""


def _resolve_valid(res: _Resolution, claim: _Claim, reference) -> dict:
    empty = {
        "valid_from": None,
        "valid_from_precision": "",
        "valid_to": None,
        "valid_to_precision": "",
        "valid_as_written": "",
    }
    if claim.valid is None:
        return empty
    if isinstance(claim.valid, str):
        res.error(
            f"{claim.path}.valid",
            'expected {"from": DATE, "to": DATE} or {"as_written": "..."}',
        )
        return empty
    interval, as_written = _read_interval(
        res, claim.valid, f"{claim.path}.valid", reference, _parse_valid_phrase
    )
    if interval is None:
        return empty
    return {**interval_columns("valid", interval), "valid_as_written": as_written}


def _resolve_relations(res: _Resolution) -> None:
    seen: dict[tuple, str] = {}
    for path, rec in res.relation_records:
        pair = rec.get("claims")
        type_ = res.reader.choice(rec, "type", path, RELATION_TYPES)
        note = res.reader.text(rec, "note", path)
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(k, str) for k in pair)
        ):
            res.error(f"{path}.claims", "expected a list of two claim keys")
            continue
        ok = True
        for i, key in enumerate(pair):
            if key not in res.claim_records and key not in res.stored_claims:
                res.error(f"{path}.claims[{i}]", f'no claim has the key "{key}"')
                ok = False
        if pair[0] == pair[1]:
            res.error(f"{path}.claims", "a claim cannot be related to itself")
            ok = False
        identity = (pair[0], pair[1], type_)
        if ok and identity in seen:
            res.error(path, f"repeats the relation of {seen[identity]}")
        elif ok and type_:
            seen[identity] = path
            res.relation_rows[identity] = note


def _decisions_check(res: _Resolution) -> None:
    """The review decisions the document makes take the reviewer role: an outlet's grade
    (GRADE_OUTLET) and a claim's status (CHANGE_CLAIM_STATUS, and vetting's conditions). The
    system (`by` None) may grade; its `status` fields are ignored (see the module's doc)."""
    by = res.by
    outlet_grades_kept(outlets=res.outlet_rows, stored=res.stored_outlets)
    if by is not None and not by.has_perm(GRADE_OUTLET):
        for key in outlets_regraded(outlets=res.outlet_rows, stored=res.stored_outlets):
            res.error(
                f"{res.outlets[key][0]}.reliability",
                f"{by.get_username()} may not grade outlets: it takes the reviewers group "
                "(leave reliability out to keep the stored grade)",
            )
    if by is None:
        for row in res.claim_rows.values():
            row["status"] = None
        return
    refusals = claims_status_refusals(claims=res.claim_rows, stored=res.stored_claims, by=by)
    for key, message in refusals.items():
        res.error(f"{res.claim_records[key][0]}.status", message)


# ---- phase 3 -----------------------------------------------------------------------


def _count(summary: ImportSummary, section: str, saved: BulkSaved) -> None:
    count = summary.counts[section]
    count.created += saved.created
    count.updated += saved.updated
    count.unchanged += saved.unchanged


def _write(res: _Resolution) -> ImportSummary:
    """Hand every section to its bulk service, in the order references need."""
    summary = ImportSummary()
    by = res.by
    with timings.phase("outlets: compare and bookkeeping"):
        outlets = outlets_bulk_save(
            outlets=res.outlet_rows, stored=res.stored_outlets, by=by, reason=IMPORTED
        )
    with timings.phase("entities: compare and bookkeeping"):
        entities = entities_bulk_save(
            entities=res.entity_rows,
            stored=res.stored_entities,
            stored_aliases=res.stored_entity_aliases,
            by=by,
            reason=IMPORTED,
        )
    with timings.phase("predicates: compare and bookkeeping"):
        predicates = predicates_bulk_save(
            predicates={**res.predicate_rows, **res.new_predicates},
            stored=res.stored_predicates,
            stored_aliases=res.stored_predicate_aliases,
            by=by,
            reason=IMPORTED,
        )
    with timings.phase("sources: compare and bookkeeping"):
        sources = sources_bulk_save(
            sources=res.source_rows,
            stored=res.stored_sources,
            stored_cites=res.stored_cites,
            stored_corrects=res.stored_corrects,
            outlet_ids=outlets.ids,
            by=by,
            reason=IMPORTED,
        )
    with timings.phase("claims: compare and bookkeeping"):
        claims = claims_bulk_save(
            claims=res.claim_rows,
            stored=res.stored_claims,
            stored_appearances=res.stored_appearances,
            entity_ids=entities.ids,
            predicate_ids=predicates.ids,
            source_ids=sources.ids,
            by=by,
            reason=IMPORTED,
            # A publication date decides when a claim without valid time holds; a predicate's
            # rules decide what conflicts: their claims are checked again. Only stored ones:
            # the claims of a source or predicate created now are claims written now.
            recheck_source_ids=sources.written_ids.difference(sources.created_ids),
            recheck_predicate_ids=predicates.written_ids.difference(predicates.created_ids),
        )
    created, updated, unchanged = relations_bulk_save(
        relations={
            (claims.ids[a], claims.ids[b], type_): note
            for (a, b, type_), note in res.relation_rows.items()
        },
        by=by,
        reason=IMPORTED,
    )
    for section, saved in (
        ("outlets", outlets),
        ("entities", entities),
        ("predicates", predicates),
        ("sources", sources),
        ("claims", claims),
    ):
        _count(summary, section, saved)
    summary.counts["relations"] = SectionCount(created, updated, unchanged)
    return summary


def import_claimset(document: Any, *, by=None) -> ImportSummary:
    """Check `document` whole, then write it as `by` (the user who sent it; None: the system);
    raises ClaimsetInvalid listing every error with its JSON path, having written nothing."""
    with gc_paused():
        res = _Resolution(document, by)
        # A string the database cannot store stops the import before any query would see it.
        with timings.phase("strings check"):
            strings_ok = _strings_check(res)
        if strings_ok:
            with timings.phase("shape checks"):
                read = _read(res)
            if read:
                _resolve(res)
        if res.errors:
            raise ClaimsetInvalid(res.errors)
        try:
            with timings.phase("commit, checks sent to the broker"), transaction.atomic():
                summary = _write(res)
                if connection.vendor == "postgresql":
                    # The foreign keys are checked at commit (Django makes them deferrable):
                    # checked here instead, inside the transaction, so that their cost is a
                    # phase of its own. The same checks, the same errors.
                    with timings.phase("deferred foreign-key checks"), connection.cursor() as c:
                        c.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        c.execute("SET CONSTRAINTS ALL DEFERRED")  # as the caller had them
            return summary
        except IntegrityError as exc:
            # Checked above, so only a concurrent writer can get here (two imports of one new key).
            raise ApplicationError(
                "the database refused the import, most likely because another import wrote the "
                f"same records at the same time; nothing was written, try again ({exc})"
            ) from exc
        except ValidationError as exc:
            # The services' own checks, which the phases above make first: a guard, not a path.
            raise ApplicationError(f"the import was refused; nothing was written: {exc}") from exc
