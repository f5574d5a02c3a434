"""The audit log: every sign-in, failed sign-in, sign-out, refusal, import, export and
briefing download is recorded with who, what, when (UTC) and from where; leaders and
admins read and filter it; nobody changes or deletes it."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from hitech_zone import audit
from hitech_zone.models import AuditEntry, AuditEntryImmutable
from hitech_zone.permissions import Role
from inspections.models import Issue
from projects.models import Project, ProjectImport
from tests import factories
from tests.hitech_zone.test_api import bearer
from tests.projects.test_imports import REGISTER_EN, REGISTER_ZH, upload, xlsx

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
PASSWORD = "a-long-Passphrase-42"
BROWSER = "Mozilla/5.0 (Windows NT 10.0) 测试浏览器"
CLIENT_ADDRESS = "203.0.113.7"


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def only(action: str) -> AuditEntry:
    found = entries(action)
    assert len(found) == 1, [(e.action, e.target, e.detail) for e in found]
    return found[0]


def assert_recent_utc(entry: AuditEntry) -> None:
    assert entry.occurred_at.utcoffset() == timedelta(0)
    assert abs(timezone.now() - entry.occurred_at) < timedelta(minutes=1)


@pytest.fixture
def web(client):
    """A browser at a known address with a known user agent."""
    client.defaults.update(REMOTE_ADDR=CLIENT_ADDRESS, HTTP_USER_AGENT=BROWSER)
    return client


@pytest.fixture
def signed_in(web):
    def sign_in(user):
        web.force_login(user)
        # force_login signs in too (with a bare request): take its entry out, through the
        # base manager, since the model refuses deletion.
        AuditEntry._base_manager.filter(action=Action.LOGIN, user=user, target="").delete()
        return web

    return sign_in


# ---------------------------------------------------------------- sign-in, sign-out


def test_a_sign_in_is_recorded_with_who_when_and_where(web, role_user):
    user = role_user(Role.OFFICIAL, username="zhou", full_name="周明")
    user.set_password(PASSWORD)
    user.save()
    response = web.post(reverse("login"), {"username": "zhou", "password": PASSWORD})
    assert response.status_code == 302
    entry = only(Action.LOGIN)
    assert (entry.user, entry.username, entry.target) == (user, "zhou", "/accounts/login/")
    assert (entry.ip_address, entry.user_agent) == (CLIENT_ADDRESS, BROWSER)
    assert entry.request_id  # the same id as the process log's lines for the request
    assert_recent_utc(entry)


def test_a_failed_sign_in_with_an_unknown_name_keeps_the_name(web):
    response = web.post(reverse("login"), {"username": "nobody-here", "password": "guess"})
    assert response.status_code == 200
    entry = only(Action.LOGIN_FAILED)
    assert (entry.user, entry.username) == (None, "nobody-here")
    assert entry.detail["known_user"] is False
    assert (entry.ip_address, entry.user_agent) == (CLIENT_ADDRESS, BROWSER)
    assert "guess" not in str(entry.detail)
    assert_recent_utc(entry)
    assert not entries(Action.LOGIN)


def test_a_failed_sign_in_with_a_known_name_names_the_account(web, official):
    official.set_password(PASSWORD)
    official.save()
    web.post(reverse("login"), {"username": official.username, "password": "wrong-one"})
    entry = only(Action.LOGIN_FAILED)
    assert (entry.user, entry.username) == (official, official.username)
    assert entry.detail["known_user"] is True
    assert "wrong-one" not in str(entry.detail)


def test_a_sign_out_is_recorded(signed_in, official):
    client = signed_in(official)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    entry = only(Action.LOGOUT)
    assert (entry.user, entry.username, entry.ip_address) == (
        official,
        official.username,
        CLIENT_ADDRESS,
    )
    assert_recent_utc(entry)


def test_signing_out_without_a_session_records_nothing(web):
    web.post(reverse("logout"))
    assert not AuditEntry.objects.exists()


def test_the_address_is_the_connections_unless_a_proxy_is_trusted(web, settings):
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 192.0.2.44"}
    settings.TRUSTED_PROXY_COUNT = 0
    web.post(reverse("login"), {"username": "x", "password": "y"}, **forged)
    # X-Forwarded-For, which anyone can send, is kept for the record but not believed.
    first = only(Action.LOGIN_FAILED)
    assert first.ip_address == CLIENT_ADDRESS
    assert first.detail["forwarded_for"] == "198.51.100.1, 192.0.2.44"
    # Behind one trusted proxy: the address that proxy saw (the last one it appended).
    settings.TRUSTED_PROXY_COUNT = 1
    web.post(reverse("login"), {"username": "x", "password": "y"}, **forged)
    assert entries(Action.LOGIN_FAILED)[1].ip_address == "192.0.2.44"


def test_a_garbage_forwarded_address_is_not_stored_as_one(signed_in, manager, settings):
    # With a proxy count that does not match the proxies really in front, the "client
    # address" may be whatever the client wrote: kept as text, and the address recorded
    # is the connection's (as the sign-in lockout counts it).
    settings.TRUSTED_PROXY_COUNT = 1
    client = signed_in(manager)
    client.get(reverse("briefing_list"), HTTP_X_FORWARDED_FOR="<script>")
    entry = only(Action.ACCESS_DENIED)
    assert entry.ip_address == CLIENT_ADDRESS
    assert entry.detail["forwarded_for"] == "<script>"


def test_nul_characters_in_headers_are_dropped_not_fatal(signed_in, manager):
    # PostgreSQL refuses NUL in text and JSON: the record must still be written.
    client = signed_in(manager)
    response = client.get(
        reverse("briefing_list"),
        HTTP_USER_AGENT="bad\x00agent",
        HTTP_X_FORWARDED_FOR="192.0.2.1\x00",
    )
    assert response.status_code == 403
    entry = only(Action.ACCESS_DENIED)
    assert (entry.user_agent, entry.detail["forwarded_for"]) == ("badagent", "192.0.2.1")


# ---------------------------------------------------------------- refusals


def test_a_refused_page_is_recorded_as_403_with_the_reason(signed_in, manager):
    client = signed_in(manager)
    assert client.get(reverse("briefing_list")).status_code == 403
    entry = only(Action.ACCESS_DENIED)
    assert (entry.user, entry.target) == (manager, "/briefings/")
    assert entry.detail["status"] == 403 and entry.detail["method"] == "GET"
    assert entry.detail["reason"] == "简报仅供园区工作人员和领导查阅。"
    assert entry.ip_address == CLIENT_ADDRESS
    assert_recent_utc(entry)


def test_a_403_answered_in_place_is_recorded_too(signed_in, leader, own_project, today):
    # 办理 is the department's step: the view answers a leader 403 itself (no exception).
    issue = factories.IssueFactory(
        project=own_project,
        status=Issue.Status.ASSIGNED,
        department=factories.DepartmentFactory(code="hr", name="组织人事劳动局"),
        deadline=today,
    )
    client = signed_in(leader)
    response = client.post(reverse("issue_transition", args=[issue.pk, "start"]), {})
    assert response.status_code == 403
    entry = only(Action.ACCESS_DENIED)
    assert entry.detail["status"] == 403
    assert entry.target == f"/issues/{issue.pk}/start/"
    assert entry.detail.get("reason", "") != "CSRF"


def test_a_row_out_of_reach_is_recorded_but_a_missing_one_is_not(
    signed_in, manager, own_project, other_project
):
    client = signed_in(manager)
    assert client.get(f"/projects/{other_project.code}/").status_code == 404
    entry = only(Action.ACCESS_DENIED)
    assert entry.detail["status"] == 404
    assert entry.target == f"/projects/{other_project.code}/"
    # A code that matches nothing, or a mistyped address, is an ordinary 404.
    assert client.get("/projects/NO-SUCH-CODE/").status_code == 404
    assert client.get("/no/such/page/").status_code == 404
    assert client.get(f"/projects/{own_project.code}/").status_code == 200
    assert len(entries(Action.ACCESS_DENIED)) == 1


def test_a_rejected_csrf_token_is_recorded_as_such(official):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR=CLIENT_ADDRESS)
    strict.force_login(official)
    assert strict.post(reverse("notifications_read")).status_code == 403
    entry = only(Action.ACCESS_DENIED)
    assert entry.detail["reason"] == "CSRF"


def test_api_refusals_are_recorded_once(client, manager, own_project, other_project, today):
    factories.published_briefing(today=today)
    headers = bearer(manager)
    response = client.get("/api/v1/briefings", headers=headers, REMOTE_ADDR=CLIENT_ADDRESS)
    assert response.status_code == 403
    refused = only(Action.ACCESS_DENIED)
    assert (refused.user, refused.target) == (manager, "/api/v1/briefings")
    assert refused.detail["status"] == 403 and refused.ip_address == CLIENT_ADDRESS
    assert refused.detail["reason"] == "简报仅供园区工作人员和领导查阅。"

    response = client.get(f"/api/v1/projects/{other_project.code}", headers=headers)
    assert response.status_code == 404
    hidden = entries(Action.ACCESS_DENIED)[-1]
    assert hidden.detail["status"] == 404
    assert hidden.target == f"/api/v1/projects/{other_project.code}"
    # An unknown code, and the project that is theirs, are not refusals.
    assert client.get("/api/v1/projects/NO-SUCH", headers=headers).status_code == 404
    assert client.get(f"/api/v1/projects/{own_project.code}", headers=headers).status_code == 200
    assert len(entries(Action.ACCESS_DENIED)) == 2


# ---------------------------------------------------------------- imports, exports, briefings


@pytest.fixture
def register_file():
    factories.ParkFactory(code="ai", name="人工智能产业园")
    factories.SectorFactory(code="battery", name="新能源电池")
    factories.UserFactory(username="zhou", full_name="周明")
    row = [
        "C-3",
        "正力新能电芯二期",
        "江苏正力新能电池技术有限公司",
        "人工智能产业园",
        "新能源电池",
        "在建",
        50000,
        date(2025, 3, 1),
        date(2027, 6, 30),
        "周明",
    ]
    return xlsx([REGISTER_ZH, REGISTER_EN, row])


def test_an_import_preview_and_its_application_are_recorded(signed_in, official, register_file):
    client = signed_in(official)
    response = client.post(
        "/projects/import/", {"kind": "register", "file": upload(register_file, "二期.xlsx")}
    )
    assert response.status_code == 302
    record = ProjectImport.objects.get()
    preview = only(Action.IMPORT)
    assert (preview.user, preview.target) == (official, "/projects/import/")
    assert preview.detail == {
        "step": "preview",
        "import": record.pk,
        "kind": "register",
        "file": "二期.xlsx",
        "status": "previewed",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
    }
    assert not Project.objects.filter(code="C-3").exists()

    client.post(f"/projects/import/{record.pk}/confirm/")
    assert Project.objects.filter(code="C-3").exists()
    applied = entries(Action.IMPORT)[-1]
    assert applied.target == f"/projects/import/{record.pk}/confirm/"
    assert applied.detail["step"] == "apply"
    assert (applied.detail["status"], applied.detail["created"]) == ("applied", 1)
    assert_recent_utc(applied)

    # Confirming again is refused, and the refusal is recorded with its reason.
    client.post(f"/projects/import/{record.pk}/confirm/")
    again = entries(Action.IMPORT)[-1]
    assert again.detail["status"] == "applied" and "message" in again.detail


def test_an_export_is_recorded_with_its_filters_and_rows(signed_in, leader):
    for index in range(3):
        factories.ProjectFactory(code=f"E-{index}", status=Project.Status.CONSTRUCTION)
    factories.ProjectFactory(code="E-9", status=Project.Status.PIPELINE)
    client = signed_in(leader)
    response = client.get("/projects/export.csv?status=construction")
    assert response.status_code == 200
    entry = only(Action.EXPORT)
    assert entry.user == leader
    assert entry.target == "/projects/export.csv?status=construction"
    assert entry.detail["export"] == "projects:export_csv"
    assert entry.detail["rows"] == 3
    assert entry.detail["file"].startswith("key-projects-")
    assert entry.detail["file"].endswith(".csv")
    assert entry.ip_address == CLIENT_ADDRESS
    assert_recent_utc(entry)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/projects/milestones/export.xlsx", "projects:milestone_export"),
        ("/projects/investment/export.csv", "projects:investment_export_csv"),
        ("/issues/export.xlsx", "issue_export"),
        ("/visits/export.xlsx", "visit_export"),
        ("/alerts/export.csv", "alert_export_csv"),
    ],
)
def test_every_export_is_recorded(signed_in, official, url, name):
    client = signed_in(official)
    assert client.get(url).status_code == 200
    assert only(Action.EXPORT).detail["export"] == name


def test_a_briefing_download_and_preview_are_recorded(signed_in, leader, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    briefing = factories.published_briefing(today=today)
    client = signed_in(leader)
    response = client.get(reverse("briefing_download", args=[briefing.pk]))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    entry = only(Action.BRIEFING_DOWNLOAD)
    assert entry.user == leader and entry.ip_address == CLIENT_ADDRESS
    assert entry.detail == {
        "format": "pdf",
        "briefing": briefing.pk,
        "kind": "weekly",
        "period": briefing.period,
        "version": 1,
    }
    assert_recent_utc(entry)
    client.get(reverse("briefing_preview", args=[briefing.pk]))
    assert entries(Action.BRIEFING_DOWNLOAD)[-1].detail["format"] == "html"
    client.get(reverse("briefing_preview_live", args=["weekly", briefing.period]))
    live = entries(Action.BRIEFING_DOWNLOAD)[-1]
    assert live.detail == {"format": "html-live", "kind": "weekly", "period": briefing.period}


def test_a_briefing_pdf_through_the_api_is_recorded(client, leader, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    briefing = factories.published_briefing(today=today)
    headers = bearer(leader)
    response = client.get(f"/api/v1/briefings/{briefing.pk}/pdf", headers=headers)
    assert response.status_code == 200
    entry = only(Action.BRIEFING_DOWNLOAD)
    assert (entry.user, entry.detail["briefing"], entry.detail["format"]) == (
        leader,
        briefing.pk,
        "pdf",
    )


def test_a_refused_download_is_a_refusal_not_a_download(signed_in, manager, today):
    briefing = factories.published_briefing(today=today)
    client = signed_in(manager)
    assert client.get(reverse("briefing_download", args=[briefing.pk])).status_code == 403
    assert not entries(Action.BRIEFING_DOWNLOAD)
    assert only(Action.ACCESS_DENIED).target == f"/briefings/{briefing.pk}/pdf/"


# ---------------------------------------------------------------- the page


def record(action=Action.LOGIN, *, username="zhou", ip="10.0.0.1", at=None, user=None):
    entry = audit.audit_record(None, action, user=user, username=username, target="/x/")
    if ip or at:
        # Set up through the base manager: the model itself refuses changes.
        AuditEntry._base_manager.filter(pk=entry.pk).update(
            ip_address=ip, occurred_at=at or entry.occurred_at
        )
    return entry


@pytest.mark.parametrize(
    ("role_fixture", "status"),
    [
        ("leader", 200),
        ("admin_user", 200),
        ("official", 403),
        ("manager", 403),
    ],
)
def test_only_leaders_and_admins_read_the_log(client, request, role_fixture, status):
    record(username="somebody")
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    for url in (reverse("audit_log"), reverse("audit_log_export")):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 403:
            assert "somebody" not in response.content.decode("utf-8-sig")
    page = client.get(reverse("dashboard")).content.decode()
    assert (reverse("audit_log") in page) is (status == 200)


def test_a_department_user_gets_403(client, role_user):
    client.force_login(role_user(Role.DEPARTMENT, username="dept"))
    assert client.get(reverse("audit_log")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in (reverse("audit_log"), reverse("audit_log_export")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_page_lists_newest_first_in_chinese(signed_in, leader):
    now = timezone.now()
    record(Action.LOGIN_FAILED, username="first", at=now - timedelta(hours=2))
    record(Action.EXPORT, username="second", at=now - timedelta(hours=1))
    client = signed_in(leader)
    page = client.get(reverse("audit_log")).content.decode()
    assert "<h1>审计日志</h1>" in page
    table = page.split('id="audit-table"')[1]
    assert table.index("second") < table.index("first")
    assert "<td>登录失败</td>" in table and "<td>导出</td>" in table


def test_the_detail_reads_in_chinese(signed_in, leader, manager, other_project):
    signed_in(manager).get(f"/projects/{other_project.code}/")
    client = signed_in(leader)
    table = client.get(reverse("audit_log")).content.decode().split('id="audit-table"')[1]
    assert "<td>拒绝访问</td>" in table
    assert '<span class="muted">状态码</span> 404' in table
    assert '<span class="muted">原因</span> 记录不存在，或您无权查看。' in table
    assert CLIENT_ADDRESS in table and BROWSER in table


def test_the_table_alone_for_htmx(signed_in, leader):
    record(username="someone")
    client = signed_in(leader)
    response = client.get(reverse("audit_log"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="audit-table"')
    assert "someone" in body and "<html" not in body
    assert "HX-Request" in response["Vary"]


def test_filters_by_action_user_dates_and_address(signed_in, leader):
    now = timezone.now()
    chen = factories.UserFactory(username="chenhr", full_name="陈华瑞")
    record(Action.LOGIN, username="", user=chen, ip="10.1.2.3", at=now)
    record(Action.LOGIN_FAILED, username="intruder", ip="198.51.100.9", at=now)
    record(Action.EXPORT, username="zhou", ip="10.1.9.9", at=now - timedelta(days=10))
    client = signed_in(leader)

    def listed(**params) -> set[str]:
        response = client.get(reverse("audit_log"), params)
        assert response.status_code == 200
        return {entry.username for entry in response.context["page"].object_list}

    assert listed() == {"chenhr", "intruder", "zhou"}
    assert listed(action="login_failed") == {"intruder"}
    assert listed(user="INTRU") == {"intruder"}
    assert listed(user="陈华") == {"chenhr"}  # by full name
    assert listed(ip_address="10.1.") == {"chenhr", "zhou"}
    assert listed(ip_address="198.51.100.9") == {"intruder"}
    today = timezone.localdate()
    assert listed(occurred_from=today.isoformat()) == {"chenhr", "intruder"}
    ten_days_ago = timezone.localdate(now - timedelta(days=10)).isoformat()
    assert listed(occurred_from=ten_days_ago, occurred_to=ten_days_ago) == {"zhou"}
    assert listed(action="login", user="zhou") == set()


def test_the_csv_export_is_the_filtered_log_and_is_recorded(signed_in, leader):
    record(Action.LOGIN_FAILED, username="intruder", ip="198.51.100.9")
    record(Action.LOGIN, username="zhou")
    client = signed_in(leader)
    response = client.get(reverse("audit_log_export"), {"action": "login_failed"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["时间（UTC）", "时间（本地）", "操作", "用户名"]
    assert [row[3] for row in rows[1:]] == ["intruder"]
    assert rows[1][2] == "登录失败" and rows[1][7] == "198.51.100.9"
    assert rows[1][0].endswith("Z")
    datetime.strptime(rows[1][0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    exported = only(Action.EXPORT)
    assert exported.detail["export"] == "audit_log_export" and exported.detail["rows"] == 1
    assert exported.target == "/audit/export.csv?action=login_failed"


# ---------------------------------------------------------------- immutable


def test_entries_cannot_be_changed_or_deleted(official):
    entry = record(Action.LOGIN, username="zhou")
    entry.username = "someone-else"
    with pytest.raises(AuditEntryImmutable):
        entry.save()
    with pytest.raises(AuditEntryImmutable):
        entry.delete()
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(username="x")
    with pytest.raises(AuditEntryImmutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).username == "zhou"


def test_deleting_a_user_keeps_their_entries_and_name(role_user):
    gone = role_user(Role.OFFICIAL, username="gone-soon")
    entry = audit.audit_record(None, Action.LOGIN, user=gone)
    gone.delete()
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.user, kept.username) == (None, "gone-soon")


def audit_urls(resolver=None) -> dict[str, URLPattern]:
    found = {}
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                found |= audit_urls(pattern)
        elif "audit" in str(pattern.pattern) or "audit" in (pattern.name or ""):
            found[pattern.name] = pattern
    return found


def test_there_are_no_edit_urls(signed_in, admin_user):
    assert set(audit_urls()) == {"audit_log", "audit_log_export"}
    entry = record(username="zhou")
    client = signed_in(admin_user)
    for name in ("audit_log", "audit_log_export"):
        assert client.post(reverse(name)).status_code == 405
    # The admin site lists entries read-only: no adding, changing or deleting.
    assert client.get("/admin/hitech_zone/auditentry/").status_code == 200
    assert client.get("/admin/hitech_zone/auditentry/add/").status_code == 403
    change = f"/admin/hitech_zone/auditentry/{entry.pk}/change/"
    assert client.get(change).status_code == 200
    assert client.post(change, {"username": "x"}).status_code == 403
    delete = f"/admin/hitech_zone/auditentry/{entry.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).username == "zhou"


# ---------------------------------------------------------------- queries


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def populate_log(count: int) -> None:
    users = [factories.UserFactory(full_name=f"用户{index}") for index in range(3)]
    AuditEntry.objects.bulk_create(
        AuditEntry(
            user=users[index % 3] if index % 4 else None,
            username=users[index % 3].username if index % 4 else f"unknown-{index}",
            action=Action.values[index % len(Action.values)],
            target=f"/projects/P-{index}/",
            detail={"status": 404},
            ip_address=f"10.0.{index % 250}.{index % 200}",
        )
        for index in range(count)
    )


@pytest.mark.parametrize("url", ["/audit/", "/audit/?action=login&user=u&ip_address=10.0."])
def test_fixed_query_count_whatever_the_number_of_entries(signed_in, leader, url):
    client = signed_in(leader)
    populate_log(5)
    few = queries(client, url)
    populate_log(400)
    many = queries(client, url)
    assert few == many, f"{url}: {few} queries at 5 entries, {many} at 405"
