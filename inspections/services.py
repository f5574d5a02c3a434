"""Writes for site visits and issues. The issue life cycle lives here and only here:
提出 → 交办 → 办理 → 办结 → 销号, reopened from 办结 or 销号 with a reason. Each step checks
the role of who takes it, records a follow-up (who, when, comment) and, in the same
transaction, the notification job (`hitech_zone.outbox`), sent to a worker once it commits."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hitech_zone import outbox, permissions
from hitech_zone.permissions import Action, Role
from inspections import tasks
from inspections.models import (
    Department,
    FollowUp,
    Issue,
    IssueCategory,
    SiteVisit,
    VisitDraft,
    VisitParticipant,
)
from inspections.photos import PhotoRejected, attach_photos, discard_files, validate_upload
from projects.models import Project

Status = Issue.Status


class TransitionRefused(Exception):
    """A step that is out of order, or not this user's to take. The message says why."""


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    # Officials assign and close; the department handles and reports done.
    by_department: bool


TRANSITIONS = {
    transition.name: transition
    for transition in (
        Transition(
            "assign", _("Assign (交办)"), frozenset({Status.RAISED}), Status.ASSIGNED, False
        ),
        Transition(
            "start",
            _("Start handling (办理)"),
            frozenset({Status.ASSIGNED}),
            Status.IN_PROGRESS,
            True,
        ),
        Transition(
            "resolve",
            _("Report done (办结)"),
            frozenset({Status.IN_PROGRESS}),
            Status.RESOLVED,
            True,
        ),
        Transition("close", _("Close (销号)"), frozenset({Status.RESOLVED}), Status.CLOSED, False),
        Transition(
            "reopen",
            _("Reopen"),
            frozenset({Status.RESOLVED, Status.CLOSED}),
            Status.ASSIGNED,
            False,
        ),
    )
}


def _department_of(user) -> Department | None:
    membership = getattr(user, "department_membership", None)
    return membership.department if membership else None


def allowed_transitions(issue: Issue, user) -> list[Transition]:
    """The steps this user may take on this issue now (for showing buttons)."""
    result = []
    for transition in TRANSITIONS.values():
        try:
            _check(issue, user, transition)
        except (TransitionRefused, PermissionDenied):
            continue
        result.append(transition)
    return result


def _check(issue: Issue, user, transition: Transition) -> None:
    if issue.status not in transition.sources:
        raise TransitionRefused(
            gettext("“%(step)s” is not possible while the issue is “%(status)s”.")
            % {"step": transition.label, "status": issue.get_status_display()}
        )
    roles = permissions.roles_of(user)
    if Role.ADMIN in roles:
        return
    if transition.by_department:
        if Role.DEPARTMENT not in roles or _department_of(user) != issue.department:
            raise PermissionDenied(
                gettext("Only the department the issue is assigned to takes this step.")
            )
        return
    if Role.OFFICIAL not in roles:
        raise PermissionDenied(gettext("Only zone officials assign, close or reopen issues."))
    if transition.name == "close" and user.pk not in {issue.raised_by_id, issue.assigned_by_id}:
        raise PermissionDenied(
            gettext("Only the official who raised or assigned the issue closes it, after checking.")
        )


@transaction.atomic
def issue_raise(
    *,
    project: Project,
    title: str,
    category: "IssueCategory | str",
    by,
    description: str = "",
    severity: str = Issue.Severity.NORMAL,
    site_visit: SiteVisit | None = None,
    now: datetime | None = None,
) -> Issue:
    """Raise an issue; `now` (default: this moment) is for records of an earlier day, such
    as the demo's history."""
    permissions.get_for(by, Project.objects.all(), Action.EDIT, pk=project.pk)
    now = now or timezone.now()
    issue = Issue(
        project=project,
        site_visit=site_visit,
        title=title.strip(),
        description=description.strip(),
        category_id=category if isinstance(category, str) else category.code,
        severity=severity,
        raised_by=by,
        raised_at=now,
    )
    issue.full_clean()
    issue._history_user = by
    issue._history_date = now
    issue.save()
    FollowUp.objects.create(
        issue=issue,
        action=gettext("Raised."),
        actor=by,
        acted_at=issue.raised_at,
        status_after=Status.RAISED,
    )
    return issue


