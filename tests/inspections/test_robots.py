"""Group robots (inspections.robots) against a vendor played on loopback.

No test reaches the internet: `VendorServer` is an HTTP server in a thread on 127.0.0.1
that answers as WeCom, DingTalk and Feishu do, and each vendor's base URL setting points
at it. It records every request (path, query, body) and answers from a script the test
sets (e.g. HTTP 500, then the vendor's rate-limit code, then success).

The throttle tests set ROBOT_RATE_WINDOW_SECONDS to 2 seconds instead of the vendors'
minute, so that 25 messages at 20 per window take about 2 seconds, not a minute.
Signatures are recomputed here, from the vendors' documented recipes, independently of
inspections.robots.vendors. The messages are written in LANGUAGE_CODE, English here, so
that the expected words do not depend on the catalogue's translations.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from hitech_zone.metrics import prometheus_text, snapshot
from hitech_zone.models import OutboxMessage
from inspections import notifications
from inspections.models import DepartmentMember, Issue, Notification
from inspections.notifications import ProjectNotice
from inspections.robots import deliveries, sending, vendors
from inspections.robots.models import RobotChannel, RobotDelivery
from tests import factories

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "ff6cd723bdb4455fe18a0ba30dbeff007f5"
DINGTALK_SECRET = "SEC6e4b3d1c0f2a9b8e7d6c5b4a39281706f5e4d3c2b1a0"
FEISHU_TOKEN = "2a8c6e10-1b2d-4f3e-9a7c-5d4e3f2a1b0c"
FEISHU_SECRET = "qB7Xh2mK9pL4sT1v"

WEBHOOKS = {
    "wecom": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
    "dingtalk": f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}",
    "feishu": f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_TOKEN}",
}
SECRETS = {"wecom": "", "dingtalk": DINGTALK_SECRET, "feishu": FEISHU_SECRET}
OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
}
RATE_LIMITED = {
    "wecom": {"errcode": 45009, "errmsg": "api freq out of limit"},
    "dingtalk": {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
    "feishu": {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"},
}
INVALID_KEY = {
    "wecom": {"errcode": 93000, "errmsg": "invalid webhook url"},
    "dingtalk": {"errcode": 300001, "errmsg": "token is not exist"},
    "feishu": {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"},
}


@dataclass
class Received:
    path: str
    query: dict
    body: bytes
    at: float
    content_type: str

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    def upload(self) -> tuple[str, bytes]:
        """The file name and content of a multipart upload's "media" field."""
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.content_type}\r\n\r\n".encode() + self.body
        )
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "media":
                return part.get_filename(), part.get_payload(decode=True)
        raise AssertionError("no media field")


