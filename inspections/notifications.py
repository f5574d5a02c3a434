"""Notifications, in the app and by e-mail (and to the group robots, `inspections.robots`):
about issues, and about projects as a whole (their red alerts, `reports.escalation`). A
notification is one row per recipient and event (a unique constraint), so a job that runs
twice, or a task delivered again after a worker died, never notifies twice."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone import bulk, outbox
from inspections import deadlines, workdays
from inspections.models import FollowUp, Issue, Notification
from inspections.robots import deliveries as robot_deliveries

Kind = Notification.Kind


def _department_users(issue: Issue) -> QuerySet:
    return get_user_model().objects.filter(
        department_membership__department_id=issue.department_id, is_active=True
    )


def _officials_of(issue: Issue) -> list:
    return [user for user in (issue.assigned_by, issue.raised_by) if user and user.is_active]


def notify(recipients, issue: Issue, kind: str, event_key: str) -> list[Notification]:
    """Record the notifications that do not exist yet; return the new ones."""
    wanted = {user.pk: user for user in recipients}
    existing = set(
        Notification.objects.filter(
            issue=issue, kind=kind, event_key=event_key, recipient_id__in=wanted
        ).values_list("recipient_id", flat=True)
    )
    rows = [
        Notification(recipient_id=pk, issue=issue, kind=kind, event_key=event_key)
        for pk in wanted
        if pk not in existing
    ]
    # No savepoint inside a caller's transaction: these join it.
    with transaction.atomic(savepoint=False):
        # ignore_conflicts: a concurrent run that inserted the same event first wins.
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        if rows:
            # The group robots' message, with the notices (inspections.robots).
            robot_deliveries.issue_notices_record(issue, kind, event_key)
    return rows


def notify_step(*, follow_up_id: int) -> int:
    """After 交办 (or reopening): the department's users. After 办结: the officials who
    raised and assigned the issue, who must check it and close it (销号)."""
    follow_up = FollowUp.objects.select_related("issue__raised_by", "issue__assigned_by").get(
        pk=follow_up_id
    )
    issue = follow_up.issue
    event_key = f"step-{follow_up.pk}"
    if follow_up.status_after == Issue.Status.ASSIGNED:
        created = notify(_department_users(issue), issue, Kind.ASSIGNED, event_key)
    elif follow_up.status_after == Issue.Status.RESOLVED:
        created = notify(_officials_of(issue), issue, Kind.AWAITING_CLOSE, event_key)
    else:
        created = []
    # This step's own notices, not the oldest waiting: behind a slip detection's tens of
    # thousands, an assignment's e-mail would wait for all of them. The e-mail job sends
    # the rest.
    send_pending_emails(issue=issue, event_key=event_key)
    return len(created)


def notify_deadlines(*, today: date) -> int:
    """Daily: issues due within two working days, and issues that became overdue."""
    # Loads later years itself when the count crosses into one.
    calendar = workdays.WorkdayCalendar.for_range(today, today)
    soon_limit = calendar.add_workdays(today, settings.ISSUE_DUE_SOON_WORKDAYS)
    overdue_until = deadlines.last_overdue_deadline(today, calendar)
    open_issues = (
        Issue.objects.exclude(
            status__in=[Issue.Status.RAISED, Issue.Status.RESOLVED, Issue.Status.CLOSED]
        )
        .filter(deadline__isnull=False, deadline__lte=soon_limit)
        .select_related("raised_by", "assigned_by")
    )
    count = 0
    for issue in open_issues:
        event_key = f"deadline-{issue.deadline.isoformat()}"
        if issue.deadline <= overdue_until:
            recipients = [*_department_users(issue), *_officials_of(issue)]
            count += len(notify(recipients, issue, Kind.OVERDUE, event_key))
        else:
            count += len(notify(_department_users(issue), issue, Kind.DUE_SOON, event_key))
    send_all_pending_emails()
    return count


@dataclass(frozen=True)
class ProjectNotice:
    """A notice about a project as a whole (no issue), e.g. one of its red alerts."""

    recipient_id: int
    project_id: int
    kind: str
    event_key: str
    message: str


def notify_projects(notices: Iterable[ProjectNotice]) -> int:
    """Record the project notices that do not exist yet, all at once (two queries);
    return how many were new."""
    wanted = {(n.recipient_id, n.kind, n.event_key): n for n in notices}
    if not wanted:
        return 0
    events = Q()
    for kind in {key[1] for key in wanted}:
        events |= Q(kind=kind, event_key__in={key[2] for key in wanted if key[1] == kind})
    existing = set(
        Notification.objects.filter(events, issue__isnull=True).values_list(
            "recipient_id", "kind", "event_key"
        )
    )
    rows = [
        {
            "recipient_id": notice.recipient_id,
            "project_id": notice.project_id,
            "kind": notice.kind,
            "event_key": notice.event_key,
            # The field's length; the whole message is on the project page.
            "message": notice.message[:300],
        }
        for key, notice in wanted.items()
        if key not in existing
    ]
    with transaction.atomic(savepoint=False):
        # Conflicts skipped: a concurrent run that inserted the same event first wins.
        bulk.insert_rows(Notification, rows)
        # The group robots' messages, one per event, with the notices (inspections.robots).
        robot_deliveries.project_notices_record(rows)
    return len(rows)


def _email(notification: Notification) -> tuple[str, str]:
    """Subject and body of a notification's e-mail."""
    kind = notification.get_kind_display()
    if notification.issue_id is None:
        project = notification.project
        return (
            _("[Key projects] %(kind)s: %(title)s") % {"kind": kind, "title": project.name},
            _("%(project)s\n%(message)s\n\nOpen the key-project dispatch app to see the project.")
            % {"project": project.name, "message": notification.message},
        )
    issue = notification.issue
    return (
        _("[Key projects] %(kind)s: %(title)s") % {"kind": kind, "title": issue.title},
        _("%(project)s\n%(title)s\n\nOpen the key-project dispatch app to see the issue.")
        % {"project": issue.project.name, "title": issue.title},
    )


