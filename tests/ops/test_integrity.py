"""`manage.py check_integrity`: clean on a sound plant, one finding per kind of damage, and
the backup procedure of the README proven: pg_dump -Fc, pg_restore into a fresh database,
check_integrity there (clean), then one corrupted row makes it fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.utils import timezone

from kanban.models import CardStatus, KanbanCard, PullSignal
from production.models import StockLevel, WorkOrder
from production.ops.integrity import check_integrity
from production.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.support import subprocess_database_url

ROOT = Path(__file__).resolve().parents[2]


def findings() -> dict[str, int]:
    return {result.name: result.count for result in check_integrity()}


def found(name: str) -> int:
    return findings()[name]


def test_a_sound_plant_has_no_findings(plant) -> None:  # type: ignore[no-untyped-def]
    assert set(findings().values()) == {0}, findings()
    call_command("check_integrity")  # no SystemExit: exit status 0


def test_a_level_that_differs_from_its_ledger_is_found(plant, capsys) -> None:  # type: ignore[no-untyped-def]
    StockLevel.objects.filter(product=plant.component).update(on_hand=Decimal("41"))
    assert found("stock levels equal the ledger") == 1
    with pytest.raises(SystemExit) as failed:
        call_command("check_integrity")
    assert failed.value.code == 1
    out = capsys.readouterr().out
    assert f"product {plant.component.pk} at location {plant.supermarket.pk}: level 41" in out


def test_cards_that_do_not_hold_what_is_on_hand_are_found(plant) -> None:  # type: ignore[no-untyped-def]
    KanbanCard.objects.filter(loop=plant.finished_loop, number=1).update(
        status=CardStatus.IN_USE, remaining_quantity=Decimal("2")
    )
    assert found("cards hold what is on hand") == 1
    assert found("stock levels equal the ledger") == 0


def test_an_empty_card_without_its_signal_is_found(plant) -> None:  # type: ignore[no-untyped-def]
    from kanban.services import card_move

    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=None, source="board")
    assert found("one open signal per empty card") == 0  # the move raised its signal
    PullSignal.objects.filter(card=card).delete()
    assert found("one open signal per empty card") == 1


def test_a_card_with_two_open_signals_is_found(plant) -> None:  # type: ignore[no-untyped-def]
    from kanban.services import card_move

    card = plant.finished_loop.cards.get(number=1)
    card_move(card_id=card.pk, to=CardStatus.EMPTY, actor_id=None, source="board")
    order = WorkOrder.objects.get(pk=KanbanCard.objects.get(pk=card.pk).work_order_id)
    order.pk = None
    order.save()  # a second open order, and a second open signal for the same card
    PullSignal.objects.create(card_id=card.pk, work_order=order)
    assert found("one open signal per empty card") == 1


def test_an_inconsistent_delivery_is_found(db) -> None:  # type: ignore[no-untyped-def]
    subscription = WebhookSubscription.objects.create(
        url="https://erp.example/hooks", event_types=["card.signalled"]
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="card.signalled",
        body="{}",
        status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now(),
    )
    assert found("webhook deliveries are consistent") == 0
    WebhookDelivery.objects.update(status=DeliveryStatus.SUCCEEDED, attempt_count=1)
    assert found("webhook deliveries are consistent") == 1  # no delivery time, a next attempt


# --- Backup and restore ---------------------------------------------------------------


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database of its own on the same server, dropped afterwards."""
    base = subprocess_database_url()
    name = f"pb_restore_{uuid.uuid4().hex[:8]}"
    server = base.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_integrity_on(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", "check_integrity"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_a_dump_restores_into_a_fresh_database_that_checks_clean(fresh_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are PostgreSQL's client tools (postgresql-client)")
    from django.contrib.auth.models import Group

    for role in ("operator", "planner", "integration"):  # an earlier test's flush removed them
        Group.objects.get_or_create(name=role)
    call_command("seed_demo", verbosity=0)
    dump = tmp_path / "pullboard.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(dump), subprocess_database_url()],
        check=True,
        timeout=120,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "-d", fresh_database, str(dump)], check=True, timeout=300
    )

    clean = _check_integrity_on(fresh_database)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no findings" in clean.stdout

    with psycopg.connect(fresh_database, autocommit=True) as restored:
        restored.execute(
            "UPDATE production_stocklevel SET on_hand = on_hand + 1"
            " WHERE id = (SELECT min(id) FROM production_stocklevel)"
        )
    corrupt = _check_integrity_on(fresh_database)
    assert corrupt.returncode == 1
    assert "stock levels equal the ledger: 1 finding(s)" in corrupt.stdout