@dataclass
class VendorServer:
    """WeCom, DingTalk and Feishu on loopback. `script` holds answers (status, JSON) used
    first, in order; then each vendor's success. With `hold` set, a request is read,
    `holding` is set and the answer waits for `release`."""

    httpd: ThreadingHTTPServer = None
    received: list[Received] = field(default_factory=list)
    script: list[tuple[int, dict]] = field(default_factory=list)
    hold: bool = False
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer_for(self, path: str) -> tuple[int, dict]:
        if self.script:
            return self.script.pop(0)
        if path.endswith("/upload_media"):
            return 200, {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": "3a8asd892asd8"}
        if path.startswith("/open-apis/"):
            return 200, OK["feishu"]
        return 200, OK["wecom"]

    def bodies(self) -> list[dict]:
        return [r.json for r in self.received if r.content_type.startswith("application/json")]


def _handler(server: VendorServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            parts = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            server.received.append(
                Received(
                    parts.path,
                    dict(urllib.parse.parse_qsl(parts.query)),
                    body,
                    time.monotonic(),
                    self.headers.get("Content-Type", ""),
                )
            )
            if server.hold:
                server.holding.set()
                server.release.wait(timeout=60)
            status, answer = server.answer_for(parts.path)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client is gone (killed)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(autouse=True)
def in_english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def vendor_server(db, settings) -> Iterator[VendorServer]:
    server = VendorServer()
    server.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.httpd.daemon_threads = True
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    for vendor in ("WECOM", "DINGTALK", "FEISHU"):
        setattr(settings, f"ROBOT_{vendor}_BASE_URL", server.url)
    settings.SITE_URL = "https://zdxm.example.gov.cn"
    settings.ROBOT_RETRY_BASE_SECONDS = 0.05
    yield server
    server.release.set()
    server.httpd.shutdown()
    server.httpd.server_close()


def channel(vendor: str, audience: str = "department", department=None, **extra) -> RobotChannel:
    return RobotChannel.objects.create(
        name=f"{vendor} group",
        vendor=vendor,
        webhook_url=WEBHOOKS[vendor],
        secret=SECRETS[vendor],
        audience=audience,
        department=department,
        **extra,
    )


def send_all(channel_id: int, *, limit: float = 20) -> None:
    """Run the sender as its task would (again after each wait it asks for), in-process."""
    deadline = time.monotonic() + limit
    while (wait := sending.deliveries_send(channel_id=channel_id)) is not None:
        assert time.monotonic() < deadline, "the sender never finished"
        time.sleep(wait)


@pytest.fixture
def department(db):
    return factories.DepartmentFactory(code="hr-labour", name="组织人事劳动局")


@pytest.fixture
def project(db):
    return factories.ProjectFactory(code="GX-2026-007", name="重塑能源电池项目")


def assigned(project, department, title="招工渠道有限", **extra) -> Issue:
    return factories.IssueFactory(
        project=project,
        department=department,
        title=title,
        status=Issue.Status.ASSIGNED,
        deadline=date(2026, 11, 30),
        **extra,
    )


def notify_assigned(issue: Issue, department, *, key: str = "step-1") -> list[Notification]:
    user = factories.UserFactory(username=f"staff-{issue.pk}")
    DepartmentMember.objects.get_or_create(user=user, defaults={"department": department})
    return notifications.notify([user], issue, Notification.Kind.ASSIGNED, key)


def issue_markdown(issue: Issue) -> str:
    return (
        "**Issue assigned**\n\n**重塑能源电池项目**\n\n"
        f"{issue.title}\n\nDeadline: 2026-11-30\n\n"
        f"[Open in the app](https://zdxm.example.gov.cn/issues/{issue.pk}/)"
    )


# ---------------------------------------------------------------- bodies and signatures


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """钉钉: Base64(HmacSHA256(key=secret, data=timestamp + "\\n" + secret)), URL-encoded."""
    string_to_sign = (timestamp + "\n" + secret).encode("utf-8")
    mac = hmac.new(secret.encode("utf-8"), string_to_sign, digestmod=hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(timestamp: str, secret: str) -> str:
    """飞书: Base64(HmacSHA256(key=timestamp + "\\n" + secret, data=empty))."""
    mac = hmac.new((timestamp + "\n" + secret).encode("utf-8"), digestmod=hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def test_wecom_gets_the_documented_markdown_body(vendor_server, department, project):
    robot = channel("wecom", department=department)
    issue = assigned(project, department)
    notify_assigned(issue, department)
    send_all(robot.pk)

    [request] = vendor_server.received
    assert request.path == "/cgi-bin/webhook/send"
    assert request.query == {"key": WECOM_KEY}
    assert request.json == {"msgtype": "markdown", "markdown": {"content": issue_markdown(issue)}}
    assert RobotDelivery.objects.get().state == RobotDelivery.State.SENT


def test_dingtalk_gets_the_documented_body_and_a_valid_signature(
    vendor_server, department, project
):
    robot = channel("dingtalk", department=department)
    issue = assigned(project, department)
    before = int(time.time() * 1000)
    notify_assigned(issue, department)
    send_all(robot.pk)

    [request] = vendor_server.received
    assert request.path == "/robot/send"
    assert set(request.query) == {"access_token", "timestamp", "sign"}
    assert request.query["access_token"] == DINGTALK_TOKEN
    # parse_qsl has undone the URL encoding: the signature as computed.
    timestamp = request.query["timestamp"]
    assert before <= int(timestamp) <= int(time.time() * 1000)
    assert request.query["sign"] == dingtalk_sign(timestamp, DINGTALK_SECRET)
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"title": f"Issue assigned: {issue.title}", "text": issue_markdown(issue)},
    }


def test_feishu_gets_the_documented_card_and_a_valid_signature(vendor_server, department, project):
    robot = channel("feishu", department=department)
    issue = assigned(project, department)
    before = int(time.time())
    notify_assigned(issue, department)
    send_all(robot.pk)

    [request] = vendor_server.received
    assert request.path == f"/open-apis/bot/v2/hook/{FEISHU_TOKEN}"
    body = request.json
    assert before <= int(body["timestamp"]) <= int(time.time())
    assert body == {
        "timestamp": body["timestamp"],
        "sign": feishu_sign(body["timestamp"], FEISHU_SECRET),
        "msg_type": "interactive",
        "card": {
            "header": {"title": {"tag": "plain_text", "content": f"Issue assigned: {issue.title}"}},
            "elements": [{"tag": "markdown", "content": issue_markdown(issue)}],
        },
    }


@pytest.mark.parametrize("vendor", ["wecom", "dingtalk", "feishu"])
def test_the_test_message_is_a_text_message(vendor_server, vendor, department):
    robot = channel(vendor, department=department)
    sending.test_message_send(robot)

    [request] = vendor_server.received
    text = f"Test message from the key-project platform: this robot ({vendor} group) works."
    body = request.json
    if vendor == "feishu":
        assert body == {
            "timestamp": body["timestamp"],
            "sign": feishu_sign(body["timestamp"], FEISHU_SECRET),
            "msg_type": "text",
            "content": {"text": text},
        }
    else:
        assert body == {"msgtype": "text", "text": {"content": text}}


def test_a_notice_is_recorded_with_its_outbox_request_in_the_same_transaction(department, project):
    """Nothing is sent in the request: a message row per channel and one outbox message per
    channel (joined by the next notices while it waits), all in the notices' transaction."""
    wecom = channel("wecom", department=department)
    other = factories.DepartmentFactory(code="planning", name="规划建设局")
    channel("dingtalk", department=other)
    leaders = channel("feishu", audience="leaders")
    first = assigned(project, department)
    notify_assigned(first, department)
    notify_assigned(first, department)  # the same event again: nothing new
    notify_assigned(assigned(project, department, title="用地指标未落实"), department)

    assert list(RobotDelivery.objects.values_list("channel_id", flat=True)) == [wecom.pk, wecom.pk]
    assert list(OutboxMessage.objects.values_list("task_name", "kwargs")) == [
        (deliveries.SEND_TASK, {"channel_id": wecom.pk})
    ]
    assert not leaders.deliveries.exists()


def test_red_alerts_go_to_the_leaders_and_round_reminders_to_the_zone_office(project):
    leaders = channel("dingtalk", audience="leaders")
    office = channel("wecom", audience="zone_office")
    people = [factories.UserFactory(username=name) for name in ("leader-a", "leader-b")]
    red = [
        ProjectNotice(user.pk, project.pk, Notification.Kind.ALERT_RED, "alert-1", "投资滞后")
        for user in people
    ]
    late = [
        ProjectNotice(
            people[0].pk, project.pk, Notification.Kind.REPORT_LATE, "2026-10:1", "月报逾期"
        )
    ]
    assert notifications.notify_projects(red + late) == 3

    # One message per event, not one per recipient.
    assert list(leaders.deliveries.values_list("event_key", "title")) == [
        (f"alert_red:project-{project.pk}:alert-1", "Project alert turned red: 投资滞后")
    ]
    assert list(office.deliveries.values_list("event_key", flat=True)) == [
        f"report_late:project-{project.pk}:2026-10:1"
    ]


# ---------------------------------------------------------------- length limits


def test_a_message_over_wecom_s_4096_bytes_is_cut_with_a_link_to_the_rest(vendor_server):
    robot = channel("wecom", audience="zone_office")
    # 3,000 Chinese characters: 9,000 bytes in UTF-8.
    text = "\n".join("重点项目进展情况说明" * 10 for _ in range(30))
    deliveries.messages_record(
        [
            deliveries.Message(
                audience="zone_office",
                event_key="long-1",
                title="长消息",
                text=text,
                link="https://zdxm.example.gov.cn/briefings/9/pdf/",
            )
        ]
    )
    send_all(robot.pk)

    content = vendor_server.received[0].json["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("…… [Read the rest](https://zdxm.example.gov.cn/briefings/9/pdf/)")
    # Cut at a line's end: the last line kept is whole.
    assert content.split("\n\n……")[0].endswith("重点项目进展情况说明")


@pytest.mark.parametrize("vendor,limit", [("dingtalk", 20000), ("feishu", 18000)])
def test_other_vendors_limits(vendor_server, vendor, limit):
    robot = channel(vendor, audience="zone_office")
    deliveries.messages_record(
        [deliveries.Message(audience="zone_office", event_key="long", title="t", text="报" * 9000)]
    )
    send_all(robot.pk)
    body = vendor_server.received[0].json
    if vendor == "dingtalk":
        content = body["markdown"]["text"]
    else:
        content = body["card"]["elements"][0]["content"]
    # 27,000 bytes: cut to the limit, with no link to add.
    assert len(content.encode()) <= limit
    assert content.endswith("……")


# ---------------------------------------------------------------- throttle, retries, failing


@pytest.mark.parametrize("vendor", ["wecom", "dingtalk"])
def test_25_notices_arrive_in_order_none_lost_at_most_20_a_window(
    vendor_server, settings, vendor, department, project
):
    """The window is 2 s here (the vendors': a minute). The first 20 go at once, the last
    5 once the first has left the window: each message is at least a window after the
    one 20 places before it (less 50 ms: the throttle counts a send when it starts and
    the server stamps it when it arrives)."""
    settings.ROBOT_RATE_WINDOW_SECONDS = 2
    robot = channel(vendor, department=department)
    issues = [assigned(project, department, title=f"问题{n:02d}") for n in range(1, 26)]
    for issue in issues:
        notify_assigned(issue, department)
    send_all(robot.pk)

    titles = [
        (body["markdown"].get("content") or body["markdown"]["text"]).split("\n\n")[2]
        for body in vendor_server.bodies()
    ]
    assert titles == [f"问题{n:02d}" for n in range(1, 26)]
    arrivals = [r.at for r in vendor_server.received]
    assert all(arrivals[i + 20] - arrivals[i] >= 2 - 0.05 for i in range(5))
    assert arrivals[19] - arrivals[0] < 1.0  # the first 20 did not wait
    assert RobotDelivery.objects.filter(state="sent").count() == 25


@pytest.mark.parametrize("vendor", ["wecom", "dingtalk", "feishu"])
def test_a_500_and_the_rate_limit_code_are_retried_with_back_off(vendor_server, vendor):
    """Base 0.05 s: the second try 0.05 s after the first, the third 0.1 s after it."""
    robot = channel(vendor, audience="leaders")
    vendor_server.script = [(500, {}), (200, RATE_LIMITED[vendor])]
    deliveries.messages_record(
        [deliveries.Message(audience="leaders", event_key="e1", title="红灯", text="投资滞后")]
    )
    send_all(robot.pk)

    assert len(vendor_server.received) == 3
    assert vendor_server.bodies()[0] == vendor_server.bodies()[2] or vendor == "feishu"
    first, second, third = (r.at for r in vendor_server.received)
    assert second - first >= 0.05 and third - second >= 0.1
    delivery = RobotDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("sent", 3)
    robot.refresh_from_db()
    assert not robot.failing


@pytest.mark.parametrize("vendor", ["wecom", "dingtalk", "feishu"])
def test_an_invalid_key_marks_the_channel_failing_and_its_messages_wait(
    vendor_server, vendor, client, admin_user
):
    robot = channel(vendor, audience="leaders")
    vendor_server.script = [(200, INVALID_KEY[vendor])]
    deliveries.messages_record(
        [
            deliveries.Message(audience="leaders", event_key=f"e{n}", title="t", text=f"m{n}")
            for n in (1, 2)
        ]
    )
    send_all(robot.pk)

    robot.refresh_from_db()
    assert robot.failing
    assert str(INVALID_KEY[vendor].get("errcode", INVALID_KEY[vendor].get("code"))) in (
        robot.last_error
    )
    assert len(vendor_server.received) == 1  # the second was not tried
    assert list(RobotDelivery.objects.values_list("state", flat=True)) == ["pending", "pending"]
    assert f'hitech_robot_failing{{robot="{vendor} group",vendor="{vendor}"}} 1' in (
        prometheus_text(snapshot())
    )
    client.force_login(admin_user)
    page = client.get(reverse("metrics")).content.decode()
    assert "Failing since 2026-11-18" in page
    changelist = client.get(reverse("admin:inspections_robotchannel_changelist")).content.decode()
    assert robot.last_error in changelist


def test_a_message_the_vendor_refuses_fails_alone(vendor_server):
    robot = channel("wecom", audience="leaders")
    vendor_server.script = [(200, {"errcode": 40008, "errmsg": "invalid message type"})]
    deliveries.messages_record(
        [
            deliveries.Message(audience="leaders", event_key=f"e{n}", title="t", text=f"m{n}")
            for n in (1, 2)
        ]
    )
    send_all(robot.pk)
    assert list(RobotDelivery.objects.values_list("state", flat=True)) == ["failed", "sent"]


# ---------------------------------------------------------------- briefings


def test_a_published_briefing_goes_to_the_office_as_a_summary_and_on_wecom_as_a_file(
    vendor_server, today, settings
):
    from reports.services import _robots_record

    wecom = channel("wecom", audience="zone_office")
    feishu = channel("feishu", audience="leaders")
    briefing = factories.published_briefing(today=today)
    _robots_record(briefing)
    send_all(wecom.pk)
    send_all(feishu.pk)

    summary, upload, file_message, card = vendor_server.received
    text = summary.json["markdown"]["content"]
    assert text.startswith(f"**{settings.ZONE_NAME} Weekly briefing ")
    assert "Red lights: " in text and "time progress" in text
    assert text.endswith(
        f"[Download the PDF](https://zdxm.example.gov.cn/briefings/{briefing.pk}/pdf/)"
    )
    assert upload.path == "/cgi-bin/webhook/upload_media"
    assert upload.query == {"key": WECOM_KEY, "type": "file"}
    name, content = upload.upload()
    assert (name, content) == (
        f"weekly-{briefing.period}-v{briefing.version}.pdf",
        b"%PDF-1.4\n% stand-in\n",
    )
    assert file_message.json == {"msgtype": "file", "file": {"media_id": "3a8asd892asd8"}}
    # Feishu takes no file: the summary with its link only.
    assert card.json["card"]["elements"][0]["content"] == text


# ---------------------------------------------------------------- admin


def test_the_admin_never_shows_the_credentials_again(client, admin_user, department):
    client.force_login(admin_user)
    add = reverse("admin:inspections_robotchannel_add")
    response = client.post(
        add,
        {
            "name": "钉钉领导群",
            "vendor": "dingtalk",
            "webhook_url": WEBHOOKS["dingtalk"],
            "secret": DINGTALK_SECRET,
            "audience": "leaders",
            "active": "on",
        },
    )
    assert response.status_code == 302
    robot = RobotChannel.objects.get()
    page = client.get(reverse("admin:inspections_robotchannel_change", args=[robot.pk]))
    html = page.content.decode()
    assert DINGTALK_SECRET not in html and DINGTALK_TOKEN not in html
    assert "access_token=ff6c…" in html

    # Saved again with the credentials left empty: they are kept.
    client.post(
        reverse("admin:inspections_robotchannel_change", args=[robot.pk]),
        {"name": "钉钉领导群（新）", "vendor": "dingtalk", "audience": "leaders", "active": "on"},
    )
    robot.refresh_from_db()
    assert (robot.name, robot.webhook_url, robot.secret) == (
        "钉钉领导群（新）",
        WEBHOOKS["dingtalk"],
        DINGTALK_SECRET,
    )


def test_the_admin_refuses_an_address_of_another_vendor(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:inspections_robotchannel_add"),
        {
            "name": "x",
            "vendor": "wecom",
            "webhook_url": WEBHOOKS["feishu"],
            "audience": "zone_office",
        },
    )
    assert response.status_code == 200
    assert not RobotChannel.objects.exists()


def test_the_test_button_sends_and_a_save_clears_the_failing_state(
    vendor_server, client, admin_user
):
    robot = channel("wecom", audience="zone_office")
    RobotChannel.objects.filter(pk=robot.pk).update(failing_since="2026-11-18T09:00+08:00")
    client.force_login(admin_user)
    url = reverse("admin:inspections_robotchannel_change", args=[robot.pk])
    assert 'name="_send_test"' in client.get(url).content.decode()

    response = client.post(url, {"_send_test": "1"}, follow=True)
    assert "A test message was sent to wecom group." in response.content.decode()
    assert vendor_server.received[0].json["msgtype"] == "text"
    robot.refresh_from_db()
    assert not robot.failing  # the robot answered: it works again

    vendor_server.script = [(200, INVALID_KEY["wecom"])]
    client.post(url, {"_send_test": "1"})
    robot.refresh_from_db()
    assert robot.failing
    client.post(url, {"name": robot.name, "vendor": "wecom", "audience": "zone_office"})
    robot.refresh_from_db()
    assert not robot.failing


def test_the_secret_is_not_logged_when_the_vendor_is_unreachable(db, caplog, settings):
    settings.ROBOT_DINGTALK_BASE_URL = "http://127.0.0.1:9"  # discard: nothing listens
    robot = channel("dingtalk", audience="leaders")
    deliveries.messages_record(
        [deliveries.Message(audience="leaders", event_key="e", title="t", text="m")]
    )
    assert sending.deliveries_send(channel_id=robot.pk) > 0  # a retry, later
    logged = caplog.text + RobotDelivery.objects.get().last_error
    assert DINGTALK_TOKEN not in logged and "sign=" not in logged
    assert "ConnectionError" in logged


def test_addresses_are_read_as_each_vendor_documents_them():
    assert vendors.WeCom.token_from(WEBHOOKS["wecom"]) == WECOM_KEY
    assert vendors.DingTalk.token_from(WEBHOOKS["dingtalk"]) == DINGTALK_TOKEN
    assert vendors.Feishu.token_from(WEBHOOKS["feishu"]) == FEISHU_TOKEN
    with pytest.raises(vendors.WebhookAddressError):
        vendors.DingTalk.token_from(WEBHOOKS["wecom"])
