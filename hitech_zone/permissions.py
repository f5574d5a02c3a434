"""The permission layer: the one place that decides who may see or change what.

Views, tasks and commands ask it; none checks roles on its own. Roles are auth groups.
Project-bound models say how to reach their project with `project_path` (for example
`"project"` on a milestone, `""` on the project itself), so one rule covers them all.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from hitech_zone.models import User

M = TypeVar("M", bound=models.Model)


class Role(StrEnum):
    OFFICIAL = "official"
    LEADER = "leader"
    PROJECT_MANAGER = "project_manager"
    DEPARTMENT = "department"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.OFFICIAL: _("Zone official"),
    Role.LEADER: _("Leader"),
    Role.PROJECT_MANAGER: _("Project manager"),
    Role.DEPARTMENT: _("Department"),
    Role.ADMIN: _("Administrator"),
}


class Action(StrEnum):
    VIEW = "view"
    EDIT = "edit"


# Which roles reach every project, for each action; a project manager reaches their own.
ALL_PROJECTS = {
    Action.VIEW: {Role.OFFICIAL, Role.LEADER, Role.ADMIN},
    Action.EDIT: {Role.OFFICIAL, Role.ADMIN},
}
OWN_PROJECTS = {
    Action.VIEW: {Role.PROJECT_MANAGER},
    Action.EDIT: {Role.PROJECT_MANAGER},
}


# Who reads a project's one-page brief (项目简报), for the projects they reach: not a
# department, which sees a project only through its issues, not its plan and money.
PROJECT_BRIEF_READERS = frozenset(ALL_PROJECTS[Action.VIEW] | OWN_PROJECTS[Action.VIEW])
# Who reads the operations metrics (queues, task runs, heartbeats): officials and admins.
METRICS_READERS = frozenset({Role.OFFICIAL, Role.ADMIN})
# Who reads the audit log (sign-ins, refusals, imports, exports, briefing downloads).
AUDIT_READERS = frozenset({Role.LEADER, Role.ADMIN})
# Who enters a project's monthly investment directly, on its page: a project manager
# reports it in the monthly round (月报) instead, where an official checks it.
FIGURE_ENTERERS = frozenset({Role.OFFICIAL, Role.ADMIN})
# Who fills monthly reports, for the projects they may change.
REPORT_FILLERS = frozenset(OWN_PROJECTS[Action.EDIT])
# The monthly round (月报): who reads every project's reports, and who checks them (审核).
ROUND_READERS = frozenset({Role.OFFICIAL, Role.LEADER, Role.ADMIN})
ROUND_CHECKERS = frozenset({Role.OFFICIAL, Role.ADMIN})


class SystemActor:
    """The actor for scheduled jobs and commands that work on the whole register."""

    is_authenticated = True
    is_active = True
    pk = None

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def roles_of(user: User | AnonymousUser | SystemActor) -> frozenset[Role]:
    if user is SYSTEM:
        return frozenset({Role.ADMIN})
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_hitech_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        if user.is_superuser:
            cached |= {Role.ADMIN}
        user._hitech_roles = cached
    return cached


class OutOfReach(Http404):
    """A row that exists but is out of the user's reach: answered 404 like a missing one,
    so its existence does not leak, and recorded in the audit log as a refusal."""


def has_role(user: User | AnonymousUser, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def require_role(user: User | AnonymousUser, *roles: Role) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied(_("Your role does not allow this."))


# How a model reaches the department an issue is assigned to, and for which actions a
# department's users may use that path. Registered by the app that owns departments, so
# this layer knows no app's models.
DEPARTMENT_PATHS: dict[type[models.Model], tuple[str, frozenset[Action]]] = {}


def register_department_path(model: type[models.Model], path: str, actions: set[Action]) -> None:
    DEPARTMENT_PATHS[model] = (path, frozenset(actions))


def sees_all_projects(
    user: User | AnonymousUser | SystemActor, action: Action = Action.VIEW
) -> bool:
    return bool(roles_of(user) & ALL_PROJECTS[action])


def project_reach(user: User | AnonymousUser | SystemActor) -> str:
    """Which projects the user's lists and totals cover, for the pages to say so: "all",
    "own" (a project manager's), "department" (those with issues assigned to the user's
    department) or "none"."""
    if sees_all_projects(user):
        return "all"
    roles = roles_of(user)
    if roles & OWN_PROJECTS[Action.VIEW]:
        return "own"
    if Role.DEPARTMENT in roles:
        return "department"
    return "none"


def _project_path(model: type[models.Model]) -> str:
    try:
        return model.project_path
    except AttributeError:
        raise TypeError(f"{model.__name__} does not declare project_path") from None


def scope(
    user: User | AnonymousUser, queryset: models.QuerySet[M], action: Action = Action.VIEW
) -> models.QuerySet[M]:
    """The rows of a project-bound queryset this user may reach for `action`."""
    if sees_all_projects(user, action):
        return queryset
    roles = roles_of(user)
    model = queryset.model
    reachable = models.Q(pk__in=[])
    if roles & OWN_PROJECTS[action]:
        path = _project_path(model)
        prefix = f"{path}__" if path else ""
        reachable |= models.Q(**{f"{prefix}managers": user})
    department_path = DEPARTMENT_PATHS.get(model)
    if Role.DEPARTMENT in roles and department_path and action in department_path[1]:
        # A subquery, not a join: a project with several such issues appears once.
        via_department = model._default_manager.filter(
            **{f"{department_path[0]}__members__user": user}
        )
        reachable |= models.Q(pk__in=via_department.values("pk"))
    return queryset.filter(reachable)


# Things a user may do that are no one row ("record a visit", "open the department
# board"), by name: each is a question about the user alone. The rules that read an app's
# models are registered by that app, so this layer knows no app's models.
CAPABILITIES: dict[str, Callable[[Any], bool]] = {}


def register_capability(name: str, rule: Callable[[Any], bool]) -> None:
    CAPABILITIES[name] = rule


def can(user: User | AnonymousUser, action: Action | str, obj: models.Model | None = None) -> bool:
    """May `user` do `action` to `obj` (a project-bound row), or, without `obj`, the
    named capability `action` (see CAPABILITIES)? Links ask this, so a user sees a link
    only where the view behind it lets them through."""
    if obj is None:
        return CAPABILITIES[action](user)
    return scope(user, type(obj)._default_manager.filter(pk=obj.pk), action).exists()


class Capabilities:
    """The named capabilities of one user, for templates (`{% if may.record_visits %}`):
    each asked once, when a template first reads it."""

    def __init__(self, user) -> None:
        self._user = user
        self._known: dict[str, bool] = {}

    def __getitem__(self, name: str) -> bool:
        if name not in CAPABILITIES:
            raise KeyError(name)
        if name not in self._known:
            self._known[name] = can(self._user, name)
        return self._known[name]

    def __contains__(self, name: str) -> bool:
        return name in CAPABILITIES


def get_for(
    user: User | AnonymousUser,
    queryset: models.QuerySet[M],
    action: Action = Action.VIEW,
    **lookup: Any,
) -> M:
    """Fetch one row the user may reach. Rows out of reach answer 404, so their existence
    does not leak; rows the user may see but not change answer 403."""
    try:
        obj = scope(user, queryset, Action.VIEW).get(**lookup)
    except queryset.model.DoesNotExist:
        # Told apart only for the audit log (one query, on refusals only); both answer
        # the same 404.
        exists = queryset.model._default_manager.filter(**lookup).exists()
        error = OutOfReach if exists else Http404
        raise error(_("No such record, or it is not yours to see.")) from None
    if action is not Action.VIEW and not scope(user, queryset.filter(pk=obj.pk), action).exists():
        raise PermissionDenied(_("You may view this record but not change it."))
    return obj


def role_groups() -> dict[Role, Group]:
    return {role: Group.objects.get_or_create(name=role.value)[0] for role in Role}


def role_context(request) -> dict[str, Any]:
    """Template context: which role-dependent controls to show. Display only; the checks
    that matter are the ones above, on the server."""
    roles = roles_of(request.user)
    return {
        "user_roles": roles,
        "may": Capabilities(request.user),
        "project_reach": project_reach(request.user),
        "user_role_labels": [role.label for role in Role if role in roles],
        "can_edit_any": bool(roles & ALL_PROJECTS[Action.EDIT]),
        "can_read_briefings": bool(roles & ALL_PROJECTS[Action.VIEW]),
        "can_read_project_briefs": bool(roles & PROJECT_BRIEF_READERS),
        "can_admin": Role.ADMIN in roles,
        "can_see_metrics": bool(roles & METRICS_READERS),
        "can_read_audit": bool(roles & AUDIT_READERS),
        "can_fill_reports": bool(roles & REPORT_FILLERS),
        "can_check_reports": bool(roles & ROUND_CHECKERS),
        "can_read_rounds": bool(roles & ROUND_READERS),
    }
