"""Reads of accounts and system records."""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from django.apps import apps
from django.db.models import F, QuerySet

from hitech_zone.models import ApiToken, AuditEntry, Heartbeat, TaskRun, User


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens, active first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


# ---------------------------------------------------------------- operations (metrics)


@dataclass(frozen=True)
class TaskStats:
    """One task's finished runs over a period; durations in milliseconds."""

    task_name: str
    count: int
    failures: int
    retries: int
    median_ms: float
    p95_ms: int
    max_ms: int
    total_ms: int


def _nearest_rank(ordered: list[int], fraction: float) -> int:
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def task_run_stats(*, since: datetime) -> list[TaskStats]:
    """Per task name, the runs started since `since`: count, failures, retries and the
    median, 95th percentile (nearest rank) and longest duration. One query; the
    percentiles are taken here, as SQLite has no percentile function."""
    rows = (
        TaskRun.objects.filter(started_at__gte=since)
        .order_by("task_name", "duration_ms")
        .values_list("task_name", "state", "duration_ms")
    )
    stats = []
    for task_name, runs in groupby(rows, key=lambda row: row[0]):
        runs = list(runs)
        durations = [duration for _name, _state, duration in runs]
        states = [state for _name, state, _duration in runs]
        stats.append(
            TaskStats(
                task_name=task_name,
                count=len(runs),
                failures=states.count(TaskRun.State.FAILURE),
                retries=states.count(TaskRun.State.RETRY),
                median_ms=statistics.median(durations),
                p95_ms=_nearest_rank(durations, 0.95),
                max_ms=durations[-1],
                total_ms=sum(durations),
            )
        )
    return stats


def briefing_render_recent(*, limit: int = 20) -> list:
    """The last `limit` briefings rendered, with their render time. Read through the app
    registry: the wiring app does not import the reports app."""
    briefing = apps.get_model("reports", "Briefing")
    return list(
        briefing.objects.filter(render_seconds__isnull=False)
        .order_by(F("finished_at").desc(nulls_last=True), "-id")
        .only("kind", "period", "version", "render_seconds", "finished_at")[:limit]
    )


def heartbeat_list() -> QuerySet[Heartbeat]:
    return Heartbeat.objects.order_by("name")


# ---------------------------------------------------------------- audit log


def audit_entry_list() -> QuerySet[AuditEntry]:
    """Every audit entry, newest first, with its user (for the full name)."""
    return AuditEntry.objects.select_related("user").order_by("-occurred_at", "-id")
