#!/usr/bin/env bash
# The production topology on one machine (`make serve`), the same processes as
# docker-compose.yml: migrate, collectstatic, then
#   web             gunicorn, WEB_CONCURRENCY worker processes on SERVE_BIND
#   worker-default  a Celery worker on the default queue (notifications, nightly jobs)
#   worker-pdf      a Celery worker on the PDF queue (briefing renders)
#   beat            the one Celery beat
# PIDs go to $SERVE_RUN_DIR/<name>.pid. SIGTERM or SIGINT is passed on to all four; when
# any one exits, the others are stopped and the script exits.
#
#   DATABASE_URL=postgres://... REDIS_URL=redis://... SECRET_KEY=... scripts/serve.sh
#
# Tuning: WEB_CONCURRENCY (2), WORKER_CONCURRENCY (2), PDF_WORKER_CONCURRENCY (1),
# SERVE_BIND (127.0.0.1:8000), CELERY_DEFAULT_QUEUE (default), CELERY_PDF_QUEUE (pdf),
# VAR_DIR (var/), SERVE_RUN_DIR ($VAR_DIR/run), SERVE_STOP_TIMEOUT (60 seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

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
export VAR_DIR=${VAR_DIR:-$PWD/var}
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}
WORKER_CONCURRENCY=${WORKER_CONCURRENCY:-2}
PDF_WORKER_CONCURRENCY=${PDF_WORKER_CONCURRENCY:-1}
SERVE_BIND=${SERVE_BIND:-127.0.0.1:8000}
RUN_DIR=${SERVE_RUN_DIR:-$VAR_DIR/run}
STOP_TIMEOUT=${SERVE_STOP_TIMEOUT:-60}
mkdir -p "$VAR_DIR" "$RUN_DIR"

echo "serve: migrate and collectstatic"
"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput -v 0
# The queue names as the settings have them (CELERY_DEFAULT_QUEUE, CELERY_PDF_QUEUE).
read -r DEFAULT_QUEUE PDF_QUEUE < <("$BIN/python" manage.py shell -c \
  "from django.conf import settings as s; print(s.CELERY_TASK_DEFAULT_QUEUE, s.CELERY_PDF_QUEUE)" | tail -n 1)

names=()
pids=()
start() { # start NAME COMMAND...: run in the background, remember and record its PID
  local name=$1
  shift
  "$@" &
  names+=("$name")
  pids+=($!)
  echo "$!" >"$RUN_DIR/$name.pid"
  echo "serve: $name started, pid $!"
}

stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Workers finish the tasks they are running (warm shutdown); past the timeout, kill.
  local deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  for name in "${names[@]}"; do rm -f "$RUN_DIR/$name.pid"; done
}
on_signal() {
  echo "serve: $1 received, stopping all processes"
  stop
  exit 0
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
trap stop EXIT

start web "$BIN/gunicorn" hitech_zone.wsgi:application \
  --bind "$SERVE_BIND" --workers "$WEB_CONCURRENCY" --access-logfile - --graceful-timeout 30
start worker-default "$BIN/celery" -A hitech_zone worker --loglevel=INFO \
  -Q "$DEFAULT_QUEUE" -n "default@%h" --concurrency "$WORKER_CONCURRENCY"
start worker-pdf "$BIN/celery" -A hitech_zone worker --loglevel=INFO \
  -Q "$PDF_QUEUE" -n "pdf@%h" --concurrency "$PDF_WORKER_CONCURRENCY"
# Exactly one beat: its PID file is a lock, so a second `make serve` on this machine
# with the same VAR_DIR cannot start another.
start beat "$BIN/celery" -A hitech_zone beat --loglevel=INFO \
  --schedule "$VAR_DIR/celerybeat-schedule" --pidfile "$RUN_DIR/beat.lock"

echo "serve: http://$SERVE_BIND/ (queues: $DEFAULT_QUEUE, $PDF_QUEUE); Ctrl-C stops all"
rc=0
wait -n || rc=$?
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then
    echo "serve: ${names[$i]} (pid ${pids[$i]}) exited with status $rc; stopping the others" >&2
  fi
done
stop
exit $((rc == 0 ? 1 : rc))
