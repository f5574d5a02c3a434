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

        # The links to the visit form and the department board show to those the views
        # let through (inspections.views.visit_create, department_board).
        from hitech_zone.permissions import register_capability
        from inspections.permissions import (
            may_list_visits,
            may_record_visits,
            may_use_department_board,
        )

        register_capability("record_visits", may_record_visits)
        register_capability("department_board", may_use_department_board)
        register_capability("visit_list", may_list_visits)

        from inspections.deadlines import ISSUE_SIGNAL
        from projects.lights import register_signal

        register_signal(ISSUE_SIGNAL)
