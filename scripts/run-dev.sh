#!/usr/bin/env bash
# Serves the app with a Celery worker (both queues) and beat beside it; stops all three together.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
mkdir -p var
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

if [ -n "${REDIS_URL:-}" ]; then broker="Redis at $REDIS_URL"; else broker="the file broker in var/celery"; fi
# One worker takes both queues here: the default one and the briefings' PDF queue.
queues=$("$BIN/python" manage.py shell -c \
  "from django.conf import settings as s; print(f'{s.CELERY_TASK_DEFAULT_QUEUE},{s.CELERY_PDF_QUEUE}')" | tail -n 1)
echo "Celery worker (queues $queues) and beat on $broker"
"$BIN/celery" -A hitech_zone worker --loglevel=INFO --concurrency=2 --without-gossip --without-mingle \
  -Q "$queues" &
pids+=($!)
"$BIN/celery" -A hitech_zone beat --loglevel=INFO --schedule var/celerybeat-schedule &
pids+=($!)
echo "Serving on http://127.0.0.1:$PORT/  (sign in as official / hitech-demo)"
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
# Stop everything as soon as any one of the three exits.
wait -n
