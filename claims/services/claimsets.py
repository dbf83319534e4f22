"""Import of claimset/1 documents, as ../shared/spec/claimset.md defines them.

The whole document is checked before anything is written, and every error is reported with
its JSON path. The work is set-based: a fixed number of queries per section whatever the
number of records (look-ups by key in chunks, then COPY/bulk writes), never a query per row.

Phase 1 (`_Reader`) checks the shape of every record without the database. Phase 2
(`_Resolver`) loads what the document refers to, resolves references by key, name or alias,
parses values, checks quotes, and compares each record with the stored one. Phase 3 writes
what is new or changed, in one transaction. A record in the document replaces the stored
record of the same key: fields it leaves out take their defaults (a claim's review status,
which the claimset does not carry, is kept).
"""

import functools
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction

from claims.core import values
from claims.core.quotes import fold_for_quote_search, quote_occurs_in
from claims.core.value_columns import (
    VALUE_COLUMNS,
    earliest_publication,
    interval_columns,
    quantity_columns,
    units_disagree,
)
from claims.models import (
    Appearance,
    AppearanceVia,
    Claim,
    ClaimRelation,
    Predicate,
    PredicateAlias,
    RelationType,
    Stance,
    ValueType,
)
from claims.services.claims import claim_versions_bump
from claims.services.detection import claims_changed
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
from sources.url_normalization import normalize_url
from tracker.bulk import delete_in, filter_in, gc_paused, insert_rows, update_rows
from tracker.errors import ApplicationError, FieldError
from tracker.history import CHANGED, CREATED, history_record_bulk, is_tracked
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
    # `status`, `independent_sources` and `superseded_by` are written by export_claims and
    # ignored here.
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

_KEY = re.compile(KEY_PATTERN)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
_url_validator = URLValidator()


