from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from hitech_zone.dates import AdminDateRange
from inspections.models import (
    Department,
    DepartmentMember,
    FollowUp,
    Issue,
    IssueCategory,
    Notification,
    SiteVisit,
    VisitParticipant,
    VisitPhoto,
    WorkdayCalendarYear,
    WorkdayOverride,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")
    search_fields = ("name", "code")


class VisitParticipantInline(admin.TabularInline):
    model = VisitParticipant
    extra = 0


class IssueInline(AdminDateRange, admin.TabularInline):
    model = Issue
    extra = 0
    fields = ("title", "category", "severity", "status", "department", "deadline")
    show_change_link = True


@admin.register(SiteVisit)
class SiteVisitAdmin(AdminDateRange, SimpleHistoryAdmin):
    list_display = ("project", "visited_on", "created_by")
    list_select_related = ("project", "created_by")
    search_fields = ("project__name", "notes")
    date_hierarchy = "visited_on"
    inlines = [VisitParticipantInline, IssueInline]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0


@admin.register(Issue)
class IssueAdmin(AdminDateRange, SimpleHistoryAdmin):
    list_display = ("title", "project", "category", "severity", "status", "department", "deadline")
    list_filter = ("status", "category", "severity", "department")
    list_select_related = ("project", "department")
    search_fields = ("title", "description", "project__name")
    inlines = [FollowUpInline]


@admin.register(VisitParticipant)
class VisitParticipantAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "side", "visit")
    list_select_related = ("visit__project",)


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("issue", "actor", "actor_name", "acted_at", "status_before", "status_after")
    list_select_related = ("issue", "actor")


@admin.register(DepartmentMember)
class DepartmentMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "department")
    list_filter = ("department",)
    autocomplete_fields = ("user",)


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(AdminDateRange, admin.ModelAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(WorkdayCalendarYear)
class WorkdayCalendarYearAdmin(SimpleHistoryAdmin):
    list_display = ("year", "complete", "note")
    list_filter = ("complete",)


@admin.register(VisitPhoto)
class VisitPhotoAdmin(admin.ModelAdmin):
    list_display = ("original_name", "visit", "kept_location", "uploaded_at")
    list_select_related = ("visit__project",)
    readonly_fields = ("image", "thumbnail", "original_name", "kept_location", "uploaded_at")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "issue", "project", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "issue", "project")


@admin.register(IssueCategory)
class IssueCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")
    search_fields = ("name", "code")


# The group robots' channels and messages (inspections.robots).
from inspections.robots import admin as robots_admin  # noqa: E402, F401
