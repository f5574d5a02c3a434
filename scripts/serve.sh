#!/usr/bin/env bash
# The production topology on one machine (`make serve`), the same processes as
# docker-compose.yml, each watched by circus (circusd), which restarts any one that exits
# on its own while the others run on:
#   web             gunicorn on SERVE_BIND (circus holds the socket, so connections wait
#                   in its queue rather than fail while gunicorn itself restarts)
#   worker-default  a Celery worker on the default queue (notifications, nightly jobs)
#   worker-pdf      a Celery worker on the PDF queue (briefing renders)
#   beat            the one Celery beat
# Migrations and static files are the release step (`make release`), run once per
# deployment of new code, before this: it refuses to start while a migration is unapplied.
# $SERVE_RUN_DIR/<name>.pid names each process's current PID. One set per VAR_DIR: a
# second serve.sh on the same VAR_DIR refuses to start and touches nothing. SIGTERM or
# SIGINT stops all four (workers finish their tasks, up to SERVE_STOP_TIMEOUT).
#
#   DATABASE_URL=postgres://... REDIS_URL=redis://... SECRET_KEY=... scripts/serve.sh
#
# Tuning: WEB_CONCURRENCY (2), WEB_THREADS (4, scripts/gunicorn.conf.py),
# WORKER_CONCURRENCY (2), PDF_WORKER_CONCURRENCY (1), SERVE_BIND (127.0.0.1:8000),
# CELERY_DEFAULT_QUEUE (default), CELERY_PDF_QUEUE (pdf), VAR_DIR (var/), SERVE_RUN_DIR
# ($VAR_DIR/run), SERVE_STOP_TIMEOUT (60 seconds), SERVE_RETRY_SECONDS (5: the pause
# before restarting a process that died 3 times within 30 seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin

# What every process needs; scripts/check_compose.py holds docker-compose.yml to the same.
REQUIRED_ENV=(DATABASE_URL REDIS_URL SECRET_KEY)
# Optional here (the settings' defaults apply), but web and workers must agree on them, so
# docker-compose.yml sets them on every service.
SHARED_ENV=(CELERY_DEFAULT_QUEUE CELERY_PDF_QUEUE)
missing=()
for var in "${REQUIRED_ENV[@]}"; do
  [ -n "${!var:-}" ] || missing+=("$var")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "serve: set ${missing[*]} first. The production topology runs on PostgreSQL" \
    "(DATABASE_URL=postgres://...) and Redis (REDIS_URL=redis://...), with DEBUG off, so" \
    "SECRET_KEY must be a long random value of this deployment's own." >&2
  exit 2
fi
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "serve: DATABASE_URL must be a PostgreSQL URL (postgres://...)." >&2; exit 2 ;;
esac