@transaction.atomic
def issue_transition(
    *,
    issue: Issue,
    name: str,
    by,
    comment: str = "",
    department: Department | None = None,
    deadline: date | None = None,
    owner: str = "",
    result: str = "",
    now: datetime | None = None,
) -> Issue:
    """Take one step of the life cycle, or refuse with a message that says why. `now`
    (default: this moment) is for records of an earlier day, such as the demo's history."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionRefused(gettext("Unknown step."))
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    _check(issue, by, transition)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if name == "assign":
        if department is None:
            errors["department"] = gettext("Choose the department that handles the issue.")
        if deadline is None:
            errors["deadline"] = gettext("Set a deadline.")
        elif deadline < timezone.localdate(now):
            errors["deadline"] = gettext("The deadline cannot be before the day of assignment.")
        issue.department, issue.deadline, issue.owner = department, deadline, owner.strip()
        issue.assigned_at, issue.assigned_by = now, by
    if name == "resolve":
        if not result.strip():
            errors["result"] = gettext("Say what was done: the result is reported upward.")
        issue.result = result.strip()
    if name == "reopen" and not comment.strip():
        errors["comment"] = gettext("Give the reason for reopening.")
    if errors:
        raise ValidationError(errors)
    before = issue.status
    issue.status = transition.target
    issue.closed_at = now if transition.target == Status.CLOSED else None
    issue.full_clean()
    issue._history_user = by
    issue._history_date = now
    issue.save()
    follow_up = FollowUp.objects.create(
        issue=issue,
        action=comment.strip()
        or (issue.result if name == "resolve" else "")
        or str(transition.label),
        actor=by,
        acted_at=now,
        status_before=before,
        status_after=issue.status,
    )
    if name in {"assign", "reopen", "resolve"}:
        # In the step's transaction: the notice is sent even if the broker is down now.
        outbox.outbox_enqueue(tasks.issue_step_notify, follow_up_id=follow_up.pk)
    return issue


STORAGE_FAILED_MESSAGE = _(
    "The server could not store the photos (its storage is full or failing), so the "
    "visit was not recorded. What you typed is kept below, but a browser cannot keep "
    "chosen files: choose the photos again and submit once more, or submit without them."
)


@dataclass(frozen=True)
class RecordedVisit:
    visit: SiteVisit
    created: bool


def site_visit_record(
    *,
    project: Project,
    visited_on: date,
    by,
    submission_key,
    notes: str = "",
    leader_instruction: str = "",
    visitors: list[tuple[str, str]] = (),
    contacts: list[tuple[str, str]] = (),
    issues: list[dict] = (),
    photos: list = (),
    keep_location: bool = False,
) -> RecordedVisit:
    """Record a visit with its people, photos and the issues raised on the spot. The same
    submission key twice (a double tap, a retry) gives back the first visit."""
    existing = SiteVisit.objects.filter(idempotency_key=submission_key).first()
    if existing is not None:
        return RecordedVisit(existing, created=False)
    permissions.get_for(by, Project.objects.all(), Action.EDIT, pk=project.pk)
    if visited_on > timezone.localdate():
        raise ValidationError({"visited_on": gettext("A visit cannot be dated in the future.")})
    if not (notes.strip() or leader_instruction.strip() or issues or photos):
        raise ValidationError(
            gettext("An empty visit is not recorded: add notes, an issue or a photo.")
        )
    # Every photo is checked before anything is written, outside the transaction.
    rejected = []
    for upload in photos:
        try:
            validate_upload(upload)
        except PhotoRejected as rejection:
            rejected.append(str(rejection))
        upload.seek(0)
    if rejected:
        raise ValidationError({"photos": rejected})
    return _site_visit_create(
        project=project,
        visited_on=visited_on,
        by=by,
        submission_key=submission_key,
        notes=notes,
        leader_instruction=leader_instruction,
        visitors=visitors,
        contacts=contacts,
        issues=issues,
        photos=photos,
        keep_location=keep_location,
    )


@transaction.atomic
def _site_visit_create(
    *,
    project,
    visited_on,
    by,
    submission_key,
    notes,
    leader_instruction,
    visitors,
    contacts,
    issues,
    photos,
    keep_location,
) -> RecordedVisit:
    visit = SiteVisit(
        project=project,
        visited_on=visited_on,
        notes=notes.strip(),
        leader_instruction=leader_instruction.strip(),
        created_by=by,
        idempotency_key=submission_key,
    )
    # The key's uniqueness is the database's to enforce: a racing copy fails on save with an
    # IntegrityError, which the caller answers with the visit the first copy recorded.
    visit.full_clean(exclude=["idempotency_key"])
    visit._history_user = by
    visit.save()
    participants = [
        VisitParticipant(visit=visit, side=side, name=name, title=title, sort_order=order)
        for side, people in (
            (VisitParticipant.Side.VISITOR, visitors),
            (VisitParticipant.Side.SITE_CONTACT, contacts),
        )
        for order, (name, title) in enumerate(people)
    ]
    VisitParticipant.objects.bulk_create(participants)
    for issue in issues:
        issue_raise(project=project, by=by, site_visit=visit, **issue)
    if photos:
        saved, rejected = attach_photos(visit, list(photos), keep_location=keep_location)
        if rejected:
            # Nothing is half-recorded: no visit, no files; the form comes back with reasons.
            discard_files(saved)
            errors = {"photos": [str(rejection) for rejection in rejected]}
            if any(rejection.code == "storage" for rejection in rejected):
                # A full or failing disk: say so plainly, and what the user has to redo.
                errors[NON_FIELD_ERRORS] = [STORAGE_FAILED_MESSAGE]
            raise ValidationError(errors)
    VisitDraft.objects.filter(submission_key=submission_key).delete()
    return RecordedVisit(visit, created=True)


# Form fields a draft keeps: what the user typed, never files or the CSRF token.
DRAFT_EXCLUDED = {"csrfmiddlewaretoken", "photos"}
# An older draft is not offered again: the visit it was for is long past.
DRAFT_KEPT_FOR = timedelta(days=7)


def visit_draft_save(*, by, submission_key, data: dict[str, list[str]]) -> VisitDraft:
    kept = {key: values for key, values in data.items() if key not in DRAFT_EXCLUDED}
    draft, _created = VisitDraft.objects.update_or_create(
        submission_key=submission_key, author=by, defaults={"data": kept}
    )
    return draft


def visit_draft_latest(*, by) -> VisitDraft | None:
    """The user's most recent draft of a visit not yet recorded."""
    return (
        VisitDraft.objects.filter(author=by, updated_at__gte=timezone.now() - DRAFT_KEPT_FOR)
        .exclude(
            submission_key__in=SiteVisit.objects.filter(idempotency_key__isnull=False).values(
                "idempotency_key"
            )
        )
        .first()
    )
