from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from hitech_zone import logins, services
from hitech_zone.models import ApiToken, AuditEntry, Heartbeat, User

admin.site.site_header = _("Hi-tech Zone Key Project Dispatch · Administration")
admin.site.site_title = _("Hi-tech Zone administration")
admin.site.index_title = _("Administration")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "job_title", "is_active", "is_staff", "locked_out")
    search_fields = ("username", "full_name", "job_title", "email")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Profile"), {"fields": ("full_name", "job_title", "phone")}),
    )
    actions = ["unlock_sign_in"]

    def get_queryset(self, request):
        # Whether each user's sign-in is locked, in the list's one query.
        return super().get_queryset(request).annotate(sign_in_failures=logins.failures_subquery())

    @admin.display(description=_("Sign-in locked"), boolean=True)
    def locked_out(self, user) -> bool:
        return (getattr(user, "sign_in_failures", None) or 0) >= settings.AXES_FAILURE_LIMIT

    @admin.action(description=_("Unlock sign-in for the selected users"))
    def unlock_sign_in(self, request, queryset) -> None:
        """Clear the users' failed sign-ins, from every address, before the cool-off ends;
        each unlock is kept in the user's admin history. A locked address is unlocked in
        Axes → Access attempts."""
        users = list(queryset)
        for user in users:
            if logins.unlock(user.get_username()):
                self.log_change(request, user, gettext("Unlocked sign-in."))
        self.message_user(
            request,
            ngettext(
                "Sign-in unlocked for %(count)d user.",
                "Sign-in unlocked for %(count)d users.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen", "count")
    readonly_fields = ("name", "last_seen", "count")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens for the JSON API. Adding one shows its key once; the stored hash cannot give
    it back. A token is revoked (with the action), never edited into another key."""

    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "key_prefix", "user__username", "user__full_name")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("key_prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name")
        return ("user", "name", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", *self.readonly_fields)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            obj._issued_key = services.api_token_issue(token=obj)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new key, this once, instead of redirecting with a message (which
        would keep it in the session or a cookie)."""
        response = TemplateResponse(
            request,
            "admin/hitech_zone/apitoken/key_issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "token": obj,
                "key": obj._issued_key,
                "title": _("API token created"),
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", len(tokens))
            % {"count": len(tokens)},
            messages.SUCCESS,
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read-only: nobody adds, changes or deletes an entry here."""

    list_display = ("occurred_at", "action", "username", "target", "ip_address")
    list_filter = ("action",)
    search_fields = ("username", "target", "ip_address")
    date_hierarchy = "occurred_at"
    list_select_related = ("user",)
    readonly_fields = [field.name for field in AuditEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
