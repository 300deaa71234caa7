"""Bulk writes that stay cheap at pull-engine batch sizes.

Django's `bulk_update` builds one CASE WHEN per row and field, and `bulk_create`
prepares every value of every row through the field API; at a few hundred rows that
Python work costs more than the database. On PostgreSQL one statement over
`unnest(arrays)` does the same, with values handed to psycopg as they are (numbers,
text, timestamps and foreign keys need no preparing). Elsewhere (SQLite) the ORM's own
bulk methods run.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

# Field types whose Python values psycopg adapts to the column type as they are.
PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateTimeField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "SlugField",
    "TextField",
}


def _columns(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    columns: list[Field[Any, Any]] = []
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, Field), "only concrete fields can be written"
        columns.append(field)
    return columns


def _array(field: Field[Any, Any], objs: Sequence[Model]) -> list[Any]:
    if field.get_internal_type() in PLAIN:
        return [getattr(o, field.attname) for o in objs]
    return [field.get_db_prep_save(getattr(o, field.attname), connection) for o in objs]


def _cast(field: Field[Any, Any]) -> str:
    db_type = field.db_type(connection)
    if field.get_internal_type() in ("ForeignKey",):
        target = field.target_field  # type: ignore[attr-defined]
        db_type = target.rel_db_type(connection)
    return f"%s::{db_type}[]"


# The statements depend only on the model and the fields: built once per process.
@lru_cache(maxsize=256)
def _update_statement(model: type[Model], fields: tuple[str, ...]) -> tuple[str, list[Field]]:
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns = _columns(model, fields)
    casts = [f"%s::{pk.db_type(connection)}[]"] + [_cast(f) for f in columns]
    names = ["pk_"] + [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(f'"{field.column}" = v.c{i}' for i, field in enumerate(columns))
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {assignments} '
        f"FROM unnest({', '.join(casts)}) AS v({', '.join(names)}) "
        f'WHERE t."{pk.column}" = v.pk_'
    )
    return sql, columns


@lru_cache(maxsize=256)
def _insert_statement(model: type[Model]) -> tuple[str, list[Field], list[Field]]:
    """The statement, its columns, and those of them stamped with the time when empty."""
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    stamped = [
        f for f in columns if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    names = ", ".join(f'"{f.column}"' for f in columns)
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({names}) '
        f"SELECT * FROM unnest({', '.join(_cast(f) for f in columns)})"
    )
    return sql, columns, stamped


def bulk_update_rows(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Write `fields` of already-loaded rows back, in one statement."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    sql, columns = _update_statement(model, tuple(fields))
    arrays = [[o.pk for o in objs]] + [_array(f, objs) for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)


def bulk_insert_rows(objs: Sequence[Model]) -> None:
    """Insert new rows whose primary keys nobody needs back (ledger moves, events).

    `auto_now`/`auto_now_add` timestamps are filled in, as `save()` would.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    sql, columns, stamped = _insert_statement(model)
    now = timezone.now()
    for field in stamped:
        for o in objs:
            if getattr(o, field.attname) is None:
                setattr(o, field.attname, now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_array(f, objs) for f in columns])


@lru_cache(maxsize=64)
def _upsert_statement(
    model: type[Model], unique: tuple[str, ...], update: tuple[str, ...]
) -> tuple[str, list[Field]]:
    insert, columns, _ = _insert_statement(model)
    conflict = ", ".join(f'"{f.column}"' for f in _columns(model, unique))
    assignments = ", ".join(
        f'"{f.column}" = EXCLUDED."{f.column}"' for f in _columns(model, update)
    )
    return f"{insert} ON CONFLICT ({conflict}) DO UPDATE SET {assignments}", columns


def bulk_upsert_rows(
    objs: Sequence[Model], *, unique_fields: Sequence[str], update_fields: Sequence[str]
) -> None:
    """Insert rows, or update `update_fields` of those whose `unique_fields` exist already:
    one statement whatever the number of rows (arrays, not one parameter per value).

    `auto_now`/`auto_now_add` timestamps left empty are filled in, as `save()` would.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            objs, update_conflicts=True, unique_fields=unique_fields, update_fields=update_fields
        )
        return
    sql, columns = _upsert_statement(model, tuple(unique_fields), tuple(update_fields))
    now = timezone.now()
    for field in columns:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for o in objs:
                if getattr(o, field.attname) is None:
                    setattr(o, field.attname, now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [_array(f, objs) for f in columns])