export DEBUG=0
say() { # say LEVEL TEXT: a line of the running set's log, JSON like the processes' own
  if [ "${LOG_FORMAT:-json}" = json ]; then
    local text=${2//\\/\\\\}
    text=${text//\"/\\\"}
    printf '{"time": "%s", "level": "%s", "logger": "serve", "message": "%s", "request_id": null}\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%S.%3N+00:00)" "$1" "$text"
  else
    echo "serve: $2"
  fi
}
export VAR_DIR=${VAR_DIR:-$PWD/var}
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-2}
PDF_WORKER_CONCURRENCY=${PDF_WORKER_CONCURRENCY:-1}
SERVE_BIND=${SERVE_BIND:-127.0.0.1:8000}
export SERVE_RUN_DIR=${SERVE_RUN_DIR:-$VAR_DIR/run}
RUN_DIR=$SERVE_RUN_DIR
STOP_TIMEOUT=${SERVE_STOP_TIMEOUT:-60}
RETRY_SECONDS=${SERVE_RETRY_SECONDS:-5}
mkdir -p "$VAR_DIR" "$RUN_DIR"

# One set per VAR_DIR: the lock is held for as long as this script (and circusd, which
# inherits it) runs. A second start leaves at once, before writing anything.
exec 9>>"$RUN_DIR/serve.lock"
if ! flock --nonblock 9; then
  echo "serve: another serve.sh already runs on $VAR_DIR (lock $RUN_DIR/serve.lock);" \
    "stop it first, or give this one a VAR_DIR of its own." >&2
  exit 3
fi

# The queue names as the settings have them, and whether the release step has run.
read -r DEFAULT_QUEUE PDF_QUEUE UNAPPLIED < <("$BIN/python" manage.py shell -c "
from django.conf import settings as s
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
try:
    executor = MigrationExecutor(connection)
    unapplied = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
except DatabaseError:
    unapplied = '?'
print(s.CELERY_TASK_DEFAULT_QUEUE, s.CELERY_PDF_QUEUE, unapplied)" | tail -n 1)
if [ -z "${UNAPPLIED:-}" ]; then
  echo "serve: manage.py could not read the settings (its error is above)." >&2
  exit 2
elif [ "$UNAPPLIED" = "?" ]; then
  say WARNING "the database does not answer; starting anyway (pages answer 503 until it does)"
elif [ "$UNAPPLIED" != 0 ]; then
  echo "serve: $UNAPPLIED migrations are unapplied: run the release step first" \
    "(make release: migrate and collectstatic)." >&2
  exit 2
fi

# circusd's configuration, one watcher per `start NAME COMMAND...`.
CONFIG=$RUN_DIR/circus.ini
cat >"$CONFIG" <<EOF
[circus]
endpoint = ipc://$RUN_DIR/circus.sock
pubsub_endpoint = ipc://$RUN_DIR/circus-pubsub.sock
statsd = False
check_delay = 1
umask = 022

[socket:web]
host = ${SERVE_BIND%:*}
port = ${SERVE_BIND##*:}
EOF
start() { # start NAME COMMAND...: a watcher that restarts the process whenever it exits
  local name=$1 quoted="" arg
  shift
  # Single-quoted for circus's shlex; circus fills in $(circus.sockets.web) first.
  for arg in "$@"; do quoted+="'${arg//\'/\'\\\'\'}' "; done
  cat >>"$CONFIG" <<EOF

[watcher:$name]
cmd = $quoted
working_dir = $PWD
copy_env = True
use_sockets = $([ "$name" = web ] && echo True || echo False)
stop_signal = TERM
graceful_timeout = $STOP_TIMEOUT
# At once after a crash; after 3 exits within 30 s, every SERVE_RETRY_SECONDS, for ever.
check_flapping = True
flapping_attempts = 3
flapping_window = 30
flapping_retry_in = $RETRY_SECONDS
flapping_max_retry = -1
hooks.after_spawn = circus_hooks.record_pid
EOF
}

# gunicorn's threads, timeouts: scripts/gunicorn.conf.py. The socket is circus's.
start web "$BIN/gunicorn" hitech_zone.wsgi:application --config scripts/gunicorn.conf.py \
  --bind 'fd://$(circus.sockets.web)'
# --quiet: no banner (plain text); Celery's log lines go through the settings' LOGGING.
# Without gossip and mingle (events and start-up sync between workers, which nothing here
# uses), a restarted worker is ready a second or more sooner.
start worker-default "$BIN/celery" -A hitech_zone --quiet worker --loglevel=INFO \
  -Q "$DEFAULT_QUEUE" -n "default@%h" --concurrency "$WORKER_CONCURRENCY" --without-gossip --without-mingle
start worker-pdf "$BIN/celery" -A hitech_zone --quiet worker --loglevel=INFO \
  -Q "$PDF_QUEUE" -n "pdf@%h" --concurrency "$PDF_WORKER_CONCURRENCY" --without-gossip --without-mingle
# Exactly one beat: the lock above keeps a second set off this VAR_DIR.
start beat "$BIN/celery" -A hitech_zone --quiet beat --loglevel=INFO \
  --schedule "$VAR_DIR/celerybeat-schedule"

# circusd's own lines in the app's JSON format (scripts/log_format.py), as the settings
# would have it: JSON unless LOG_FORMAT=plain (DEBUG is off here).
circus_logging=()
if [ "${LOG_FORMAT:-json}" = json ]; then
  cat >"$RUN_DIR/circus-logging.json" <<EOF
{"version": 1, "disable_existing_loggers": false,
 "formatters": {"json": {"()": "log_format.JsonFormatter"}},
 "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json"}},
 "root": {"level": "INFO", "handlers": ["json"]}}
EOF
  circus_logging=(--logger-config "$RUN_DIR/circus-logging.json")
fi

say INFO "http://$SERVE_BIND/ (queues: $DEFAULT_QUEUE, $PDF_QUEUE); Ctrl-C stops all"
PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" "$BIN/circusd" --log-level info \
  "${circus_logging[@]}" "$CONFIG" &
circusd=$!
stop() { kill -TERM "$circusd" 2>/dev/null || true; }
trap stop TERM INT
# `wait` returns early when a signal arrives; wait again for circusd's own shutdown.
while :; do
  rc=0
  wait "$circusd" || rc=$?
  kill -0 "$circusd" 2>/dev/null || break
done
rm -f "$RUN_DIR"/{web,worker-default,worker-pdf,beat}.pid "$RUN_DIR"/circus*.sock
exit "$rc"
