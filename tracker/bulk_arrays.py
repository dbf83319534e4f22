"""Integer columns of a query read straight into numpy arrays.

On PostgreSQL the query's rows come back packed by the server in one bytea value: each row its
columns as big-endian int8 (`int8send`), the rows concatenated (`string_agg`), fetched in binary
and read with one np.frombuffer, never row by row. Measured on 127,342 rows of six columns
(bench/credibility.py's appearances, 2 cores, shared): tuples through psycopg 0.16-0.34 s;
`COPY (...) TO STDOUT (FORMAT BINARY)` 0.43-0.52 s, because the server sends one message per row
and psycopg reads each in Python; one bytea 0.06 s in the server and 0.12-0.18 s in all. One
bytea holds at most 1 GB: 22 million rows of six columns.

Elsewhere (SQLite) the rows are fetched as tuples and made into an array: the plain path, which
gives the same array (tests/tracker/test_bulk_arrays.py compares them on PostgreSQL).
"""

import numpy as np
from django.db import connection, models


class ColumnsError(ValueError):
    """The rows are not what int_columns reads: a NULL, or a value that is not an integer."""


def int_columns(queryset: models.QuerySet, columns: int, *, packed: bool = True) -> np.ndarray:
    """The rows of a `values_list` queryset of `columns` integer columns (none NULL: wrap a
    nullable one in Coalesce) as an int64 array of shape (columns, rows), in the queryset's
    order. `packed` False reads tuples on PostgreSQL too (what the tests compare against)."""
    if packed and connection.vendor == "postgresql":
        return _packed_columns(queryset, columns)
    rows = list(queryset)
    if not rows:
        return np.zeros((columns, 0), dtype=np.int64)
    if any(value is None for row in rows for value in row):
        raise ColumnsError("a column holds NULL: wrap it in Coalesce")
    return np.array(rows, dtype=np.int64).reshape(len(rows), columns).T.copy()


def _packed_columns(queryset: models.QuerySet, columns: int) -> np.ndarray:
    import psycopg

    sql, params = queryset.query.sql_with_params()
    names = ", ".join(f"c{k}" for k in range(columns))
    packed = " || ".join(f"int8send(t.c{k}::int8)" for k in range(columns))
    nulls = " OR ".join(f"t.c{k} IS NULL" for k in range(columns))
    # string_agg keeps the input order: the rows arrive as the queryset orders them.
    statement = (
        f"SELECT string_agg({packed}, ''::bytea), bool_or({nulls}) "  # noqa: S608 - the ORM's SQL
        f"FROM ({sql}) AS t({names})"
    )
    connection.ensure_connection()
    # A cursor of psycopg's own on Django's connection (so in its transaction): Django's cursors
    # bind parameters on the client, and those cannot fetch binary results; as text the bytea
    # would come hex-encoded, twice the bytes and decoded again.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, params, binary=True)
        data, has_null = cursor.fetchone()
    if has_null:
        raise ColumnsError("a column holds NULL: wrap it in Coalesce")
    if data is None:  # no rows
        return np.zeros((columns, 0), dtype=np.int64)
    return np.frombuffer(data, dtype=">i8").reshape(-1, columns).T.astype(np.int64)
