"""Escalation of red alerts, each step taken once and recorded (`AlertEscalation`):

1. RESPONSIBLE: a red alert is new, so the project's responsible person (责任人) is told;
2. LEADER: still open ALERT_ESCALATE_LEADER_WORKDAYS working days after it was first seen,
   so the project's leader in charge is told;
3. BRIEFING: still open ALERT_ESCALATE_BRIEFING_WORKDAYS working days after, so it goes
   into the weekly briefing's escalated section (no notice; the briefing lists alerts with
   this step).

Working days follow the Chinese calendar with its adjusted weekends (`inspections.workdays`):
a red alert first seen on day D reaches step 2 on the first day with that many working
days after D. Steps that fell due while the job did not run are all taken on its next run.

A step is recorded even when nobody can be told: a project without a leader in charge, or
whose person is inactive, gets its LEADER step with no recipient (or no notice), so the job
does not try again every night; the step shows on the alert either way.

Notices are `inspections.models.Notification` rows about the project (no issue), one per
recipient, kind and alert (event "alert-<id>"), e-mailed by the e-mail job that the slip
detection asks for (`reports.detection`).

The steps are worked out alert by alert in Python: an alert on which that raises skips its
project for the night (`reports.isolation`), and the other projects' alerts still escalate.
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from hitech_zone import bulk
from inspections import notifications, workdays
from inspections.models import Notification
from reports.alerts import kind_message, lock_slip_detection
from reports.isolation import SkippedProjects
from reports.models import Alert, AlertEscalation

Step = AlertEscalation.Step


@dataclass(frozen=True)
class _OpenAlert:
    """What the steps and notices read of an open red alert: plain values, as the job
    reads tens of thousands at province scale (make bench)."""

    pk: int
    kind: str
    detail: dict | None
    first_seen_at: datetime
    project_id: int
    project_name: str
    responsible_id: int | None
    responsible_active: bool | None
    leader_id: int | None
    leader_active: bool | None


def _notice_text(alert: _OpenAlert, step: str, open_for: int) -> str:
    """In the active language; the job writes every notice in the site's language: a
    notice is a record of what was sent."""
    if step == Step.RESPONSIBLE:
        intro = gettext("Red alert on %(project)s") % {"project": alert.project_name}
    else:
        intro = gettext("Red alert on %(project)s still open after %(days)d working days") % {
            "project": alert.project_name,
            "days": open_for,
        }
    return f"{intro}: {kind_message(alert.kind, alert.detail)}"


def _first_seen_before(calendar: workdays.WorkdayCalendar, as_of: date, workdays_open: int):
    """The moment before which an alert must have been first seen to be open at least
    `workdays_open` working days on `as_of` (its day counted from its local date)."""
    day = calendar.latest_day_before(as_of, workdays_open)
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _with_step_due(
    alerts: QuerySet[Alert], *, as_of: date, calendar: workdays.WorkdayCalendar
) -> QuerySet[Alert]:
    """The alerts with a step due and not yet taken: after the first night, most open
    alerts have none, and the job need not read them (make bench, province)."""
    steps = AlertEscalation.objects.filter(alert=OuterRef("pk"))
    leader_from = _first_seen_before(calendar, as_of, settings.ALERT_ESCALATE_LEADER_WORKDAYS)
    briefing_from = _first_seen_before(calendar, as_of, settings.ALERT_ESCALATE_BRIEFING_WORKDAYS)
    return alerts.filter(
        ~Exists(steps.filter(step=Step.RESPONSIBLE))
        | (Q(first_seen_at__lt=leader_from) & ~Exists(steps.filter(step=Step.LEADER)))
        | (Q(first_seen_at__lt=briefing_from) & ~Exists(steps.filter(step=Step.BRIEFING)))
    )


def _steps_due(
    alert: _OpenAlert, open_for: int, *, taken: set[tuple[int, str]], now: datetime
) -> tuple[list[bulk.Row], list[notifications.ProjectNotice]]:
    """The escalation rows to write for `alert`, open `open_for` working days, and the
    notices they send."""
    steps = [
        (
            Step.RESPONSIBLE,
            alert.responsible_id,
            alert.responsible_active,
            Notification.Kind.ALERT_RED,
        )
    ]
    if open_for >= settings.ALERT_ESCALATE_LEADER_WORKDAYS:
        steps.append(
            (Step.LEADER, alert.leader_id, alert.leader_active, Notification.Kind.ALERT_ESCALATED)
        )
    if open_for >= settings.ALERT_ESCALATE_BRIEFING_WORKDAYS:
        steps.append((Step.BRIEFING, None, None, None))
    escalations: list[bulk.Row] = []
    notices: list[notifications.ProjectNotice] = []
    for step, recipient_id, recipient_active, kind in steps:
        if (alert.pk, step) in taken:
            continue
        escalations.append(
            {"alert_id": alert.pk, "step": step, "recipient_id": recipient_id, "escalated_at": now}
        )
        if kind and recipient_id is not None and recipient_active:
            notices.append(
                notifications.ProjectNotice(
                    recipient_id=recipient_id,
                    project_id=alert.project_id,
                    kind=kind,
                    event_key=f"alert-{alert.pk}",
                    message=_notice_text(alert, step, open_for),
                )
            )
    return escalations, notices


def alerts_escalate(*, now: datetime, skipped: SkippedProjects | None = None) -> dict[str, int]:
    """Take the escalation steps due as of `now` for every open red alert; each step once
    however often it runs. The alerts of the projects in `skipped` (or on which working out
    the steps raises: added to it) wait for a later run. Returns how many steps of each
    kind were taken and how many notices written. A fixed number of queries."""
    as_of = timezone.localdate(now)
    skipped = SkippedProjects() if skipped is None else skipped
    counts = {step.value: 0 for step in Step} | {"notifications": 0}
    with transaction.atomic():
        lock_slip_detection()
        # Loads this year and the last (one query); an older alert loads its year.
        calendar = workdays.WorkdayCalendar.for_range(as_of - timedelta(days=60), as_of)
        due = _with_step_due(
            Alert.objects.filter(resolved_at__isnull=True, severity=Alert.Severity.RED),
            as_of=as_of,
            calendar=calendar,
        )
        alerts = [
            _OpenAlert(*row)
            for row in due.order_by("pk").values_list(
                "pk",
                "kind",
                "detail",
                "first_seen_at",
                "project_id",
                "project__name",
                "project__responsible_person_id",
                "project__responsible_person__is_active",
                "project__leader_in_charge_id",
                "project__leader_in_charge__is_active",
            )
        ]
        if not alerts:
            return counts
        taken = set(
            AlertEscalation.objects.filter(alert__in=due.values("pk")).values_list(
                "alert_id", "step"
            )
        )
        # Alerts opened by one run share a moment: each moment's local day once.
        local_day = functools.cache(timezone.localdate)
        first_days = {alert.pk: local_day(alert.first_seen_at) for alert in alerts}
        calendar.load(min(first_days.values()), as_of)
        due_by_alert = []
        # One switch of language for all the notices, not one per alert (make bench).
        with translation.override(settings.LANGUAGE_CODE):
            for alert in alerts:
                if alert.project_id in skipped:
                    continue
                with skipped.guard(alert.project_id, "escalation"):
                    open_for = calendar.workdays_between(first_days[alert.pk], as_of)
                    steps = _steps_due(alert, open_for, taken=taken, now=now)
                    due_by_alert.append((alert.project_id, *steps))
        escalations: list[bulk.Row] = []
        notices: list[notifications.ProjectNotice] = []
        # After all the alerts: a project may be skipped after some of its alerts.
        for project_id, alert_escalations, alert_notices in due_by_alert:
            if project_id in skipped:
                continue
            escalations.extend(alert_escalations)
            notices.extend(alert_notices)
            for row in alert_escalations:
                counts[row["step"].value] += 1
        # (alert, step) is unique: a step another run took meanwhile is skipped, never twice.
        bulk.insert_rows(AlertEscalation, escalations)
        counts["notifications"] = notifications.notify_projects(notices)
    return counts
