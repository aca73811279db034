"""Thousands of rows at once, for imports: written with PostgreSQL's COPY (one executemany
elsewhere), looked up by thousands of values in one query.

Faster than bulk_create and `__in` by the model layer they go through (instances, each
value prepared: most of an import's writing time with bulk_create); the caller gives values
as the database stores them, `db_datetime` for datetimes and JSON as text. Columns left out
get the database's default (NULL: Django sets no other), so a new required column fails
loudly."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, models


def db_datetime(value: datetime):
    """A datetime as this database takes it (SQLite: UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def rows_insert(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[tuple]) -> None:
    """Insert `rows`, each a tuple of the values of `fields` (the model's field names)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) "
                               f"VALUES ({', '.join(['%s'] * len(fields))})", list(rows))


def rows_where_in(model: type[models.Model], fields: Sequence[str], name: str,
                  values: list) -> list[tuple]:
    """The values of `fields` of the rows whose field `name` is one of `values` (on
    PostgreSQL one array parameter)."""
    if not values:
        return []
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(field).column) for field in fields)
    column = quote(model._meta.get_field(name).column)
    if connection.vendor == "postgresql":
        where, params = f"{column} = ANY(%s)", [list(values)]
    else:
        where, params = f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where}", params)
        return cursor.fetchall()


def rows_create(model: type[models.Model], fields: Sequence[str], rows: list[tuple], *,
                unique: str) -> list[int]:
    """rows_insert, and the new rows' ids in their order: on PostgreSQL drawn beforehand
    from the table's sequence, elsewhere looked up afterwards by `unique`, one of `fields`
    whose values are unique."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                           "FROM generate_series(1, %s)",
                           [model._meta.db_table, model._meta.pk.column, len(rows)])
            ids = [new_id for (new_id,) in cursor.fetchall()]
        rows_insert(model, (model._meta.pk.name, *fields),
                    [(new_id, *row) for new_id, row in zip(ids, rows, strict=True)])
        return ids
    rows_insert(model, fields, rows)
    keys = [row[fields.index(unique)] for row in rows]
    found = dict(rows_where_in(model, [unique, model._meta.pk.name], unique, keys))
    return [found[key] for key in keys]
