#!/usr/bin/env bash
# Django's deployment checks (`manage.py check --deploy`) on the production settings, with
# DEBUG off: fails on any warning (HSTS, HTTPS redirect, secure cookies, SECRET_KEY
# strength, X-Frame-Options, Referrer-Policy, ALLOWED_HOSTS, and the checks of the apps).
#
#   scripts/check_deploy.sh                       # CI: the defaults, with a throwaway key
#   SECRET_KEY=... ALLOWED_HOSTS=... scripts/check_deploy.sh   # a deployment's own values
#
# Every other setting comes from the environment as the app would read it, so a
# deployment can check its own configuration (e.g. SECURE_HSTS_SECONDS) the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
work=$(mktemp -d "${TMPDIR:-/tmp}/check-deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT

export DEBUG=0
export SECRET_KEY=${SECRET_KEY:-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-xm.example.gov.cn}
export CSRF_TRUSTED_ORIGINS=${CSRF_TRUSTED_ORIGINS:-https://xm.example.gov.cn}
# The embedded defaults' files (SQLite, file broker) go to a throwaway directory.
export VAR_DIR="$work/var"

"$PYTHON" manage.py check --deploy --fail-level WARNING
