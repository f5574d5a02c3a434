from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HitechZoneConfig(AppConfig):
    name = "hitech_zone"
    verbose_name = _("Accounts and system")

    def ready(self) -> None:
        from django.contrib.auth import signals
        from django.db.models.signals import post_migrate, pre_save

        from hitech_zone import audit, data_version, text

        # Sign-ins, failed sign-ins and sign-outs go to the audit log.
        signals.user_logged_in.connect(audit.on_user_logged_in, dispatch_uid="audit-login")
        signals.user_logged_out.connect(audit.on_user_logged_out, dispatch_uid="audit-logout")
        signals.user_login_failed.connect(
            audit.on_user_login_failed, dispatch_uid="audit-login-failed"
        )
        # The data version's triggers, on the tables every migrate leaves behind.
        post_migrate.connect(data_version.on_post_migrate, sender=self, dispatch_uid="data-version")
        # Bidi controls and zero-width characters never reach the database, whatever the path.
        pre_save.connect(text.clean_model_text, dispatch_uid="clean-text")
