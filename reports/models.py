"""Alerts, milestone projections and briefings.

An alert is the record of one signal on one project (a milestone, an issue, the
investment pace...) from the night it was first seen until the night it cleared. Its
severity is part of what it says: when a yellow signal turns red, the yellow alert is
resolved and a red one opens, so the alerts open at any moment give that moment's light.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from projects.models import Milestone, Project


class Alert(models.Model):
    class Kind(models.TextChoices):
        MILESTONE_OVERDUE = "milestone_overdue", _("Milestone past its baseline")
        FORECAST_LATE = "forecast_late", _("Forecast later than the baseline")
        PROJECTION_LATE = "projection_late", _("Projected to slip")
        INVESTMENT_BEHIND = "investment_behind", _("Investment behind the year's pace")
        ISSUE_OVERDUE = "issue_overdue", _("Issue overdue")
        STALE = "stale", _("Project not updated")
        SUSPENDED = "suspended", _("Work suspended")
        NOT_IN_STATISTICS = "not_in_statistics", _("Started, not in the statistics (未入库)")

    class Severity(models.TextChoices):
        YELLOW = "yellow", _("Yellow")
        RED = "red", _("Red")

    project_path = "project"

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="alerts", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    # What on the project the signal is about: "milestone:12", "issue:7", or "" for the
    # project as a whole. With kind and severity it identifies the signal.
    subject_key = models.CharField(_("subject"), max_length=40, blank=True)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity)
    # The facts behind the signal when it was last seen (names, dates, days, points), so
    # the message can be shown in any language.
    detail = models.JSONField(_("detail"), default=dict)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-first_seen_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "subject_key", "severity"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_signal",
            ),
            models.CheckConstraint(
                condition=Q(last_seen_at__gte=models.F("first_seen_at")),
                name="alert_seen_in_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["project", "severity"],
                condition=Q(resolved_at__isnull=True),
                name="alert_open_idx",
            ),
            models.Index(fields=["first_seen_at"], name="alert_first_seen_idx"),
            models.Index(fields=["resolved_at"], name="alert_resolved_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_kind_display()} ({self.get_severity_display()})"


class AlertEscalation(models.Model):
    """One step of an alert's escalation, taken once (a unique constraint) and kept."""

    class Step(models.TextChoices):
        RESPONSIBLE = "responsible", _("Responsible person notified")
        LEADER = "leader", _("Leader in charge notified")
        BRIEFING = "briefing", _("Raised in the weekly briefing")

    alert = models.ForeignKey(
        Alert, models.CASCADE, related_name="escalations", verbose_name=_("alert")
    )
    step = models.CharField(_("step"), max_length=12, choices=Step)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    escalated_at = models.DateTimeField(_("escalated at"))

    class Meta:
        ordering = ["escalated_at", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["alert", "step"], name="escalation_once_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.alert} · {self.get_step_display()}"


class MilestoneProjection(models.Model):
    """Where an open milestone is likely to land, projected from how the project's earlier
    milestones went against their baselines (see `reports.forecasting`)."""

    milestone = models.OneToOneField(
        Milestone, models.CASCADE, related_name="projection", verbose_name=_("milestone")
    )
    projected_date = models.DateField(_("projected date"))
    # Actual over planned time between the project's reached milestones (1.0 = on plan).
    pace_ratio = models.DecimalField(_("pace ratio"), max_digits=6, decimal_places=3)
    basis_count = models.PositiveSmallIntegerField(_("milestones it is based on"))
    # The reached milestone the projection runs from, and its actual date.
    anchor_date = models.DateField(_("projected from"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("milestone projection")
        verbose_name_plural = _("milestone projections")

    def __str__(self) -> str:
        return f"{self.milestone} → {self.projected_date}"


class SlipDetectionRun(models.Model):
    """One finished run of the nightly slip detection (`reports.detection`), with the
    projects it had to skip (`reports.isolation`), for the alerts page. Each run deletes
    those older than `reports.detection.RUN_KEEP_DAYS`."""

    as_of = models.DateTimeField(_("data as of"))
    finished_at = models.DateTimeField(_("finished at"))
    # [{"project_id": 7, "project": "GX-007", "step": "projections", "error": "TypeError: …"}]
    skipped = models.JSONField(_("skipped projects"), default=list, blank=True)

    class Meta:
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["finished_at"], name="slipdetectionrun_finished")]
        verbose_name = _("slip detection run")
        verbose_name_plural = _("slip detection runs")

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M:%S} ({len(self.skipped)} skipped)"


def _briefing_stem(briefing: "Briefing") -> str:
    # Previews all have version 0: their row id keeps their files apart.
    if briefing.is_preview:
        return f"briefings/{briefing.kind}/{briefing.period}-preview-{briefing.pk}"
    return f"briefings/{briefing.kind}/{briefing.period}-v{briefing.version}"


def briefing_path(briefing: "Briefing", filename: str) -> str:
    return f"{_briefing_stem(briefing)}.pdf"


def briefing_register_path(briefing: "Briefing", filename: str) -> str:
    return f"{_briefing_stem(briefing)}-register.xlsx"


