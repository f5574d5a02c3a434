from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HitechZoneConfig(AppConfig):
    name = "hitech_zone"
    verbose_name = _("Accounts and system")
