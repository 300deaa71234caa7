"""The plants the scale benchmarks measure: one database per size, built once by
`seed_plant` and kept, so a second run measures at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The plants' databases are PLANT_PREFIX + size; the scale and task benchmarks share them.
PLANT_PREFIX = os.environ.get("PULLBOARD_PLANT_PREFIX", "pb_plant_")


def plant_database_url(size: str, *, prefix: str, bench: str) -> str:
    """The URL of the `size` plant's database, beside DATABASE_URL's (PostgreSQL only)."""
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pullboard")
    if not url.startswith("postgres"):
        sys.exit(f"{bench} needs PostgreSQL (DATABASE_URL=postgres://...).")
    return f"{url.rsplit('/', 1)[0]}/{prefix}{size}"


def ensure_plant(url: str, size: str) -> None:
    """Create the database, migrate it, and build the plant unless it is built already."""
    import psycopg

    server, name = url.rsplit("/", 1)
    admin_dsn = f"{server}/postgres".replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        built = conn.execute("SELECT EXISTS (SELECT 1 FROM production_productionline)").fetchone()
    if not built or not built[0]:
        print(f"building the {size} plant (minutes for large) ...", flush=True)
        subprocess.run([*manage, "seed_plant", "--scale", size], env=env, check=True)
