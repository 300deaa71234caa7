"""Demand intake on its portable path (the ORM), as the embedded SQLite profile runs it.

The same behaviour as `test_demand_events`, with the one-statement PostgreSQL insert
turned off, so both paths answer alike.
"""

from __future__ import annotations

import pytest

from tests.api.test_demand_events import (
    test_a_list_gives_per_item_results,
    test_one_event_is_stored_and_a_repeat_changes_nothing,
    test_stored_demand_is_processed_after_commit,
)
from tests.api.test_demand_events_autocommit import (
    test_a_key_repeated_in_a_list_for_another_product_is_refused_naming_both,
    test_a_repeat_names_the_product_it_was_stored_for,
    test_an_unknown_sku_in_a_repeated_key_is_refused_too,
    test_an_unknown_sku_stores_nothing_of_the_list,
)

__all__ = [
    "test_a_key_repeated_in_a_list_for_another_product_is_refused_naming_both",
    "test_a_list_gives_per_item_results",
    "test_a_repeat_names_the_product_it_was_stored_for",
    "test_an_unknown_sku_in_a_repeated_key_is_refused_too",
    "test_an_unknown_sku_stores_nothing_of_the_list",
    "test_one_event_is_stored_and_a_repeat_changes_nothing",
    "test_stored_demand_is_processed_after_commit",
]


@pytest.fixture(autouse=True)
def _portable_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from production.services import demand

    monkeypatch.setattr(demand, "_insert_fits", lambda: False)
