from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from hitech_zone.dates import AdminDateRange
from projects.models import (
    AnnualPlan,
    Milestone,
    MonthlyInvestment,
    Park,
    Phase,
    Project,
    ProjectImport,
    Sector,
    ZoneIndustrialInvestment,
    ZoneTarget,
)
from projects.progress import MONTHS, planned_month_field


@admin.register(Park)
class ParkAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "code", "sort_order")
    list_filter = ("kind",)
    search_fields = ("name", "code")


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")
    search_fields = ("name", "code")


class PhaseInline(AdminDateRange, admin.TabularInline):
    model = Phase
    extra = 0


class MilestoneInline(AdminDateRange, admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("sequence", "name", "phase", "baseline_date", "forecast_date", "actual_date")


@admin.register(Project)
class ProjectAdmin(AdminDateRange, SimpleHistoryAdmin):
    list_display = (
        "code",
        "name",
        "company",
        "park",
        "sector",
        "status",
        "total_investment",
        "responsible_person",
        "is_demo",
    )
    list_filter = ("status", "park", "sector", "category", "level", "is_demo")
    search_fields = ("code", "name", "company")
    list_select_related = ("park", "sector", "responsible_person")
    autocomplete_fields = ("responsible_person", "leader_in_charge")
    filter_horizontal = ("managers",)
    inlines = [PhaseInline, MilestoneInline]


@admin.register(Phase)
class PhaseAdmin(AdminDateRange, SimpleHistoryAdmin):
    list_display = ("project", "number", "name", "planned_start", "planned_completion")
    list_select_related = ("project",)
    search_fields = ("project__name", "name")


@admin.register(Milestone)
class MilestoneAdmin(AdminDateRange, SimpleHistoryAdmin):
    list_display = ("project", "sequence", "name", "baseline_date", "forecast_date", "actual_date")
    list_select_related = ("project",)
    search_fields = ("project__name", "name")
    date_hierarchy = "baseline_date"


@admin.register(AnnualPlan)
class AnnualPlanAdmin(SimpleHistoryAdmin):
    list_display = ("project", "year", "planned_investment", "has_monthly_plan")
    fieldsets = (
        (None, {"fields": ("project", "year", "planned_investment")}),
        (
            _("Monthly plan (分月计划)"),
            {
                "description": _(
                    "Optional: all twelve months, adding up to the year's plan. 序时进度 then follows it instead of spreading the plan evenly."
                ),
                "fields": tuple(planned_month_field(month) for month in MONTHS),
            },
        ),
    )

    @admin.display(boolean=True, description=_("monthly plan"))
    def has_monthly_plan(self, plan: AnnualPlan) -> bool:
        return plan.monthly_plan is not None

    list_filter = ("year",)
    list_select_related = ("project",)
    search_fields = ("project__name",)


@admin.register(MonthlyInvestment)
class MonthlyInvestmentAdmin(SimpleHistoryAdmin):
    list_display = ("project", "year", "month", "completed_amount")
    list_filter = ("year", "month")
    list_select_related = ("project",)
    search_fields = ("project__name",)


@admin.register(ZoneIndustrialInvestment)
class ZoneIndustrialInvestmentAdmin(SimpleHistoryAdmin):
    list_display = ("year", "month", "completed_amount", "source")
    list_filter = ("year",)


@admin.register(ZoneTarget)
class ZoneTargetAdmin(SimpleHistoryAdmin):
    list_display = (
        "year",
        "project_count",
        "total_investment",
        "planned_investment",
        "industrial_ensure",
        "industrial_strive",
    )


@admin.register(ProjectImport)
class ProjectImportAdmin(admin.ModelAdmin):
    """The record of every upload: read here, never changed (imports go through the app)."""

    list_display = (
        "uploaded_at",
        "uploaded_by",
        "kind",
        "file_name",
        "status",
        "created_count",
        "updated_count",
        "unchanged_count",
        "error_count",
    )
    list_filter = ("kind", "status")
    search_fields = ("file_name", "sha256")
    exclude = ("content", "plan")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "plan")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
