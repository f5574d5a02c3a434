"""Sign-in lockout (django-axes): the client address it counts failures by, what a
successful sign-in clears, and the page a locked-out user or address sees. The settings
("sign-in lockout") say when it locks."""

import ipaddress
import math

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT_STATUS = 429


def client_ip_address(request: HttpRequest) -> str | None:
    """The address the nearest trusted proxy saw, or the connection's own.

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it received the request
    from to X-Forwarded-For, so the client is that many entries from the right; anything
    further left was written by the client and could be anything.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies and _is_address(forwarded[-proxies]):
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def _is_address(text: str) -> bool:
    # A proxy that passes on junk must not turn a sign-in into a database error.
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler, except that a successful sign-in clears only the failures
    of the user who signed in. axes would also clear every failure from the address, so
    anyone with an account could wipe the address's count between guesses at others'."""

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _deleted = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_minutes(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The sign-in page again, saying the sign-in is locked and for how long."""
    return render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request),
            "locked_out": True,
            "lockout_minutes": lockout_minutes(request),
            "next": request.POST.get("next", ""),
        },
        status=LOCKED_OUT_STATUS,
    )
