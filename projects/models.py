"""The register: parks, sectors, projects, phases, milestones, plans and investment.

Amounts are Decimal 万元. Rules that must hold for every writer (services, imports, the
admin, a shell) are database constraints, not only form checks.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from hitech_zone.models import ReferenceData
from hitech_zone.money import money_field

MONTHS = range(1, 13)


class Park(ReferenceData):
    """A park, island or other carrier in the zone (三园一岛 and the sites within)."""

    class Kind(models.TextChoices):
        PARK = "park", _("Industrial park")
        ISLAND = "island", _("Island")
        CARRIER = "carrier", _("Carrier")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.PARK)

    class Meta(ReferenceData.Meta):
        verbose_name = _("park or carrier")
        verbose_name_plural = _("parks and carriers")


class Sector(ReferenceData):
    class Meta(ReferenceData.Meta):
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")


class Project(models.Model):
    class Level(models.TextChoices):
        PROVINCIAL = "provincial", _("Provincial key project")
        CITY = "city", _("City-level key project")
        ZONE = "zone", _("Zone-level key project")

    class Category(models.TextChoices):
        INDUSTRIAL = "industrial", _("Industrial")
        SERVICE = "service", _("Services")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")

    class Status(models.TextChoices):
        PIPELINE = "pipeline", _("Pipeline")
        PREPARATION = "preparation", _("Preparation")
        CONSTRUCTION = "construction", _("Under construction")
        TRIAL = "trial", _("Trial production")
        COMPLETED = "completed", _("Completed / in production")
        SUSPENDED = "suspended", _("Suspended")

    project_path = ""

    code = models.CharField(_("project code"), max_length=30, unique=True)
    name = models.CharField(_("project name"), max_length=120)
    company = models.CharField(_("company"), max_length=120)
    sector = models.ForeignKey(
        Sector, models.PROTECT, related_name="projects", verbose_name=_("sector")
    )
    park = models.ForeignKey(
        Park, models.PROTECT, related_name="projects", verbose_name=_("park or carrier")
    )
    level = models.CharField(_("level"), max_length=12, choices=Level, default=Level.CITY)
    category = models.CharField(
        _("category"), max_length=16, choices=Category, default=Category.INDUSTRIAL
    )
    total_investment = money_field(_("total investment (10k yuan)"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status, default=Status.PREPARATION
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_completion = models.DateField(_("planned completion"), null=True, blank=True)
    # 入库/入统: the day the project entered the statistics bureau's system; empty while
    # it has not (a light warns when a started project stays out too long).
    in_statistics_on = models.DateField(
        _("entered in the statistics (入库) on"), null=True, blank=True
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="responsible_projects",
        verbose_name=_("responsible person"),
    )
    leader_in_charge = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_projects",
        verbose_name=_("leader in charge"),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_projects",
        verbose_name=_("project managers"),
    )
    location = models.CharField(_("location"), max_length=120, blank=True)
    description = models.TextField(_("construction content"), blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    # Bumped on every edit, so a save based on a stale copy is refused, not applied.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[managers], excluded_fields=["updated_at"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_investment__gte=0), name="project_total_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_completion__isnull=True)
                | Q(planned_completion__gte=F("planned_start")),
                name="project_completion_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_industrial(self) -> bool:
        return self.category == self.Category.INDUSTRIAL

    @property
    def light(self):
        """The warning light (projects.lights.Light) of a project read with
        `projects.lights.annotate_lights`."""
        from projects.lights import light_of

        return light_of(self.light_rank, self.investment_assessed)


class Phase(models.Model):
    """A construction phase, e.g. phase 1: a line for 20,000 fuel-cell systems a year."""

    project_path = "project"

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="phases", verbose_name=_("project")
    )
    number = models.PositiveSmallIntegerField(_("phase number"))
    name = models.CharField(_("name"), max_length=60)
    scope = models.TextField(_("construction content"), blank=True)
    investment = money_field(_("investment (10k yuan)"), null=True, blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_completion = models.DateField(_("planned completion"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="phase_number_unique_per_project"
            ),
            models.CheckConstraint(
                condition=Q(investment__isnull=True) | Q(investment__gte=0),
                name="phase_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_completion__isnull=True)
                | Q(planned_completion__gte=F("planned_start")),
                name="phase_completion_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"


class Milestone(models.Model):
    """A time node (节点): the baseline is fixed when the plan is approved; the forecast
    and the actual date move. A slip is the forecast, or today, passing the baseline."""

    project_path = "project"

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="milestones", verbose_name=_("project")
    )
    phase = models.ForeignKey(
        Phase,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="milestones",
        verbose_name=_("phase"),
    )
    sequence = models.PositiveSmallIntegerField(_("sequence"))
    name = models.CharField(_("name"), max_length=80)
    baseline_date = models.DateField(_("baseline date"))
    forecast_date = models.DateField(_("forecast date"), null=True, blank=True)
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "sequence"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "sequence"], name="milestone_sequence_unique_per_project"
            ),
        ]
        indexes = [
            models.Index(fields=["baseline_date"], name="milestone_baseline_idx"),
            # The open milestones, per project (the lights) and by date (the slip job).
            models.Index(
                fields=["project", "baseline_date"],
                condition=Q(actual_date__isnull=True),
                name="milestone_open_idx",
            ),
            models.Index(
                fields=["baseline_date"],
                condition=Q(actual_date__isnull=True),
                name="milestone_open_baseline_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.actual_date and self.actual_date > timezone.localdate():
            errors["actual_date"] = _("The actual date cannot be in the future.")
        # No baseline: the form has refused it already (a date out of range, say).
        if self.project_id and self.baseline_date:
            siblings = Milestone.objects.filter(project_id=self.project_id).exclude(pk=self.pk)
            earlier = siblings.filter(
                sequence__lt=self.sequence, baseline_date__gt=self.baseline_date
            )
            later = siblings.filter(
                sequence__gt=self.sequence, baseline_date__lt=self.baseline_date
            )
            if earlier.exists() or later.exists():
                errors["baseline_date"] = _(
                    "Baseline dates must follow the order of the milestones."
                )
        if errors:
            raise ValidationError(errors)

    def slip_days(self, as_of) -> int:
        """Days past the baseline: by the actual date, the forecast, or today if neither."""
        reference = self.actual_date or max(filter(None, [self.forecast_date, as_of]))
        return max((reference - self.baseline_date).days, 0)


class AnnualPlan(models.Model):
    """A project's investment plan for a year, with an optional monthly plan (分月计划):
    all twelve months or none, adding up to the year's plan. Without one, 序时进度 spreads
    the plan evenly (projects.progress)."""

    project_path = "project"

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="annual_plans", verbose_name=_("project")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    planned_investment = money_field(_("planned investment (10k yuan)"))
    planned_month_1 = money_field(_("plan for January (10k yuan)"), null=True, blank=True)
    planned_month_2 = money_field(_("plan for February (10k yuan)"), null=True, blank=True)
    planned_month_3 = money_field(_("plan for March (10k yuan)"), null=True, blank=True)
    planned_month_4 = money_field(_("plan for April (10k yuan)"), null=True, blank=True)
    planned_month_5 = money_field(_("plan for May (10k yuan)"), null=True, blank=True)
    planned_month_6 = money_field(_("plan for June (10k yuan)"), null=True, blank=True)
    planned_month_7 = money_field(_("plan for July (10k yuan)"), null=True, blank=True)
    planned_month_8 = money_field(_("plan for August (10k yuan)"), null=True, blank=True)
    planned_month_9 = money_field(_("plan for September (10k yuan)"), null=True, blank=True)
    planned_month_10 = money_field(_("plan for October (10k yuan)"), null=True, blank=True)
    planned_month_11 = money_field(_("plan for November (10k yuan)"), null=True, blank=True)
    planned_month_12 = money_field(_("plan for December (10k yuan)"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "year"]
        verbose_name = _("annual investment plan")
        verbose_name_plural = _("annual investment plans")
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="annual_plan_unique_per_year"),
            models.CheckConstraint(
                condition=Q(planned_investment__gte=0), name="annual_plan_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(**{f"planned_month_{month}__isnull": True for month in MONTHS})
                | (
                    Q(**{f"planned_month_{month}__isnull": False for month in MONTHS})
                    & Q(**{f"planned_month_{month}__gte": 0 for month in MONTHS})
                ),
                name="annual_plan_monthly_all_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.year}"

    @property
    def monthly_plan(self) -> list:
        """The twelve planned months, or None without a monthly plan."""
        months = [getattr(self, f"planned_month_{month}") for month in MONTHS]
        return None if months[0] is None else months

    def clean(self) -> None:
        months = [getattr(self, f"planned_month_{month}") for month in MONTHS]
        given = [amount for amount in months if amount is not None]
        if given and len(given) < len(months):
            raise ValidationError(
                _(
                    "A monthly plan has all twelve months (enter 0 for a month with nothing planned), or none."
                )
            )
        if given and self.planned_investment is not None and sum(given) != self.planned_investment:
            raise ValidationError(
                _(
                    "The monthly plan adds up to %(sum)s but the year's plan is %(plan)s (10k yuan): they must agree."
                )
                % {"sum": sum(given), "plan": self.planned_investment}
            )


class MonthlyInvestment(models.Model):
    """Investment completed in one month (not cumulative)."""

    project_path = "project"

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="monthly_investments", verbose_name=_("project")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    completed_amount = money_field(_("completed (10k yuan)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "year", "month"]
        verbose_name = _("monthly investment completed")
        verbose_name_plural = _("monthly investment completed")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year", "month"], name="monthly_investment_unique_per_month"
            ),
            models.CheckConstraint(
                condition=Q(completed_amount__gte=0), name="monthly_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="monthly_investment_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.year}-{self.month:02d}"


class ZoneTarget(models.Model):
    """The zone's goals for a year, e.g. 28 projects, 152.5 亿元 total, 50 亿元 planned,
    industrial investment of at least 55 亿元 (确保) and 70 亿元 if possible (力争)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    project_count = models.PositiveSmallIntegerField(_("number of key projects"))
    total_investment = money_field(_("total investment (10k yuan)"))
    planned_investment = money_field(_("planned investment for the year (10k yuan)"))
    industrial_ensure = money_field(_("industrial investment to ensure (10k yuan)"))
    industrial_strive = money_field(_("industrial investment to strive for (10k yuan)"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("zone target")
        verbose_name_plural = _("zone targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total_investment__gte=0, planned_investment__gte=0, industrial_ensure__gte=0
                ),
                name="zone_target_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(industrial_strive__gte=F("industrial_ensure")),
                name="zone_target_strive_not_below_ensure",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class ZoneIndustrialInvestment(models.Model):
    """The whole zone's industrial investment (全区工业投资) completed in months 1..`month`
    of `year`, as its source (the statistics bureau) publishes it: the figure the 确保 /
    力争 targets are measured against. The key projects' own industrial investment is a
    part of it, not a stand-in for it."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(
        _("through month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    completed_amount = money_field(_("industrial investment, months 1 to this (10k yuan)"))
    source = models.CharField(_("source"), max_length=80, default="统计局")
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "-month"]
        verbose_name = _("zone industrial investment")
        verbose_name_plural = _("zone industrial investment")
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="zone_industrial_one_per_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12, completed_amount__gte=0),
                name="zone_industrial_month_and_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class ProgressNote(models.Model):
    """A dated remark on how a project is going, written by whoever follows it."""

    project_path = "project"

    project = models.ForeignKey(
        Project, models.CASCADE, related_name="progress_notes", verbose_name=_("project")
    )
    body = models.TextField(_("progress note"), max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self) -> str:
        return f"{self.project} · {self.created_at:%Y-%m-%d}"


class ProjectImport(models.Model):
    """One upload of a spreadsheet into the register, from its preview to its outcome.

    The file is kept (as bytes) only while it can still be confirmed, so confirming applies
    exactly the file that was previewed; a refused file is never kept, only this record of
    who tried, when, and why it was refused."""

    class Kind(models.TextChoices):
        REGISTER = "register", _("Project register")
        MONTHLY = "monthly", _("Monthly investment completed")

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    status = models.CharField(_("status"), max_length=10, choices=Status)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="project_imports",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content = models.BinaryField(_("file"), null=True, blank=True, editable=False)
    # The dry run as previewed: rows, actions, field changes, errors (see projects.imports.plan).
    plan = models.JSONField(_("plan"), default=dict, blank=True)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # Why the file was refused, or why applying it failed.
    message = models.TextField(_("message"), blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("applied by"),
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.file_name}"

    @property
    def can_apply(self) -> bool:
        """Previewed without errors, its file kept. Uses the `has_file` annotation of
        selectors.project_import_get when present, so the file is not loaded to know."""
        has_file = getattr(self, "has_file", None)
        if has_file is None:
            has_file = self.content is not None
        return self.status == self.Status.PREVIEWED and not self.error_count and has_file