# Notices e-mailed per batch: one query picks them, then each is sent in its own transaction.
EMAIL_BATCH = 200
EMAILS_TASK = "inspections.tasks.notification_emails_send"


def send_pending_emails(limit: int = EMAIL_BATCH, **only) -> int:
    """E-mail up to `limit` notifications not yet e-mailed, oldest first, of those matching
    the filters `only` (e.g. issue=, event_key=) if given; return how many were sent."""
    return _send_batch(limit, only)[1]


def send_all_pending_emails() -> int:
    """E-mail every notification not yet e-mailed, batch after batch (a province's first
    slip detection raises tens of thousands); return how many were sent. Stops when a
    batch finds nothing left it can claim."""
    sent = 0
    while True:
        claimed, batch_sent = _send_batch(EMAIL_BATCH, {})
        sent += batch_sent
        if not claimed:
            return sent


def emails_send_request() -> None:
    """Within the transaction that records notices: ask the e-mail job to send them once it
    commits (`hitech_zone.outbox`). The job that records them ends sooner, and a mail server
    that is down delays and retries only the e-mails. One request waiting is enough."""
    if not outbox.outbox_waiting(EMAILS_TASK):
        outbox.outbox_enqueue(EMAILS_TASK)


def _send_batch(limit: int, only: dict) -> tuple[int, int]:
    """E-mail notifications not yet e-mailed, each at most once as far as the mail server
    and the database can agree: each message is claimed, sent and marked in a transaction
    of its own, so a worker killed mid-batch leaves the sent ones marked and the rest
    pending (only a kill between the server's "accepted" and the commit sends one twice).
    Concurrent senders skip the rows another one holds. Returns (claimed, sent)."""
    # The batch's ids first, from the partial index: right after a run has raised tens of
    # thousands of notices the planner's row counts are stale, and the joined query sorted
    # them all (make bench).
    batch = Notification.objects.filter(emailed_at__isnull=True, **only).order_by("pk")[:limit]
    pending = list(
        Notification.objects.filter(pk__in=list(batch.values_list("pk", flat=True)))
        .select_related("recipient", "issue__project", "project")
        .order_by("pk")
    )
    if not pending:
        return 0, 0
    claimed_count = sent = 0
    connection = mail.get_connection()
    try:
        for notification in pending:
            with transaction.atomic():
                claimed = list(
                    Notification.objects.select_for_update(skip_locked=True)
                    .filter(pk=notification.pk, emailed_at__isnull=True)
                    .values_list("pk", flat=True)
                )
                if not claimed:
                    continue  # another sender has it, or had it
                claimed_count += 1
                if notification.recipient.email:
                    subject, body = _email(notification)
                    message = mail.EmailMessage(
                        subject=subject,
                        body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[notification.recipient.email],
                    )
                    connection.open()  # once, at the first message to send
                    sent += connection.send_messages([message]) or 0
                Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    finally:
        connection.close()
    return claimed_count, sent


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
