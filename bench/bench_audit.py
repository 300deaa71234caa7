"""The audit trail's cost: a product change through `product_update` with its history row
against the same change with simple-history switched off (`SIMPLE_HISTORY_ENABLED`), and a
page of `GET products/{sku}/history/` (100 entries, then 500) with its query count.

Run: `.venv/bin/python bench/bench_audit.py [--changes 500]`. It creates (and drops) a test
database next to DATABASE_URL's (PostgreSQL; the default is the standard local port).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pullboard")
os.environ.setdefault("DJANGO_SECRET_KEY", "pullboard-bench-only")
os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", LOG_LEVEL="WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def changes_per_second(product, actor_id: int, n: int, *, history: bool) -> float:  # type: ignore[no-untyped-def]
    from production.services.products import product_update

    settings.SIMPLE_HISTORY_ENABLED = history
    start = time.perf_counter()
    for i in range(n):
        product_update(product=product, name=f"{'h' if history else 'p'}{i}", actor_id=actor_id)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=500)
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        from knox.models import AuthToken
        from rest_framework.test import APIClient

        from tests.factories import LineFactory, LocationFactory, ProductFactory, UserFactory

        planner = UserFactory(username="pete", roles=["planner"])
        product = ProductFactory(sku="B-1", line=LineFactory(), supermarket=LocationFactory())
        product.container_quantity = Decimal("5")
        plain = changes_per_second(product, planner.pk, args.changes, history=False)
        audited = changes_per_second(product, planner.pk, args.changes, history=True)
        print(f"product_update, {args.changes} changes on {connection.vendor} ({name}):")
        print(f"  without history {plain:8.0f}/s")
        print(f"  with history    {audited:8.0f}/s  ({plain / audited:.2f}x the time)")

        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION="Token " + AuthToken.objects.create(user=planner)[1])
        url = "/api/v1/products/B-1/history/"
        api.get(url)  # the token, remembered
        for size in (100, 500):
            times = []
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    response = api.get(url, {"page_size": size})
                    times.append(time.perf_counter() - start)
            assert len(response.json()["results"]) == size
            print(
                f"GET history, page of {size:4d}: median {statistics.median(times) * 1000:6.1f} ms,"
                f" {len(queries)} queries taking"
                f" {sum(float(q['time']) for q in queries.captured_queries) * 1000:.1f} ms"
            )
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


if __name__ == "__main__":
    main()
