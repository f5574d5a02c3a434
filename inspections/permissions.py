"""The site-visit and issue rules the permission layer asks by name (registered in
InspectionsConfig.ready): they read this app's models, which the layer does not know."""

from hitech_zone import permissions
from hitech_zone.permissions import ALL_PROJECTS, OWN_PROJECTS, Action, Role
from projects.models import Project

# Who opens the department board for any department; a department's user opens their own.
BOARD_READERS = frozenset({Role.OFFICIAL, Role.LEADER, Role.ADMIN})


def may_record_visits(user) -> bool:
    """A visit is recorded for a project the user may change: none, no visit form."""
    if not permissions.roles_of(user) & (ALL_PROJECTS[Action.EDIT] | OWN_PROJECTS[Action.EDIT]):
        return False  # no query for a role that changes no project
    return permissions.scope(user, Project.objects.all(), Action.EDIT).exists()


def may_use_department_board(user) -> bool:
    if permissions.has_role(user, *BOARD_READERS):
        return True
    # Membership alone is not enough: the department role, which an admin can take away,
    # is what counts (as in inspections.views.department_board).
    return (
        permissions.has_role(user, Role.DEPARTMENT)
        and getattr(user, "department_membership", None) is not None
    )


def may_list_visits(user) -> bool:
    """The list of visits shows the visits to the projects the user sees: any project at
    all (every one, a manager's own, or a department's through its issues). The role
    alone decides, with no query: the menu asks on every page."""
    return permissions.project_reach(user) != "none"
