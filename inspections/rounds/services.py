"""Writes of the monthly round: open it, fill and submit a report, return or accept it,
open an accepted one again for correction (更正). Each step is checked here (role, state,
version), recorded as a `MonthlyReportStep` and refused with a message that says why."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from hitech_zone import permissions
from hitech_zone.permissions import Action, Role
from inspections import photos as photo_store
from inspections.models import IssueCategory, MonthlyReport, MonthlyReportStep, ReportingRound
from inspections.rounds import reminders
from inspections.services import issue_raise
from projects import progress
from projects import services as register
from projects.models import AnnualPlan, Milestone, Project

State = MonthlyReport.State
Step = MonthlyReportStep.Action

# The statuses that report: a project being prepared, built, trialled or halted. A
# 储备 project has not begun and a 竣工 one has nothing left to invest.
REPORTING_STATUSES = (
    Project.Status.PREPARATION,
    Project.Status.CONSTRUCTION,
    Project.Status.TRIAL,
    Project.Status.SUSPENDED,
)
# Rows per INSERT when a round opens for many projects.
OPEN_BATCH_SIZE = 1000


class ReportRefused(Exception):
    """A step out of order, on a stale copy, or not this user's to take."""


def round_month_for(today: date) -> tuple[int, int]:
    """The month a round opened on `today` reports: the month before."""
    if today.month == 1:
        return today.year - 1, 12
    return today.year, today.month - 1


def round_deadline(year: int, month: int) -> date:
    """The day the reports of `month` are due: the register's reporting deadline
    (`progress.deadline`, moved to the next working day when it is a day off), so that the
    period on show turns to a month the day after its reports were due."""
    return progress.deadline(year, month)


@dataclass(frozen=True)
class OpenedRound:
    round: ReportingRound
    created: bool
    reports_created: int


def round_open(year: int, month: int) -> OpenedRound:
    """Open the round for `month` of `year` with a report for every project that reports
    (an active status and a plan for that year). Safe to run twice, at once or after a
    crash half way: the round and each report exist once (unique constraints), and a
    second run only adds what the first did not."""
    try:
        with transaction.atomic():
            round_, created = ReportingRound.objects.get_or_create(
                year=year, month=month, defaults={"deadline": round_deadline(year, month)}
            )
    except IntegrityError:
        # Another run created it between our read and our insert.
        round_, created = ReportingRound.objects.get(year=year, month=month), False
    due = (
        Project.objects.filter(status__in=REPORTING_STATUSES)
        .filter(pk__in=AnnualPlan.objects.filter(year=year).values("project"))
        .exclude(monthly_reports__round=round_)
        .values_list("pk", flat=True)
    )
    reports = [MonthlyReport(round=round_, project_id=pk) for pk in due.iterator(chunk_size=2000)]
    MonthlyReport.objects.bulk_create(reports, batch_size=OPEN_BATCH_SIZE, ignore_conflicts=True)
    return OpenedRound(round_, created, len(reports))


# ------------------------------------------------------------------ filling in


def _locked(report: MonthlyReport, expected_version: int | None, by) -> MonthlyReport:
    current = MonthlyReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    if _stale(current, expected_version, by):
        raise ReportRefused(_changed_meanwhile(current))
    return current


def _stale(current: MonthlyReport, expected_version: int | None, by) -> bool:
    """Whether someone else changed the report after the version this step started from.
    The user's own saves since (the form's autosave, still in flight when they tapped
    submit) do not count: the form they send holds those entries too."""
    if expected_version is None or current.version == expected_version:
        return False
    others = MonthlyReport.history.filter(id=current.pk, version__gt=expected_version).exclude(
        history_user_id=getattr(by, "pk", None)
    )
    return current.version < expected_version or others.exists()


def _changed_meanwhile(current: MonthlyReport) -> str:
    if current.state == State.RETURNED:
        return gettext(
            "The report was returned meanwhile: %(reason)s. Your entries are still in the form; check them and save again."
        ) % {"reason": current.return_reason}
    if current.state == State.ACCEPTED:
        return gettext("The report was accepted meanwhile by %(who)s on %(when)s.") % {
            "who": current.checked_by,
            "when": timezone.localtime(current.checked_at).strftime("%Y-%m-%d %H:%M"),
        }
    return gettext(
        "Someone saved this report after you opened it. Your entries are still in the form; check them against the saved report and save again."
    )


def _may_fill(by, report: MonthlyReport) -> None:
    permissions.get_for(by, Project.objects.all(), Action.EDIT, pk=report.project_id)


FILLED_FIELDS = (
    "completed_amount",
    "physical_progress",
    "employees_on_site",
    "in_statistics",
    "in_statistics_on",
    "milestones_reached",
    "problems",
)