class ClaimsetInvalid(ApplicationError):
    """The document has errors; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
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
        if "\x00" in value:
            self.error(f"{path}.{name}", "contains a NUL character")
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
            if not isinstance(item, str) or not item.strip() or "\x00" in item:
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


_CLAIM_COLUMNS = (
    "text",
    "subject",
    "predicate",
    "value_type",
    "negated",
    "location",
    *VALUE_COLUMNS,
)
# Columns that are foreign keys to entities or predicates: compared by key, written by id.
_CLAIM_ENTITY_COLUMNS = ("subject", "value_entity", "location")
_CLAIM_PLAIN_COLUMNS = tuple(
    c for c in _CLAIM_COLUMNS if c not in (*_CLAIM_ENTITY_COLUMNS, "predicate")
)

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


class _Importer:
    def __init__(self, document: Any) -> None:
        self.reader = _Reader()
        self.document = document
        self.summary = ImportSummary()
        # Ids of the records each section created or changed (themselves or their children).
        self.written: dict[str, set[int]] = defaultdict(set)

    @property
    def errors(self) -> list[FieldError]:
        return self.reader.errors

    def error(self, path: str, message: str) -> None:
        self.reader.error(path, message)

    # ---- phase 1 -----------------------------------------------------------------------

    def read(self) -> bool:
        document = self.document
        if not isinstance(document, dict):
            self.error("", f"expected a JSON object at the top level, got {_describe(document)}")
            return False
        if document.get("format") != FORMAT:
            self.error("format", f'expected "{FORMAT}", got {_describe(document.get("format"))}')
        for name in document:
            if name != "format" and name not in FIELDS:
                self.error(name, f'unknown section "{name}"')
        r = self.reader
        self.outlets = r.keys(r.records(document, "outlets"))
        self.entities = r.keys(r.records(document, "entities"))
        self.predicates = r.keys(r.records(document, "predicates"))
        self.sources = r.keys(r.records(document, "sources"))
        self.claim_records = r.keys(r.records(document, "claims"))
        self.relation_records = r.records(document, "relations")
        self.outlet_rows = {key: self.read_outlet(p, rec) for key, (p, rec) in self.outlets.items()}
        self.entity_rows = {
            key: self.read_entity(p, rec) for key, (p, rec) in self.entities.items()
        }
        self.predicate_rows = {
            key: self.read_predicate(p, rec) for key, (p, rec) in self.predicates.items()
        }
        self.source_rows = {key: self.read_source(p, rec) for key, (p, rec) in self.sources.items()}
        self.claims = [self.read_claim(p, rec) for p, rec in self.claim_records.values()]
        return True

    def read_outlet(self, path: str, rec: dict) -> dict:
        r = self.reader
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
            "reliability": r.choice(rec, "reliability", path, RELIABILITIES),
        }

    def read_entity(self, path: str, rec: dict) -> dict:
        r = self.reader
        name = r.text(rec, "name", path, max_length=300, blank=False)
        return {
            "name": name,
            "normalized_name": _normalize_name(name),
            "kind": r.choice(rec, "kind", path, ENTITY_KINDS, default=EntityKind.OTHER),
            "affiliation": r.reference(rec, "affiliation", path),
            "role": r.text(rec, "role", path, max_length=300),
            "aliases": self.read_aliases(rec, path),
        }

    def read_aliases(self, rec: dict, path: str) -> tuple[str, ...]:
        aliases = self.reader.string_list(rec, "aliases", path, max_length=300)
        seen: set[str] = set()
        out = []
        for alias in aliases:
            normalized = _normalize_name(alias)
            if (
                normalized and normalized not in seen
            ):  # spellings that normalise alike are one alias
                seen.add(normalized)
                out.append(alias)
        return tuple(out)

    def read_predicate(self, path: str, rec: dict) -> dict:
        r = self.reader
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
            "aliases": self.read_aliases(rec, path),
        }

    def read_source(self, path: str, rec: dict) -> dict:
        r = self.reader
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

    def read_claim(self, path: str, rec: dict) -> _Claim:
        r = self.reader
        value_kind, value = "", None
        if rec.get("value") is not None:
            raw = rec["value"]
            if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in VALUE_TYPES:
                r.error(
                    f"{path}.value",
                    'expected one of {"quantity": ...}, {"date": ...}, '
                    '{"entity": ...}, {"text": ...}',
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
        )

    # ---- phase 2 -----------------------------------------------------------------------

    def resolve(self) -> None:
        self.load_stored()
        self.resolve_entities()
        self.resolve_sources()
        self.claim_rows: dict[str, dict] = {}
        self.new_predicates: dict[str, dict] = {}
        for claim in self.claims:
            row = self.resolve_claim(claim)
            if row is not None:
                self.claim_rows[claim.key] = row
        self.resolve_relations()

    def load_stored(self) -> None:
        """Every stored record the document names or refers to, in a few queries per table."""
        entity_refs = set(self.entity_rows)
        for row in self.entity_rows.values():
            if row["affiliation"]:
                entity_refs.add(row["affiliation"])
        predicate_refs = set(self.predicate_rows)
        source_refs = set(self.source_rows)
        outlet_refs = set(self.outlet_rows)
        for row in self.source_rows.values():
            source_refs.update(row["cites"])
            source_refs.update(row["corrects"])
            if row["outlet"]:
                outlet_refs.add(row["outlet"])
        for claim in self.claims:
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

        self.stored_outlets = {
            o["key"]: o
            for o in filter_in(
                Outlet.objects.values("id", "key", "name", "url", "kind", "country", "reliability"),
                "key",
                outlet_refs,
            )
        }

        self.stored_entities, self.stored_entity_aliases = _load_named(
            Entity,
            EntityAlias,
            "entity",
            ("id", "key", "name", "normalized_name", "kind", "affiliation__key", "role"),
            entity_refs,
        )
        self.stored_predicates, self.stored_predicate_aliases = _load_named(
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
        self.stored_sources = {
            s["key"]: s
            for s in filter_in(Source.objects.values(*source_columns), "key", source_refs)
        }
        stored_cites: dict[str, list[str]] = defaultdict(list)
        for c in filter_in(
            SourceCitation.objects.order_by("id").values("citing__key", "cited__key"),
            "citing__key",
            set(self.source_rows) & self.stored_sources.keys(),
        ):
            stored_cites[c["citing__key"]].append(c["cited__key"])
        self.stored_cites = stored_cites
        stored_corrects: dict[str, list[str]] = defaultdict(list)
        for c in filter_in(
            SourceCorrection.objects.order_by("id").values("correcting__key", "corrected__key"),
            "correcting__key",
            set(self.source_rows) & self.stored_sources.keys(),
        ):
            stored_corrects[c["correcting__key"]].append(c["corrected__key"])
        self.stored_corrects = stored_corrects
        urls = {row["normalized_url"] for row in self.source_rows.values() if row["normalized_url"]}
        self.url_owners = {
            s["normalized_url"]: s["key"]
            for s in filter_in(
                Source.objects.values("key", "normalized_url"), "normalized_url", urls
            )
        }

        claim_keys = set(self.claim_records)
        for _, rec in self.relation_records:
            pair = rec.get("claims")
            if isinstance(pair, list):
                claim_keys.update(k for k in pair if isinstance(k, str))
        claim_columns = [
            "id",
            "key",
            *(
                f"{c}__key" if c in (*_CLAIM_ENTITY_COLUMNS, "predicate") else c
                for c in _CLAIM_COLUMNS
            ),
        ]
        self.stored_claims = {
            c["key"]: c for c in filter_in(Claim.objects.values(*claim_columns), "key", claim_keys)
        }
        in_doc = [k for k in self.claim_records if k in self.stored_claims]
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
        self.stored_appearances = {
            key: tuple((*a[:5], tuple(a[5])) for a in items)
            for key, items in stored_appearances.items()
        }

    def resolve_entities(self) -> None:
        index = _NameIndex("entity")
        for key, row in self.entity_rows.items():
            index.add(key, [row["name"], *row["aliases"]])
        for key, stored in self.stored_entities.items():
            if key not in self.entity_rows:  # the document's version replaces the stored names
                index.add(key, [stored["name"], *self.stored_entity_aliases.get(key, [])])
        self.entity_index = index
        for key, row in self.entity_rows.items():
            path = self.entities[key][0]
            if row["affiliation"]:
                row["affiliation"] = self.entity_ref(row["affiliation"], f"{path}.affiliation")
                if row["affiliation"] == key:
                    self.error(f"{path}.affiliation", "an entity cannot be affiliated with itself")
                    row["affiliation"] = None

        p_index = _NameIndex("predicate")
        for key, row in self.predicate_rows.items():
            p_index.add(key, [row["name"], *row["aliases"]])
        for key, stored in self.stored_predicates.items():
            if key not in self.predicate_rows:
                p_index.add(key, [stored["name"], *self.stored_predicate_aliases.get(key, [])])
        self.predicate_index = p_index

    def entity_ref(self, reference: str, path: str) -> str | None:
        key, problem = self.entity_index.resolve(reference)
        if problem:
            self.error(path, problem)
        return key

    def predicate_info(self, key: str) -> dict:
        if key in self.predicate_rows:
            return self.predicate_rows[key]
        if key in self.new_predicates:
            return self.new_predicates[key]
        return self.stored_predicates[key]

    def source_info(self, key: str) -> dict | None:
        return self.source_rows.get(key) or self.stored_sources.get(key)

    def resolve_sources(self) -> None:
        urls: dict[str, str] = {}
        for key, row in self.source_rows.items():
            path = self.sources[key][0]
            outlet = row["outlet"]
            if outlet and outlet not in self.outlet_rows and outlet not in self.stored_outlets:
                self.error(f"{path}.outlet", f'no outlet has the key "{outlet}"')
            for i, cited in enumerate(row["cites"]):
                if cited == key:
                    self.error(f"{path}.cites[{i}]", "a source cannot cite itself")
                elif self.source_info(cited) is None:
                    self.error(f"{path}.cites[{i}]", f'no source has the key "{cited}"')
            for i, corrected in enumerate(row["corrects"]):
                if corrected == key:
                    self.error(f"{path}.corrects[{i}]", "a source cannot correct itself")
                elif self.source_info(corrected) is None:
                    self.error(f"{path}.corrects[{i}]", f'no source has the key "{corrected}"')
            url = row["normalized_url"]
            if url:
                if url in urls:
                    self.error(f"{path}.url", f"the same URL as {self.sources[urls[url]][0]}")
                owner = self.url_owners.get(url)
                if owner and owner != key and owner not in self.source_rows:
                    self.error(f"{path}.url", f'the same URL as the stored source "{owner}"')
                urls[url] = key
        self.folded_texts: dict[str, str] = {}

    def folded_text(self, source_key: str) -> str:
        if source_key not in self.folded_texts:
            self.folded_texts[source_key] = fold_for_quote_search(
                self.source_info(source_key)["text"]
            )
        return self.folded_texts[source_key]

    def resolve_claim(self, claim: _Claim) -> dict | None:
        path = claim.path
        errors_before = len(self.errors)
        row: dict[str, Any] = {"text": claim.text, "negated": claim.negated, **_EMPTY_VALUE}
        row["subject"] = (
            self.entity_ref(claim.subject, f"{path}.subject") if claim.subject else None
        )
        row["location"] = (
            self.entity_ref(claim.location, f"{path}.location") if claim.location else None
        )
        appearances, reference = self.resolve_appearances(claim)
        row["appearances"] = appearances

        predicate_key = None
        if claim.predicate:
            predicate_key, problem = self.predicate_index.resolve(claim.predicate)
            if predicate_key is None and claim.predicate_unknown(problem):
                predicate_key = self.create_predicate(claim, path)
            elif predicate_key is None:
                self.error(f"{path}.predicate", problem)
        elif claim.value_kind:
            self.error(f"{path}.predicate", "a claim with a value needs a predicate")
        row["predicate"] = predicate_key

        if claim.value_kind and predicate_key:
            predicate = self.predicate_info(predicate_key)
            if predicate["value_type"] != claim.value_kind:
                self.error(
                    f"{path}.value",
                    f'a {claim.value_kind} value, but predicate "{predicate_key}" takes '
                    f"{predicate['value_type']} values",
                )
            else:
                row.update(self.resolve_value(claim, predicate, reference))
        row.update(self.resolve_valid(claim, reference))
        return row if len(self.errors) == errors_before else None

    def create_predicate(self, claim: _Claim, path: str) -> str | None:
        """A claim naming an unknown predicate creates it, typed by the claim's value (spec)."""
        if not claim.value_kind:
            self.error(
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
        taken = set(taken) | set(self.predicate_rows) | set(self.new_predicates)
        while key in taken:
            n += 1
            key = f"{base}-{n}"
        unit = ""
        if claim.value_kind == ValueType.QUANTITY and isinstance(claim.value, dict):
            unit = claim.value.get("unit") if isinstance(claim.value.get("unit"), str) else ""
        self.new_predicates[key] = {
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
        self.predicate_index.add(key, [claim.predicate])
        return key

    def resolve_appearances(self, claim: _Claim) -> tuple[tuple, values.PartialDate | None]:
        """The claim's appearances as comparable tuples, and its earliest publication date."""
        out = []
        published_dates = []
        for a_path, appearance in claim.appearances:
            source_key = appearance.get("source")
            source = self.source_info(source_key) if isinstance(source_key, str) else None
            if source is None:
                self.error(f"{a_path}.source", f"no source has the key {_describe(source_key)}")
            else:
                published_dates.append(self.published_of(source))
            quote = self.reader.text(appearance, "quote", a_path)
            if (
                quote
                and source is not None
                and source["text"]
                and not quote_occurs_in(quote, self.folded_text(source_key))
            ):
                self.error(
                    f"{a_path}.quote",
                    f'not found in the text of source "{source_key}": {_describe(quote)}',
                )
            speaker, description = None, ""
            raw_speaker = appearance.get("speaker")
            if isinstance(raw_speaker, dict):
                if (
                    set(raw_speaker) != {"description"}
                    or not isinstance(raw_speaker["description"], str)
                    or not raw_speaker["description"].strip()
                ):
                    self.error(
                        f"{a_path}.speaker",
                        'expected an entity reference or {"description": "..."}',
                    )
                else:
                    description = raw_speaker["description"].strip()[:300]
            elif raw_speaker is not None:
                if not isinstance(raw_speaker, str) or not raw_speaker.strip():
                    self.error(
                        f"{a_path}.speaker",
                        f"expected an entity reference, got {_describe(raw_speaker)}",
                    )
                else:
                    speaker = self.entity_ref(raw_speaker, f"{a_path}.speaker")
            via = self.reader.string_list(appearance, "via", a_path, max_length=200)
            for i, via_key in enumerate(via):
                if self.source_info(via_key) is None:
                    self.error(f"{a_path}.via[{i}]", f'no source has the key "{via_key}"')
            stance = self.reader.choice(
                appearance, "stance", a_path, STANCES, default=Stance.ASSERTS
            )
            out.append((source_key, quote, speaker, description, stance, tuple(dict.fromkeys(via))))
        return tuple(out), earliest_publication(published_dates)

    @staticmethod
    def published_of(source: dict) -> values.PartialDate | None:
        if "_published" in source:
            return source["_published"]
        if source["published"] is None:
            return None
        return values.PartialDate.from_date(
            source["published"], values.Precision(source["published_precision"])
        )

    def resolve_value(self, claim: _Claim, predicate: dict, reference) -> dict:
        path = f"{claim.path}.value.{claim.value_kind}"
        body = claim.value
        kind = claim.value_kind
        if kind == ValueType.QUANTITY:
            return self.resolve_quantity(body, path, predicate)
        if kind == ValueType.DATE:
            interval, as_written = self.read_interval(body, path, reference, _parse_date_phrase)
            if interval is None:
                return {}
            if interval.start is None and interval.end is None:
                self.error(path, "a date value needs from, to or as_written")
                return {}
            return {
                "value_type": kind,
                "value_as_written": as_written,
                **interval_columns("date", interval),
            }
        if kind == ValueType.ENTITY:
            if not isinstance(body, str) or not body.strip():
                self.error(path, f"expected an entity reference, got {_describe(body)}")
                return {}
            entity = self.entity_ref(body, path)
            return {"value_type": kind, "value_entity": entity} if entity else {}
        if not isinstance(body, str) or not body.strip() or "\x00" in body:
            self.error(path, f"expected a non-empty string, got {_describe(body)}")
            return {}
        return {"value_type": kind, "value_text": body}

    def resolve_quantity(self, body: Any, path: str, predicate: dict) -> dict:
        r = self.reader
        if not r.fields(body, path, QUANTITY_FIELDS):
            return {}
        errors_before = len(self.errors)
        given: dict[str, Decimal | None] = {}
        for end in ("low", "high"):
            raw = body.get(end)
            if raw is not None and not _is_number(raw):
                self.error(f"{path}.{end}", f"expected a number, got {_describe(raw)}")
            elif raw is not None:
                try:
                    given[end] = _number(raw)
                except InvalidOperation:
                    self.error(f"{path}.{end}", f"expected a finite number, got {_describe(raw)}")
        unit = r.text(body, "unit", path, max_length=50).strip()
        as_written = r.text(body, "as_written", path, max_length=300).strip()
        parsed: values.Quantity | None = None
        if as_written:
            try:
                parsed = _parse_quantity(as_written)
            except values.ValueParseError as exc:
                self.error(f"{path}.as_written", str(exc))
        if len(self.errors) > errors_before:
            return {}
        if parsed is not None:
            if units_disagree(parsed.unit, unit):
                self.error(f"{path}.unit", f'"{unit}" does not match the unit in "{as_written}"')
                return {}
            if ("low" in body or "high" in body) and not (
                _same_bound(given.get("low"), parsed.low)
                and _same_bound(given.get("high"), parsed.high)
            ):
                self.error(
                    path,
                    f"low {given.get('low')} and high {given.get('high')} do not match "
                    f'"{as_written}", which reads as {values.format_quantity(parsed)}',
                )
                return {}
            unit = unit or parsed.unit or ""
            quantity = parsed
        elif "low" not in given and "high" not in given:
            self.error(path, "give low, high (either may be null) or as_written")
            return {}
        else:
            try:
                quantity = values.Quantity(low=given.get("low"), high=given.get("high"))
            except values.ValueParseError as exc:
                self.error(path, str(exc))
                return {}
        try:
            columns = quantity_columns(quantity, given_unit=unit, predicate_unit=predicate["unit"])
        except values.ValueParseError:
            self.error(
                f"{path}.unit",
                f'"{unit}" cannot be compared with "{predicate["unit"]}", '
                "the unit of the predicate",
            )
            return {}
        return {"value_type": ValueType.QUANTITY, "value_as_written": as_written, **columns}

    def read_interval(
        self, body: Any, path: str, reference, parse_phrase
    ) -> tuple[values.DateInterval | None, str]:
        """A date or valid-time interval: a partial ISO date, {from, to}, or {as_written}."""
        if isinstance(body, str):
            date = self.reader.partial_date(body, path)
            return (values.DateInterval(date, date), "") if date else (None, "")
        if not self.reader.fields(body, path, INTERVAL_FIELDS):
            return None, ""
        errors_before = len(self.errors)
        start = (
            self.reader.partial_date(body["from"], f"{path}.from")
            if body.get("from") is not None
            else None
        )
        end = (
            self.reader.partial_date(body["to"], f"{path}.to")
            if body.get("to") is not None
            else None
        )
        as_written = self.reader.text(body, "as_written", path, max_length=300).strip()
        if len(self.errors) > errors_before:
            return None, ""
        if as_written:
            try:
                parsed = parse_phrase(as_written, reference)
            except values.ValueParseError as exc:
                self.error(f"{path}.as_written", str(exc))
                return None, ""
            if ("from" in body or "to" in body) and (start, end) != (parsed.start, parsed.end):
                self.error(
                    path,
                    f'from and to do not match "{as_written}", which reads as '
                    f"{values.format_date_interval(parsed)}",
                )
                return None, ""
            return parsed, as_written
        interval = values.DateInterval(start, end)
        if start and end and start.first_day() > end.last_day():
            self.error(path, f"from {start.isoformat()} is after to {end.isoformat()}")
            return None, ""
        return interval, ""

    def resolve_valid(self, claim: _Claim, reference) -> dict:
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
            self.error(
                f"{claim.path}.valid",
                'expected {"from": DATE, "to": DATE} or {"as_written": "..."}',
            )
            return empty
        interval, as_written = self.read_interval(
            claim.valid, f"{claim.path}.valid", reference, _parse_valid_phrase
        )
        if interval is None:
            return empty
        return {**interval_columns("valid", interval), "valid_as_written": as_written}

    def resolve_relations(self) -> None:
        self.relation_rows: dict[tuple[str, str, str], str] = {}
        seen: dict[tuple, str] = {}
        for path, rec in self.relation_records:
            pair = rec.get("claims")
            type_ = self.reader.choice(rec, "type", path, RELATION_TYPES)
            note = self.reader.text(rec, "note", path)
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(k, str) for k in pair)
            ):
                self.error(f"{path}.claims", "expected a list of two claim keys")
                continue
            ok = True
            for i, key in enumerate(pair):
                if key not in self.claim_records and key not in self.stored_claims:
                    self.error(f"{path}.claims[{i}]", f'no claim has the key "{key}"')
                    ok = False
            if pair[0] == pair[1]:
                self.error(f"{path}.claims", "a claim cannot be related to itself")
                ok = False
            identity = (pair[0], pair[1], type_)
            if ok and identity in seen:
                self.error(path, f"repeats the relation of {seen[identity]}")
            elif ok and type_:
                seen[identity] = path
                self.relation_rows[identity] = note

    # ---- phase 3 -----------------------------------------------------------------------

    def write(self) -> None:
        outlet_ids = self.write_simple(
            "outlets",
            Outlet,
            self.outlet_rows,
            self.stored_outlets,
            ("name", "url", "kind", "country", "reliability"),
        )
        entity_ids = self.write_named(
            "entities",
            Entity,
            EntityAlias,
            "entity",
            self.entity_rows,
            self.stored_entities,
            self.stored_entity_aliases,
            ("name", "normalized_name", "kind", "role"),
            ("affiliation",),
        )
        all_predicates = {**self.predicate_rows, **self.new_predicates}
        predicate_ids = self.write_named(
            "predicates",
            Predicate,
            PredicateAlias,
            "predicate",
            all_predicates,
            self.stored_predicates,
            self.stored_predicate_aliases,
            (
                "name",
                "normalized_name",
                "value_type",
                "unit",
                "functional",
                "time_varying",
                "cumulative",
            ),
            (),
        )
        source_ids = self.write_sources(outlet_ids)
        self.write_claims(entity_ids, predicate_ids, source_ids)

    def write_records(
        self, section: str, model, stored: dict[str, dict], planned: list[tuple]
    ) -> tuple[dict[str, int], list[str]]:
        """Insert the new and update the changed records of one section, and count them.

        `planned` holds (key, columns to write, columns differ, child rows differ) for every
        record of the file; the two flags are ignored for a key not stored yet. Returns the id
        of every stored and new key, and the keys whose child rows (aliases, citations,
        appearances) must be written again: the new ones and those whose children differ.
        """
        ids = {key: s["id"] for key, s in stored.items()}
        count = self.summary.counts[section]
        new, changed, children = [], [], []
        for key, data, differs, children_differ in planned:
            if key not in stored:
                new.append({"key": key, **data})
                children.append(key)
                continue
            if differs:
                changed.append({"id": stored[key]["id"], **data})
            if children_differ:
                children.append(key)
            if differs or children_differ:
                count.updated += 1
            else:
                count.unchanged += 1
        for row, new_id in zip(new, insert_rows(model, new), strict=True):
            ids[row["key"]] = new_id
        if changed:
            update_rows(model, changed, [name for name in changed[0] if name != "id"])
            if model is Claim:  # refuses edit forms loaded before the import (claim_lock_unchanged)
                claim_versions_bump(claim_ids=[row["id"] for row in changed])
        if is_tracked(model):  # what a save would have recorded (tracker/history.py)
            created_ids = [ids[row["key"]] for row in new]
            history_record_bulk(model, ids=created_ids, history_type=CREATED, reason=IMPORTED)
            changed_ids = [row["id"] for row in changed]
            history_record_bulk(model, ids=changed_ids, history_type=CHANGED, reason=IMPORTED)
        count.created += len(new)
        self.written[section].update(ids[key] for key in children)
        self.written[section].update(row["id"] for row in changed)
        return ids, children

    def claims_to_check(self) -> set[int]:
        """The claims this import may have changed the contradictions of: those written, those
        of changed predicates (their rules), and those appearing in changed sources (a
        publication date decides when a claim without valid time holds)."""
        ids = set(self.written["claims"])
        if self.written["predicates"]:
            ids.update(
                filter_in(
                    Claim.objects.values_list("id", flat=True),
                    "predicate_id",
                    self.written["predicates"],
                )
            )
        if self.written["sources"]:
            ids.update(
                filter_in(
                    Appearance.objects.values_list("claim_id", flat=True),
                    "source_id",
                    self.written["sources"],
                )
            )
        return ids

    def write_simple(self, section, model, rows, stored, columns) -> dict[str, int]:
        planned = []
        for key, row in rows.items():
            data = {c: row[c] for c in columns}
            differs = key in stored and any(stored[key][c] != data[c] for c in columns)
            planned.append((key, data, differs, False))
        return self.write_records(section, model, stored, planned)[0]

    def write_named(
        self,
        section,
        model,
        alias_model,
        parent,
        rows,
        stored,
        stored_aliases,
        columns,
        ref_columns,
    ) -> dict[str, int]:
        """Entities or predicates with their aliases; `ref_columns` point at the same table."""
        planned = []
        for key, row in rows.items():
            data = {c: row[c] for c in columns}
            old = stored.get(key)
            differs = old is not None and (
                any(old[c] != data[c] for c in columns)
                or any(old[f"{c}__key"] != row[c] for c in ref_columns)
            )
            aliases_differ = tuple(stored_aliases.get(key, ())) != row["aliases"]
            planned.append((key, data, differs, aliases_differ))
        ids, alias_changed = self.write_records(section, model, stored, planned)
        for column in ref_columns:
            # Written once every row exists: an entity may name one that comes later in the file.
            moved = [
                {"id": ids[key], f"{column}_id": ids[row[column]] if row[column] else None}
                for key, row in rows.items()
                if (stored[key][f"{column}__key"] if key in stored else None) != row[column]
            ]
            update_rows(model, moved, [f"{column}_id"])
        delete_in(alias_model, f"{parent}_id", [ids[k] for k in alias_changed if k in stored])
        insert_rows(
            alias_model,
            [
                {f"{parent}_id": ids[key], "name": alias, "normalized": _normalize_name(alias)}
                for key in alias_changed
                for alias in rows[key]["aliases"]
            ],
        )
        return ids

    def write_sources(self, outlet_ids: dict[str, int]) -> dict[str, int]:
        columns = (
            "title",
            "url",
            "normalized_url",
            "published",
            "published_precision",
            "authors",
            "language",
            "text",
        )
        stored = self.stored_sources
        planned = []
        for key, row in self.source_rows.items():
            data = {c: row[c] for c in columns}
            data["outlet_id"] = outlet_ids[row["outlet"]] if row["outlet"] else None
            old = stored.get(key)
            differs = old is not None and (
                any(old[c] != row[c] for c in columns) or old["outlet__key"] != row["outlet"]
            )
            links_differ = (
                tuple(self.stored_cites.get(key, ())) != row["cites"]
                or tuple(self.stored_corrects.get(key, ())) != row["corrects"]
            )
            planned.append((key, data, differs, links_differ))
        # A source whose cites or corrects changed has both rewritten; its claims are checked
        # again (claims_to_check), which finds the corrections it now makes.
        ids, links_changed = self.write_records("sources", Source, stored, planned)
        rewritten = [ids[k] for k in links_changed if k in stored]
        delete_in(SourceCitation, "citing_id", rewritten)
        delete_in(SourceCorrection, "correcting_id", rewritten)
        insert_rows(
            SourceCitation,
            [
                {"citing_id": ids[key], "cited_id": ids[cited]}
                for key in links_changed
                for cited in dict.fromkeys(self.source_rows[key]["cites"])
            ],
        )
        insert_rows(
            SourceCorrection,
            [
                {"correcting_id": ids[key], "corrected_id": ids[corrected]}
                for key in links_changed
                for corrected in dict.fromkeys(self.source_rows[key]["corrects"])
            ],
        )
        return ids

    def write_claims(self, entity_ids, predicate_ids, source_ids) -> None:
        stored = self.stored_claims
        planned = []
        for key, row in self.claim_rows.items():
            old = stored.get(key)
            differs = old is not None and any(
                old[f"{c}__key" if c in (*_CLAIM_ENTITY_COLUMNS, "predicate") else c] != row[c]
                for c in _CLAIM_COLUMNS
            )
            appearances_differ = self.stored_appearances.get(key, ()) != row["appearances"]
            data = {c: row[c] for c in _CLAIM_PLAIN_COLUMNS}
            for c in _CLAIM_ENTITY_COLUMNS:
                data[f"{c}_id"] = entity_ids[row[c]] if row[c] else None
            data["predicate_id"] = predicate_ids[row["predicate"]] if row["predicate"] else None
            planned.append((key, data, differs, appearances_differ))
        ids, appearances_changed = self.write_records("claims", Claim, stored, planned)

        # A queryset delete sends post_delete per row: simple-history records each one.
        delete_in(Appearance, "claim_id", [ids[k] for k in appearances_changed if k in stored])
        appearance_rows, vias = [], []
        for key in appearances_changed:
            for position, (source, quote, speaker, description, stance, via) in enumerate(
                self.claim_rows[key]["appearances"]
            ):
                appearance_rows.append(
                    {
                        "claim_id": ids[key],
                        "source_id": source_ids[source],
                        "position": position,
                        "quote": quote,
                        "speaker_id": entity_ids[speaker] if speaker else None,
                        "speaker_description": description,
                        "stance": stance,
                    }
                )
                vias.append(via)
        appearance_ids = insert_rows(Appearance, appearance_rows)
        history_record_bulk(Appearance, ids=appearance_ids, history_type=CREATED, reason=IMPORTED)
        insert_rows(
            AppearanceVia,
            [
                {"appearance_id": appearance_id, "source_id": source_ids[via_key]}
                for appearance_id, via in zip(appearance_ids, vias, strict=True)
                for via_key in via
            ],
        )
        self.write_relations(ids)

    def write_relations(self, claim_ids: dict[str, int]) -> None:
        count = self.summary.counts["relations"]
        if not self.relation_rows:
            return
        wanted = {
            (claim_ids[a], claim_ids[b], t): note for (a, b, t), note in self.relation_rows.items()
        }
        existing = {
            (r["from_claim_id"], r["to_claim_id"], r["type"]): r
            for r in filter_in(
                ClaimRelation.objects.values("id", "from_claim_id", "to_claim_id", "type", "note"),
                "from_claim_id",
                {a for a, _, _ in wanted},
            )
        }
        new, changed = [], []
        for identity, note in wanted.items():
            old = existing.get(identity)
            if old is None:
                new.append(
                    {
                        "from_claim_id": identity[0],
                        "to_claim_id": identity[1],
                        "type": identity[2],
                        "note": note,
                    }
                )
            elif old["note"] != note:
                changed.append({"id": old["id"], "note": note})
            else:
                count.unchanged += 1
        insert_rows(ClaimRelation, new)
        update_rows(ClaimRelation, changed, ["note"])
        count.created += len(new)
        count.updated += len(changed)


def import_claimset(document: Any) -> ImportSummary:
    """Check `document` whole, then write it; raises ClaimsetInvalid listing every error."""
    with gc_paused():
        return _import(document)


def _import(document: Any) -> ImportSummary:
    importer = _Importer(document)
    if importer.read():
        importer.resolve()
    if importer.errors:
        raise ClaimsetInvalid(importer.errors)
    try:
        with transaction.atomic():
            importer.write()
            claims_changed(claim_ids=importer.claims_to_check())
    except IntegrityError as exc:
        # Checked above, so only a concurrent writer can get here (two imports of one new key).
        raise ApplicationError(
            f"the database refused the import, most likely because another import wrote the same "
            f"records at the same time; nothing was written, try again ({exc})"
        ) from exc
    return importer.summary
