"""gunicorn's settings wherever the app is served: `make serve` (scripts/serve.sh),
docker-compose.yml, the Dockerfile and the fault tests. The bind address comes from the
command line, the number of processes from WEB_CONCURRENCY (gunicorn reads it itself)."""

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from log_format import dict_config, json_wanted  # noqa: E402

# Threads: a request waiting on a database or broker that is down (a health probe, a page
# during an outage) holds one thread, not a whole process, so probes never starve pages.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
# The master imports the app once, and forks ready workers from it: a worker that dies is
# replaced in milliseconds, and a restarted gunicorn serves after one import of Django, not
# one per worker at once on a busy machine.
preload_app = True
# gunicorn 27's control socket (gunicornc) sits in $HOME by default, one path for every
# gunicorn of this user; nothing here uses it.
control_socket_disable = True

# Each request is logged once, by the app (hitech_zone.access, JSON, with its request id):
# no gunicorn access log. gunicorn's own lines (start, workers booting and exiting) are
# JSON too, with UTC times, unless LOG_FORMAT=plain or DEBUG.
accesslog = None
if json_wanted():
    logconfig_dict = dict_config({"gunicorn.error": "INFO", "gunicorn.access": "INFO"})
    # Python's warnings as log records ("py.warnings"), so they are JSON lines too; the
    # workers inherit this from the master.
    logging.captureWarnings(True)
