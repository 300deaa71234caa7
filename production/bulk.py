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


def bulk_insert_rows(objs: Sequence[Model], *, keys: bool = False) -> None:
    """Insert new rows in one statement (ledger moves, events, outbox rows).

    `auto_now`/`auto_now_add` timestamps are filled in, as `save()` would. With `keys`, the
    rows get their primary keys back, in order (`RETURNING`), as `bulk_create` gives them.
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
    if keys:
        sql += f' RETURNING "{model._meta.pk.column}"'  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_array(f, objs) for f in columns])
        if keys:
            _keys_back(objs, cursor)


def _keys_back(objs: Sequence[Model], cursor: Any) -> None:
    """The keys a `RETURNING` gave, in insertion order, onto the rows as saved ones."""
    ids = [row[0] for row in cursor.fetchall()]
    assert len(ids) == len(objs)
    for obj, key in zip(objs, ids, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias


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


def _param(field: Field[Any, Any]) -> str:
    """A typed placeholder for one value of `field` (a bare parameter in a SELECT list
    would be read as text)."""
    db_type = field.db_type(connection)
    if field.get_internal_type() == "ForeignKey":
        db_type = field.target_field.rel_db_type(connection)  # type: ignore[attr-defined]
    return f"%s::{db_type}"


@lru_cache(maxsize=64)
def _with_events_statement(
    model: type[Model], event_model: type[Model], link: str
) -> tuple[str, list[Field], list[Field], list[Field]]:
    insert, columns, stamped = _insert_statement(model)
    pk = model._meta.pk
    assert pk is not None
    to_row = event_model._meta.get_field(link)
    assert isinstance(to_row, Field)
    event_columns = [
        f for f in event_model._meta.concrete_fields if not f.primary_key and f is not to_row
    ]
    names = ", ".join(f'"{f.column}"' for f in [to_row, *event_columns])
    values = ", ".join(_param(f) for f in event_columns)
    sql = (
        f'WITH rows AS ({insert} RETURNING "{pk.column}"), '
        f'events AS (INSERT INTO "{event_model._meta.db_table}" ({names}) '
        f'SELECT "{pk.column}", {values} FROM rows) '
        f'SELECT "{pk.column}" FROM rows'
    )
    return sql, columns, stamped, event_columns


def bulk_insert_with_events(objs: Sequence[Model], *, event: Model, link: str) -> None:
    """Insert new rows, each with its first event (a copy of `event` whose `link` points to
    the row), in one statement; the rows get their primary keys, in order. The pull
    engine's orders and their "created" events: one round trip a kind of order instead of
    two. Elsewhere (SQLite) the ORM's bulk create, then `bulk_insert_rows`."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        copies = []
        for obj in objs:
            copy = type(event)(
                **{
                    f.attname: getattr(event, f.attname)
                    for f in event._meta.concrete_fields
                    if not f.primary_key
                }
            )
            setattr(copy, link, obj)
            copies.append(copy)
        bulk_insert_rows(copies)
        return
    sql, columns, stamped, event_columns = _with_events_statement(model, type(event), link)
    now = timezone.now()
    for field in stamped:
        for o in objs:
            if getattr(o, field.attname) is None:
                setattr(o, field.attname, now)
    for field in event_columns:
        stamp = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if stamp and getattr(event, field.attname) is None:
            setattr(event, field.attname, now)
    constants = [
        field.get_db_prep_save(getattr(event, field.attname), connection) for field in event_columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(_array(f, objs) for f in columns), *constants])
        _keys_back(objs, cursor)
