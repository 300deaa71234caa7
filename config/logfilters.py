"""Log filters of the console handler."""

from __future__ import annotations

import logging


class NoTracebackBelow500(logging.Filter):
    """An ordinary refusal (403, 404: `django.request` logs them with the exception) is
    one line, not a traceback; errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
