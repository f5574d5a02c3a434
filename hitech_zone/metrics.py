"""The operations figures for the metrics page and its Prometheus twin: queue lengths,
task durations over the last 24 hours, task failures, retries and redeliveries counted
since the counters began (outside the database, `celery_signals.task_event_counts`),
briefing render times, briefings stalled past their expected time or stuck past their
lease, heartbeat ages, beat's lock (one running, a second refused), group robots failing
and their messages waiting."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hitech_zone import health, selectors

WINDOW = timedelta(hours=24)
BRIEFINGS_SHOWN = 20


@dataclass(frozen=True)
class HeartbeatAge:
    name: str
    last_seen: datetime
    age_seconds: float


@dataclass(frozen=True)
class StuckBriefing:
    briefing: object
    # Since it was queued, or since its render started.
    waiting_seconds: float


BRIEFING_KINDS = ("monthly", "weekly")


@dataclass(frozen=True)
class Snapshot:
    now: datetime
    since: datetime
    queues: list[health.QueueLength]
    tasks: list[selectors.TaskStats]
    briefings: list
    heartbeats: list[HeartbeatAge]
    stuck: list[StuckBriefing]
    # Every active group robot, failing ones first (inspections.robots).
    robots: list = ()
    # Renders past BRIEFING_RENDER_STALLED_SECONDS, within their lease.
    stalled: list[StuckBriefing] = ()
    # {task name: {"failure": n, "retry": n, "redelivered": n}}; None: the store is down.
    task_events: dict | None = None
    # hitech_zone.celery.beat_lock_state()
    beat: dict | None = None


def _robot_channels() -> list:
    from django.db.models import Count, Q

    from inspections.robots.models import RobotChannel, RobotDelivery

    waiting = (RobotDelivery.State.PENDING, RobotDelivery.State.SENDING)
    channels = RobotChannel.objects.filter(active=True).annotate(
        waiting_count=Count("deliveries", filter=Q(deliveries__state__in=waiting))
    )
    return sorted(channels, key=lambda channel: (not channel.failing, channel.name, channel.pk))


def _stuck_since(briefing) -> datetime:
    return briefing.started_at if briefing.status == "rendering" else briefing.queued_at


def _late_briefings(now: datetime) -> tuple[list[StuckBriefing], list[StuckBriefing]]:
    """(stuck past their lease, stalled past their expected time), the longest waiting
    first, in one query."""
    from reports.models import Briefing

    late = (
        (Briefing.objects.stuck(now=now) | Briefing.objects.stalled(now=now))
        .order_by("queued_at", "id")
        .only("kind", "period", "version", "is_preview", "status", "queued_at", "started_at")
    )
    stuck, stalled = [], []
    for briefing in late:
        waiting = StuckBriefing(briefing, (now - _stuck_since(briefing)).total_seconds())
        (stalled if _is_stalled(briefing, now) else stuck).append(waiting)
    return stuck, stalled


def _is_stalled(briefing, now: datetime) -> bool:
    lease = timedelta(seconds=settings.BRIEFING_RENDER_LEASE_SECONDS)
    return briefing.status == "rendering" and briefing.started_at >= now - lease


def snapshot(*, now: datetime | None = None) -> Snapshot:
    from hitech_zone.celery import beat_lock_state
    from hitech_zone.celery_signals import task_event_counts

    now = now or timezone.now()
    stuck, stalled = _late_briefings(now)
    return Snapshot(
        now=now,
        since=now - WINDOW,
        queues=health.queue_lengths(),
        tasks=selectors.task_run_stats(since=now - WINDOW),
        briefings=selectors.briefing_render_recent(limit=BRIEFINGS_SHOWN),
        heartbeats=[
            HeartbeatAge(beat.name, beat.last_seen, (now - beat.last_seen).total_seconds())
            for beat in selectors.heartbeat_list()
        ],
        stuck=stuck,
        robots=_robot_channels(),
        stalled=stalled,
        task_events=task_event_counts(),
        beat=_moments(beat_lock_state()),
    )


def _moments(beat: dict) -> dict:
    """The lock's ISO times as datetimes, for the page's date filter and Prometheus."""
    for part, key in (("holder", "since"), ("refused", "at")):
        if beat.get(part) and beat[part].get(key):
            beat[part][key] = datetime.fromisoformat(beat[part][key])
    return beat


def _label(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(data: Snapshot) -> str:
    """The snapshot in the Prometheus text exposition format (version 0.0.4)."""
    lines = [
        "# HELP hitech_queue_length Messages waiting in a Celery queue.",
        "# TYPE hitech_queue_length gauge",
    ]
    lines += [
        f'hitech_queue_length{{queue="{_label(queue.name)}"}} {queue.length}'
        for queue in data.queues
        if queue.length is not None
    ]
    lines += [
        "# HELP hitech_task_duration_seconds Task run durations over the last 24 hours.",
        "# TYPE hitech_task_duration_seconds summary",
    ]
    for task in data.tasks:
        name = _label(task.task_name)
        lines += [
            f'hitech_task_duration_seconds{{task="{name}",quantile="0.5"}} {task.median_ms / 1000:g}',
            f'hitech_task_duration_seconds{{task="{name}",quantile="0.95"}} {task.p95_ms / 1000:g}',
            f'hitech_task_duration_seconds{{task="{name}",quantile="1"}} {task.max_ms / 1000:g}',
            f'hitech_task_duration_seconds_sum{{task="{name}"}} {task.total_ms / 1000:g}',
            f'hitech_task_duration_seconds_count{{task="{name}"}} {task.count}',
        ]
    lines += [
        "# HELP hitech_task_failures Task runs that failed over the last 24 hours.",
        "# TYPE hitech_task_failures gauge",
    ]
    lines += [
        f'hitech_task_failures{{task="{_label(task.task_name)}"}} {task.failures}'
        for task in data.tasks
    ]
    lines += [
        "# HELP hitech_briefing_render_seconds Render time of the last briefing of each type.",
        "# TYPE hitech_briefing_render_seconds gauge",
    ]
    latest = {}
    for briefing in data.briefings:
        latest.setdefault(briefing.kind, briefing)
    lines += [
        f'hitech_briefing_render_seconds{{kind="{_label(kind)}"}} {float(b.render_seconds):g}'
        for kind, b in sorted(latest.items())
    ]
    lines += [
        "# HELP hitech_briefings_stuck Briefings queued or rendering past their lease.",
        "# TYPE hitech_briefings_stuck gauge",
    ]
    # Every type, 0 included, so an alert rule sees the series before anything sticks.
    lines += [
        f'hitech_briefings_stuck{{kind="{kind}"}} '
        f"{sum(1 for item in data.stuck if item.briefing.kind == kind)}"
        for kind in BRIEFING_KINDS
    ]
    lines += [
        "# HELP hitech_briefings_stalled Briefings rendering past their expected time, "
        "within their lease.",
        "# TYPE hitech_briefings_stalled gauge",
    ]
    lines += [
        f'hitech_briefings_stalled{{kind="{kind}"}} '
        f"{sum(1 for item in data.stalled if item.briefing.kind == kind)}"
        for kind in BRIEFING_KINDS
    ]
    for event, name, help_text in (
        (
            "failure",
            "hitech_task_failures_total",
            "Task runs that failed, since the counters began.",
        ),
        ("retry", "hitech_task_retries_total", "Task runs that asked to be retried."),
        ("redelivered", "hitech_task_redeliveries_total", "Task messages delivered again."),
    ):
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        lines += [
            f'{name}{{task="{_label(task)}"}} {counts[event]}'
            for task, counts in (data.task_events or {}).items()
        ]
    beat = data.beat or {}
    lines += [
        "# HELP hitech_beat_running Beats holding the beat lock (1; 0 when none runs).",
        "# TYPE hitech_beat_running gauge",
    ]
    if beat.get("running") is not None:
        lines.append(f"hitech_beat_running {beat['running']}")
    refused = beat.get("refused")
    lines += [
        "# HELP hitech_beat_refused_timestamp_seconds When a second beat was last refused.",
        "# TYPE hitech_beat_refused_timestamp_seconds gauge",
    ]
    if refused:
        lines.append(f"hitech_beat_refused_timestamp_seconds {refused['at'].timestamp():.0f}")
    lines += [
        "# HELP hitech_heartbeat_age_seconds Seconds since a background process's heartbeat.",
        "# TYPE hitech_heartbeat_age_seconds gauge",
    ]
    lines += [
        f'hitech_heartbeat_age_seconds{{name="{_label(beat.name)}"}} {beat.age_seconds:.1f}'
        for beat in data.heartbeats
    ]
    lines += [
        "# HELP hitech_robot_failing A group robot refused by its vendor (1) until an admin "
        "fixes it.",
        "# TYPE hitech_robot_failing gauge",
    ]
    lines += [
        f'hitech_robot_failing{{robot="{_label(robot.name)}",vendor="{robot.vendor}"}} '
        f"{int(robot.failing)}"
        for robot in data.robots
    ]
    lines += [
        "# HELP hitech_robot_messages_waiting Group-robot messages not sent yet.",
        "# TYPE hitech_robot_messages_waiting gauge",
    ]
    lines += [
        f'hitech_robot_messages_waiting{{robot="{_label(robot.name)}",vendor="{robot.vendor}"}} '
        f"{robot.waiting_count}"
        for robot in data.robots
    ]
    return "\n".join(lines) + "\n"
