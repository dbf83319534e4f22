"""Set-based row writes: PostgreSQL's COPY where available, `bulk_create` elsewhere.

Rows are dicts of column attnames (`outlet_id`, not `outlet`) to Python values. Callers run
these inside their own transaction.
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

# Keeps `IN (...)` lists under SQLite's bound-parameter limit and PostgreSQL's plan-time sweet spot.
CHUNK = 5000


def chunked(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def filter_in(queryset: models.QuerySet, field: str, values: Iterable[Any]) -> Iterator[Any]:
    """Yield the rows of `queryset` whose `field` is in `values`, one query per chunk."""
    values = list(dict.fromkeys(values))
    for chunk in chunked(values):
        yield from queryset.filter(**{f"{field}__in": chunk})


def _concrete_columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _with_timestamps(model: type[models.Model], row: dict[str, Any], now) -> dict[str, Any]:
    names = {f.attname for f in model._meta.concrete_fields}
    if "created_at" in names:
        row.setdefault("created_at", now)
    if "updated_at" in names:
        row.setdefault("updated_at", now)
    return row


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` and return their new primary keys, in order."""
    if not rows:
        return []
    now = timezone.now()
    rows = [_with_timestamps(model, row, now) for row in rows]
    if connection.vendor == "postgresql":
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
        json_columns = {f.attname for f in fields if isinstance(f, models.JSONField)}
        attnames = [f.attname for f in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        statement = f"COPY {table} ({connection.ops.quote_name(pk)}, {columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for new_id, row in zip(ids, rows, strict=True):
                values = [new_id]
                for name in attnames:
                    value = row.get(name, _default(model, name))
                    values.append(Jsonb(value) if name in json_columns else value)
                copy.write_row(values)
    return ids


_DEFAULTS: dict[tuple[type[models.Model], str], Any] = {}


def _default(model: type[models.Model], attname: str) -> Any:
    key = (model, attname)
    if key not in _DEFAULTS:
        field = next(f for f in model._meta.concrete_fields if f.attname == attname)
        _DEFAULTS[key] = field.get_default()
    return _DEFAULTS[key]


def update_rows(model: type[models.Model], rows: list[dict[str, Any]], fields: list[str]) -> None:
    """Write `fields` of existing rows; each row dict carries its `id`."""
    if not rows:
        return
    now = timezone.now()
    has_updated_at = any(f.attname == "updated_at" for f in model._meta.concrete_fields)
    objects = []
    for row in rows:
        obj = model(id=row["id"])
        for name in fields:
            setattr(obj, name, row[name])
        if has_updated_at:
            obj.updated_at = now
        objects.append(obj)
    model.objects.bulk_update(
        objects, [*fields, *(["updated_at"] if has_updated_at else [])], batch_size=1000
    )


def delete_in(model: type[models.Model], field: str, values: Sequence[Any]) -> None:
    for chunk in chunked(list(values)):
        model.objects.filter(**{f"{field}__in": chunk}).delete()
