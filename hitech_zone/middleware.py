import logging
import time
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import empty

from hitech_zone import audit, permissions
from hitech_zone.logging import request_id_reset, request_id_set, sane_request_id

access_logger = logging.getLogger("hitech_zone.access")


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the user chose another language with the switcher.

    The browser's Accept-Language is not consulted: a zone office's machines often run
    English-language browsers, and the product speaks Chinese first."""

    def process_request(self, request) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not chosen or not translation.check_for_language(chosen):
            chosen = settings.LANGUAGE_CODE
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RequestIdMiddleware:
    """Gives each request an id and writes one access-log line for it.

    The id is the proxy's `X-Request-ID` when that is a sane token, else a new uuid4; it
    goes into the context variable every log line reads (`hitech_zone.logging`), into the
    headers of the tasks the request enqueues (`hitech_zone.celery_signals`) and back to
    the client in the `X-Request-ID` response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = sane_request_id(request.headers.get("X-Request-ID")) or uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            access_logger.info(
                "%s %s %s %sms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id_reset(token)


def _user_id(request) -> int | None:
    """The signed-in user's id, without loading the user for a request that did not."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class AccessDeniedAuditMiddleware:
    """Writes an audit-log entry for every refused request: each 403, and each 404 the
    permission layer raised to hide a row that exists (`permissions.OutOfReach`).

    Other 404s (a mistyped URL, a record that does not exist) are not refusals and are not
    recorded. The JSON API catches its own exceptions and records them in
    `hitech_zone.api`; a request is recorded once either way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        denial = getattr(request, "_audit_denial", None)
        if response.status_code == 403 or (denial and response.status_code == denial[0]):
            reason = denial[1] if denial else _csrf_rejection(request)
            audit.access_denied(request, status=response.status_code, reason=reason)
        return response

    def process_exception(self, request, exception) -> None:
        # Noted for __call__, which records what the answer turned out to be; the
        # exception goes on to Django's handler (None: no response from here).
        if isinstance(exception, PermissionDenied):
            request._audit_denial = (403, str(exception))
        elif isinstance(exception, permissions.OutOfReach):
            request._audit_denial = (404, str(exception))


def _csrf_rejection(request) -> str:
    """The reason of a 403 CsrfViewMiddleware gave before the view ran, "CSRF" (it marks
    every request it lets through to a view that is not exempt), else ""."""
    view = getattr(request.resolver_match, "func", None)
    if getattr(request, "csrf_processing_done", False) or getattr(view, "csrf_exempt", False):
        return ""
    return "CSRF"


# ---------------------------------------------------------------- database outages

# What a lost database looks like to Django: refused, terminated or timed-out connections.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# Seconds a client is asked to wait before trying again (a restart takes a few).
RETRY_AFTER_SECONDS = 10
outage_logger = logging.getLogger("hitech_zone.outage")


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 while the database cannot be reached: JSON for the API, else a page in the
    user's language. Built without the database (no session, user or context
    processors), and with no details of the fault."""
    request_id = getattr(request, "request_id", "")
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": translation.gettext(
                    "The service is temporarily unavailable; try again shortly."
                )
            },
            status=503,
        )
    else:
        response = HttpResponse(
            render_to_string(
                "503.html", {"retry_after": RETRY_AFTER_SECONDS, "request_id": request_id}
            ),
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Never cached: the next request may well succeed.
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 (`database_unavailable`), not 500.

    Faults outside a view (loading the session before it, saving it after) reach the
    500 handler instead, `hitech_zone.views.server_error`, which answers the same way.
    Nothing needs restarting afterwards: Django opens a new connection for the next
    request, and a kept one is health-checked before use (CONN_HEALTH_CHECKS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            outage_logger.error("database unavailable: %r", exception, extra={"path": request.path})
            return database_unavailable(request)
        return None
