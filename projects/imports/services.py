"""An import's life: upload -> preview (a dry run, nothing written) -> confirm.

Confirming applies the very file that was previewed (kept with the import, checked by its
SHA-256), in one transaction, through the register's services, so every change is in the
history like an edit made in the browser. The plan is made again first: if the register
changed since the preview, or any row fails, nothing is applied and the import says why.

A sheet naming responsible people who are not users yet is confirmed only with
`create_people`: they are then created (hitech_zone.services.person_create: no password,
no role) in the same transaction, before the rows that name them.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hitech_zone import permissions
from hitech_zone import services as accounts
from projects import services
from projects.imports import plan as planning
from projects.imports import reading
from projects.imports.plan import Action, NewPerson, Plan, PlannedRow
from projects.models import AnnualPlan, ProjectImport

# Rows named in a failure message; the rest are counted.
REASONS_SHOWN = 10


class NotApplicable(Exception):
    """The import cannot be confirmed (already applied, refused, or with errors)."""


class _Failed(Exception):
    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _require_importer(user) -> None:
    if not permissions.sees_all_projects(user, permissions.Action.EDIT):
        raise PermissionDenied(_("Only zone officials import spreadsheets."))


def _read_upload(upload: UploadedFile) -> tuple[bytes, str, int]:
    """The upload's bytes (no more than the size limit allows, plus one), the SHA-256 and
    the size of the whole of it."""
    digest = hashlib.sha256()
    size = 0
    kept = bytearray()
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if len(kept) <= settings.IMPORT_MAX_BYTES:
            kept.extend(chunk[: settings.IMPORT_MAX_BYTES + 1 - len(kept)])
    return bytes(kept), digest.hexdigest(), size


def _counts(record: ProjectImport, plan: Plan) -> None:
    record.created_count = plan.count(Action.CREATE)
    record.updated_count = plan.count(Action.UPDATE)
    record.unchanged_count = plan.count(Action.UNCHANGED)
    record.error_count = len(plan.all_errors)


def project_import_preview(*, upload: UploadedFile, kind: str, by) -> ProjectImport:
    """Read the file and record what importing it would do; write nothing else. A refused
    file is not kept: the import records who tried, when, and why it was refused."""
    _require_importer(by)
    content, digest, size = _read_upload(upload)
    record = ProjectImport(
        kind=kind,
        uploaded_by=by,
        file_name=(upload.name or "")[-255:],
        sha256=digest,
        size=size,
    )
    try:
        reading.check_size(size)
        sheet = reading.read(content, kind)
    except reading.Refused as refusal:
        record.status = ProjectImport.Status.REFUSED
        record.message = str(refusal)
        record.save()
        return record
    plan = planning.build(sheet)
    record.status = ProjectImport.Status.PREVIEWED
    record.plan = plan.as_dict()
    _counts(record, plan)
    # Kept only while it can be confirmed; a file with errors is uploaded again, mended.
    record.content = content if not record.error_count else None
    record.save()
    return record


def _check_applicable(record: ProjectImport) -> None:
    if record.status != ProjectImport.Status.PREVIEWED:
        raise NotApplicable(
            _("This import is %(status)s; it cannot be applied.")
            % {"status": record.get_status_display()}
        )
    if not record.can_apply:
        raise NotApplicable(
            _("This file has errors. Correct them in the sheet and upload it again.")
        )


def _check_people(record: ProjectImport, create_people: bool) -> None:
    people = [person["name"] for person in record.plan.get("people", [])]
    if people and not create_people:
        raise NotApplicable(
            _(
                "This file names people who are not users yet (%(names)s). Choose to create "
                "them, or correct the sheet and upload it again."
            )
            % {"names": "、".join(people)}
        )


def project_import_apply(
    *, record: ProjectImport, by, create_people: bool = False
) -> ProjectImport:
    """Apply a previewed import, all of it or nothing. Returns the import, applied or
    failed (with the reason in `message`); raises NotApplicable if it cannot be confirmed.
    `create_people`: create the responsible people the sheet names who are not users yet
    (the preview lists them); without it such a file is not applied."""
    _require_importer(by)
    stored = ProjectImport.objects.get(pk=record.pk)
    _check_applicable(stored)
    _check_people(stored, create_people)
    try:
        content = bytes(stored.content)
        if hashlib.sha256(content).hexdigest() != stored.sha256:
            raise _Failed([_("The stored file does not match the one previewed.")])
        # Parsed before the transaction: reading a large sheet holds no lock.
        sheet = reading.read(content, stored.kind)
        with transaction.atomic():
            current = ProjectImport.objects.select_for_update().defer("content").get(pk=record.pk)
            if current.status != ProjectImport.Status.PREVIEWED:
                _check_applicable(current)  # a second confirmation waited here: it stops
            plan = planning.build(sheet)
            differences = _differences(current.plan, plan.as_dict())
            if differences:
                raise _Failed(differences)
            _create_people(plan)
            reason = _("Imported from %(file)s (import %(id)s)") % {
                "file": current.file_name,
                "id": current.pk,
            }
            new_projects = []
            for planned in plan.rows:
                if current.kind == ProjectImport.Kind.REGISTER and planned.action == Action.CREATE:
                    new_projects.append(planned)
                else:
                    _apply_row(planned, kind=current.kind, by=by, reason=reason)
            _create_projects(new_projects, by=by, reason=reason)
            current.status = ProjectImport.Status.APPLIED
            current.applied_at = timezone.now()
            current.applied_by = by
            current.message = ""
            _counts(current, plan)
            current.save(
                update_fields=[
                    "status",
                    "applied_at",
                    "applied_by",
                    "message",
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "error_count",
                ]
            )
            return current
    except (_Failed, reading.Refused, DatabaseError) as error:
        reasons = error.reasons if isinstance(error, _Failed) else [str(error)]
        shown = reasons[:REASONS_SHOWN]
        if len(reasons) > REASONS_SHOWN:
            shown.append(_("… and %(count)s more.") % {"count": len(reasons) - REASONS_SHOWN})
        message = " ".join(
            [_("Nothing was applied."), *shown, _("Upload the file again for a fresh preview.")]
        )
        ProjectImport.objects.filter(pk=record.pk, status=ProjectImport.Status.PREVIEWED).update(
            status=ProjectImport.Status.FAILED, message=message, applied_by=by
        )
        record.refresh_from_db()
        return record


@contextmanager
def _row_failure(planned: PlannedRow) -> Iterator[None]:
    """A row's refusal (a conflict, a failed check, the database) as the import's
    failure, naming the row."""
    try:
        yield
    except services.ConflictError:
        raise _Failed(
            [
                _("Row %(row)s (%(key)s) was changed by someone else since the preview.")
                % {"row": planned.row, "key": planned.key}
            ]
        ) from None
    except ValidationError as error:
        raise _Failed(
            [
                _("Row %(row)s (%(key)s): %(reason)s")
                % {"row": planned.row, "key": planned.key, "reason": " ".join(error.messages)}
            ]
        ) from None
    except DatabaseError as error:
        raise _Failed(
            [
                _("Row %(row)s (%(key)s): the database refused it (%(reason)s).")
                % {"row": planned.row, "key": planned.key, "reason": error}
            ]
        ) from None


def _create_people(plan: Plan) -> None:
    """A user for each person the rows name who is not one yet, put in the rows' values."""
    created = {}
    for planned in plan.rows:
        person = planned.values.get("responsible_person")
        if isinstance(person, NewPerson):
            if person not in created:
                created[person] = accounts.person_create(full_name=person.name)
            planned.values["responsible_person"] = created[person]


