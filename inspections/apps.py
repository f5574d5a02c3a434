from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Site visits and issues")

    def ready(self) -> None:
        from hitech_zone.permissions import Action, register_department_path
        from inspections.models import FollowUp, Issue
        from projects.models import Project

        # Department users see the issues assigned to them and those issues' projects.
        register_department_path(Issue, "department", {Action.VIEW, Action.EDIT})
        register_department_path(FollowUp, "issue__department", {Action.VIEW})
        register_department_path(Project, "issues__department", {Action.VIEW})

        from inspections.deadlines import ISSUE_SIGNAL
        from projects.lights import register_signal

        register_signal(ISSUE_SIGNAL)
