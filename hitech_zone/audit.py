"""The audit log's writer: who did what, when (UTC) and from where.

Every recorded event goes through `audit_record`: sign-ins, failed sign-ins and sign-outs
(Django's auth signals, connected in `hitech_zone.apps`), access the permission layer
refused (`hitech_zone.middleware.AccessDeniedAuditMiddleware` for the web, the API's
exception hook in `hitech_zone.api`), imports (`projects.views`), exports (every one goes
through `hitech_zone.spreadsheets.download`) and briefing downloads (`reports.views`,
`reports.api`). Recording is not business logic: nothing here decides anything.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hitech_zone.logins import client_ip_address
from hitech_zone.models import AuditEntry

logger = logging.getLogger("hitech_zone.audit")

Action = AuditEntry.Action

TARGET_MAX = AuditEntry._meta.get_field("target").max_length
USER_AGENT_MAX = AuditEntry._meta.get_field("user_agent").max_length
USERNAME_MAX = AuditEntry._meta.get_field("username").max_length
# Set on a request once its refusal is recorded, so it is recorded once.
DENIAL_RECORDED = "_audit_denial_recorded"


def client_ip(request: HttpRequest) -> tuple[str | None, str]:
    """The client's address as django-axes counts it (the connection's own, or the one
    the trusted proxies saw: TRUSTED_PROXY_COUNT), and the raw X-Forwarded-For chain."""
    candidate = client_ip_address(request)
    forwarded = _text(request.META.get("HTTP_X_FORWARDED_FOR", ""))[:200]
    try:
        return str(ipaddress.ip_address((candidate or "").strip())), forwarded
    except ValueError:
        return None, forwarded


def _text(value: str) -> str:
    # PostgreSQL refuses NUL in text and JSON; a header may carry one.
    return value.replace("\x00", "")


def _request_user(request: HttpRequest | None):
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False) and user.pk:
        return user
    return None


def audit_record(
    request: HttpRequest | None,
    action: str,
    *,
    user=None,
    username: str = "",
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. `user` defaults to the request's signed-in user; `username` is
    for a name with no user (a failed sign-in); `target` defaults to the request's path
    with its query (which export, which filters)."""
    if user is None and not username:
        user = _request_user(request)
    detail = dict(detail or {})
    ip_address = None
    user_agent = ""
    if request is not None:
        target = target or request.get_full_path()
        ip_address, forwarded = client_ip(request)
        if forwarded:
            detail.setdefault("forwarded_for", forwarded)
        user_agent = _text(request.headers.get("User-Agent", ""))
    entry = AuditEntry.objects.create(
        user=user,
        username=_text(user.get_username() if user is not None else username)[:USERNAME_MAX],
        action=action,
        target=_text(target)[:TARGET_MAX],
        detail=detail,
        ip_address=ip_address,
        user_agent=user_agent[:USER_AGENT_MAX],
        request_id=_text(getattr(request, "request_id", ""))[:64],
    )
    # The same line in the process log, for a collector that keeps logs elsewhere.
    logger.info(
        "audit %s %s %s",
        entry.action,
        entry.username or "-",
        entry.target,
        extra={
            "audit_action": entry.action,
            "audit_username": entry.username,
            "audit_target": entry.target,
            "client_ip": entry.ip_address,
        },
    )
    return entry


def access_denied(request: HttpRequest, *, status: int, reason: str = "") -> AuditEntry | None:
    """Record a refusal (403, or the 404 that hides a row out of the user's reach) once
    per request."""
    if getattr(request, DENIAL_RECORDED, False):
        return None
    setattr(request, DENIAL_RECORDED, True)
    detail: dict[str, Any] = {"status": status, "method": request.method}
    if reason:
        detail["reason"] = reason[:300]
    return audit_record(request, Action.ACCESS_DENIED, detail=detail)


# ---------------------------------------------------------------- reading

# What the detail's keys mean, for the audit log page; other keys show as they are.
DETAIL_LABELS = {
    "status": _("status code"),
    "method": _("method"),
    "reason": _("reason"),
    "known_user": _("account exists"),
    "locked_out": _("locked out"),
    "forwarded_for": "X-Forwarded-For",
    "export": _("export"),
    "file": _("file"),
    "rows": _("rows"),
    "step": _("step"),
    "import": _("import no."),
    "kind": _("kind"),
    "created": _("created"),
    "updated": _("updated"),
    "unchanged": _("unchanged"),
    "errors": _("errors"),
    "message": _("message"),
    "format": _("format"),
    "briefing": _("briefing no."),
    "period": _("period"),
    "version": _("version"),
}


def detail_items(detail: dict[str, Any]) -> list[tuple[str, Any]]:
    """An entry's detail as (label, value) pairs, in the order recorded."""
    return [
        (
            str(DETAIL_LABELS.get(key, key)),
            (_("yes") if value else _("no")) if isinstance(value, bool) else value,
        )
        for key, value in detail.items()
    ]


# ---------------------------------------------------------------- auth signal receivers
# Connected in HitechZoneConfig.ready(). django-axes sends nothing of its own here: Django
# sends user_login_failed (with the request) when axes' backend refuses a locked-out
# sign-in, so those are recorded too, marked locked_out.


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    audit_record(request, Action.LOGIN, user=user, target=_auth_target(request))


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # signing out without a session changes nothing
        audit_record(request, Action.LOGOUT, user=user, target=_auth_target(request))


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    model = get_user_model()
    username = str(
        credentials.get(model.USERNAME_FIELD) or credentials.get("username") or ""
    ).strip()[:USERNAME_MAX]
    known = model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
    detail: dict[str, Any] = {"known_user": known is not None}
    if getattr(request, "axes_locked_out", False):
        detail["locked_out"] = True
    audit_record(
        request,
        Action.LOGIN_FAILED,
        user=known,
        username=username,
        target=_auth_target(request),
        detail=detail,
    )


def _auth_target(request: HttpRequest | None) -> str:
    # The path only: a sign-in's query holds just where to go next.
    return getattr(request, "path", "") or ""
