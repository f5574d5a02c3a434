#!/usr/bin/env bash
# A passive security scan of the running app (`make scan`; README: Security, Passive scan).
#
# ZAP's baseline scan cannot run here (no Docker engine, no Debian package), so this uses
# Debian's wapiti (3.0.4, installed when missing and this user is root) with only its
# inspection modules, plus scripts/passive_scan.py reading every response wapiti saw:
#   1. a scratch SQLite database with the demo data, in a temporary folder;
#   2. gunicorn with DEBUG off, a random SECRET_KEY, on a free loopback port, plain HTTP
#      (SECURE_COOKIES=0); static files come from their source folders
#      (tests/faults/served_settings.py), which saves collectstatic's half minute;
#   3. the demo official signs in; wapiti crawls with that session (sign-out excluded)
#      and runs http_headers, cookieflags and csp;
#   4. passive_scan.py prints the findings and fails on any that its allowlist does not
#      accept with a reason.
#
# SCAN_MAX_SECONDS (90) bounds wapiti's crawl; SCAN_KEEP=1 keeps the temporary folder
# (report, wapiti's session database, the server log) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
MAX_SECONDS=${SCAN_MAX_SECONDS:-90}
step() { printf '\n== %s\n' "$*"; }

if ! command -v wapiti >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "Installing wapiti (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wapiti >/dev/null
  else
    echo "The passive scan needs wapiti: apt-get install wapiti"
    exit 1
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/passive-scan.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ -n "${SCAN_KEEP:-}" ]; then
    echo "passive scan: files kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Production's settings on plain HTTP, everything the app writes inside $work.
export DEBUG=0
SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY
export DJANGO_SETTINGS_MODULE=tests.faults.served_settings
export ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_COOKIES=0
export DATABASE_URL="sqlite:///$work/db.sqlite3"
export VAR_DIR="$work/var" MEDIA_ROOT="$work/media" CELERY_BROKER_DIR="$work/celery"
export STATIC_ROOT="$work/static"
mkdir -p "$STATIC_ROOT"
unset REDIS_URL
export LOG_FORMAT=plain LOG_LEVEL=WARNING

step "Scratch database with the demo data"
"$BIN/python" manage.py migrate --noinput -v0
# --force: DEBUG is off, and this database is a throwaway one.
"$BIN/python" manage.py load_demo --force >/dev/null

port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port/"
step "Serving on $base (DEBUG off, plain HTTP)"
"$BIN/gunicorn" hitech_zone.wsgi:application --bind "127.0.0.1:$port" --workers 2 \
  --access-logfile "$work/access.log" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 150); do
  if curl -fs -o /dev/null "${base}healthz/live" 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; exit 1; fi
  sleep 0.2
done

# Debian's wapiti 3.0.4 cannot compile its own --exclude patterns on Python 3.11 (a
# global regex flag after the pattern), so it runs with that one function corrected.
run_wapiti() {
  "$(head -1 "$(command -v wapiti)" | sed 's/^#! *//')" - "$@" <<'PY'
import re
import sys

from wapitiCore.net import crawler


def wildcard_translate(pattern):
    return re.compile("(?ms)" + ".*".join(map(re.escape, pattern.split("*"))) + r"\Z")


crawler.wildcard_translate = wildcard_translate
from wapitiCore.main.wapiti import wapiti_main  # noqa: E402

sys.argv[0] = "wapiti"
sys.exit(wapiti_main())
PY
}

step "Signing in as the demo official"
"$BIN/python" scripts/passive_scan.py login "$base" "$work/cookies.json" \
  --set-cookie-log "$work/set-cookie.txt"

step "wapiti: crawl (at most ${MAX_SECONDS}s), then http_headers, cookieflags, csp"
# The crawler fills and sends the forms it finds once each (as ZAP's spider does), which
# is why the database is a scratch one; sign-out is excluded so the session stays.
run_wapiti --url "$base" --scope folder --cookie "$work/cookies.json" \
  --exclude "${base}accounts/logout/*" \
  --module http_headers,cookieflags,csp \
  --depth 3 --max-links-per-page 40 --max-files-per-dir 20 \
  --max-scan-time "$MAX_SECONDS" --timeout 20 --flush-session \
  --store-session "$work/wapiti" \
  --no-bugreport --verbose 0 --format json --output "$work/report.json" >"$work/wapiti.log" 2>&1 ||
  { cat "$work/wapiti.log"; exit 1; }

step "Findings"
"$BIN/python" scripts/passive_scan.py check "$base" --report "$work/report.json" \
  --session-dir "$work/wapiti" --access-log "$work/access.log" \
  --set-cookie-log "$work/set-cookie.txt" --cookie-file "$work/cookies.json"
