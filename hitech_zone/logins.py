"""Sign-in lockout (django-axes): the client address it counts failures by, when the
address alone locks, what a successful sign-in clears, how many attempts the sign-in page
says are left, and the page a locked-out user or address sees. The settings ("sign-in
lockout") say when it locks."""

import ipaddress
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.db.models import OuterRef, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hitech_zone.forms import SignInForm

LOCKED_OUT_STATUS = 429
# The sign-in page says how many attempts are left from this many failures on.
WARN_AFTER_FAILURES = 3


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


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's client address within the cool-off, for any
    user names."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginAttemptHandler(AxesDatabaseHandler):
    """axes' database handler, with two changes.

    The address alone locks only at LOGIN_ADDRESS_FAILURE_LIMIT: axes has one limit for
    every lockout parameter, and at that limit one person's typos behind an office NAT
    locked out the whole office. The user name, alone and with the address, is axes' own
    (AXES_LOCKOUT_PARAMETERS, AXES_FAILURE_LIMIT).

    A successful sign-in clears only the failures of the user who signed in. axes would
    also clear every failure from the address, so anyone with an account could wipe the
    address's count between guesses at others'."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # What axes compares with AXES_FAILURE_LIMIT, both to refuse a sign-in and to lock
        # at a failure: the address at its own limit counts as the user name at its.
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(failures, settings.AXES_FAILURE_LIMIT)
        return failures

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


def failures_subquery(username_field: str = "username") -> Subquery:
    """The failed sign-ins of the user name in `username_field` within the cool-off, as a
    subquery (for the admin's list of users)."""
    attempts = AccessAttempt.objects.filter(username=OuterRef(username_field))
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - get_cool_off())
    return Subquery(
        attempts.order_by()
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .values("total")[:1]
    )


def unlock(username: str) -> int:
    """Clear a user name's failed sign-ins from every address (the admin's unlock); how
    many records went."""
    return axes_reset(username=username)


def attempts_left(request: HttpRequest) -> int | None:
    """After a failed sign-in: how many more would lock it (by the user name's count or
    the address's, whichever is nearer its limit), once WARN_AFTER_FAILURES have failed;
    None before that."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None or getattr(request, "axes_locked_out", False):
        return None
    left = min(
        settings.AXES_FAILURE_LIMIT - failures,
        settings.LOGIN_ADDRESS_FAILURE_LIMIT - address_failures(request),
    )
    return max(left, 0) if left <= settings.AXES_FAILURE_LIMIT - WARN_AFTER_FAILURES else None


class SignInView(LoginView):
    """Django's sign-in view, saying after a few failures how many attempts are left."""

    authentication_form = SignInForm

    def form_invalid(self, form):
        return self.render_to_response(
            self.get_context_data(form=form, attempts_left=attempts_left(self.request))
        )
