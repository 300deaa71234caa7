"""Bulk updates that stay cheap at pull-engine batch sizes.

Django's `bulk_update` builds one CASE WHEN per row and field; at a few hundred rows
the expression building costs more than the database. On PostgreSQL one
`UPDATE ... FROM unnest(arrays)` does the same in a single, cheap statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def bulk_update_rows(objs: Sequence[Model], fields: Sequence[str]) -> None:
    """Write `fields` of already-loaded rows back, in one statement."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    columns: list[Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        assert isinstance(field, Field), "only concrete fields can be updated"
        columns.append(field)
    pk = meta.pk
    assert pk is not None
    arrays = [[pk.get_db_prep_save(o.pk, connection) for o in objs]]
    casts = [f"%s::{pk.db_type(connection)}[]"]
    for field in columns:
        arrays.append([field.get_db_prep_save(getattr(o, field.attname), connection) for o in objs])
        casts.append(f"%s::{field.db_type(connection)}[]")
    names = ["pk_"] + [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(f'"{field.column}" = v.c{i}' for i, field in enumerate(columns))
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {assignments} '
        f"FROM unnest({', '.join(casts)}) AS v({', '.join(names)}) "
        f'WHERE t."{pk.column}" = v.pk_'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, arrays)
