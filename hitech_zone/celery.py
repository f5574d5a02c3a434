"""The Celery app. Every scheduled job is listed here, and only here.

Also: beat's lock (one beat at a time, `beat_lock_state` for /metrics/) and the broker
reconnection policy logged when a worker or beat starts."""

import atexit
import fcntl
import inspect
import json
import logging
import os
import socket
import sys
import threading
import time

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_init, worker_ready
from kombu import Connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitech_zone.settings")

app = Celery("hitech_zone")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The monthly round's jobs and the group robots' live in packages of the inspections app.
app.autodiscover_tasks(["inspections.rounds", "inspections.robots"])


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = {
        # Every minute (BEAT_HEARTBEAT_SECONDS): proves beat and a worker are alive.
        "beat-heartbeat": {
            "task": "hitech_zone.tasks.heartbeat_record",
            "schedule": settings.BEAT_HEARTBEAT_SECONDS,
            "kwargs": {"name": "beat"},
        },
        # Every minute (OUTBOX_FLUSH_SECONDS): send the tasks that wait in the outbox because
        # the broker was down when they were asked for. Beat needs the broker to send this
        # too, so it is the first tick after the broker is back that drains the outbox.
        "outbox-flush": {
            "task": "hitech_zone.tasks.outbox_flush",
            "schedule": settings.OUTBOX_FLUSH_SECONDS,
        },
        # Every night at 03:15 Asia/Shanghai: forget task runs older than TASK_RUN_KEEP_DAYS.
        "task-runs-prune": {
            "task": "hitech_zone.tasks.task_runs_prune",
            "schedule": crontab(hour=3, minute=15),
        },
        # Every day at 08:00 Asia/Shanghai: deadlines two working days away, and overdue issues.
        "issue-deadlines": {
            "task": "inspections.tasks.issue_deadlines_notify",
            "schedule": crontab(hour=8, minute=0),
        },
        # Every day at 06:00 Asia/Shanghai: open last month's reporting round (月报) on the
        # 1st; on the other days the same idempotent job makes up a 1st that beat missed
        # and adds projects planned since.
        "round-open": {
            "task": "inspections.rounds.tasks.open_round",
            "schedule": crontab(hour=6, minute=0),
        },
        # Every day at 08:10 Asia/Shanghai: the round's reminders whose day has come (due
        # soon, late, escalated to the leader in charge).
        "round-reminders": {
            "task": "inspections.rounds.tasks.report_reminders_send",
            "schedule": crontab(hour=8, minute=10),
        },
        # Every ten minutes: notices whose e-mail job gave up (a mail server down for
        # longer than its retries) are sent once the server is back.
        "notification-emails": {
            "task": "inspections.tasks.notification_emails_send",
            "schedule": 600,
        },
        # Every minute (ROBOT_SWEEP_SECONDS): group-robot messages whose retry time has
        # come, or whose sender died mid-send (inspections.robots).
        "robot-deliveries": {
            "task": "inspections.robots.tasks.robot_deliveries_sweep",
            "schedule": settings.ROBOT_SWEEP_SECONDS,
        },
        # Every night at 03:40 Asia/Shanghai: photos kept for visit forms left unsubmitted
        # longer than HELD_PHOTOS_KEPT_SECONDS.
        "held-photos-purge": {
            "task": "inspections.tasks.held_photos_purge",
            "schedule": crontab(hour=3, minute=40),
        },
        # Every night at 01:00 Asia/Shanghai: projections, alerts and escalation.
        "slip-detect": {
            "task": "reports.tasks.slip_detect",
            "schedule": crontab(hour=1, minute=0),
        },
        # Mondays at 07:00: the weekly briefing (周调度) for the week that just ended.
        "briefing-weekly": {
            "task": "reports.tasks.briefing_scheduled",
            "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
            "kwargs": {"kind": "weekly"},
        },
        # Every day at 07:00: the monthly briefing (月通报) of a month, on the day it is
        # due (BRIEFING_MONTHLY_WORKDAYS_AFTER_DEADLINE working days after the month's
        # figures were due); on the other days the run finds it made and does nothing.
        "briefing-monthly": {
            "task": "reports.tasks.briefing_scheduled",
            "schedule": crontab(hour=7, minute=0),
            "kwargs": {"kind": "monthly"},
        },
        # Every hour at :30 (and when beat starts): briefings that were due while beat or
        # the workers were down, and jobs that were lost.
        "briefings-catch-up": {
            "task": "reports.tasks.briefings_catch_up",
            "schedule": crontab(minute=30),
        },
    }


