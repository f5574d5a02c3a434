from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from hitech_zone.models import Heartbeat, User

admin.site.site_header = _("Hi-tech Zone Key Project Dispatch · Administration")
admin.site.site_title = _("Hi-tech Zone administration")
admin.site.index_title = _("Administration")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "job_title", "is_active", "is_staff")
    search_fields = ("username", "full_name", "job_title", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Profile"), {"fields": ("full_name", "job_title", "phone")}),
    )


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen", "count")
    readonly_fields = ("name", "last_seen", "count")
