"""Content-Security-Policy: every page is served with a policy carrying a fresh nonce, the
page's own <script> and <style> elements carry that nonce, and no template has an inline
event handler, an inline style attribute or a script or style without the nonce."""

import re
from pathlib import Path

import pytest
from csp.constants import NONCE
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from hitech_zone.permissions import Role
from inspections.models import Issue, MonthlyReport, SiteVisit
from inspections.rounds import services as rounds
from projects.models import Project, ProjectImport
from reports import periods
from tests import factories

TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates"]
STATIC_DIR = Path(settings.BASE_DIR) / "static"

NONCE_IN_HEADER = re.compile(r"script-src [^;]*'nonce-([^']+)'")
TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
NONCE_ATTRIBUTE = re.compile(r"""\bnonce=["']([^"']*)["']""")
# onclick=, onchange=, ... and htmx's hx-on attributes, which htmx runs with eval.
EVENT_HANDLER = re.compile(r"""\s(on[a-z]+|hx-on[:\w-]*|data-hx-on[:\w-]*)\s*=""", re.I)
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=""", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""=\s*["']\s*javascript:""", re.IGNORECASE)
DJANGO_COMMENT = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


def test_the_policy_is_strict():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    for directive in ("script-src", "style-src"):
        sources = directives[directive]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
        assert NONCE in sources and "'self'" in sources


# ------------------------------------------------------------------ the pages as served

# Every named URL is either a page checked below or one of these, which answer something
# other than an HTML page (files, JSON, redirects after a POST).
NOT_PAGES = {
    "projects:export",
    "projects:export_csv",
    "projects:milestone_export",
    "projects:milestone_export_csv",
    "projects:investment_export",
    "projects:investment_export_csv",
    "projects:import_template",
    "projects:import_confirm",
    "projects:status",
    "projects:milestone_dates",
    "projects:milestone_rebaseline",
    "projects:investment",
    "projects:note",
    "briefing_generate",
    "briefing_subscription",
    "briefing_download",
    "briefing_register_download",
    "briefing_retry",
    "project_brief",
    "alert_export",
    "alert_export_csv",
    "slip_detect_now",
    "issue_export",
    "issue_export_csv",
    "visit_export",
    "issue_transition",
    "visit_draft",
    "photo_file",
    "notifications_read",
    "logout",
    "set_language",
    "api_token_create",
    "api_token_revoke",
    "healthz_live",
    "healthz_ready",
    "healthz_beat",
    "healthz_worker",
    "metrics_prometheus",
    "audit_log_export",
    "round_export",
    "round_report_accept",
    "round_report_return",
    "round_report_correct",
    "round_report_photo",
}


def page_urls(today, user) -> dict[str, str]:
    project = Project.objects.order_by("code").first()
    briefing = factories.published_briefing(today=today)
    an_import = ProjectImport.objects.create(
        kind=ProjectImport.Kind.REGISTER,
        status=ProjectImport.Status.PREVIEWED,
        uploaded_by=user,
        file_name="重点项目.xlsx",
        sha256="0" * 64,
        size=0,
        plan={"rows": [], "errors": []},
    )
    week = periods.last_complete(periods.WEEKLY, today).key
    # The monthly round of the month before (opened on the 1st; idempotent).
    opened = rounds.round_open(*rounds.round_month_for(today)).round
    report = MonthlyReport.objects.filter(round=opened).order_by("pk").first()
    return {
        "round_index": "/rounds/",
        "round_detail": f"/rounds/{opened.year}-{opened.month}/",
        "round_check_queue": "/rounds/queue/",
        "round_report": f"/rounds/reports/{report.pk}/",
        "round_my_reports": "/rounds/mine/",
        "round_report_fill": f"/rounds/reports/{report.pk}/fill/",
        "dashboard": "/",
        "lights": "/lights/",
        "projects:list": "/projects/",
        "projects:import": "/projects/import/",
        "projects:import_preview": f"/projects/import/{an_import.pk}/",
        "project_detail": f"/projects/{project.code}/",
        "briefing_list": "/briefings/",
        "briefing_detail": f"/briefings/{briefing.pk}/",
        "briefing_preview": f"/briefings/{briefing.pk}/preview/",
        "briefing_preview_live": f"/briefings/preview/weekly/{week}/",
        "alert_list": "/alerts/",
        "issue_list": "/issues/",
        "department_board": "/issues/board/",
        "issue_detail": f"/issues/{Issue.objects.order_by('pk').first().pk}/",
        "visit_list": "/visits/",
        "visit_create": "/visits/new/",
        "visit_detail": f"/visits/{SiteVisit.objects.order_by('pk').first().pk}/",
        "notifications": "/notifications/",
        "api_token_list": "/account/tokens/",
        "metrics": "/metrics/",
        "audit_log": "/audit/",
        "login": "/accounts/login/",
    }