# ------------------------------------------------------------ one beat at a time

logger = logging.getLogger("hitech_zone.beat")
# Per default queue: beats that would double each other's work send to the same queue
# (and parallel test runs, each on queues of its own, do not see each other's beat).
BEAT_LOCK_KEY = "hitech_zone:beat:lock:{queue}"
BEAT_REFUSED_KEY = "hitech_zone:beat:refused:{queue}"
BEAT_LOCK_FILE = "beat.lock"
BEAT_REFUSED_FILE = "beat-refused.json"
# A beat starting while the metrics page peeks at the file lock tries a few times first.
LOCK_TRIES = 5
# Renew the Redis lock only if it is still ours (a Redis restart may have let another take it).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('expire', KEYS[1], ARGV[2])
end
return -1
"""
_DELETE_IF = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""
# The file lock is held by this open file for the life of the process.
_lock_file = None


def _now_text() -> str:
    from django.utils import timezone

    return timezone.now().isoformat(timespec="seconds")


def _holder() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "since": _now_text()}


def _redis():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def _keys() -> tuple[str, str]:
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return BEAT_LOCK_KEY.format(queue=queue), BEAT_REFUSED_KEY.format(queue=queue)


def _is_dead_here(holder: dict) -> bool:
    """The holder was a process of this host that is gone (or this very pid: a container
    restarted, its beat pid 1 again)."""
    if holder.get("host") != socket.gethostname() or not holder.get("pid"):
        return False
    if holder["pid"] == os.getpid():
        return True
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _beat_lock_take() -> dict | None:
    """Take beat's lock: None when taken, else who holds it."""
    global _lock_file
    from django.conf import settings

    me = _holder()
    if settings.REDIS_URL:
        client = _redis()
        key = _keys()[0]
        value = json.dumps(me)
        for _try in range(2):
            if client.set(key, value, nx=True, ex=settings.BEAT_LOCK_SECONDS):
                _renew_in_background(client, key, value, settings.BEAT_LOCK_SECONDS)
                # Stopped in good order, beat lets go at once rather than at the expiry.
                atexit.register(_release, client, key, value)
                return None
            held = client.get(key)
            holder = json.loads(held) if held else {}
            if not (held and _is_dead_here(holder)):
                return holder
            # A beat of this host killed before its lock expired (SIGKILL, then the
            # supervisor's restart): take the lock over, if nobody changed it meanwhile.
            client.eval(_DELETE_IF, 1, key, held)
        return holder
    path = settings.VAR_DIR / BEAT_LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    file = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the process's life)
    for _try in range(LOCK_TRIES):
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            time.sleep(0.2)
            continue
        file.seek(0)
        file.truncate()
        file.write(json.dumps(me))
        file.flush()
        _lock_file = file
        return None
    file.seek(0)
    held = file.read()
    file.close()
    return json.loads(held) if held else {}


def _release(client, key: str, value: str) -> None:
    try:
        client.eval(_DELETE_IF, 1, key, value)
    except Exception:  # Redis down: the lock expires by itself
        logger.warning("could not release beat's lock", exc_info=True)


def _renew_in_background(client, key: str, value: str, seconds: int) -> None:
    def renew() -> None:
        while True:
            time.sleep(seconds / 3)
            try:
                # Lost (Redis restarted empty, then another beat came): take it back if
                # free; if another holds it, that one runs and this one must not.
                lost = client.eval(_RENEW, 1, key, value, seconds) == -1
                if lost and not client.set(key, value, nx=True, ex=seconds):
                    logger.error(
                        "beat lock taken by another beat; this beat stops",
                        extra={"holder": (client.get(key) or b"").decode()},
                    )
                    logging.shutdown()
                    os._exit(3)
            except Exception:
                # Redis down: the broker is down with it and nothing is sent meanwhile.
                logger.warning("could not renew beat's lock", exc_info=True)

    threading.Thread(target=renew, name="beat-lock", daemon=True).start()


def _beat_refused_record(refused: dict) -> None:
    from django.conf import settings

    text = json.dumps(refused)
    try:
        if settings.REDIS_URL:
            _redis().set(_keys()[1], text)
        else:
            (settings.VAR_DIR / BEAT_REFUSED_FILE).write_text(text, encoding="utf-8")
    except Exception:
        logger.warning("could not record the refused beat", exc_info=True)


