"""The app's own settings, plus the floor view's URL. Production-like: DEBUG off, so
templates are cached and no query log is kept; the bench process sets the environment."""

import warnings

from hitech_zone.settings import *  # noqa: F403

# STATIC_ROOT exists only after collectstatic; the bench's pages do not serve static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

ROOT_URLCONF = "bench.urls"
# The in-process client and the load generator speak plain HTTP on loopback.
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# collectstatic is a deployment step; the pages resolve static names without a manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
