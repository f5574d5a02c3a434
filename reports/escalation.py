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
recipient, kind and alert (event "alert-<id>"), e-mailed after the transaction commits.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from inspections import notifications, workdays
from inspections.models import Notification
from reports.alerts import alert_message, lock_slip_detection
from reports.models import Alert, AlertEscalation

Step = AlertEscalation.Step


def _notice_text(alert: Alert, step: str, open_for: int) -> str:
    # Written once, in the site's language: a notice is a record of what was sent.
    with translation.override(settings.LANGUAGE_CODE):
        if step == Step.RESPONSIBLE:
            intro = gettext("Red alert on %(project)s") % {"project": alert.project.name}
        else:
            intro = gettext("Red alert on %(project)s still open after %(days)d working days") % {
                "project": alert.project.name,
                "days": open_for,
            }
        return f"{intro}: {alert_message(alert)}"


def alerts_escalate(*, now: datetime) -> dict[str, int]:
    """Take the escalation steps due as of `now` for every open red alert; each step once
    however often it runs. Returns how many steps of each kind were taken and how many
    notices written. A fixed number of queries."""
    as_of = timezone.localdate(now)
    leader_after = settings.ALERT_ESCALATE_LEADER_WORKDAYS
    briefing_after = settings.ALERT_ESCALATE_BRIEFING_WORKDAYS
    counts = {step.value: 0 for step in Step} | {"notifications": 0}
    with transaction.atomic():
        lock_slip_detection()
        alerts = list(
            Alert.objects.filter(resolved_at__isnull=True, severity=Alert.Severity.RED)
            .select_related("project__responsible_person", "project__leader_in_charge")
            .order_by("pk")
        )
        if not alerts:
            return counts
        taken = set(
            AlertEscalation.objects.filter(
                alert__resolved_at__isnull=True, alert__severity=Alert.Severity.RED
            ).values_list("alert_id", "step")
        )
        first_days = {alert.pk: timezone.localdate(alert.first_seen_at) for alert in alerts}
        calendar = workdays.WorkdayCalendar.for_range(min(first_days.values()), as_of)
        escalations: list[AlertEscalation] = []
        notices: list[notifications.ProjectNotice] = []
        for alert in alerts:
            open_for = calendar.workdays_between(first_days[alert.pk], as_of)
            project = alert.project
            due = [(Step.RESPONSIBLE, project.responsible_person, Notification.Kind.ALERT_RED)]
            if open_for >= leader_after:
                due.append(
                    (Step.LEADER, project.leader_in_charge, Notification.Kind.ALERT_ESCALATED)
                )
            if open_for >= briefing_after:
                due.append((Step.BRIEFING, None, None))
            for step, recipient, kind in due:
                if (alert.pk, step) in taken:
                    continue
                escalations.append(
                    AlertEscalation(alert=alert, step=step, recipient=recipient, escalated_at=now)
                )
                counts[step.value] += 1
                if kind and recipient is not None and recipient.is_active:
                    notices.append(
                        notifications.ProjectNotice(
                            recipient_id=recipient.pk,
                            project_id=project.pk,
                            kind=kind,
                            event_key=f"alert-{alert.pk}",
                            message=_notice_text(alert, step, open_for),
                        )
                    )
        # ignore_conflicts: (alert, step) is unique, so a step is never taken twice.
        AlertEscalation.objects.bulk_create(escalations, ignore_conflicts=True)
        counts["notifications"] = notifications.notify_projects(notices)
        if notices:
            transaction.on_commit(notifications.send_pending_emails)
    return counts
