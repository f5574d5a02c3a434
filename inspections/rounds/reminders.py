"""Reminders of the monthly round (月报催报): in-app notices, which the e-mail job mails.

Each report not submitted yet (a draft never submitted, or a returned one) is reminded of
once per event, on these days (working days follow `inspections.workdays`, with 调休):

- REPORT_DUE_SOON, to its managers: from the working day REPORT_REMIND_BEFORE_WORKDAYS
  working days before the round's deadline, up to the deadline itself. A round opened
  after that day (the September round opens in the National Day holiday) is reminded of
  on the day it opens.
- REPORT_LATE, to its managers and its official (the project's responsible person, 责任人,
  the zone official who keeps the project and is told of its red alerts): from the first
  working day after the deadline.
- REPORT_ESCALATED, to the project's leader in charge: from the day
  REPORT_ESCALATE_AFTER_WORKDAYS working days after the day it fell late.

The job runs every day (`tasks.report_reminders_send`); on its first run on or after an
event's day it sends the notices of that event, and a run that was missed is made up by
the next one (rounds whose deadline is more than CATCH_UP_DAYS days past are left alone).
A notice is one row per recipient, kind and event ("<year>-<month>:<project id>", a
unique constraint), so the job may run any number of times, even twice at once.

REPORT_RETURNED, to who submitted the report and its managers, is sent when an official
returns it (`services.report_return` asks for `tasks.report_returned_notify` in its
transaction, through the outbox), once per return.

Every notice of the round goes through `reminders_deliver`: the one place where other
channels (the group robots) are to hook in.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from hitech_zone import outbox
from inspections import notifications, workdays
from inspections.models import MonthlyReport, MonthlyReportStep, Notification, ReportingRound
from inspections.notifications import ProjectNotice
from projects.models import Project

Kind = Notification.Kind
State = MonthlyReport.State

# A round whose deadline is further back than this is not reminded of any more: a notice
# the job could not send for a month would come too late to help.
CATCH_UP_DAYS = 31
RETURNED_TASK = "inspections.rounds.tasks.report_returned_notify"

# Reports whose manager still has to act: never submitted, or returned. (A report opened
# again for correction is a draft that was submitted once: its figures stand meanwhile.)
NOT_SUBMITTED = Q(state=State.DRAFT, first_submitted_at__isnull=True) | Q(state=State.RETURNED)


def event_key(round_: ReportingRound, project_id: int) -> str:
    """The event of a round's reminder about one project, e.g. "2026-11:1234"."""
    return f"{round_}:{project_id}"


def round_label(round_: ReportingRound) -> str:
    """The round as people name it, e.g. 2026年11月月报."""
    month = date_format(date(round_.year, round_.month, 1), "YEAR_MONTH_FORMAT")
    return gettext("%(month)s monthly report") % {"month": month}


# ------------------------------------------------------------------ when


@dataclass(frozen=True)
class RoundDays:
    """The days a round's reminders fall due (each a working day)."""

    due_soon: date
    deadline: date
    late: date
    escalated: date

    def kinds_due(self, today: date) -> set[str]:
        """The reminders whose day has come on `today` (a missed day is made up later)."""
        kinds = set()
        if self.due_soon <= today <= self.deadline:
            kinds.add(Kind.REPORT_DUE_SOON)
        if today >= self.late:
            kinds.add(Kind.REPORT_LATE)
        if today >= self.escalated:
            kinds.add(Kind.REPORT_ESCALATED)
        return kinds


def round_days(deadline: date, calendar: workdays.WorkdayCalendar) -> RoundDays:
    """E.g. the September 2026 round, due Thursday 8 October (the 5th moved out of the
    National Day holiday): due soon from Tuesday 29 September (30 September and 8
    October are the two working days left), late from Friday 9 October, escalated from
    Tuesday 13 October (Saturday 10 October, a 调休 working day, then 12 and 13)."""
    due_soon = calendar.add_workdays(deadline, 0)
    for _ in range(settings.REPORT_REMIND_BEFORE_WORKDAYS):
        due_soon = calendar.workday_before(due_soon)
    late = calendar.add_workdays(deadline, 1)
    escalated = calendar.add_workdays(late, settings.REPORT_ESCALATE_AFTER_WORKDAYS)
    return RoundDays(due_soon=due_soon, deadline=deadline, late=late, escalated=escalated)


# ------------------------------------------------------------------ what


def _message(kind: str, *, project: str, round_: ReportingRound, **extra) -> str:
    values = {
        "project": project,
        "round": round_label(round_),
        "deadline": date_format(round_.deadline),
        **extra,
    }
    if kind == Kind.REPORT_DUE_SOON:
        text = gettext(
            "%(project)s: the %(round)s is due on %(deadline)s. Please fill it in and "
            "submit it in time."
        )
    elif kind == Kind.REPORT_LATE:
        text = gettext(
            "%(project)s: the %(round)s was due on %(deadline)s and has not been "
            "submitted. Please submit it as soon as possible."
        )
    elif kind == Kind.REPORT_ESCALATED:
        text = gettext(
            "%(project)s: the %(round)s, due on %(deadline)s, is still not submitted. "
            "Please see that it is."
        )
    else:
        text = gettext(
            "%(project)s: the %(round)s (due on %(deadline)s) was returned by %(who)s: "
            "%(reason)s. Please correct it and submit it again."
        )
    return text % values


