"""Structured logs: the request id every line carries, and one JSON object per line.

Stdlib only, so `settings.LOGGING` can name these classes before Django is set up. The
request id lives in a context variable: the request middleware sets it for a request, the
Celery signals (`hitech_zone.celery_signals`) for a task run on behalf of one.
"""

import json
import logging
import re
from contextvars import ContextVar, Token
from datetime import UTC, datetime

# The id of the request (or of the request that enqueued this task), or None.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# An id from outside (the proxy's X-Request-ID) is taken only if it looks like one.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Attributes every LogRecord has; anything else on a record came as `extra=`.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}


def sane_request_id(value: str | None) -> str | None:
    return value if value and SANE_REQUEST_ID.fullmatch(value) else None


def request_id_get() -> str | None:
    return request_id_var.get()


def request_id_set(value: str | None) -> Token:
    return request_id_var.set(value)


def request_id_reset(token: Token) -> None:
    request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`-` outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        return True


class DatabaseOutageFilter(logging.Filter):
    """Django logs each request that fails outside a view with its traceback; while the
    database is down that is fifty lines for every request, and the outage drowns the log.
    A record whose fault is the lost database becomes one line naming it (the request id
    comes with it, as on every line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from django.db import InterfaceError, OperationalError

        fault = record.exc_info[1] if record.exc_info else None
        if isinstance(fault, (OperationalError, InterfaceError)):
            said = record.getMessage()
            record.msg, record.args = "%s (database unavailable: %r)", (said, fault)
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message,
    request_id, then the record's extra fields, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id if request_id and request_id != "-" else None,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
