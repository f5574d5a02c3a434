"""Site visits, the issues raised on them and the follow-ups that close them."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from hitech_zone.models import ReferenceData
from projects.models import Project


class Department(ReferenceData):
    """A department of the management committee that handles assigned issues."""

    class Meta(ReferenceData.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


# The categories seen on site (also loaded by migration 0004): code, name.
ISSUE_CATEGORIES = [
    ("material_supply", "原材料供应"),
    ("hiring", "招工用工"),
    ("logistics", "物流运输"),
    ("approvals", "审批手续"),
    ("financing", "融资"),
    ("land", "用地"),
    ("utilities", "水电气配套"),
    ("epidemic", "疫情防控"),
    ("other", "其他"),
]


class IssueCategory(ReferenceData):
    """What kind of problem an issue is (material supply, hiring, land…): reference data
    that admins extend as new kinds appear on site."""

    class Meta(ReferenceData.Meta):
        verbose_name = _("issue category")
        verbose_name_plural = _("issue categories")


class SiteVisit(models.Model):
    project_path = "project"

    project = models.ForeignKey(
        Project, models.PROTECT, related_name="site_visits", verbose_name=_("project")
    )
    visited_on = models.DateField(_("date of visit"))
    notes = models.TextField(_("notes"), blank=True)
    # 领导指示/批示: what the visiting leader asked for, printed in full in the briefings.
    leader_instruction = models.TextField(_("leader's instruction"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Sent with the form, so a double tap or a retry after a timeout records one visit.
    idempotency_key = models.UUIDField(
        _("submission key"), null=True, blank=True, unique=True, editable=False
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")

    def __str__(self) -> str:
        return f"{self.project} · {self.visited_on:%Y-%m-%d}"


class VisitParticipant(models.Model):
    """Someone present on a visit: a visitor from the zone, or a contact on site."""

    class Side(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        SITE_CONTACT = "site_contact", _("On-site contact")

    project_path = "visit__project"

    visit = models.ForeignKey(
        SiteVisit, models.CASCADE, related_name="participants", verbose_name=_("site visit")
    )
    side = models.CharField(_("side"), max_length=12, choices=Side)
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        ordering = ["visit", "side", "sort_order", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return f"{self.name}（{self.title}）" if self.title else self.name


class Issue(models.Model):
    """A problem raised for a project, followed to a recorded outcome:
    提出 → 交办 → 办理 → 办结 → 销号, reopened when the check fails."""

    class Status(models.TextChoices):
        RAISED = "raised", _("Raised")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Category(models.TextChoices):
        """The categories seen on site, loaded as the first IssueCategory rows; their codes
        stay valid however admins extend the list."""

        MATERIAL_SUPPLY = "material_supply", _("Material supply")
        HIRING = "hiring", _("Hiring and labour")
        LOGISTICS = "logistics", _("Logistics")
        APPROVALS = "approvals", _("Approvals and permits")
        FINANCING = "financing", _("Financing")
        LAND = "land", _("Land")
        UTILITIES = "utilities", _("Utilities")
        EPIDEMIC = "epidemic", _("Epidemic control")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        NORMAL = "normal", _("Normal")
        SERIOUS = "serious", _("Serious")
        CRITICAL = "critical", _("Critical")

    project_path = "project"

    project = models.ForeignKey(
        Project, models.PROTECT, related_name="issues", verbose_name=_("project")
    )
    site_visit = models.ForeignKey(
        SiteVisit,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("site visit"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        IssueCategory,
        models.PROTECT,
        to_field="code",
        related_name="issues",
        verbose_name=_("category"),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity, default=Severity.NORMAL
    )
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.RAISED)
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="issues",
        verbose_name=_("department"),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    raised_at = models.DateTimeField(_("raised at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    owner = models.CharField(_("owner in the department"), max_length=60, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        constraints = [
            # Once assigned (交办), an issue always has a department and a deadline.
            models.CheckConstraint(
                condition=Q(status="raised") | Q(department__isnull=False, deadline__isnull=False),
                name="issue_assigned_has_department_and_deadline",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="issue_closed_has_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="issue_status_deadline_idx"),
            # Issues not yet closed, per project: the open-issue lists and counts.
            models.Index(
                fields=["project", "deadline"],
                condition=~Q(status="closed"),
                name="issue_open_idx",
            ),
            # The issue list's order (deadline first, NULLs last, newest first): its
            # first page is read from the index, not sorted from every issue.
            models.Index(fields=["deadline", "-raised_at"], name="issue_list_order_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class FollowUp(models.Model):
    """One step taken on an issue: what was done, by whom, when."""

    project_path = "issue__project"

    issue = models.ForeignKey(
        Issue, models.CASCADE, related_name="follow_ups", verbose_name=_("issue")
    )
    action = models.TextField(_("action"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by (user)"),
    )
    actor_name = models.CharField(
        _("by"),
        max_length=80,
        blank=True,
        help_text=_("For someone without an account, e.g. the company."),
    )
    acted_at = models.DateTimeField(_("when"))
    status_before = models.CharField(
        _("status before"), max_length=12, choices=Issue.Status, blank=True
    )
    status_after = models.CharField(
        _("status after"), max_length=12, choices=Issue.Status, blank=True
    )

    class Meta:
        ordering = ["issue", "acted_at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(actor__isnull=False) | ~Q(actor_name=""), name="follow_up_has_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue} · {self.acted_at:%Y-%m-%d}"

    @property
    def actor_display(self) -> str:
        return str(self.actor) if self.actor else self.actor_name


class DepartmentMember(models.Model):
    """A user who works for a department and handles the issues assigned to it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="department_membership",
        verbose_name=_("user"),
    )
    department = models.ForeignKey(
        Department, models.CASCADE, related_name="members", verbose_name=_("department")
    )

    class Meta:
        verbose_name = _("department member")
        verbose_name_plural = _("department members")

    def __str__(self) -> str:
        return f"{self.user} · {self.department}"


