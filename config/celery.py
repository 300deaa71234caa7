"""The Celery application: `celery -A config worker` and `celery -A config beat`."""

import os

from celery import Celery

from production.apps import CONCERNS

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pullboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each installed app's `tasks` module
# ... and each concern's inside `production` (production/planning/tasks.py, ...).
app.autodiscover_tasks([f"production.{concern}" for concern in CONCERNS])
