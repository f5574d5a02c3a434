"""Briefings: asked for, rendered once, published, frozen, delivered.

A briefing row is the durable record of a job. It is created `queued` with the moment its
figures are taken from (`as_of`), becomes `rendering` while a worker builds it, and
`published` once its PDF is stored whole. A person asking for a period that has not
ended gets a preview: the figures so far, watermarked, version 0, never delivered and
never counted as the period's briefing. Renders are idempotent: a job delivered twice (a
worker killed mid-render, two beats by mistake, a double click) finds the row already
published, or waits on its lock, and produces nothing twice.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hitech_zone import audit, outbox, spreadsheets
from reports import briefings, periods, selectors
from reports.briefings import chat, register_xlsx, render
from reports.models import Briefing, BriefingDelivery, BriefingSubscription

logger = logging.getLogger(__name__)

Trigger = Briefing.Trigger
Status = Briefing.Status


class BriefingError(Exception):
    """A render that cannot succeed by trying again (as opposed to a transient fault)."""


class BriefingNotStuck(BriefingError):
    """A retry asked for a briefing that is neither stuck nor stalled (running within its
    expected time, or done)."""


# A person asking, as against the schedule and the catch-up.
ASKED_BY_A_PERSON = (Trigger.MANUAL, Trigger.COMMAND)


@dataclass(frozen=True)
class Requested:
    briefing: Briefing
    # False when the request joined a job already queued or running, or found the
    # period already published by the schedule.
    created: bool


def _enqueue(briefing_id: int) -> None:
    from reports.tasks import briefing_generate_task

    # In the request's transaction: the render is asked for even if the broker is down.
    outbox.outbox_enqueue(briefing_generate_task, briefing_id=briefing_id)


def briefing_request(
    *,
    kind: str,
    period: periods.Period,
    trigger: str,
    by=None,
    reissue_reason: str = "",
    now: datetime | None = None,
    enqueue: bool = True,
) -> Requested:
    """Ask for a briefing of `period`, and enqueue its render after commit.

    - A job for the period already queued or rendering is joined, not repeated.
    - The schedule and the catch-up produce a period once: a published (or any
      non-failed) briefing of the period ends the request.
    - Asked for by a person when the period is published, it is a re-issue: the next
      version, with figures as of now.
    - A failed render is tried again in place.
    - Asked for by a person before the period has ended, it is a preview (version 0):
      one in flight per period, and invisible to all of the above.

    `enqueue=False` leaves the render to the caller (the command renders in-process).
    """
    now = now or timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _request(kind, period, trigger, by, reissue_reason, now, enqueue)
        except IntegrityError:
            # Another request created the same version or in-flight job at the same
            # moment (two beats, a double click): go round and join it.
            continue
    raise BriefingError(_("Could not queue the briefing; try again."))


def _is_preview(period: periods.Period, trigger: str, now: datetime) -> bool:
    # Until its briefing is due a period's figures are still moving (a month's are
    # reported and checked after it ends): a version frozen now would stand in for the
    # whole period and stop the schedule from making it.
    return trigger in ASKED_BY_A_PERSON and periods.due_on(period) > timezone.localdate(now)


def _request(kind, period, trigger, by, reissue_reason, now, enqueue) -> Requested:
    if _is_preview(period, trigger, now):
        return _request_preview(kind, period, trigger, by, now, enqueue)
    existing = Briefing.objects.select_for_update().filter(kind=kind, period=period.key).versions()
    in_flight = existing.filter(status__in=Briefing.IN_FLIGHT).first()
    if in_flight:
        return Requested(in_flight, created=False)
    published = existing.filter(status=Status.PUBLISHED).order_by("-version").first()
    automatic = trigger in (Trigger.SCHEDULE, Trigger.CATCH_UP)
    if published and automatic:
        return Requested(published, created=False)
    failed = existing.filter(status=Status.FAILED).order_by("-version").first()
    if failed and not published:
        failed.status = Status.QUEUED
        failed.error = ""
        # Its lease runs from now, or it would show as stuck the moment it is queued.
        failed.queued_at = now
        failed.save(update_fields=["status", "error", "queued_at"])
        if enqueue:
            _enqueue(failed.pk)
        return Requested(failed, created=True)
    version = (existing.aggregate(last=Max("version"))["last"] or 0) + 1
    briefing = Briefing.objects.create(
        kind=kind,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        version=version,
        trigger=trigger,
        as_of=now,
        requested_by=by if getattr(by, "pk", None) else None,
        reissue_reason=reissue_reason if published else "",
    )
    if enqueue:
        _enqueue(briefing.pk)
    return Requested(briefing, created=True)


def _request_preview(kind, period, trigger, by, now, enqueue) -> Requested:
    in_flight = (
        Briefing.objects.select_for_update()
        .filter(kind=kind, period=period.key, is_preview=True, status__in=Briefing.IN_FLIGHT)
        .first()
    )
    if in_flight:
        return Requested(in_flight, created=False)
    briefing = Briefing.objects.create(
        kind=kind,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        version=0,
        is_preview=True,
        trigger=trigger,
        as_of=now,
        requested_by=by if getattr(by, "pk", None) else None,
    )
    if enqueue:
        _enqueue(briefing.pk)
    return Requested(briefing, created=True)


def _period_of(briefing: Briefing) -> periods.Period:
    return periods.Period(briefing.kind, briefing.period_start, briefing.period_end)


def _claim(briefing_id: int) -> Briefing | None:
    """Mark the briefing as rendering; None when there is nothing left to do."""
    with transaction.atomic():
        briefing = Briefing.objects.select_for_update().get(pk=briefing_id)
        if briefing.status not in Briefing.IN_FLIGHT:
            return None
        briefing.status = Status.RENDERING
        briefing.started_at = timezone.now()
        briefing.attempts += 1
        briefing.save(update_fields=["status", "started_at", "attempts"])
        return briefing


def _previous_version(briefing: Briefing) -> Briefing | None:
    if briefing.is_preview:
        return None
    return (
        Briefing.objects.versions()
        .filter(
            kind=briefing.kind,
            period=briefing.period,
            status=Status.PUBLISHED,
            version__lt=briefing.version,
        )
        .order_by("-version")
        .first()
    )


@dataclass(frozen=True)
class Rendered:
    snapshot: dict
    snapshot_sha256: str
    changes: list[str]
    pdf: bytes
    # The whole register as .xlsx, for a monthly too long to print it; else None.
    register: bytes | None = None


def briefing_render(*, briefing: Briefing, generated_at: datetime) -> Rendered:
    """Build the figures as of the briefing's moment and render its PDF, in the zone's
    language (Chinese) whoever asked for it."""
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = briefings.snapshot_build(
            kind=briefing.kind, period=_period_of(briefing), as_of=briefing.as_of
        )
        previous = _previous_version(briefing)
        changes = (
            briefings.snapshot_changes(previous.snapshot, snapshot)
            if previous and previous.snapshot
            else []
        )
        if previous and briefing.reissue_reason:
            changes = [_("Reason: %(reason)s") % {"reason": briefing.reissue_reason}, *changes]
        pdf = briefings.pdf_render(
            snapshot=snapshot,
            generated_at=generated_at,
            version=briefing.version,
            changes=changes,
            preview_document=briefing.is_preview,
        )
        register = (
            register_xlsx.register_xlsx(snapshot) if render.register_attached(snapshot) else None
        )
    return Rendered(snapshot, briefings.snapshot_digest(snapshot), changes, pdf, register)


def briefing_generate(*, briefing_id: int) -> Briefing:
    """Render a queued briefing and publish it. Safe to run again: a published briefing is
    left as it is, and a render interrupted half-way is started over."""
    briefing = _claim(briefing_id)
    if briefing is None:
        return Briefing.objects.get(pk=briefing_id)
    # The claim's attempt number fences this render: an official's retry of a stalled
    # render (`briefing_retry`) lets a later claim take the row over, and a render that
    # was not dead after all finds itself superseded and publishes nothing.
    attempt = briefing.attempts
    started = time.monotonic()
    generated_at = timezone.now()
    try:
        rendered = briefing_render(briefing=briefing, generated_at=generated_at)
    except Exception:
        superseded = _superseded(briefing_id, attempt)
        if superseded is None:
            raise
        return superseded  # its failure is no longer this row's: the retry renders it
    with transaction.atomic():
        briefing = Briefing.objects.select_for_update().get(pk=briefing_id)
        if briefing.status != Status.RENDERING or briefing.attempts != attempt:
            logger.warning(
                "briefing render superseded by a retry; not published",
                extra={"briefing": str(briefing), "attempt": attempt},
            )
            return briefing
        _store(briefing.file, "briefing.pdf", rendered.pdf)
        if rendered.register is not None:
            _store(briefing.register_file, "register.xlsx", rendered.register)
        briefing.pdf_sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        briefing.snapshot = rendered.snapshot
        briefing.snapshot_sha256 = rendered.snapshot_sha256
        briefing.changes = rendered.changes
        briefing.status = Status.PUBLISHED
        briefing.finished_at = timezone.now()
        briefing.render_seconds = round(time.monotonic() - started, 3)
        briefing.error = ""
        briefing.save()
        if not briefing.is_preview:
            _enqueue_delivery(briefing_id)
            # The group robots' summary (and on WeCom the PDF), with the publication.
            _robots_record(briefing)
    logger.info(
        "briefing published",
        extra={"briefing": str(briefing), "seconds": float(briefing.render_seconds)},
    )
    return briefing


def _superseded(briefing_id: int, attempt: int) -> Briefing | None:
    """The row when a retry has taken it over from the render of `attempt`; else None."""
    briefing = Briefing.objects.get(pk=briefing_id)
    if briefing.status == Status.RENDERING and briefing.attempts == attempt:
        return None
    return briefing


def _store(field_file, filename: str, content: bytes) -> None:
    name = field_file.field.generate_filename(field_file.instance, filename)
    # A render killed half-way may have left a partial file under the same name:
    # replace it. The row only says published once the whole file is stored.
    storage = field_file.storage
    if storage.exists(name):
        storage.delete(name)
    field_file.save(name, ContentFile(content), save=False)


def _enqueue_delivery(briefing_id: int) -> None:
    from reports.tasks import briefing_deliver_task

    # In the publishing transaction: published means its delivery is on its way.
    outbox.outbox_enqueue(briefing_deliver_task, briefing_id=briefing_id)


def _robots_record(briefing: Briefing) -> int:
    """In the publishing transaction: the summary, with a link to the PDF, to the zone
    office's and the leaders' group robots (inspections.robots), and the PDF itself to
    those on WeCom."""
    from django.urls import reverse

    from inspections.robots import deliveries as robot_deliveries

    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(kind)s %(period)s") % {
            "kind": briefing.get_kind_display(),
            "period": _period_of(briefing).label,
        }
        link = robot_deliveries.site_link(reverse("briefing_download", args=[briefing.pk]))
        text = chat.chat_summary(briefing.snapshot or {}, heading=title)
        if link:
            text += f"\n\n[{_('Download the PDF')}]({link})"
    return robot_deliveries.briefing_record(
        event_key=f"briefing-{briefing.pk}",
        title=title,
        text=text,
        link=link,
        file_name=briefing.file.name,
        file_label=f"{briefing.kind}-{briefing.period}-v{briefing.version}.pdf",
    )


def briefing_fail(*, briefing_id: int, error: str) -> None:
    Briefing.objects.filter(pk=briefing_id, status__in=Briefing.IN_FLIGHT).update(
        status=Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def briefing_deliver(*, briefing_id: int) -> int:
    """E-mail a published briefing, PDF attached (and its register's .xlsx when it has
    one), to each subscriber of its type who has an address and has not had it yet. The
    delivery row and the send share a transaction, so a failed send is tried again and
    a sent one is not repeated. Previews are never sent."""
    briefing = Briefing.objects.versions().get(pk=briefing_id, status=Status.PUBLISHED)
    readers = (
        get_user_model()
        .objects.filter(briefing_subscriptions__kind=briefing.kind, is_active=True, email__gt="")
        .exclude(pk__in=briefing.deliveries.values("user_id"))
        .order_by("pk")
    )
    pdf = briefing.file.read()
    briefing.file.close()
    register = None
    if briefing.register_file:
        register = briefing.register_file.read()
        briefing.register_file.close()
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(kind)s %(period)s") % {
            "kind": briefing.get_kind_display(),
            "period": _period_of(briefing).label,
        }
        for reader in readers:
            with transaction.atomic():
                _delivery, created = BriefingDelivery.objects.get_or_create(
                    briefing=briefing, user=reader, defaults={"sent_at": timezone.now()}
                )
                if not created:
                    continue
                message = EmailMessage(
                    subject=title,
                    body=_("Dear %(name)s,\n\nThe %(title)s (version %(version)d) is attached.\n")
                    % {
                        "name": reader.full_name or reader.username,
                        "title": title,
                        "version": briefing.version,
                    },
                    to=[reader.email],
                )
                message.attach(f"{briefing.kind}-{briefing.period}.pdf", pdf, "application/pdf")
                if register is not None:
                    message.attach(
                        f"{briefing.kind}-{briefing.period}-register.xlsx",
                        register,
                        spreadsheets.XLSX_CONTENT_TYPE,
                    )
                message.send()
                sent += 1
    return sent


def subscription_set(*, user, kind: str, subscribed: bool) -> bool:
    if subscribed:
        BriefingSubscription.objects.get_or_create(user=user, kind=kind)
    else:
        BriefingSubscription.objects.filter(user=user, kind=kind).delete()
    return subscribed


def briefings_catch_up(*, now: datetime | None = None) -> list[int]:
    """Queue every recent period that was due and has no briefing (beat or the workers
    were down when it fell due), and queue again jobs that are stuck: still queued or
    rendering long after they should have finished (their message was lost with a
    broker that keeps none, or their worker died). Returns the briefings queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    queued: list[int] = []
    windows = {
        periods.WEEKLY: settings.BRIEFING_CATCH_UP_WEEKS,
        periods.MONTHLY: settings.BRIEFING_CATCH_UP_MONTHS,
    }
    for kind, count in windows.items():
        if count <= 0:
            continue
        wanted = periods.recent_due(kind, today, count)
        present = set(
            Briefing.objects.versions()
            .filter(kind=kind, period__in=[p.key for p in wanted])
            .exclude(status=Status.FAILED)
            .values_list("period", flat=True)
        )
        for period in wanted:
            if period.key not in present:
                requested = briefing_request(
                    kind=kind, period=period, trigger=Trigger.CATCH_UP, now=now
                )
                if requested.created:
                    queued.append(requested.briefing.pk)
    stuck = Briefing.objects.stuck(now=now).exclude(pk__in=queued)
    for briefing_id in stuck.values_list("pk", flat=True):
        try:
            briefing_retry(briefing_id=briefing_id, now=now)
        except BriefingNotStuck:
            continue  # someone retried it meanwhile
        queued.append(briefing_id)
    return queued


