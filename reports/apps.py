from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Warnings and briefings")

    def ready(self) -> None:
        from projects.lights import register_signal
        from reports.signals import PROJECTION_SIGNAL

        # Projected slips (reports.forecasting) feed each project's light, like its alerts.
        register_signal(PROJECTION_SIGNAL)