def _clean_milestones(report: MonthlyReport, reached: dict) -> dict[str, str]:
    """{milestone id: ISO day} for the project's own open milestones, each day within the
    report's month or before it, never after the month's end."""
    if not reached:
        return {}
    period_end = progress.through(report.round.year, report.round.month).end
    own = set(
        Milestone.objects.filter(project_id=report.project_id, pk__in=list(reached)).values_list(
            "pk", flat=True
        )
    )
    cleaned, errors = {}, []
    for key, value in reached.items():
        if int(key) not in own:
            errors.append(gettext("A milestone of another project cannot be reported here."))
            continue
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        if day > period_end:
            errors.append(
                gettext("A milestone reached after %(end)s belongs in a later report.")
                % {"end": period_end.isoformat()}
            )
            continue
        cleaned[str(int(key))] = day.isoformat()
    if errors:
        raise ValidationError({"milestones_reached": errors})
    return cleaned


def _clean_problems(problems: list[dict]) -> list[dict]:
    codes = set(IssueCategory.objects.values_list("code", flat=True))
    cleaned, errors = [], []
    for problem in problems:
        description = (problem.get("description") or "").strip()
        if not description:
            continue
        if problem.get("category") not in codes:
            errors.append(gettext("Choose a category for “%(text)s”.") % {"text": description})
            continue
        cleaned.append({key: problem[key] for key in ("category", "issue") if key in problem})
        cleaned[-1]["description"] = description
    if errors:
        raise ValidationError({"problems": errors})
    return cleaned


@transaction.atomic
def report_save(
    *, report: MonthlyReport, by, expected_version: int | None, **values
) -> MonthlyReport:
    """Save what the manager entered (a draft): only while it is not reported or returned.
    A copy that is stale (someone returned or saved it meanwhile) is refused, so the
    caller keeps the user's entries in the form and says what changed."""
    _may_fill(by, report)
    current = _locked(report, expected_version, by)
    if current.state not in (State.DRAFT, State.RETURNED):
        raise ReportRefused(
            gettext("This report is %(state)s: it cannot be changed now.")
            % {"state": current.get_state_display()}
        )
    unknown = set(values) - set(FILLED_FIELDS)
    if unknown:
        raise TypeError(f"not a report field: {sorted(unknown)}")
    if "milestones_reached" in values:
        values["milestones_reached"] = _clean_milestones(current, values["milestones_reached"])
    if "problems" in values:
        raised = [p for p in current.problems if p.get("issue")]
        values["problems"] = raised + _clean_problems(
            [p for p in values["problems"] if not p.get("issue")]
        )
    for field, value in values.items():
        setattr(current, field, value)
    if not current.in_statistics:
        current.in_statistics_on = None
    current.full_clean(exclude=["round", "project", "submitted_by", "checked_by"])
    current.version += 1
    current._history_user = by
    current.save()
    return current


def report_photo_remove(*, report: MonthlyReport, photo_id: int, by) -> None:
    """Take a photo off a report that is still being filled (a wrong or blurred picture);
    its files go once the removal is committed. A report reported or accepted keeps its
    photos, as it keeps its figures."""
    _may_fill(by, report)
    with transaction.atomic():
        current = _locked(report, None, by)
        if current.state not in (State.DRAFT, State.RETURNED):
            raise ReportRefused(
                gettext("This report is %(state)s: it cannot be changed now.")
                % {"state": current.get_state_display()}
            )
        photo = current.photos.select_for_update().filter(pk=photo_id).first()
        if photo is None:
            raise ReportRefused(gettext("This photo is no longer on the report."))
        photo.delete()
        transaction.on_commit(lambda: photo_store.discard_files([photo]))


def _step(report, action, by, now, comment="") -> MonthlyReportStep:
    return MonthlyReportStep.objects.create(
        report=report,
        action=action,
        actor=by,
        acted_at=now,
        comment=comment,
        completed_amount=report.completed_amount,
    )


