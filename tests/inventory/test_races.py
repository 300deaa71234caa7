"""Card counts raced for real on PostgreSQL: different rows that share one rule.

- Two planners start a count of the same line at once: two count rows, one rule (one
  open count per line): one count, the other planner is told to join it.
- A scan arrives while the count closes: the scan's row and the close share the rule
  "a closed count takes no more cards": the scan waits, then is refused.
- A missing card reprinted and retired at once: one action per missing card.

Each race widens its window on purpose (a pause where the rule was read), so that
without the guard both transactions would pass every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings

from kanban.codes import card_code
from kanban.inventory import services
from kanban.inventory.models import CardCount, CountedCard, CountStatus, Outcome
from kanban.inventory.services import (
    card_count_close,
    card_count_reprint,
    card_count_retire,
    card_count_scan,
    card_count_start,
)
from kanban.models import CardEvent, CardStatus
from production.errors import NotAllowed
from tests.test_races import run_in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USES_POSTGRES, reason="row locks need PostgreSQL"),
]
PAUSE = 0.5


def slowed(function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        time.sleep(PAUSE)
        return result

    return wrapper


def test_two_planners_starting_a_count_of_one_line_get_one_count(plant, planner, monkeypatch):  # type: ignore[no-untyped-def]
    # Both read "no count open" before either inserts: only the constraint can tell.
    monkeypatch.setattr(services, "_open_count_of", _first_read_slowed(services._open_count_of))
    errors = run_in_threads(
        [lambda: card_count_start(line=plant.assembly, actor_id=planner.pk) for _ in range(2)]
    )
    assert CardCount.objects.filter(line=plant.assembly, status=CountStatus.OPEN).count() == 1
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed)
    assert errors[0].code == "count_in_progress"


def _first_read_slowed(function: Callable[..., Any]) -> Callable[..., Any]:
    """The check before the insert is slowed; the read after a refused insert is not."""
    import threading

    seen: set[int] = set()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        if threading.get_ident() not in seen:
            seen.add(threading.get_ident())
            time.sleep(PAUSE)
        return result

    return wrapper


def test_a_scan_that_comes_while_the_count_closes_waits_and_is_refused(plant, planner, monkeypatch):  # type: ignore[no-untyped-def]
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    elsewhere = plant.component_loop.cards.get(number=1)  # not of assembly: no missing row
    # The close pauses after it has classified every card, before it commits.
    monkeypatch.setattr(services, "_tally", slowed(services._tally))

    def close() -> None:
        card_count_close(count_id=count.pk, actor_id=planner.pk)

    def scan() -> None:
        time.sleep(PAUSE / 3)  # the close holds the count by now
        card_count_scan(count_id=count.pk, code=card_code(elsewhere.pk), actor_id=None)

    errors = run_in_threads([close, scan])
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed)
    assert errors[0].code == "count_closed"
    closed = CardCount.objects.get(pk=count.pk)
    assert closed.status == CountStatus.CLOSED
    # Nothing was counted after the close: no card left "seen", the tally is the rows.
    assert not CountedCard.objects.filter(count=count, outcome=Outcome.SEEN).exists()
    assert CountedCard.objects.filter(count=count).count() == closed.missing_count == 3


def test_a_missing_card_reprinted_and_retired_at_once_gets_one_action(plant, planner, monkeypatch):  # type: ignore[no-untyped-def]
    count = card_count_start(line=plant.assembly, actor_id=planner.pk)
    card_count_close(count_id=count.pk, actor_id=planner.pk)
    card = plant.finished_loop.cards.get(number=1)
    monkeypatch.setattr(services, "_missing_row", slowed(services._missing_row))

    def reprint() -> None:
        card_count_reprint(count_id=count.pk, card_id=card.pk, actor_id=planner.pk)

    def retire() -> None:
        card_count_retire(count_id=count.pk, card_id=card.pk, actor_id=planner.pk)

    errors = run_in_threads([reprint, retire])
    assert len(errors) == 1 and isinstance(errors[0], NotAllowed), errors
    row = CountedCard.objects.get(count=count, card=card)
    card.refresh_from_db()
    reprinted = CardEvent.objects.filter(card=card, reason__startswith="label reprinted").count()
    if row.action == "reprinted":
        assert card.status == CardStatus.FULL and reprinted == 1
    else:
        assert row.action == "retired" and card.status == CardStatus.RETIRED and reprinted == 0
