"""Page fragments cached under the data version (hitech_zone.data_version).

The costly part of a page (its content, below the shared header) is rendered once per user,
language, day and address, and served again until a committed write changes the data
version. The header, messages and CSP nonce stay live. Forms keep working: the fragment is
stored with a placeholder where the CSRF token goes, and each response gets its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from hitech_zone import data_version

# No real token can look like this: tokens are letters and digits only.
CSRF_PLACEHOLDER = "-csrf-token-placeholder-"


def _key(request: HttpRequest, template_name: str, version: int) -> str:
    parts = (
        template_name,
        version,
        request.user.pk,
        get_language(),
        timezone.localdate().isoformat(),
        request.get_full_path(),
    )
    return "fragment:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def fragment(request: HttpRequest, template_name: str, build: Callable[[], dict]) -> SafeString:
    """`template_name` (a page's partial) rendered with the context `build()` returns, or
    the same HTML from the cache when nothing it may show has changed since."""
    version = data_version.current() if settings.FRAGMENT_CACHE_SECONDS else None
    if version is None:
        return render_to_string(template_name, build(), request)
    cache = caches["fragments"]
    key = _key(request, template_name, version)
    html = cache.get(key)
    if html is None:
        html = render_to_string(template_name, {**build(), "csrf_token": CSRF_PLACEHOLDER}, request)
        cache.set(key, str(html))
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)  # nosec B308 B703: rendered by our own autoescaping templates


def page(
    request: HttpRequest,
    template_name: str,
    build: Callable[[], dict],
    *,
    partial: str | None = None,
    context: dict | None = None,
) -> HttpResponse:
    """A page whose `page-content` partial is a cached fragment. An htmx request (not a
    boosted one) for `partial` gets that partial alone, cached in its own right.
    `context` is what the rest of the template (its title, say) needs."""
    if partial and request.htmx and not request.htmx.boosted:
        return HttpResponse(fragment(request, f"{template_name}#{partial}", build))
    content = fragment(request, f"{template_name}#page-content", build)
    return render(request, template_name, {**(context or {}), "page_content": content})
