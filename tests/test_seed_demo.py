"""The demo factory: a believable plant, a year of seeded history, safe to run again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Max, Min

from kanban.management.commands.seed_demo import (
    FINISHED,
    HISTORY_DAYS,
    HISTORY_SOURCE,
    history_for,
)
from kanban.models import CardStatus, KanbanCard, KanbanLoop
from production.demo_history import DemandProfile, daily_demand
from production.models import (
    BomLine,
    DemandEvent,
    Product,
    ProductionLine,
    StockLevel,
    WorkOrder,
)
from production.services.stock import ledger_sum
from production.supply.models import CallOff, TransferOrder

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, tuple[int, int | None]]:
    """Rows and highest id of every model of the two apps and of users."""
    models = [*apps.get_app_config("production").get_models()]
    models += [*apps.get_app_config("kanban").get_models(), get_user_model()]
    return {
        m._meta.label: (m.objects.count(), m.objects.aggregate(top=Max("pk"))["top"])
        for m in models
    }


# --- The generator (pure) --------------------------------------------------------------


def test_the_same_seed_gives_the_same_history_and_another_does_not() -> None:
    profile = DemandProfile(base_per_day=10, trend_per_year=0.2)
    first = daily_demand(profile, days=365, first_weekday=0, seed=7).quantities
    again = daily_demand(profile, days=365, first_weekday=0, seed=7).quantities
    other = daily_demand(profile, days=365, first_weekday=0, seed=8).quantities
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_history_has_a_weekly_rhythm_a_trend_and_promotions() -> None:
    profile = DemandProfile(base_per_day=40, trend_per_year=0.5, promotions=4)
    series = daily_demand(profile, days=364, first_weekday=0, seed=11)
    q = series.quantities.astype(float)
    by_weekday = q.reshape(52, 7)
    assert by_weekday[:, 6].sum() == 0  # closed on Sundays
    assert by_weekday[:, 0].mean() > 2 * by_weekday[:, 5].mean()  # Mondays busy, Saturdays thin
    assert q[-56:].mean() > 1.2 * q[:56].mean()  # growing demand
    weekday_mask = np.tile([True] * 5 + [False] * 2, 52)
    promo = series.promotion_days & weekday_mask
    assert promo.any()
    assert q[promo].mean() > 1.2 * q[~series.promotion_days & weekday_mask].mean()
    assert (q >= 0).all() and series.quantities.dtype.kind == "i"  # whole units


def test_the_generator_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        daily_demand(DemandProfile(base_per_day=1), days=0, first_weekday=0, seed=1)
    with pytest.raises(ValueError):
        daily_demand(
            DemandProfile(base_per_day=1, weekday_profile=(1.0,)), days=5, first_weekday=0, seed=1
        )


# --- The command ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_builds_a_believable_plant_and_a_second_run_changes_nothing(
    django_assert_max_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    output = seed()

    lines = ProductionLine.objects.all()
    assert lines.count() >= 3
    assert set(lines.values_list("mode", flat=True)) == {"pull"}
    assert 18 <= Product.objects.count() <= 24
    # Two levels: finished goods on assembly lines use components made on other lines.
    finished = Product.objects.filter(bom_lines__isnull=False).distinct()
    assert finished.count() >= 10
    made = BomLine.objects.filter(component__line__isnull=False)
    for bom in made.select_related("parent__line", "component__line"):
        assert bom.parent.line.code.startswith("asm-")
        assert not bom.component.line.code.startswith("asm-")
    assert {b.component.line.code for b in made.select_related("component__line")} >= {
        "machining",
        "sheet-metal",
        "moulding",
    }

    # Every product made here has a loop sized from demand, opened with its recommended
    # card count; the bought-in parts have supplier loops (and bolts a line-side one).
    loops = (
        KanbanLoop.objects.filter(source="production")
        .annotate(cards_n=Count("cards"))
        .select_related("product")
    )
    assert loops.count() == Product.objects.filter(line__isnull=False).count()
    for loop in loops:
        assert loop.recommended_card_count == loop.cards_n, loop.product.sku
        assert loop.recommendation["lead_time_source"] == "configured"
    # Components are sized by what their parents sell (dependent demand), not left at one card.
    seal = KanbanLoop.objects.get(product__sku="C-SEAL")
    assert float(seal.recommendation["dependent_daily_demand"]) > 50
    assert seal.recommended_card_count >= 2

    bought = KanbanLoop.objects.filter(source="supplier").select_related("supplier")
    assert {loop.supplier.code for loop in bought} == {"acme-fasteners", "nordic-seals"}
    assert all(loop.product.line_id is None for loop in bought)
    transfer = KanbanLoop.objects.get(source="transfer")
    assert (transfer.source_location.kind, transfer.location.kind) == ("warehouse", "line_side")
    assert CallOff.objects.filter(status="open", supplier__code="nordic-seals").count() == 1
    assert TransferOrder.objects.filter(status="open", to_location=transfer.location).count() == 1

    # Stock is there and agrees with its ledger; today's demand started the pull engine.
    for level in StockLevel.objects.all():
        assert level.on_hand == ledger_sum(level.product_id, level.location_id)
    assert KanbanCard.objects.filter(status=CardStatus.IN_USE).exists()
    assert KanbanCard.objects.filter(status=CardStatus.FULL).count() > 40
    assert WorkOrder.objects.filter(origin="kanban", status="planned").exists()

    # One user per role, with the printed demo logins.
    for username, password, role in [
        ("operator", "operator-demo", "operator"),
        ("planner", "planner-demo", "planner"),
        ("integration", "integration-demo", "integration"),
        ("admin", "admin-demo", None),
    ]:
        assert f"{username} / {password}" in output
        user = get_user_model().objects.get(username=username)
        assert user.check_password(password), username
        if role:
            assert list(user.groups.values_list("name", flat=True)) == [role]
    planner = get_user_model().objects.get(username="planner")
    assert planner.is_staff and planner.has_perm("kanban.add_kanbanloop")
    assert planner.has_perm("production.change_product")
    assert not planner.has_perm("production.change_stockmove")
    assert get_user_model().objects.get(username="admin").is_superuser
    assert not get_user_model().objects.get(username="operator").is_staff

    before = row_counts()
    with django_assert_max_num_queries(3):
        again = seed()
    assert "nothing changed" in again
    assert "operator / operator-demo" in again
    assert row_counts() == before


@pytest.mark.django_db
def test_a_real_plant_is_left_alone(plant) -> None:  # type: ignore[no-untyped-def]
    before = row_counts()
    output = seed()
    assert "leaves it alone" in output
    assert "admin-demo" not in output
    assert row_counts() == before


@pytest.mark.django_db
def test_a_year_of_daily_history_per_finished_product() -> None:
    seed()
    history = DemandEvent.objects.filter(source=HISTORY_SOURCE)
    per_product = history.values("product__sku").annotate(
        days=Count("id"), first=Min("occurred_at"), last=Max("occurred_at")
    )
    assert {row["product__sku"] for row in per_product} == {f.sku for f in FINISHED}
    for row in per_product:
        assert row["days"] >= 250  # about six days a week for a year
        assert row["last"] - row["first"] >= timedelta(days=HISTORY_DAYS - 3)
    # History is already served: it is never pushed through the engine again.
    assert not history.exclude(status="fulfilled").exists()
    assert not history.filter(processed_at__isnull=True).exists()
    assert not history.filter(stock_moves__isnull=False).exists()
    assert not history.filter(backordered_quantity__gt=0).exists()

    # Seeded: the stored history is exactly the generator's series for that product.
    item = next(f for f in FINISHED if f.sku == "V-BV-025")
    stored = history.filter(product__sku=item.sku).order_by("occurred_at")
    first_day = stored[0].occurred_at.date()
    expected = [
        (f"hist-{item.sku}-{day.isoformat()}", q)
        for day, q in history_for(item, first_day=first_day)
    ]
    assert [(e.external_id, int(e.quantity)) for e in stored] == expected


def test_the_embedded_profile_seeds_sqlite_twice(tmp_path: Path) -> None:
    """`make run` on SQLite with tasks in process: builds the plant, then changes nothing."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput", "-v", "0")
    first = manage("seed_demo")
    assert "Demo plant built: 5 lines, 22 products" in first
    second = manage("seed_demo")
    assert "nothing changed" in second and "admin / admin-demo" in second
