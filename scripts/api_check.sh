#!/usr/bin/env bash
# Schemathesis against the JSON API, as the city's platform would call it: a database with
# the demo data, a token for the demo official, the app on loopback, then every operation
# in /api/v1/openapi.json called with generated parameters, valid and invalid.
#
#   scripts/api_check.sh                      # SQLite in a temporary directory
#   DATABASE_URL=postgres://... scripts/api_check.sh
#
# Fails on any 5xx, a response that does not match the schema (body, status code,
# content type, headers), a valid request refused or an invalid one accepted.
# API_CHECK_PORT (8765) and API_CHECK_MAX_EXAMPLES (30 per operation) tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }
root=$PWD
BIN=.venv/bin
PORT=${API_CHECK_PORT:-8765}
MAX_EXAMPLES=${API_CHECK_MAX_EXAMPLES:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/api-check.XXXXXX")
export DEBUG=1 VAR_DIR="$work/var"
export DATABASE_URL=${DATABASE_URL:-sqlite:///$work/db.sqlite3}
# A read-only API enqueues nothing: the file broker under $work is enough.
unset REDIS_URL

server=""
stop() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT

step "API check: database, demo data, last week's briefing and a token for the demo official"
"$BIN/python" manage.py migrate --noinput >/dev/null
"$BIN/python" manage.py load_demo >/dev/null
# A published briefing, so the PDF operation has one to serve (the demo has none).
"$BIN/python" manage.py briefing weekly "$(date -d '7 days ago' +%G-W%V)" >/dev/null
key=$("$BIN/python" manage.py api_token official --name "schemathesis $(date +%F)")

step "API check: the app on 127.0.0.1:$PORT"
"$BIN/python" manage.py runserver "127.0.0.1:$PORT" --noreload >"$work/server.log" 2>&1 &
server=$!
schema="http://127.0.0.1:$PORT/api/v1/openapi.json"
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "$schema" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 1
done
curl -fsS -o /dev/null "$schema"

step "API check: schemathesis on $schema"
# All checks; the two about resources created and deleted need write operations, which a
# read-only API has none of.
# Run from the temporary directory: schemathesis keeps a cache in its working directory.
(cd "$work" && "$root/$BIN/schemathesis" run "$schema" \
  --header "Authorization: Bearer $key" \
  --checks all \
  --exclude-checks use_after_free,ensure_resource_availability \
  --max-examples "$MAX_EXAMPLES" \
  --generation-database none \
  --request-timeout 30 \
  --no-color) || { tail -n 60 "$work/server.log"; exit 1; }