def briefing_retry(*, briefing_id: int, by=None, now: datetime | None = None) -> Briefing:
    """Queue again a briefing stuck past its lease (its message or its worker was lost),
    or a render stalled past its expected time (BRIEFING_RENDER_STALLED_SECONDS: its
    worker was probably killed).

    Refused (BriefingNotStuck) for any other: one still within its expected time may yet
    finish. The retry takes the lease over: the row goes back to queued, and the next
    claim bumps its attempt number, so should the stalled render be alive after all, it
    finds itself superseded when it comes to publish (`briefing_generate`) and exactly
    one render is published. The retried job's lease starts afresh, so a second press, or
    the catch-up, finds it neither stuck nor stalled."""
    now = now or timezone.now()
    with transaction.atomic():
        briefing = Briefing.objects.select_for_update().get(pk=briefing_id)
        stuck = selectors.briefing_stuck_for(briefing=briefing, now=now)
        if stuck is None and selectors.briefing_stalled_for(briefing=briefing, now=now) is None:
            raise BriefingNotStuck(
                _("This briefing is not stuck (%(status)s); it was not queued again.")
                % {"status": briefing.get_status_display()}
            )
        briefing.status = Status.QUEUED
        briefing.queued_at = now
        briefing.save(update_fields=["status", "queued_at"])
        _enqueue(briefing.pk)
    logger.warning(
        "briefing queued again past its lease" if stuck else "stalled briefing queued again",
        extra={"briefing": str(briefing), "by": getattr(by, "pk", None)},
    )
    return briefing


def briefing_scheduled(*, kind: str, now: datetime | None = None) -> Requested:
    """Beat's weekly (Monday) and monthly (daily) run: the latest period whose briefing is
    due (`periods.due_on`). A period already published is left as it is, so the monthly
    run makes each month's briefing once, on its day."""
    now = now or timezone.now()
    period = periods.last_due(kind, timezone.localdate(now))
    return briefing_request(kind=kind, period=period, trigger=Trigger.SCHEDULE, now=now)


def briefing_download_record(
    request, *, fmt: str, briefing: Briefing | None = None, kind: str = "", period: str = ""
):
    """The audit-log entry for reading a briefing: which one (id, period, version) and in
    which form: "pdf", "xlsx" (a monthly's register), "html" (the preview of a published
    one) or "html-live" (what a briefing of the period would say now, which has no row)."""
    detail: dict = {"format": fmt}
    if briefing is not None:
        detail.update(
            briefing=briefing.pk,
            kind=briefing.kind,
            period=briefing.period,
            version=briefing.version,
        )
    else:
        detail.update(kind=kind, period=period)
    return audit.audit_record(request, audit.Action.BRIEFING_DOWNLOAD, detail=detail)
