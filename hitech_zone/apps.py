from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HitechZoneConfig(AppConfig):
    name = "hitech_zone"
    verbose_name = _("Accounts and system")

    def ready(self) -> None:
        from django.contrib.auth import signals

        from hitech_zone import audit

        # Sign-ins, failed sign-ins and sign-outs go to the audit log.
        signals.user_logged_in.connect(audit.on_user_logged_in, dispatch_uid="audit-login")
        signals.user_logged_out.connect(audit.on_user_logged_out, dispatch_uid="audit-logout")
        signals.user_login_failed.connect(
            audit.on_user_login_failed, dispatch_uid="audit-login-failed"
        )
