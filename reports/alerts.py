"""Alerts: the nightly record of every signal (`reports.signals`) on every project.

`alerts_refresh` compares the signals as of a moment with the open alerts: a signal with
no open alert opens one, an open alert still signalled is seen again (its facts brought up
to date), an open alert no longer signalled is resolved. The identity of an alert is
(project, kind, subject, severity), so a signal that changes severity resolves the old
alert and opens a new one, and the open alerts always give the project's light.

Runs are serialised (a PostgreSQL advisory lock; on SQLite the IMMEDIATE transactions the
settings ask for), so two runs at once cannot both open the same alert; the partial unique
constraint on open alerts, with `bulk_create(ignore_conflicts=True)`, is the backstop.
"""

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from hitech_zone import bulk
from inspections import workdays
from projects import lights, progress
from reports import signals
from reports.isolation import SkippedProjects
from reports.models import Alert

Kind = Alert.Kind

# Ids per UPDATE ... WHERE id IN (...): below both engines' limits on bound parameters.
ID_BATCH = 5000

# pg_advisory_xact_lock key of the slip-detection job ("SLIP").
LOCK_KEY = 0x534C4950


def lock_slip_detection() -> None:
    """Within a transaction: wait until no other slip-detection run is writing. The lock is
    held until the transaction ends (re-entrant within it). On SQLite the transaction
    itself is the lock: the settings begin every transaction IMMEDIATE."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


@dataclass(frozen=True)
class RefreshResult:
    opened: int
    resolved: int
    kept: int


def alerts_refresh(*, now: datetime, skipped: SkippedProjects | None = None) -> RefreshResult:
    """Bring the alerts in line with the signals as of `now` (its date in Asia/Shanghai).
    Running it again with the same `now` on the same data changes nothing. The alerts of
    the projects in `skipped` (or where a signal raises: added to it) are left as they
    were: none opened, resolved or seen. A number of queries that does not grow with the
    rows but for batches of ids (and, on SQLite, of inserted rows)."""
    as_of = timezone.localdate(now)
    skipped = SkippedProjects() if skipped is None else skipped
    with transaction.atomic():
        lock_slip_detection()
        open_alerts = Alert.objects.filter(resolved_at__isnull=True).values_list(
            "pk", "project_id", "kind", "subject_key", "severity"
        )
        found = signals.findings(as_of, skipped)
        # After all the signals: a project may be skipped after some of its findings.
        wanted = {f.key: f for f in found if f.project_id not in skipped}
        resolved = []
        kept = 0
        for pk, *identity in open_alerts.order_by("pk"):
            if identity[0] in skipped:
                continue
            if wanted.pop(tuple(identity), None) is None:
                resolved.append(pk)
            else:
                kept += 1
        for start in range(0, len(resolved), ID_BATCH):
            Alert.objects.filter(pk__in=resolved[start : start + ID_BATCH]).update(resolved_at=now)
        # Every alert still open is signalled again: seen now. The facts stay as first
        # seen: a briefing re-rendered as of an earlier moment must read what was true
        # then; today's facts are on the project page. One statement, not one per alert
        # (make bench: 60 s at province scale as a bulk update).
        seen = Alert.objects.filter(resolved_at__isnull=True, last_seen_at__lt=now)
        if skipped.project_ids:
            seen = seen.exclude(project_id__in=skipped.project_ids)
        seen.update(last_seen_at=now)
        opened = [
            {
                "project_id": finding.project_id,
                "kind": finding.kind,
                "subject_key": finding.subject_key,
                "severity": finding.severity,
                "detail": finding.detail,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for finding in wanted.values()
        ]
        # Conflicts skipped: should another run have opened the same alert meanwhile, the
        # partial unique constraint keeps one.
        bulk.insert_rows(Alert, opened)
    return RefreshResult(opened=len(opened), resolved=len(resolved), kept=kept)


def alert_message(alert: Alert) -> str:
    """What the alert says, in the active language, from the facts stored with it."""
    return kind_message(alert.kind, alert.detail)


def calendar_warning(alerts: Iterable[Alert], *, today: date) -> str | None:
    """`workdays.calendar_coverage_warning` for the working days the alerts count: an
    overdue issue's, from its deadline to the day it was first seen (its facts stay as first
    seen), and a red alert's escalation, from that day to today. At most one query."""
    spans = []
    for alert in alerts:
        first_day = timezone.localdate(alert.first_seen_at)
        if alert.kind == Kind.ISSUE_OVERDUE:
            # Facts missing, as in `kind_message`: no figure shown.
            with suppress(KeyError, TypeError, ValueError):
                spans.append((date.fromisoformat(alert.detail["deadline"]), first_day))
        if alert.severity == Alert.Severity.RED:
            spans.append((first_day, today))
    return workdays.spans_coverage_warning(spans)


def kind_message(kind: str, detail: dict | None) -> str:
    """What an alert of `kind` with these stored facts says, in the active language."""
    try:
        return _message(kind, detail or {})
    except (KeyError, TypeError, ValueError):
        # Facts missing (a row from before a change of format): the kind still says it.
        return str(Kind(kind).label) if kind in Kind.values else kind


def _message(kind: str, detail: dict) -> str:
    if kind == Kind.MILESTONE_OVERDUE:
        return gettext(
            "Milestone “%(name)s” was due on %(baseline)s and is not reached (%(days)d days)."
        ) % {"name": detail["milestone"], "baseline": detail["baseline"], "days": detail["days"]}
    if kind == Kind.FORECAST_LATE:
        return gettext(
            "Milestone “%(name)s” is forecast for %(forecast)s, %(days)d days after its baseline."
        ) % {"name": detail["milestone"], "forecast": detail["forecast"], "days": detail["days"]}
    if kind == Kind.PROJECTION_LATE:
        return gettext(
            "Milestone “%(name)s” is projected for %(projected)s, %(days)d days after its "
            "baseline, at the pace of the milestones reached so far."
        ) % {
            "name": detail["milestone"],
            "projected": detail["projected"],
            "days": detail["days"],
        }
    if kind == Kind.INVESTMENT_BEHIND and "period_month" in detail:
        period = progress.through(detail["year"], detail["period_month"])
        return gettext(
            "Investment in %(period)s is %(done)s%% of the year's plan against %(due)s%% due (序时进度)."
        ) % {"period": period.label, "done": detail["done_percent"], "due": detail["due_percent"]}
    if kind == Kind.INVESTMENT_BEHIND:
        return gettext(
            "Investment is %(done)s%% of the year's plan against %(due)s%% due by now (序时进度)."
        ) % {"done": detail["done_percent"], "due": detail["due_percent"]}
    if kind == Kind.ISSUE_OVERDUE:
        return ngettext(
            "Issue “%(title)s” is %(days)d working day overdue (deadline %(deadline)s).",
            "Issue “%(title)s” is %(days)d working days overdue (deadline %(deadline)s).",
            detail["workdays"],
        ) % {"title": detail["issue"], "days": detail["workdays"], "deadline": detail["deadline"]}
    if kind == Kind.STALE:
        return gettext("Not updated for %(days)d days: the last update was on %(date)s.") % {
            "days": detail["days"],
            "date": detail["last_update"],
        }
    if kind == Kind.SUSPENDED:
        return gettext("Work is suspended.")
    if kind == Kind.NOT_IN_STATISTICS:
        return lights.statistics_reason(date.fromisoformat(detail["started"]), detail["months"])
    raise ValueError(kind)