class WorkdayOverride(models.Model):
    """An official holiday or adjusted working day (调休), entered when the State Council
    publishes the year's schedule. Entries override the bundled calendar."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(
        _("name"), max_length=40, blank=True, help_text=_("e.g. 春节 or 国庆节调休")
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or adjusted working day")
        verbose_name_plural = _("holidays and adjusted working days")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class WorkdayCalendarYear(models.Model):
    """A year whose published holiday schedule the admin has entered in full, as
    ``WorkdayOverride`` rows. Only then do working days in a year the bundled calendar does
    not ship count as known: one entered holiday says nothing about the others."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    complete = models.BooleanField(
        _("complete"),
        default=False,
        help_text=_(
            "Tick once every holiday and adjusted working day (调休) of the year's "
            "published schedule has been entered."
        ),
    )
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("Where the schedule was taken from, e.g. the State Council's notice."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["year"]
        verbose_name = _("working-day calendar year")
        verbose_name_plural = _("working-day calendar years")

    def __str__(self) -> str:
        return str(self.year)


def photo_path(photo: "VisitPhoto", filename: str) -> str:
    return f"visits/{photo.visit_id}/{filename}"


class VisitPhoto(models.Model):
    """A photo from a site visit, re-encoded on upload; served only through the
    permission layer, never from a public URL."""

    project_path = "visit__project"

    visit = models.ForeignKey(
        SiteVisit, models.CASCADE, related_name="photos", verbose_name=_("site visit")
    )
    image = models.ImageField(_("photo"), upload_to=photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path)
    original_name = models.CharField(_("original file name"), max_length=200)
    kept_location = models.BooleanField(_("location kept"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["visit", "id"]
        verbose_name = _("site-visit photo")
        verbose_name_plural = _("site-visit photos")

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """An in-app notice (also e-mailed) about an issue, or about a project's alert. One per
    recipient and event, so a job that runs twice never notifies twice."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("Issue assigned")
        DUE_SOON = "due_soon", _("Deadline in two working days")
        OVERDUE = "overdue", _("Issue overdue")
        AWAITING_CLOSE = "awaiting_close", _("Resolved, waiting to be closed")
        ALERT_RED = "alert_red", _("Project alert turned red")
        ALERT_ESCALATED = "alert_escalated", _("Red alert still open")
        REPORT_DUE_SOON = "report_due_soon", _("Monthly report due in two working days")
        REPORT_LATE = "report_late", _("Monthly report late")
        REPORT_ESCALATED = "report_escalate", _("Monthly report still late")
        REPORT_RETURNED = "report_returned", _("Monthly report returned")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    issue = models.ForeignKey(
        Issue,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("issue"),
    )
    # Set for notices about a project as a whole (its alerts), where there is no issue.
    project = models.ForeignKey(
        Project,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project"),
    )
    # What the notice says, written when it is created (alerts); issue notices are
    # described from their issue.
    message = models.CharField(_("message"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    # Distinguishes repeats of a kind: the deadline for due/overdue, the step for the others.
    event_key = models.CharField(_("event"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "issue", "kind", "event_key"],
                name="notification_once_per_event",
            ),
            # Notices with no issue (NULLs never collide in a unique index).
            models.UniqueConstraint(
                fields=["recipient", "kind", "event_key"],
                condition=Q(issue__isnull=True),
                name="notification_once_per_project_event",
            ),
            models.CheckConstraint(
                condition=Q(issue__isnull=False) | Q(project__isnull=False),
                name="notification_about_something",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            # The e-mail sender's batch, oldest first: after a run that raised tens of
            # thousands of notices, a scan of them all took most of the batch's time.
            models.Index(
                fields=["id"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.issue or self.project}"


class VisitDraft(models.Model):
    """A visit form as it was being filled in, saved on the server as the user types, so a
    dropped connection on site loses nothing. Deleted when the visit is recorded."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("author")
    )
    submission_key = models.UUIDField(_("submission key"), unique=True)
    data = models.JSONField(_("form data"), default=dict)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("visit draft")
        verbose_name_plural = _("visit drafts")

    def __str__(self) -> str:
        return f"{self.author} · {self.updated_at:%Y-%m-%d %H:%M}"


# ------------------------------------------------------------------ the monthly round


class ReportingRound(models.Model):
    """月报填报: the round in which each active project reports one month's figures. It
    opens on the 1st of the following month; the reports are due on `deadline` (the
    reporting deadline day, moved to the next working day when it falls on a day off)."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    deadline = models.DateField(_("deadline"))
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "-month"]
        verbose_name = _("reporting round")
        verbose_name_plural = _("reporting rounds")
        constraints = [
            # Two beats or a retry open one round, never two.
            models.UniqueConstraint(fields=["year", "month"], name="reporting_round_once"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="reporting_round_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        """The month the round reports, as people name it: 2026年10月."""
        return gettext("%(year)s, month %(month)s") % {"year": self.year, "month": self.month}


class MonthlyReport(models.Model):
    """One project's report (月报) in a round: 填报 by its manager, 审核 by an official.
    Only an accepted report's figures count (they are written to the register on
    acceptance); until then they show as awaiting check."""

    project_path = "project"

    class State(models.TextChoices):
        DRAFT = "draft", _("Not reported")
        SUBMITTED = "submitted", _("Awaiting check")
        RETURNED = "returned", _("Returned")
        ACCEPTED = "accepted", _("Accepted")

    round = models.ForeignKey(
        ReportingRound, models.PROTECT, related_name="reports", verbose_name=_("round")
    )
    project = models.ForeignKey(
        Project, models.CASCADE, related_name="monthly_reports", verbose_name=_("project")
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.DRAFT)
    completed_amount = models.DecimalField(
        _("investment completed in the month (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    physical_progress = models.TextField(_("physical progress"), max_length=2000, blank=True)
    employees_on_site = models.PositiveIntegerField(_("employees on site"), null=True, blank=True)
    in_statistics = models.BooleanField(_("entered in the statistics (入库)"), default=False)
    in_statistics_on = models.DateField(_("date entered in the statistics"), null=True, blank=True)
    # {milestone id: "YYYY-MM-DD"}: milestones the report says were reached, written to the
    # register on acceptance.
    milestones_reached = models.JSONField(_("milestones reached"), default=dict, blank=True)
    # [{"category": code, "description": text, "issue": id once raised}]
    problems = models.JSONField(_("problems"), default=list, blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    return_reason = models.TextField(_("reason for return"), max_length=1000, blank=True)
    # Sent with the submit button, so a double tap or a retry submits once.
    submission_key = models.UUIDField(_("submission key"), null=True, blank=True, editable=False)
    # How many times an accepted report was opened again to correct it (更正).
    corrections = models.PositiveSmallIntegerField(_("corrections"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("saved at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "project__code"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(fields=["round", "project"], name="monthly_report_once"),
            models.CheckConstraint(
                condition=Q(completed_amount__isnull=True) | Q(completed_amount__gte=0),
                name="monthly_report_amount_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["round", "state"], name="monthly_report_state_idx")]

    def __str__(self) -> str:
        return f"{self.project} · {self.round}"


class MonthlyReportStep(models.Model):
    """One step of a report's life: who, when, what and the figure it carried."""

    project_path = "report__project"

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned")
        ACCEPTED = "accepted", _("Accepted")
        REOPENED = "reopened", _("Opened for correction")

    report = models.ForeignKey(
        MonthlyReport, models.CASCADE, related_name="steps", verbose_name=_("report")
    )
    action = models.CharField(_("step"), max_length=10, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("by")
    )
    acted_at = models.DateTimeField(_("at"))
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    completed_amount = models.DecimalField(
        _("investment completed in the month (10k yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["report", "acted_at", "id"]
        verbose_name = _("monthly report step")
        verbose_name_plural = _("monthly report steps")

    def __str__(self) -> str:
        return f"{self.report} · {self.get_action_display()}"


def report_photo_path(photo: "MonthlyReportPhoto", filename: str) -> str:
    return f"reports/{photo.report_id}/{filename}"


class MonthlyReportPhoto(models.Model):
    """A photo of the site's progress sent with a monthly report; checked and re-encoded
    as visit photos are, and served only through the permission layer."""

    project_path = "report__project"

    report = models.ForeignKey(
        MonthlyReport, models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    image = models.ImageField(_("photo"), upload_to=report_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=report_photo_path)
    original_name = models.CharField(_("original file name"), max_length=200)
    kept_location = models.BooleanField(_("location kept"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["report", "id"]
        verbose_name = _("monthly report photo")
        verbose_name_plural = _("monthly report photos")

    def __str__(self) -> str:
        return self.original_name


# The group robots' channels and messages live in their package (inspections.robots).
from inspections.robots.models import RobotChannel, RobotDelivery  # noqa: E402, F401