def named_urls(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or pattern.namespace == "api":
                continue  # Django's admin (checked below) and the JSON API (no HTML)
            names |= named_urls(
                pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


# Standalone documents (the briefing as a web page) have styles and no script.
WITHOUT_SCRIPTS = {"briefing_preview", "briefing_preview_live"}


def policy_problems(response, url: str, *, with_scripts: bool = True) -> list[str]:
    """What is wrong with the policy of one HTML response ([] when nothing)."""
    header = response.headers.get("Content-Security-Policy", "")
    found = NONCE_IN_HEADER.search(header)
    if not found:
        return [f"{url}: no Content-Security-Policy with a script nonce: {header!r}"]
    nonce = found.group(1)
    problems = []
    if f"style-src 'self' 'nonce-{nonce}'" not in header:
        problems.append(f"{url}: style-src without the same nonce: {header!r}")
    html = response.content.decode()
    tags = TAG.findall(html)
    if with_scripts and not any(name.lower() == "script" for name, _ in tags):
        problems.append(f"{url}: no <script> element at all (htmx is missing)")
    for name, attributes in tags:
        if name.lower() == "script" and "application/json" in attributes:
            continue  # data, never run
        carried = NONCE_ATTRIBUTE.search(attributes)
        if not carried or carried.group(1) != nonce:
            problems.append(f"{url}: <{name}{attributes}> without the page's nonce")
    for pattern, what in (
        (EVENT_HANDLER, "inline event handler"),
        (STYLE_ATTRIBUTE, "style attribute"),
        (JAVASCRIPT_URL, "javascript: URL"),
    ):
        for match in pattern.finditer(html):
            context = html[max(0, match.start() - 60) : match.end() + 40]
            problems.append(f"{url}: {what}: …{context}…")
    return problems


@pytest.mark.django_db
def test_every_page_carries_the_policy_and_its_scripts_the_nonce(client, role_user, today):
    from hitech_zone.demo import load_demo

    load_demo(today=today)
    admin = role_user(Role.ADMIN, username="t-admin", is_staff=True, is_superuser=True)
    pages = page_urls(today, admin)
    assert named_urls() == set(pages) | NOT_PAGES, "a new URL: list it as a page or not"

    problems: list[str] = []
    nonces: set[str] = set()
    client.force_login(admin)
    for name, url in pages.items():
        if name == "login":
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html"), url
        problems += policy_problems(response, url, with_scripts=name not in WITHOUT_SCRIPTS)
        nonces |= set(NONCE_IN_HEADER.findall(response.headers.get("Content-Security-Policy")))
    client.logout()
    response = client.get(pages["login"])
    assert response.status_code == 200
    problems += policy_problems(response, pages["login"])
    assert not problems, "\n".join(problems)
    # A fresh nonce for every response, never one reused.
    assert len(nonces) == len(pages) - 1


@pytest.mark.django_db
def test_htmx_fragments_and_refusals_carry_the_policy_too(client, official):
    client.force_login(official)
    fragment = client.get("/projects/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "Content-Security-Policy" in fragment.headers
    assert "<html" not in fragment.content.decode()
    missing = client.get("/projects/NO-SUCH-CODE/")
    assert missing.status_code == 404
    assert "frame-ancestors 'none'" in missing.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_admin_keeps_to_the_policy(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 200
    header = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in header and "'unsafe-inline'" not in header


@pytest.mark.django_db
def test_the_briefing_preview_styles_are_allowed_by_the_nonce(client, official, today):
    """The preview's <style> (shared with the PDF) runs under the policy: same nonce."""
    briefing = factories.published_briefing(today=today)
    client.force_login(official)
    response = client.get(f"/briefings/{briefing.pk}/preview/")
    nonce = NONCE_IN_HEADER.search(response.headers["Content-Security-Policy"]).group(1)
    styles = re.findall(r"<style\b([^>]*)>", response.content.decode())
    assert len(styles) == 2
    assert all(f'nonce="{nonce}"' in attributes for attributes in styles)


# ------------------------------------------------------------------ the templates as written


def template_files() -> list[Path]:
    files = []
    for directory in TEMPLATE_DIRS:
        files += [path for path in directory.rglob("*") if path.suffix in {".html", ".svg"}]
    for app in ("hitech_zone", "projects", "inspections", "reports"):
        app_templates = Path(settings.BASE_DIR) / app / "templates"
        if app_templates.is_dir():
            files += [path for path in app_templates.rglob("*") if path.is_file()]
    return sorted(files)


def test_the_template_scan_sees_the_templates():
    names = {path.name for path in template_files()}
    assert {"base.html", "login.html", "dashboard.html", "_base.svg.html"} <= names


@pytest.mark.parametrize(
    "path", template_files(), ids=lambda path: str(path.relative_to(settings.BASE_DIR))
)
def test_no_template_has_inline_script_handlers_or_styles(path: Path):
    text = DJANGO_COMMENT.sub("", path.read_text())
    problems = []
    for pattern, what in (
        (EVENT_HANDLER, "inline event handler"),
        (STYLE_ATTRIBUTE, "inline style attribute"),
        (JAVASCRIPT_URL, "javascript: URL"),
    ):
        problems += [f"{what}: {match.group(0).strip()}" for match in pattern.finditer(text)]
    for name, attributes in TAG.findall(text):
        if 'nonce="{{ CSP_NONCE }}"' not in attributes:
            problems.append(f'<{name}{attributes}> without nonce="{{{{ CSP_NONCE }}}}"')
    assert not problems, f"{path}:\n" + "\n".join(problems)


def test_static_files_have_no_inline_handlers():
    """Our own static HTML and SVG (the vendored htmx is a script file, not scanned)."""
    problems = []
    for path in STATIC_DIR.rglob("*"):
        if path.suffix not in {".html", ".svg"}:
            continue
        text = path.read_text(errors="replace")
        if EVENT_HANDLER.search(text) or TAG.search(text) or STYLE_ATTRIBUTE.search(text):
            problems.append(str(path))
    assert not problems


def test_htmx_is_configured_for_the_policy():
    base = (TEMPLATE_DIRS[0] / "base.html").read_text()
    config = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", base).group(1)
    assert '"includeIndicatorStyles":false' in config
    assert '"allowEval":false' in config
    css = (STATIC_DIR / "css" / "app.css").read_text()
    assert ".htmx-request .htmx-indicator" in css
