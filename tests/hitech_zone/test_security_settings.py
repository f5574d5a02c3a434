"""The production settings pass Django's deployment checks, send plain HTTP to HTTPS (but
not the health probes), and set HSTS and the other security headers; the dependency
audit tells "vulnerable" from "could not run"."""

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# What a deployment may set; the tests start from none of them, as the defaults matter.
SECURITY_ENV = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_COOKIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def production_env(tmp_path: Path, **env: str) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if key not in SECURITY_ENV}
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "hitech_zone.settings",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHON": sys.executable,
        **env,
    }


def check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "check_deploy.sh")],
        cwd=ROOT,
        env=production_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_checks_pass_with_the_production_settings(tmp_path):
    result = check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_checks_pass_with_a_deployments_own_key_and_host(tmp_path):
    result = check_deploy(
        tmp_path, SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="xm.changshu.gov.cn"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "warning"),
    [
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": "0"}, "security.W005"),
        ({"SECURE_HSTS_PRELOAD": "0"}, "security.W021"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SECURE_COOKIES": "0"}, "security.W012"),
        # Long enough, but five different characters or fewer: guessable.
        ({"SECRET_KEY": "ab" * 30}, "security.W009"),
    ],
)
def test_the_deploy_checks_fail_on_a_weakened_setting(tmp_path, env, warning):
    result = check_deploy(tmp_path, **env)
    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client

client = Client()
def answer(path, **extra):
    response = client.get(path, **extra)
    return {"status": response.status_code, "location": response.get("Location", ""),
            "headers": dict(response.headers)}

