"""The signed-in user's own account pages: API tokens for the JSON API."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hitech_zone import selectors, services
from hitech_zone.forms import ApiTokenForm
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
