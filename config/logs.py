"""Logging for every Pullboard process (web, workers, beat, commands): `LOGGING`.

JSON lines (python-json-logger) in the services profile, plain text in the embedded one.
Each line carries the request id (django-guid: X-Request-ID), and, where known, the user
or token id, the task, and the line or product concerned (production/ops/logs.py).
"""

from __future__ import annotations

from typing import Any


def logging_config(*, json_lines: bool, level: str, tasks_in_process: bool) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "django_guid.log_filters.CorrelationId",
                "correlation_id_field": "request_id",
            },
            "context": {"()": "production.ops.logs.ContextFilter"},
            "one_line": {"()": "production.ops.logs.ExpectedConditionFilter"},
            "no_traceback_below_500": {"()": "config.logfilters.NoTracebackBelow500"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "timestamp": False,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "filters": ["request_id", "context", "no_traceback_below_500"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # Logins and their clean-ups are not news; lockouts (WARNING) still are.
            "axes": {"level": "WARNING"},
            # In process (embedded profile) every task would log a line per request.
            "celery.app.trace": {"level": "WARNING" if tasks_in_process else "INFO"},
            # One line per request about its id otherwise; a malformed id is still a WARNING.
            "django_guid": {"level": "WARNING"},
            # A failed check is an expected condition: one WARNING line, no traceback.
            "health_check": {"filters": ["one_line"]},
        },
    }
