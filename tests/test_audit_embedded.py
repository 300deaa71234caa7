"""The audit trail on the embedded profile: a SQLite file and tasks in process.

The suite's database is PostgreSQL; this test migrates a SQLite file of its own in a
child process (as `make run` does) and, there, changes a product over the API with a
token and reads its history back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import json
from decimal import Decimal
from django.contrib.auth.models import Group
from knox.models import AuthToken
from rest_framework.test import APIClient
from production.models import Location, Product
from production.services.products import line_create, product_create
from tests.factories import UserFactory

planner = UserFactory(username="pete", roles=["planner"])
line = line_create(code="fab", name="Fab", capacity_per_day=Decimal("10"), wip_limit=2,
                   actor_id=planner.pk)
place = Location.objects.create(code="sm", name="Supermarket")
product_create(sku="P-1", name="Part", line=line, supermarket=place,
               container_quantity=Decimal("5"), lead_time_days=Decimal("1"), actor_id=planner.pk)
api = APIClient()
api.credentials(HTTP_AUTHORIZATION="Token " + AuthToken.objects.create(user=planner)[1])
assert api.patch("/api/v1/products/P-1/", {"name": "Part 2"}, format="json").status_code == 200
print("RESULT " + json.dumps(api.get("/api/v1/products/P-1/history/").json()["results"]))
"""


def test_history_is_recorded_and_read_on_sqlite(tmp_path: Path) -> None:
    drop = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        DJANGO_DEBUG="true",
        DJANGO_ALLOWED_HOSTS="testserver",
    )

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--no-input", "-v", "0")
    out = manage("shell", "-c", SCRIPT)
    entries = json.loads(out.split("RESULT ", 1)[1])
    assert [(e["type"], e["user"]) for e in entries] == [("changed", "pete"), ("created", "pete")]
    assert entries[0]["changes"] == [{"field": "name", "before": "Part", "after": "Part 2"}]