@dataclass(frozen=True)
class _Due:
    """What the reminders read of a report not submitted: plain values, as a round has
    one per project (ten thousand at province scale)."""

    round_id: int
    project_id: int
    project_name: str
    responsible_id: int | None
    responsible_active: bool | None
    leader_id: int | None
    leader_active: bool | None


def reminders_due(*, today: date) -> list[ProjectNotice]:
    """The round's notices whose day has come on `today`, sent or not. A fixed number of
    queries however many projects report: the rounds, the working-day calendar, the
    reports not submitted and their managers."""
    rounds = {
        r.pk: r
        for r in ReportingRound.objects.filter(deadline__gte=today - timedelta(days=CATCH_UP_DAYS))
    }
    if not rounds:
        return []
    # The deadlines' years and those around them, in one query; today's year too.
    deadlines = [r.deadline for r in rounds.values()]
    calendar = workdays.WorkdayCalendar.for_range(
        min(*deadlines, today) - timedelta(days=31), max(*deadlines, today) + timedelta(days=62)
    )
    kinds_by_round = {
        pk: kinds
        for pk, r in rounds.items()
        if (kinds := round_days(r.deadline, calendar).kinds_due(today))
    }
    if not kinds_by_round:
        return []
    reports = MonthlyReport.objects.filter(NOT_SUBMITTED, round_id__in=list(kinds_by_round))
    due = [
        _Due(*row)
        for row in reports.order_by("round_id", "project_id").values_list(
            "round_id",
            "project_id",
            "project__name",
            "project__responsible_person_id",
            "project__responsible_person__is_active",
            "project__leader_in_charge_id",
            "project__leader_in_charge__is_active",
        )
    ]
    if not due:
        return []
    managers: dict[int, list[int]] = {}
    if any(kinds & {Kind.REPORT_DUE_SOON, Kind.REPORT_LATE} for kinds in kinds_by_round.values()):
        for project_id, user_id in (
            Project.managers.through.objects.filter(
                project_id__in=reports.values("project_id"), user__is_active=True
            )
            .order_by("project_id", "user_id")
            .values_list("project_id", "user_id")
        ):
            managers.setdefault(project_id, []).append(user_id)

    notices = []
    # The messages in the site's language (Chinese), whoever's request or job runs this.
    with translation.override(settings.LANGUAGE_CODE):
        for report in due:
            round_ = rounds[report.round_id]
            for kind in sorted(kinds_by_round[report.round_id]):
                recipients = _recipients(kind, report, managers.get(report.project_id, []))
                if not recipients:
                    continue
                message = _message(kind, project=report.project_name, round_=round_)
                key = event_key(round_, report.project_id)
                notices.extend(
                    ProjectNotice(user_id, report.project_id, kind, key, message)
                    for user_id in recipients
                )
    return notices


def _recipients(kind: str, report: _Due, managers: list[int]) -> list[int]:
    if kind == Kind.REPORT_DUE_SOON:
        people = list(managers)
    elif kind == Kind.REPORT_LATE:
        people = list(managers)
        if report.responsible_active:
            people.append(report.responsible_id)
    else:
        people = [report.leader_id] if report.leader_id and report.leader_active else []
    return list(dict.fromkeys(people))  # once each, in order


def reminders_send(*, today: date) -> int:
    """The daily job: record the notices whose day has come and not sent yet, and ask the
    e-mail job to mail them; return how many were new."""
    with transaction.atomic():
        return reminders_deliver(reminders_due(today=today))


# ------------------------------------------------------------------ returned


def returned_notify_request(*, step: MonthlyReportStep) -> None:
    """In the transaction that returns a report: tell its people once that commits
    (`hitech_zone.outbox`), even if the broker is down now."""
    outbox.outbox_enqueue(RETURNED_TASK, step_id=step.pk)


def returned_notify(*, step_id: int) -> int:
    """After 退回: who submitted the report and its managers (not the official who returned
    it) are told why. Once per return (the step is the event); return how many were new."""
    step = MonthlyReportStep.objects.select_related(
        "report__round", "report__project", "actor"
    ).get(pk=step_id)
    report = step.report
    people = [report.submitted_by_id] if report.submitted_by_id else []
    people += list(
        report.project.managers.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    recipients = [pk for pk in dict.fromkeys(people) if pk != step.actor_id]
    with translation.override(settings.LANGUAGE_CODE):
        message = _message(
            Kind.REPORT_RETURNED,
            project=report.project.name,
            round_=report.round,
            who=step.actor,
            reason=step.comment,
        )
    key = f"{event_key(report.round, report.project_id)}:{step.pk}"
    notices = [
        ProjectNotice(pk, report.project_id, Kind.REPORT_RETURNED, key, message)
        for pk in recipients
    ]
    with transaction.atomic():
        created = reminders_deliver(notices)
    # This return's own e-mails now, not behind a day's reminders (as an issue's step).
    notifications.send_pending_emails(kind=Kind.REPORT_RETURNED, event_key=key)
    return created


# ------------------------------------------------------------------ the one way out


def reminders_deliver(notices: Sequence[ProjectNotice] | Iterable[ProjectNotice]) -> int:
    """Every notice of the round goes out here: recorded in the app (once per recipient and
    event) and, once the transaction commits, e-mailed by the e-mail job. Returns how many
    were new. The group robots' messages (the zone office's channels; the leaders' for a
    report escalated) are recorded with the notices, in `notify_projects`
    (inspections.robots.deliveries)."""
    created = notifications.notify_projects(notices)
    if created:
        notifications.emails_send_request()
    return created
