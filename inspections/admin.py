from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from inspections.models import Department, FollowUp, Issue, SiteVisit, VisitParticipant


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "sort_order")
    search_fields = ("name", "code")


class VisitParticipantInline(admin.TabularInline):
    model = VisitParticipant
    extra = 0


class IssueInline(admin.TabularInline):
    model = Issue
    extra = 0
    fields = ("title", "category", "severity", "status", "department", "deadline")
    show_change_link = True


@admin.register(SiteVisit)
class SiteVisitAdmin(SimpleHistoryAdmin):
    list_display = ("project", "visited_on", "created_by")
    list_select_related = ("project", "created_by")
    search_fields = ("project__name", "notes")
    date_hierarchy = "visited_on"
    inlines = [VisitParticipantInline, IssueInline]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0


@admin.register(Issue)
class IssueAdmin(SimpleHistoryAdmin):
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
