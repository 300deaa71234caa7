"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import logging
import os
import time
import warnings

from celery import Celery, signals
from celery.exceptions import CPendingDeprecationWarning

from production.apps import CONCERNS

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# JSON log lines in workers and beat, and the request id from the message that queued a
# task (its signal handlers connect on import).
import production.ops.logs  # noqa: F401

app = Celery("pullboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each installed app's `tasks` module
# ... and each concern's inside `production` (production/planning/tasks.py, ...).
app.autodiscover_tasks([f"production.{concern}" for concern in CONCERNS])
app.autodiscover_tasks(["production.supply.portal"])  # the supplier's call-off e-mails


class BrokerOutageLogFilter(logging.Filter):
    """A broker restart is expected: say so in one WARNING line, not an ERROR per retry.

    Celery's consumer warns once when the connection is lost, then logs an ERROR for
    every attempt to reconnect. Those are kept to one WARNING (the first), and one more
    every `REPEAT_SECONDS` while the broker stays away, so a long outage is still seen.
    """

    REPEAT_SECONDS = 60.0

    def __init__(self) -> None:
        super().__init__()
        self.reported_at: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        now = time.monotonic()
        if message.startswith("consumer: Connection to broker lost"):
            self.reported_at = now
            record.msg, record.args = message.splitlines()[0], ()
            return True
        if message.startswith("consumer: Cannot connect"):
            if self.reported_at is not None and now - self.reported_at < self.REPEAT_SECONDS:
                return False
            self.reported_at = now
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = " ".join(message.split()), ()
            return True
        if message.startswith("Connected to"):
            self.reported_at = None
        return True


logging.getLogger("celery.worker.consumer.consumer").addFilter(BrokerOutageLogFilter())


# Tasks running when the broker leaves carry on (worker_cancel_long_running_tasks_on_
# connection_loss is False, set on purpose in the settings): every task is idempotent and
# an unacknowledged message comes back after the visibility timeout. Celery warns about
# that choice, in many lines, on every connection loss.
# Celery's logging set-up puts its own "always" filter first, so this one follows it.
@signals.worker_ready.connect
def _quiet_the_cancel_on_loss_notice(**kwargs: object) -> None:
    warnings.filterwarnings(
        "ignore", message=r"\s*In Celery 5\.1 we introduced", category=CPendingDeprecationWarning
    )