class BriefingQuerySet(models.QuerySet):
    def versions(self) -> "BriefingQuerySet":
        """Briefings that count as versions of their period: every one but previews."""
        return self.filter(is_preview=False)

    def stuck(self, *, now, lease_seconds: int | None = None) -> "BriefingQuerySet":
        """Jobs still queued or rendering past their lease (BRIEFING_RENDER_LEASE_SECONDS):
        their message or their worker was lost."""
        lease = timedelta(
            seconds=settings.BRIEFING_RENDER_LEASE_SECONDS
            if lease_seconds is None
            else lease_seconds
        )
        return self.filter(
            Q(status=Briefing.Status.QUEUED, queued_at__lt=now - lease)
            | Q(status=Briefing.Status.RENDERING, started_at__lt=now - lease)
        )

    def stalled(self, *, now) -> "BriefingQuerySet":
        """Renders running past their expected time (BRIEFING_RENDER_STALLED_SECONDS) but
        not yet past their lease: their worker was probably killed, and an official may
        queue them again without waiting for the lease."""
        expected = timedelta(seconds=settings.BRIEFING_RENDER_STALLED_SECONDS)
        lease = timedelta(seconds=settings.BRIEFING_RENDER_LEASE_SECONDS)
        return self.filter(
            status=Briefing.Status.RENDERING,
            started_at__lt=now - expected,
            started_at__gte=now - lease,
        )


class Briefing(models.Model):
    """A weekly (周调度) or monthly (月通报) briefing: one row per type, period and version.
    A published briefing is frozen; a re-issue is the next version."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly briefing")
        MONTHLY = "monthly", _("Monthly briefing")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        CATCH_UP = "catch_up", _("Catch-up")
        MANUAL = "manual", _("Generated on request")
        COMMAND = "command", _("Command line")

    IN_FLIGHT = (Status.QUEUED, Status.RENDERING)

    kind = models.CharField(_("type"), max_length=8, choices=Kind)
    period = models.CharField(_("period"), max_length=8)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    # "Generate now" for a period not yet over: figures so far, watermarked, version 0.
    # Never a version of the period: not delivered, never in the way of the schedule.
    is_preview = models.BooleanField(_("preview"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger)
    # The moment the figures are taken from; re-rendering as of it gives the same figures.
    as_of = models.DateTimeField(_("data as of"))
    file = models.FileField(_("PDF"), upload_to=briefing_path, blank=True)
    # The monthly's whole register when it is too long to print (BRIEFING_REGISTER_PRINT_MAX).
    register_file = models.FileField(
        _("register (.xlsx)"), upload_to=briefing_register_path, blank=True
    )
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    snapshot_sha256 = models.CharField(_("data SHA-256"), max_length=64, blank=True)
    snapshot = models.JSONField(_("data snapshot"), null=True, blank=True)
    # For a re-issue: what differs from the previous version, and why it was re-issued.
    changes = models.JSONField(_("changes"), default=list, blank=True)
    reissue_reason = models.CharField(_("reason for re-issue"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    render_seconds = models.DecimalField(
        _("render time (s)"), max_digits=8, decimal_places=3, null=True, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    objects = BriefingQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "kind", "-version"]
        verbose_name = _("briefing")
        verbose_name_plural = _("briefings")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "version"],
                condition=Q(is_preview=False),
                name="briefing_unique_version",
            ),
            # One job per period at a time: pressing "generate" twice runs one job. A
            # preview has a lane of its own, so it never holds up the scheduled version.
            models.UniqueConstraint(
                fields=["kind", "period"],
                condition=Q(status__in=["queued", "rendering"], is_preview=False),
                name="briefing_one_in_flight",
            ),
            models.UniqueConstraint(
                fields=["kind", "period"],
                condition=Q(status__in=["queued", "rendering"], is_preview=True),
                name="briefing_one_preview_in_flight",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="briefing_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        if self.is_preview:
            return f"{self.get_kind_display()} {self.period} ({_('preview')})"
        return f"{self.get_kind_display()} {self.period} v{self.version}"

    @property
    def download_stem(self) -> str:
        """The name a download of its files is offered under, without the extension."""
        if self.is_preview:
            return f"{self.kind}-{self.period}-preview-{self.pk}"
        return f"{self.kind}-{self.period}-v{self.version}"


class BriefingSubscription(models.Model):
    """A reader who wants each new briefing of a type by e-mail, with the PDF attached."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="briefing_subscriptions",
        verbose_name=_("reader"),
    )
    kind = models.CharField(_("type"), max_length=8, choices=Briefing.Kind)
    created_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("briefing subscription")
        verbose_name_plural = _("briefing subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="subscription_once_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"


class BriefingDelivery(models.Model):
    """A briefing e-mailed to a subscriber: once per briefing and reader."""

    briefing = models.ForeignKey(
        Briefing, models.CASCADE, related_name="deliveries", verbose_name=_("briefing")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("reader")
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("briefing delivery")
        verbose_name_plural = _("briefing deliveries")
        constraints = [
            models.UniqueConstraint(fields=["briefing", "user"], name="delivery_once_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.briefing} → {self.user}"
