"""Set-based row writes: PostgreSQL's COPY where available, `bulk_create` elsewhere.

Rows are dicts of column attnames (`outlet_id`, not `outlet`) to Python values. Callers run
these inside their own transaction.
"""

import contextlib
import gc
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

import tracker.timings as timings

# Keeps `IN (...)` lists under SQLite's bound-parameter limit and PostgreSQL's plan-time sweet spot.
CHUNK = 5000


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk job.

    A claimset holds millions of small objects alive at once; every few thousand allocations
    the collector would walk all of them again (it tripled the import's time). Reference
    counting still frees everything that is not in a cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def chunked(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def filter_in(queryset: models.QuerySet, field: str, values: Iterable[Any]) -> Iterator[Any]:
    """Yield the rows of `queryset` whose `field` is in `values`.

    PostgreSQL gets one query with the values as a single array parameter; elsewhere the values
    go in chunks of `IN (...)` (SQLite caps the parameters of one statement).
    """
    values = list(dict.fromkeys(values))
    if not values:
        return
    if connection.vendor == "postgresql":
        yield from queryset.filter(**{f"{field}__any": values})
        return
    for chunk in chunked(values):
        yield from queryset.filter(**{f"{field}__in": chunk})


class AnyOf(models.Lookup):
    """`field = ANY(%s)` with a list bound as one PostgreSQL array (see filter_in)."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [[self.lhs.output_field.get_db_prep_value(v, connection) for v in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


models.Field.register_lookup(AnyOf)
models.ForeignObject.register_lookup(AnyOf)  # foreign keys resolve lookups on their own class


def _concrete_columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _timestamp_columns(model: type[models.Model]) -> list[str]:
    names = {f.attname for f in model._meta.concrete_fields}
    return [name for name in ("created_at", "updated_at") if name in names]


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their new primary keys, in order."""
    if not rows:
        return []
    now = timezone.now()
    for name in _timestamp_columns(model):
        for row in rows:
            row.setdefault(name, now)
    if connection.vendor == "postgresql":
        with timings.phase(f"COPY {model._meta.db_table}"):
            return _copy_rows(model, rows)
    objects = [model(**row) for row in rows]
    model.objects.bulk_create(objects, batch_size=1000)
    return [obj.pk for obj in objects]


def _copy_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    from psycopg.types.json import Jsonb

    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    # Ids are taken from the table's own sequence first, so that the rows can be streamed with
    # COPY (which returns nothing) and children can point at their parents without a re-read.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        fields = _concrete_columns(model)
        attnames = [f.attname for f in fields]
        defaults = [f.get_default() for f in fields]
        json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        statement = f"COPY {table} ({connection.ops.quote_name(pk)}, {columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            write_row = copy.write_row
            for new_id, row in zip(ids, rows, strict=True):
                values = [new_id, *map(row.get, attnames, defaults)]
                for i in json_at:
                    values[i + 1] = Jsonb(values[i + 1])
                write_row(values)
    return ids


def update_rows(
    model: type[models.Model], rows: list[dict[str, Any]], fields: list[str], *, touch: bool = True
) -> None:
    """Write `fields` of existing rows; each row dict carries its `id`.

    `updated_at` is set too unless touch is False (for bookkeeping columns). PostgreSQL gets one
    `UPDATE ... FROM unnest(arrays)` per batch; elsewhere Django's bulk_update.
    """
    if not rows:
        return
    has_updated_at = touch and any(f.attname == "updated_at" for f in model._meta.concrete_fields)
    if has_updated_at:
        now = timezone.now()
        rows = [{**row, "updated_at": now} for row in rows]
        fields = [*fields, "updated_at"]
    if connection.vendor == "postgresql":
        with timings.phase(f"UPDATE {model._meta.db_table}"):
            _update_unnest(model, rows, fields)
        return
    objects = []
    for row in rows:
        obj = model(id=row["id"])
        for name in fields:
            setattr(obj, name, row[name])
        objects.append(obj)
    model.objects.bulk_update(objects, fields, batch_size=1000)


def _update_unnest(model: type[models.Model], rows: list[dict[str, Any]], fields: list[str]):
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    casts = ", ".join(f"%s::{f.db_type(connection).split('(')[0]}[]" for f in columns)
    names = ", ".join(quote(f.column) for f in columns)
    pk = quote(meta.pk.column)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    statement = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names from the model
        f"FROM unnest({casts}) AS v({names}) WHERE t.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        for chunk in chunked(rows, 10_000):
            arrays = [
                [f.get_db_prep_save(row[name], connection) for row in chunk]
                for f, name in zip(columns, ["id", *fields], strict=True)
            ]
            cursor.execute(statement, arrays)


def delete_in(model: type[models.Model], field: str, values: Sequence[Any]) -> None:
    for chunk in chunked(list(values)):
        model.objects.filter(**{f"{field}__in": chunk}).delete()