def beat_lock_state() -> dict:
    """For /metrics/: {"running": 0 or 1, "holder": {host, pid, since} or None, "refused":
    {host, pid, at, holder} of the last second beat refused, or None}; "running" is None
    when the lock's store cannot be read."""
    from django.conf import settings

    state = {"running": None, "holder": None, "refused": None}
    try:
        if settings.REDIS_URL:
            client = _redis()
            lock_key, refused_key = _keys()
            held, refused = client.get(lock_key), client.get(refused_key)
        else:
            path = settings.VAR_DIR / BEAT_LOCK_FILE
            refused_path = settings.VAR_DIR / BEAT_REFUSED_FILE
            refused = refused_path.read_text(encoding="utf-8") if refused_path.exists() else None
            held = None
            if path.exists():
                with open(path, encoding="utf-8") as file:
                    try:
                        # A shared lock is refused while a beat holds the exclusive one.
                        fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
                        fcntl.flock(file, fcntl.LOCK_UN)
                    except BlockingIOError:
                        held = file.read()
        state["running"] = 1 if held else 0
        state["holder"] = json.loads(held) if held else None
        state["refused"] = json.loads(refused) if refused else None
    except Exception:
        logger.warning("beat lock state unavailable", exc_info=True)
    return state


@beat_init.connect
def _one_beat_only(sender, **_kwargs) -> None:
    """A second beat (another host, a second `celery beat`) would send every scheduled job
    twice: it refuses to run, says so in one log line, and exits non-zero."""
    _log_broker_retry_policy("beat")
    try:
        holder = _beat_lock_take()
    except Exception:
        # The lock's store is down (Redis, with the broker): beat cannot send anything
        # either, and a beat that refused for that would not come back on its own.
        logger.warning("could not take beat's lock; running without it", exc_info=True)
        return
    if holder is None:
        logger.info("beat lock taken", extra={"holder": _holder()})
        return
    refused = {**_holder(), "at": _now_text(), "holder": holder}
    _beat_refused_record(refused)
    logger.error(
        "another beat is running; this one refuses to start",
        extra={"holder": holder, "refused": refused},
    )
    logging.shutdown()
    sys.exit(3)


# ------------------------------------------------------------ broker reconnection


def broker_retry_policy() -> dict:
    """How workers and beat reconnect to a broker that is down: Celery's tries
    (broker_connection_max_retries, None: for ever) and kombu's waits between them."""
    waits = inspect.signature(Connection._ensure_connection).parameters
    return {
        "max_retries": app.conf.broker_connection_max_retries,
        "retry": app.conf.broker_connection_retry,
        "retry_on_startup": app.conf.broker_connection_retry_on_startup,
        "first_wait_seconds": waits["interval_start"].default,
        "wait_step_seconds": waits["interval_step"].default,
        "longest_wait_seconds": waits["interval_max"].default,
    }


def _log_broker_retry_policy(process: str) -> None:
    policy = broker_retry_policy()
    logger.info(
        "%s reconnects to the broker %s, waiting %s s, then %s s more each try, at most %s s",
        process,
        "for ever" if policy["max_retries"] is None else f"up to {policy['max_retries']} times",
        policy["first_wait_seconds"],
        policy["wait_step_seconds"],
        policy["longest_wait_seconds"],
        extra={"broker_retry": policy},
    )


@beat_init.connect
def _catch_up_on_start(sender, **_kwargs) -> None:
    from django.conf import settings

    if settings.BRIEFING_CATCH_UP_ON_START:
        app.send_task("reports.tasks.briefings_catch_up")


@worker_init.connect
def _worker_broker_retry_logged(**_kwargs) -> None:
    _log_broker_retry_policy("worker")


@worker_ready.connect
def _outbox_flush_on_start(**_kwargs) -> None:
    """A worker starting (often: after the broker or the worker was down) sends what waits
    in the outbox, without waiting for beat's next tick."""
    from hitech_zone.tasks import outbox_flush

    try:
        outbox_flush()
    except Exception:  # the database may be down too: the next flush will do
        logging.getLogger(__name__).warning("outbox flush at worker start failed", exc_info=True)


# Logging, request ids and task timing for every task (cross-cutting signal handlers).
from hitech_zone import celery_signals  # noqa: E402, F401
