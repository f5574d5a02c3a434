#!/usr/bin/env bash
# The code and dependency audit (`make audit`, CI):
#   1. bandit on our code, medium and high findings ([tool.bandit] in pyproject.toml);
#      a false finding is silenced where it is, with `# nosec BXXX: <why>`.
#   2. pip-audit on the locked requirements (requirements/base.txt, dev.txt), against
#      PyPI's and OSV's vulnerability data.
#
# Exit 0 when bandit is clean and every requirements file was audited without a known
# vulnerability, or when no vulnerability service could be reached at all: then it says
# so plainly, with the reason, because "could not check" is not "nothing found".
# Anything else fails: a vulnerability, a package that could not be audited while others
# could, a pip-audit error.
#
# AUDIT_SERVICES ("pypi osv"), AUDIT_OSV_URL (OSV's query URL, e.g. a mirror),
# AUDIT_TIMEOUT (20 s per request) and AUDIT_RUN_TIMEOUT (600 s per pip-audit run) tune it;
# AUDIT_REQUIREMENTS ("requirements/base.txt requirements/dev.txt") picks the files.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
SERVICES=${AUDIT_SERVICES:-pypi osv}
REQUIREMENTS=${AUDIT_REQUIREMENTS:-requirements/base.txt requirements/dev.txt}
TIMEOUT=${AUDIT_TIMEOUT:-20}
RUN_TIMEOUT=${AUDIT_RUN_TIMEOUT:-600}
step() { printf '\n== %s\n' "$*"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/security-audit.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "${AUDIT_SKIP_BANDIT:-}" ]; then
  step "bandit: medium and high findings in our code"
  targets=(hitech_zone projects inspections reports scripts)
  [ -d bench ] && targets+=(bench)
  "$BIN/bandit" -c pyproject.toml -r "${targets[@]}" -ll --quiet
  echo "bandit: no medium or high finding in ${targets[*]}"
fi

# One pip-audit run's verdict, from its exit status, JSON report and error output:
# clean, vulnerable, incomplete (some packages not audited), unreachable, error.
verdict() { # verdict STATUS JSON STDERR
  "$BIN/python" - "$@" <<'PY'
import json
import re
import sys
from pathlib import Path

status, report_path, stderr_path = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
stderr = stderr_path.read_text(errors="replace") if stderr_path.exists() else ""
try:
    report = json.loads(report_path.read_text())
except (OSError, ValueError):
    report = None

UNREACHABLE = re.compile(
    r"ConnectionError|NameResolutionError|Name or service not known|Temporary failure in "
    r"name resolution|Max retries exceeded|timed out|Timeout|Connection refused|"
    r"Network is unreachable|SSLError|ProxyError|HTTPError: 5\d\d"
)


def say(verdict: str, detail: str = "") -> None:
    print(verdict)
    if detail:
        print(detail)
    sys.exit(0)


if report is None:
    if status == 124:
        say("unreachable", "no answer within the run's time limit (timed out)")
    match = UNREACHABLE.search(stderr)
    if match:
        line = next(
            (line for line in reversed(stderr.splitlines()) if UNREACHABLE.search(line)),
            match.group(0),
        )
        say("unreachable", line.strip()[:400])
    say("error", "\n".join(stderr.strip().splitlines()[-15:]))

dependencies = report.get("dependencies", [])
vulnerable = [dep for dep in dependencies if dep.get("vulns")]
skipped = [dep for dep in dependencies if dep.get("skip_reason")]
if vulnerable:
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            aliases = ", ".join(vuln.get("aliases") or [])
            lines.append(
                f"  {dep['name']} {dep.get('version', '')}: {vuln['id']}"
                + (f" ({aliases})" if aliases else "")
                + f"; fixed in {fixes}"
            )
    say("vulnerable", "\n".join(lines))
if skipped and len(skipped) == len(dependencies):
    # Not one package found: the service's data is not there, not the packages missing.
    say(
        "unreachable",
        f"it answered 'not found' for all {len(skipped)} packages, so its vulnerability "
        f"data cannot be read from here (e.g. {skipped[0]['skip_reason']})",
    )
if skipped:
    say("incomplete", "\n".join(f"  {dep['name']}: {dep['skip_reason']}" for dep in skipped))
if status != 0:
    say("error", "\n".join(stderr.strip().splitlines()[-15:]))
say("clean", f"{len(dependencies)} packages audited, no known vulnerability")
PY
}

# pip-audit with a wall-clock limit; stdout is the JSON report, stderr its messages.
pip_audit() { # pip_audit REPORT STDERR ARGS...
  local report=$1 errors=$2
  shift 2
  local status=0
  timeout --kill-after=10 "$RUN_TIMEOUT" "$BIN/pip-audit" --disable-pip --no-deps \
    --progress-spinner off --timeout "$TIMEOUT" --format json --output "$report" "$@" \
    2>"$errors" >/dev/null || status=$?
  echo "$status"
}

failed=0
not_audited=()
reasons=()
for requirements in $REQUIREMENTS; do
  audited=0
  for service in $SERVICES; do
    step "pip-audit: $requirements against $service"
    args=(-r "$requirements" -s "$service")
    if [ "$service" = osv ] && [ -n "${AUDIT_OSV_URL:-}" ]; then
      args+=(--osv-url "$AUDIT_OSV_URL")
    fi
    report="$work/report.json" errors="$work/stderr.txt"
    rm -f "$report" "$errors"
    # --strict: a package that cannot be audited fails the run, as it should...
    status=$(pip_audit "$report" "$errors" --strict "${args[@]}")
    if [ "$status" -ne 0 ] && [ ! -s "$report" ]; then
      # ... but it stops at the first such package without a report, so ask again without
      # it to tell "the service is unreachable" from "this package is not there".
      rm -f "$report"
      status=$(pip_audit "$report" "$errors" "${args[@]}")
      if [ "$status" -eq 0 ]; then
        status=1 # the strict run failed, whatever this one says
      fi
    fi
    result=$(verdict "$status" "$report" "$errors")
    kind=${result%%$'\n'*}
    detail=${result#"$kind"}
    detail=${detail#$'\n'}
    case "$kind" in
      clean)
        echo "pip-audit: $requirements against $service: $detail"
        audited=1
        ;;
      unreachable)
        echo "pip-audit: the $service vulnerability service could not be reached: $detail"
        reasons+=("$service, for $requirements: $detail")
        ;;
      vulnerable)
        echo "pip-audit: KNOWN VULNERABILITIES in $requirements ($service):"
        echo "$detail"
        failed=1
        ;;
      incomplete)
        echo "pip-audit: $requirements against $service: some packages could not be audited:"
        echo "$detail"
        failed=1
        ;;
      *)
        echo "pip-audit: $requirements against $service failed (exit $status):"
        echo "$detail"
        failed=1
        ;;
    esac
  done
  if [ "$audited" -eq 0 ]; then
    not_audited+=("$requirements")
  fi
done

if [ "$failed" -ne 0 ]; then
  step "Audit FAILED"
  exit 1
fi
if [ ${#not_audited[@]} -gt 0 ]; then
  step "Dependency audit COULD NOT RUN for ${not_audited[*]}"
  echo "pip-audit checked no package in ${not_audited[*]}: no vulnerability service was"
  echo "reachable from this machine, so nothing is known either way about those packages."
  printf '  %s\n' "${reasons[@]}"
  echo "Run \`make audit\` where PyPI's JSON API (pypi.org/pypi/<name>/<version>/json) or"
  echo "api.osv.dev answers, or set AUDIT_OSV_URL to a reachable OSV mirror."
  exit 0
fi
step "Audit passed"