def _create_projects(rows: list[PlannedRow], *, by, reason: str) -> None:
    """The sheet's new projects, and their plans, saved together. If the database refuses
    the lot, they are saved again one by one, so the message names the row it refuses."""
    projects = []
    for planned in rows:
        with _row_failure(planned):
            projects.append(services.project_new_planned(**planned.values))
    if not projects:
        return
    try:
        # Its own savepoint: a refused batch rolls back alone, and the rows are retried.
        with transaction.atomic():
            created = services.projects_create_planned(projects, by=by, reason=reason)
            plans = [
                AnnualPlan(project=project, **planned.plan_values)
                for planned, project in zip(rows, created, strict=True)
                if planned.plan_values
            ]
            if plans:
                services.annual_plans_create_planned(plans, by=by, reason=reason)
    except (DatabaseError, ValidationError):
        for planned in rows:
            _apply_row(planned, kind=ProjectImport.Kind.REGISTER, by=by, reason=reason)


def _apply_row(planned: PlannedRow, *, kind: str, by, reason: str) -> None:
    if planned.action not in {Action.CREATE, Action.UPDATE}:
        return
    with _row_failure(planned):
        if kind == ProjectImport.Kind.MONTHLY:
            services.monthly_investment_set(
                project=planned.target,
                by=by,
                expected_version=planned.seen_version,
                reason=reason,
                **planned.values,
            )
            return
        if planned.action == Action.CREATE:
            project = services.project_create(by=by, reason=reason, planned=True, **planned.values)
        else:
            project = services.project_update(
                project=planned.target,
                by=by,
                expected_version=planned.seen_version,
                reason=reason,
                **{
                    change.field: planned.values[change.field]
                    for change in planned.changes
                    if change.field in planned.values
                },
            )
        if planned.plan_values:
            services.annual_plan_set(project=project, by=by, reason=reason, **planned.plan_values)


def _differences(previewed: dict, now: dict) -> list[str]:
    """Why the plan made now differs from the one previewed, row by row."""
    same_people = previewed.get("people", []) == now["people"]
    if planning.signature(previewed) == planning.signature(now) and not now["errors"]:
        return [] if same_people else [_("The register changed since the preview.")]
    reasons = [
        _("Row %(row)s: %(reason)s") % {"row": error["row"], "reason": error["reason"]}
        for error in now["errors"]
    ]
    before = {(row["row"], row["key"]): row for row in previewed["rows"]}
    for row in now["rows"]:
        old = before.pop((row["row"], row["key"]), None)
        if old is None or planning.signature({"rows": [old]}) != planning.signature(
            {"rows": [row]}
        ):
            reasons.append(
                _("Row %(row)s (%(key)s) changed in the register since the preview.")
                % {"row": row["row"], "key": row["key"]}
            )
    reasons.extend(
        _("Row %(row)s (%(key)s) changed in the register since the preview.")
        % {"row": row["row"], "key": row["key"]}
        for row in before.values()
    )
    return reasons or [_("The register changed since the preview.")]
