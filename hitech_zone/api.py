"""The read-only JSON API for the city's platform, at /api/v1/: wiring and authentication.

Each app keeps its own router (`projects/api.py`, `inspections/api.py`, `reports/api.py`)
of thin views over its selectors; this module mounts them under one NinjaAPI with token
authentication (`Authorization: Bearer <key>`, keys from `hitech_zone.services`). The
OpenAPI 3 schema is generated from the same schemas that validate the parameters and
shape the responses, and is served at /api/v1/openapi.json.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from hitech_zone import audit, permissions, services
from inspections.api import router as inspections_router
from inspections.rounds.api import router as rounds_router
from projects.api import router as projects_router
from reports.api import router as reports_router

DESCRIPTION = """\
Read-only access to the zone's key projects for the city's platform: projects with
their milestones and this year's investment, the zone's totals against its targets,
open alerts, issues, the monthly reporting rounds (月报) with their reports' states, and
briefings with their PDFs.

**Authentication.** Every operation needs `Authorization: Bearer <key>`. A signed-in
user creates keys on the *API tokens* page of the web application (/account/tokens/),
an administrator in the admin site, or `manage.py api_token USERNAME --name NAME`. A
key acts as its user and sees exactly what that user sees on the web: a project
manager their own projects, a department the issues assigned to it. A missing, wrong
or revoked key, or an inactive user, answers 401.

**Conventions.** Money is a decimal string in 万元 (10,000 yuan), e.g. `1525000.00`
for 152.5 亿元; percentages are decimal strings; dates are ISO 8601. Lists are paged
(`page`, `page_size` up to 100) in a stable order and give the total `count`. Rows out
of the user's reach answer 404; invalid parameters 422.
"""


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>`: the key's user, if the key is live and the user
    active."""

    def authenticate(self, request: HttpRequest, token: str):
        user = services.api_token_authenticate(key=token.strip())
        if user is None:
            return None
        # Code that reads request.user (history, permissions) sees the key's user.
        request.user = user
        return user


class AuditedNinjaAPI(NinjaAPI):
    """Records the API's refusals in the audit log like the web's: each 403, and each 404
    that hides a row out of the key's reach. (Ninja answers its views' exceptions itself,
    so the web's middleware never sees them.)"""

    def on_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse:
        response = super().on_exception(request, exc)
        if response.status_code == 403 or isinstance(exc, permissions.OutOfReach):
            audit.access_denied(request, status=response.status_code, reason=str(exc))
        return response


api = AuditedNinjaAPI(
    title="Hi-tech Zone Key Project Dispatch API",
    version="1",
    description=DESCRIPTION,
    auth=ApiKeyAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
api.add_router("/", projects_router)
api.add_router("/", inspections_router)
api.add_router("/", rounds_router)
api.add_router("/", reports_router)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    detail = _("A valid API key is required (Authorization: Bearer <key>).")
    response = api.create_response(request, {"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc) or _("Your role does not allow this.")}, status=403
    )


# The docs page (Swagger UI) is for people: it asks them to sign in like any page. The
# operations answer 401 in JSON for a missing key, and the schema is public, so both are
# exempt from LoginRequiredMiddleware's redirect to the sign-in page.
SIGNED_IN_ONLY = {"openapi-view"}


def _exempt_from_login(patterns: list[URLPattern | URLResolver]) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _exempt_from_login(pattern.url_patterns)
        elif pattern.name not in SIGNED_IN_ONLY:
            login_not_required(pattern.callback)


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns, for `path("api/v1/", api.urls())`; namespace "api"."""
    patterns, app_name, namespace = api.urls
    _exempt_from_login(patterns)
    return patterns, app_name, namespace


@login_not_required
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other address under /api/ (e.g. /api/v1/projects/ with an empty code): 404 in
    JSON like the operations' own, not the web's HTML page or its sign-in redirect."""
    return api.create_response(request, {"detail": _("No such API address.")}, status=404)
