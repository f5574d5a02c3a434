"""The operations figures for the metrics page and its Prometheus twin: queue lengths,
task durations over the last 24 hours, briefing render times, briefings stuck past their
lease, heartbeat ages, group robots failing and their messages waiting."""

from dataclasses import dataclass
from datetime import datetime, timedelta

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


def snapshot(*, now: datetime | None = None) -> Snapshot:
    now = now or timezone.now()
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
        stuck=[
            StuckBriefing(briefing, (now - _stuck_since(briefing)).total_seconds())
            for briefing in selectors.briefing_stuck_list(now=now)
        ],
        robots=_robot_channels(),
    )


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
