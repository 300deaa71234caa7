"""Writes of the dashboards concern: only the rebuild of the per-day sums."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from production.dashboards import flows_sql
from production.dashboards.models import DailyDemand, DailyStockFlow


def daily_flows_rebuild() -> dict[str, int]:
    """Recompute the per-day sums from the ledger and the demand, with the day in today's
    `TIME_ZONE`, and (re)install their triggers; in one transaction, writers of the two
    tables wait meanwhile. PostgreSQL only (SQLite reads the raw tables)."""
    if connection.vendor != "postgresql":
        return {}
    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred key checks of the caller's transaction would block the trigger DDL.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        flows_sql.install(cursor, zone=settings.TIME_ZONE)
    return {
        "stock_days": DailyStockFlow.objects.count(),
        "demand_days": DailyDemand.objects.count(),
    }