print(json.dumps({
    "settings": {name: getattr(settings, name) for name in (
        "SECURE_SSL_REDIRECT", "SECURE_REDIRECT_EXEMPT", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE", "SESSION_SAVE_EVERY_REQUEST", "SESSION_EXPIRE_AT_BROWSER_CLOSE",
        "X_FRAME_OPTIONS", "SECURE_REFERRER_POLICY", "SECURE_PROXY_SSL_HEADER")},
    "plain": answer("/projects/"),
    "probe": answer("/healthz/live"),
    "secure": answer("/healthz/live", secure=True),
    "proxied": answer("/healthz/live", HTTP_X_FORWARDED_PROTO="https"),
}))
"""


def production(tmp_path: Path, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=production_env(
            tmp_path,
            DEBUG="0",
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="testserver",
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_plain_http_to_https_except_the_health_probes(tmp_path):
    answers = production(tmp_path)
    assert answers["plain"]["status"] == 301
    assert answers["plain"]["location"] == "https://testserver/projects/"
    # A load balancer probing over plain HTTP gets its answer, not a redirect.
    assert answers["probe"]["status"] == 200
    assert answers["settings"]["SECURE_REDIRECT_EXEMPT"] == [r"^healthz/"]


def test_production_security_headers(tmp_path):
    answers = production(tmp_path)
    chosen = answers["settings"]
    assert chosen["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert chosen["SESSION_COOKIE_SECURE"] and chosen["CSRF_COOKIE_SECURE"]
    assert chosen["SESSION_SAVE_EVERY_REQUEST"] is True
    assert chosen["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is False
    for answer in (answers["secure"], answers["proxied"]):
        headers = answer["headers"]
        assert answer["status"] == 200
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
    headers = answers["probe"]["headers"]
    # HSTS only means something over HTTPS; plain HTTP never carries it.
    assert "Strict-Transport-Security" not in headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_the_security_settings_follow_the_environment(tmp_path):
    answers = production(
        tmp_path,
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="0",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="1",
    )
    assert answers["settings"]["SECURE_HSTS_SECONDS"] == 3600
    assert answers["settings"]["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert answers["secure"]["headers"]["Strict-Transport-Security"] == (
        "max-age=3600; includeSubDomains"
    )


def test_plain_http_on_loopback_turns_the_redirect_off(tmp_path):
    """SECURE_COOKIES=0 (make serve over plain HTTP, the topology test) serves HTTP."""
    answers = production(tmp_path, SECURE_COOKIES="0")
    assert answers["settings"]["SECURE_SSL_REDIRECT"] is False
    # Not sent to HTTPS: sent to sign in, over plain HTTP.
    assert answers["plain"]["status"] == 302
    assert answers["plain"]["location"].startswith("/accounts/login/")


# ------------------------------------------------------------------ the dependency audit


class FakeOsv(BaseHTTPRequestHandler):
    """OSV's query API on loopback: `vulnerable` names the packages it knows a flaw in."""

    vulnerable: frozenset[str] = frozenset()
    status = 200

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        body: dict = {}
        if name in self.vulnerable:
            body = {
                "vulns": [
                    {
                        "id": "PYSEC-0000-0001",
                        "aliases": ["CVE-0000-0001"],
                        "summary": "a test flaw",
                        "affected": [
                            {
                                "package": {"name": name, "ecosystem": "PyPI"},
                                "ranges": [
                                    {
                                        "type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "99.0"}],
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        payload = json.dumps(body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def osv():
    """Start a fake OSV; returns a function (vulnerable=..., status=...) -> query URL."""
    servers = []

    def start(*, vulnerable=(), status=200) -> str:
        handler = type(
            "Handler", (FakeOsv,), {"vulnerable": frozenset(vulnerable), "status": status}
        )
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1/query"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def audit(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("django==5.2.1\nrequests==2.32.3\n")
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "security_audit.sh")],
        cwd=ROOT,
        env={
            **os.environ,
            "BIN": str(Path(sys.executable).parent),
            "AUDIT_SKIP_BANDIT": "1",
            "AUDIT_REQUIREMENTS": str(requirements),
            "AUDIT_TIMEOUT": "5",
            "XDG_CACHE_HOME": str(tmp_path / "cache"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_audit_passes_when_the_service_knows_no_flaw(tmp_path, osv):
    result = audit(tmp_path, AUDIT_SERVICES="osv", AUDIT_OSV_URL=osv())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 packages audited, no known vulnerability" in result.stdout
    assert "Audit passed" in result.stdout


def test_the_audit_fails_on_a_known_vulnerability(tmp_path, osv):
    result = audit(tmp_path, AUDIT_SERVICES="osv", AUDIT_OSV_URL=osv(vulnerable={"django"}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "KNOWN VULNERABILITIES" in result.stdout
    assert "django 5.2.1: PYSEC-0000-0001 (CVE-0000-0001); fixed in 99.0" in result.stdout
    assert "COULD NOT RUN" not in result.stdout


def test_a_vulnerability_fails_even_when_another_service_is_unreachable(tmp_path, osv):
    """PyPI's JSON API does not answer here (or it answers with real findings elsewhere):
    either way the flaw OSV reports fails the audit."""
    result = audit(tmp_path, AUDIT_SERVICES="pypi osv", AUDIT_OSV_URL=osv(vulnerable={"requests"}))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "requests 2.32.3: PYSEC-0000-0001" in result.stdout
    assert "COULD NOT RUN" not in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_audit_says_plainly_when_no_service_answers(tmp_path):
    # Nothing listens there: connection refused.
    result = audit(
        tmp_path, AUDIT_SERVICES="osv", AUDIT_OSV_URL=f"http://127.0.0.1:{free_port()}/v1/query"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dependency audit COULD NOT RUN" in result.stdout
    assert "the osv vulnerability service could not be reached" in result.stdout
    assert "Audit passed" not in result.stdout


def test_a_failing_service_is_not_taken_for_a_clean_result(tmp_path, osv):
    result = audit(tmp_path, AUDIT_SERVICES="osv", AUDIT_OSV_URL=osv(status=500))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dependency audit COULD NOT RUN" in result.stdout
    assert "Audit passed" not in result.stdout
