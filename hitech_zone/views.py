"""The signed-in user's own account pages (API tokens for the JSON API), the public
health checks (/healthz/...), the operations metrics for officials and admins, and the
audit log for leaders and admins."""

import sys

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from hitech_zone import (
    audit,
    exports,
    health,
    metrics,
    permissions,
    selectors,
    services,
    spreadsheets,
)
from hitech_zone.filters import AuditEntryFilterSet
from hitech_zone.forms import ApiTokenForm
from hitech_zone.middleware import DATABASE_UNAVAILABLE, database_unavailable
from hitech_zone.models import ApiToken


def _render_tokens(
    request: HttpRequest, *, form: ApiTokenForm | None = None, new_key: str = "", status=200
) -> HttpResponse:
    return render(
        request,
        "account/api_tokens.html",
        {
            "tokens": selectors.api_token_list(user=request.user),
            "form": form or ApiTokenForm(),
            "new_key": new_key,
        },
        status=status,
    )


@require_GET
def api_token_list(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: name, key prefix, created, last used, revoked."""
    return _render_tokens(request)


@require_POST
@never_cache
def api_token_create(request: HttpRequest) -> HttpResponse:
    """Create a token and show its key, this once: the page is answered in place (not
    redirected), so the key is never stored in a session or message."""
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render_tokens(request, form=form, status=422)
    _token, key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
    return _render_tokens(request, new_key=key)


@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's token does not exist for this user: 404.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_token_list")


# ---------------------------------------------------------------- health (public)
# For the load balancer and the orchestrator: no sign-in, and nothing in the answer but
# check names, states and short reasons.


def _health_response(checks: list[health.Check]) -> JsonResponse:
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "fail",
        "checks": {check.name: check.as_dict() for check in checks},
    }
    if not ok:
        body["failed"] = [check.name for check in checks if not check.ok]
    response = JsonResponse(body, status=200 if ok else 503)
    # The failing check has logged a warning with the cause; a probe asking every few
    # seconds should not add a "Service Unavailable" error each time.
    response._has_been_logged = True
    return response


@login_not_required
@require_safe
@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    """The process is up and answers (no database, no broker)."""
    return JsonResponse({"status": "ok"})


@login_not_required
@require_safe
@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    """The database and the broker answer, and every migration is applied."""
    return _health_response(health.readiness())


@login_not_required
@require_safe
@never_cache
def healthz_beat(request: HttpRequest) -> JsonResponse:
    """Beat's heartbeat job ran within three of its intervals."""
    return _health_response([health.beat()])


@login_not_required
@require_safe
@never_cache
def healthz_worker(request: HttpRequest) -> JsonResponse:
    """A worker answers: a recent worker heartbeat, or a ping where the broker has one."""
    return _health_response([health.worker()])


# ---------------------------------------------------------------- metrics (operators)


@require_GET
def metrics_page(request: HttpRequest) -> HttpResponse:
    """Queue lengths, task durations over the last 24 hours, briefing render times and
    heartbeats, for officials and admins."""
    permissions.require_role(request.user, *permissions.METRICS_READERS)
    return render(request, "hitech_zone/metrics.html", {"metrics": metrics.snapshot()})


@login_not_required
@require_GET
def metrics_prometheus(request: HttpRequest) -> HttpResponse:
    """The same figures for Prometheus. A scraper sends an API key
    (`Authorization: Bearer <key>`) of an official or admin; a browser its session."""
    user = request.user
    scheme, _space, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = services.api_token_authenticate(key=key.strip())
        if user is not None:
            request.user = user  # so a refusal is recorded against the key's user
    if user is None or not user.is_authenticated:
        response = HttpResponse(_("Sign in or send an API key."), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    permissions.require_role(user, *permissions.METRICS_READERS)
    return HttpResponse(
        metrics.prometheus_text(metrics.snapshot()),
        content_type="text/plain; version=0.0.4; charset=utf-8",
    )


# ---------------------------------------------------------------- audit log (leaders, admins)

AUDIT_PAGE_SIZE = 50
# An export is the filtered log, up to this many entries (newest first).
AUDIT_EXPORT_LIMIT = 100_000


def _audit_entries(request: HttpRequest) -> AuditEntryFilterSet:
    permissions.require_role(request.user, *permissions.AUDIT_READERS)
    return AuditEntryFilterSet(request.GET, queryset=selectors.audit_entry_list())


@require_GET
@vary_on_headers("HX-Request")
def audit_log(request: HttpRequest) -> HttpResponse:
    """Sign-ins, refusals, imports, exports and briefing downloads, newest first, filtered
    by action, user, dates and address. Read-only: the log has no edit view."""
    filterset = _audit_entries(request)
    page = Paginator(filterset.qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.detail_items = audit.detail_items(entry.detail)
    template = "hitech_zone/audit_log.html"
    if request.htmx and not request.htmx.boosted:
        template += "#audit-table"
    return render(request, template, {"filterset": filterset, "page": page})


@require_GET
def audit_log_export(request: HttpRequest) -> HttpResponse:
    """The filtered audit log as CSV; the export is itself recorded."""
    entries = _audit_entries(request).qs[:AUDIT_EXPORT_LIMIT]
    return spreadsheets.download(
        exports.audit_entry_sheet(entries),
        request=request,
        filename=f"audit-log-{timezone.localdate():%Y%m%d}",
        fmt="csv",
    )


# ---------------------------------------------------------------- error pages (handler400 ...)
# In the app's layout and the user's language, each saying what happened and where to go.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400. A request refused before the user was loaded (a bad Host header, say) gets the
    page drawn without the context processors, which read the user."""
    if not hasattr(request, "user"):
        return _bare_page(request, "400.html", status=400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403, with the permission layer's reason (the PermissionDenied message): every
    refusal it raises carries one, written for the user."""
    reason = str(exception) if exception is not None and exception.args else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 for a form the CSRF check refused: most often a page left open past its
    session, or a sign-in in another tab. Django's reason is for the log, not the user."""
    reason = _("The form was out of date, so it was not accepted. Reload the page and try again.")
    return render(request, "403.html", {"reason": reason, "form_expired": True}, status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404. The exception's message is not shown: it may name a model or a lookup."""
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 with the request id, for the administrator to find the logged traceback; 503
    when the fault was the database going away (`middleware.database_unavailable`).
    Drawn without the database: no session, user or context processors."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return _bare_page(
        request, "500.html", status=500, request_id=getattr(request, "request_id", "")
    )


def _bare_page(request: HttpRequest, template_name: str, *, status: int, **context) -> HttpResponse:
    """An error page in the layout, without context processors: no user (so no menu), the
    language switch still working (its CSRF token is the cookie's), and the page's
    nonce for the one script the layout loads."""
    context.update(
        request=request,
        csrf_token=get_token(request),
        CSP_NONCE=getattr(request, "csp_nonce", ""),
    )
    return HttpResponse(render_to_string(template_name, context), status=status)
