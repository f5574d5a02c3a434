"""The settings the fault tests serve with: production's (run them with DEBUG=0), except
that static files are served from their source folders through WhiteNoise's finders, so
no test spends half a minute on `collectstatic`. Static files play no part in the
faults these tests cause."""

from hitech_zone.settings import *  # noqa: F403
from hitech_zone.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
