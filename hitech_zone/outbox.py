"""The transactional outbox: work for the Celery workers that survives a broker outage.

A change that needs a task writes an `OutboxMessage` in its own transaction
(`outbox_enqueue`), so the change and the promise of its follow-up work commit together
or not at all. After the commit the message is sent to the broker at once, with short
timeouts, so a request never hangs on a broker that is down (about a second at worst);
if the broker does not answer, the message simply waits. Waiting messages are sent again:

- after every later commit that enqueues work (any request or task, in any process);
- every OUTBOX_FLUSH_SECONDS by beat's `outbox-flush` job (beat needs the broker for
  that too, so this is the path that drains the outbox once the broker is back);
- when a worker starts (`hitech_zone.celery`);
- by hand: `manage.py outbox_flush`.

A message may be sent twice (a process dies between the broker's answer and the commit
that marks it sent), never not at all: every task it names is idempotent.
"""

import logging
from datetime import timedelta

from celery import Task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hitech_zone.celery import app
from hitech_zone.celery_signals import REQUEST_ID_HEADER
from hitech_zone.logging import request_id_get
from hitech_zone.models import OutboxMessage

logger = logging.getLogger(__name__)

# Messages sent per flush; a longer backlog drains over the next flushes.
FLUSH_BATCH = 200
# How long a flush waits for the broker before leaving the messages for the next one.
BROKER_TIMEOUT_SECONDS = 1.0


def outbox_enqueue(task: Task | str, /, **kwargs) -> OutboxMessage:
    """Record `task(**kwargs)` in the current transaction; send it once that commits."""
    message = OutboxMessage.objects.create(
        task_name=task if isinstance(task, str) else task.name,
        kwargs=kwargs,
        request_id=request_id_get() or "",
    )
    transaction.on_commit(_flush_after_commit, robust=True)
    return message


def _flush_after_commit() -> None:
    try:
        outbox_flush()
    except Exception:
        # The change is committed and its message is safe in the outbox: never fail the
        # request for this. The next flush sends it.
        logger.warning("outbox flush after commit failed", exc_info=True)


def _broker_connection():
    """A connection to the broker that gives up quickly, for one flush."""
    return app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
        },
    )


def outbox_flush(*, limit: int = FLUSH_BATCH) -> int:
    """Send the waiting messages, oldest first, up to `limit`; return how many were sent.

    Rows are locked while they are sent and concurrent flushes skip them (PostgreSQL;
    SQLite runs one writing transaction at a time), so two flushes do not send the same
    message. On the first broker fault the flush stops and the rest wait for the next."""
    with transaction.atomic():
        waiting = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True)
            .order_by("pk")[:limit]
        )
        if not waiting:
            return 0
        sent: list[int] = []
        try:
            with _broker_connection() as connection:
                connection.ensure_connection(
                    max_retries=1,
                    interval_start=0,
                    interval_step=0,
                    timeout=BROKER_TIMEOUT_SECONDS,
                )
                for message in waiting:
                    app.send_task(
                        message.task_name,
                        kwargs=message.kwargs,
                        connection=connection,
                        # Nobody waits for these results: no subscription to the result
                        # store, which would block for many seconds when Redis is down.
                        ignore_result=True,
                        retry=False,
                        headers={REQUEST_ID_HEADER: message.request_id}
                        if message.request_id
                        else None,
                    )
                    sent.append(message.pk)
        except Exception as error:
            unsent = [message.pk for message in waiting if message.pk not in sent]
            OutboxMessage.objects.filter(pk__in=unsent).update(
                attempts=F("attempts") + 1, last_error=repr(error)[:500]
            )
            logger.warning(
                "broker unavailable: %s task(s) wait in the outbox: %r",
                len(unsent),
                error,
                extra={"outbox_waiting": len(unsent)},
            )
        OutboxMessage.objects.filter(pk__in=sent).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    return len(sent)


def outbox_waiting(task: Task | str, /, **kwargs) -> bool:
    """Whether a message for `task` (with these arguments) still waits for the broker."""
    name = task if isinstance(task, str) else task.name
    return OutboxMessage.objects.filter(
        task_name=name,
        sent_at__isnull=True,
        **{f"kwargs__{key}": value for key, value in kwargs.items()},
    ).exists()


def outbox_waiting_count() -> int:
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def outbox_prune(*, keep_days: int, now=None) -> int:
    """Delete messages sent more than `keep_days` days ago; how many."""
    before = (now or timezone.now()) - timedelta(days=keep_days)
    deleted, _by_model = OutboxMessage.objects.filter(sent_at__lt=before).delete()
    return deleted
