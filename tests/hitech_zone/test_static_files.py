"""Static files in production (DEBUG off): collectstatic writes hashed names, and WhiteNoise
serves them with far-future caching, since a changed file gets a new name."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import django
django.setup()
from django.templatetags.static import static
from django.test import Client
url = static("vendor/htmx.min.js")
# Over HTTPS, as behind the proxy: plain HTTP is redirected there with DEBUG off.
response = Client().get(url, secure=True)
print(url)
print(response.status_code)
print(response["Cache-Control"])
"""


def test_a_hashed_static_url_is_cached_for_ever(tmp_path):
    # A process of its own: the settings pick the manifest storage at start-up.
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "static-files-test-" + "x" * 40,
        "ALLOWED_HOSTS": "testserver",
        "STATIC_ROOT": str(tmp_path / "static"),
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "hitech_zone.settings",
    }
    env.pop("REDIS_URL", None)
    subprocess.run(
        # The app's own script is enough; the font and the admin's and API docs' files
        # take most of a minute to compress.
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
        + ["--ignore=" + name for name in ("admin", "ninja", "css", "fonts")],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    url, status, cache_control = probe.stdout.strip().splitlines()[-3:]
    assert url.startswith("/static/vendor/htmx.min.") and url != "/static/vendor/htmx.min.js"
    assert status == "200"
    assert cache_control == "max-age=315360000, public, immutable"
