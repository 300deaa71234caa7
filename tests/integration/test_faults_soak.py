"""A short soak under faults (issue 13): an ERP retrying with idempotency keys while a
worker and the web process are killed with `kill -9`, and Redis and PostgreSQL restart.

At the end every event the ERP sent is stored once and processed once, stock levels
equal the ledger, each emptied container raised one pull signal, no idempotency key is
stuck, intake answered again within seconds of each fault, and every webhook delivery
(the ERP subscribes a receiver) reached it exactly once by delivery id. The processes, the
private PostgreSQL and Redis, and the ERP are in `tests/integration/soak.py`;
`bench/bench_soak.py` runs the same scenario longer.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.receiver import Receiver, running_receiver
from tests.integration.soak import Soak, SoakUnavailable
from tests.integration.soak_webhooks import webhook_outcome

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

# Intake back, processing resumed, a key in use: each within this after a fault.
# Generous, so a loaded 2-core machine does not make it flaky; the figures are printed.
BOUND_S = 30
FAULTS = ["worker", "web", "redis", "postgres"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The ERP's webhook receiver (in this process, answering 200 at once)."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def soak(tmp_path: Path, receiver: Receiver) -> Iterator[Soak]:
    try:
        run = Soak(tmp_path)
    except SoakUnavailable as exc:
        pytest.skip(str(exc))
    try:
        run.start(workers=2, webhook_url=receiver.url)
        receiver.secret = str(run.plant["webhook_secret"])
        yield run
    finally:
        run.close()


def test_every_event_exactly_once_through_kills_and_restarts(
    soak: Soak, receiver: Receiver
) -> None:
    soak.run(FAULTS, gap=8)
    left = soak.settle()
    webhook_problems, webhook_figures = webhook_outcome(soak, receiver)
    figures = {**soak.figures(), **webhook_figures}
    print("soak figures:", figures)

    assert soak.erp is not None and soak.erp.exchanges
    assert left == 0, f"{left} events unprocessed after the reconciler ran"
    assert soak.problems(bound=BOUND_S) == []
    assert webhook_problems == []