@transaction.atomic
def report_submit(
    *,
    report: MonthlyReport,
    by,
    expected_version: int | None,
    submission_key=None,
    now: datetime | None = None,
) -> MonthlyReport:
    """Submit for checking. The same submission key twice (a double tap) submits once.
    Each problem not raised yet becomes an issue in 提出."""
    _may_fill(by, report)
    current = MonthlyReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    if submission_key is not None:
        submission_key = uuid.UUID(str(submission_key))
    if submission_key is not None and current.submission_key == submission_key:
        return current
    if _stale(current, expected_version, by):
        raise ReportRefused(_changed_meanwhile(current))
    if current.state not in (State.DRAFT, State.RETURNED):
        raise ReportRefused(
            gettext("This report is %(state)s: it cannot be submitted again.")
            % {"state": current.get_state_display()}
        )
    errors = {}
    if current.completed_amount is None:
        errors["completed_amount"] = gettext(
            "Enter the month's completed investment (0 when nothing was invested)."
        )
    if current.in_statistics and current.in_statistics_on is None:
        errors["in_statistics_on"] = gettext("Enter the day the project entered the statistics.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    problems = []
    for problem in current.problems:
        if not problem.get("issue"):
            issue = issue_raise(
                project=current.project,
                title=problem["description"][:120],
                description=problem["description"],
                category=problem["category"],
                by=by,
                now=now,
            )
            problem = {**problem, "issue": issue.pk}
        problems.append(problem)
    current.problems = problems
    current.state = State.SUBMITTED
    current.submitted_at = now
    current.first_submitted_at = current.first_submitted_at or now
    current.submitted_by = by
    current.submission_key = submission_key
    current.version += 1
    current._history_user = by
    current.save()
    _step(current, Step.SUBMITTED, by, now)
    return current


def _may_check(by, report: MonthlyReport) -> None:
    permissions.require_role(by, Role.OFFICIAL, Role.ADMIN)
    if report.submitted_by_id is not None and report.submitted_by_id == getattr(by, "pk", None):
        raise PermissionDenied(
            gettext("A report is checked by someone other than who submitted it.")
        )


def _check_locked(report: MonthlyReport, by, expected_version: int | None) -> MonthlyReport:
    current = MonthlyReport.objects.select_for_update().select_related("round").get(pk=report.pk)
    _may_check(by, current)
    if current.state != State.SUBMITTED:
        if current.state in (State.ACCEPTED, State.RETURNED) and current.checked_by_id:
            raise ReportRefused(
                gettext("%(who)s already checked this report (%(state)s) on %(when)s.")
                % {
                    "who": current.checked_by,
                    "state": current.get_state_display(),
                    "when": timezone.localtime(current.checked_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
        raise ReportRefused(gettext("Only a submitted report can be checked."))
    if expected_version is not None and current.version != expected_version:
        raise ReportRefused(
            gettext("The report changed after you opened it: read it again before checking.")
        )
    return current


@transaction.atomic
def report_return(
    *,
    report: MonthlyReport,
    by,
    reason: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> MonthlyReport:
    """退回: back to the manager with the reason, to correct and submit again."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say why the report is returned.")})
    current = _check_locked(report, by, expected_version)
    now = now or timezone.now()
    current.state = State.RETURNED
    current.return_reason = reason
    current.checked_by = by
    current.checked_at = now
    current.submission_key = None
    current.version += 1
    current._history_user = by
    current.save()
    step = _step(current, Step.RETURNED, by, now, reason)
    # In the return's transaction: its people are told once it commits (the outbox).
    reminders.returned_notify_request(step=step)
    return current


@transaction.atomic
def report_accept(
    *,
    report: MonthlyReport,
    by,
    expected_version: int | None,
    comment: str = "",
    now: datetime | None = None,
) -> MonthlyReport:
    """通过: the figures count from now on. The month's investment, the milestones reached
    and the 入库 date are written to the register in the same transaction, recorded as
    changed by the official who accepted them."""
    current = _check_locked(report, by, expected_version)
    now = now or timezone.now()
    project = current.project
    reason = gettext("Monthly report %(round)s accepted") % {"round": current.round.label}
    register.monthly_investment_set(
        project=project,
        year=current.round.year,
        month=current.round.month,
        completed_amount=current.completed_amount,
        by=by,
        reason=reason,
    )
    if current.milestones_reached:
        reached = Milestone.objects.filter(
            project=project, pk__in=[int(pk) for pk in current.milestones_reached]
        )
        for milestone in reached:
            register.milestone_update_dates(
                milestone=milestone,
                by=by,
                forecast_date=milestone.forecast_date,
                actual_date=date.fromisoformat(current.milestones_reached[str(milestone.pk)]),
            )
    if current.in_statistics and project.in_statistics_on != current.in_statistics_on:
        register.project_update(
            project=project, by=by, reason=reason, in_statistics_on=current.in_statistics_on
        )
    current.state = State.ACCEPTED
    current.checked_by = by
    current.checked_at = now
    current.return_reason = ""
    current.version += 1
    current._history_user = by
    current.save()
    _step(current, Step.ACCEPTED, by, now, comment.strip())
    return current


@transaction.atomic
def report_reopen(
    *,
    report: MonthlyReport,
    by,
    reason: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> MonthlyReport:
    """更正: open an accepted report again. Its accepted figures keep counting until the
    corrected report is accepted in turn; the steps keep both."""
    _may_fill(by, report)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": gettext("Say what is corrected.")})
    current = _locked(report, expected_version, by)
    if current.state != State.ACCEPTED:
        raise ReportRefused(gettext("Only an accepted report is corrected."))
    now = now or timezone.now()
    current.state = State.DRAFT
    current.corrections += 1
    current.submission_key = None
    current.version += 1
    current._history_user = by
    current.save()
    _step(current, Step.REOPENED, by, now, reason)
    return current


def is_jump(completed_amount: Decimal | None, monthly_plan: Decimal | None) -> bool:
    """A month's figure more than REPORT_JUMP_FACTOR times its monthly plan: flagged for
    the checking official (a typo in 万元 vs 元, or a catch-up to explain)."""
    if completed_amount is None or not monthly_plan:
        return False
    return completed_amount > monthly_plan * Decimal(settings.REPORT_JUMP_FACTOR)
