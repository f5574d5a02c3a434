"""The language switch's cookie carries the flags the passive scan checks
(scripts/passive_scan.sh): HttpOnly and SameSite always, Secure with DEBUG off."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_language_cookie_is_httponly_and_samesite():
    response = Client().post(reverse("set_language"), {"language": "en", "next": "/"})

    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def production_language_cookie_secure(tmp_path, **env: str) -> str:
    """LANGUAGE_COOKIE_SECURE as the settings module reads it with DEBUG off."""
    keep = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_COOKIES"}}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from hitech_zone import settings as s; print(s.LANGUAGE_COOKIE_SECURE)",
        ],
        cwd=settings.BASE_DIR,
        env={
            **keep,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "VAR_DIR": str(tmp_path / "var"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_language_cookie_is_secure_in_production_unless_cookies_are_not(tmp_path):
    assert production_language_cookie_secure(tmp_path) == "True"
    assert production_language_cookie_secure(tmp_path, SECURE_COOKIES="0") == "False"
