"""Which notices go to which robots, and in which words.

Called inside the transaction that records the notices (or publishes a briefing): the
messages are rows of `RobotDelivery`, one per event and channel, and the sender is asked
for through the outbox, so the notice, its messages and the request to send them commit
together or not at all, and a broker that is down delays them without losing them.

A group gets one message per event, not one per recipient: the notice's people are all in
the group. Where they go:
- an issue assigned, due soon or overdue: the channels of the issue's department;
- a project's red alert, its escalation, a monthly report still late after the deadline
  (escalated to the leader in charge): the leaders' channels;
- the monthly round's other reminders (due soon, late, returned): the zone office's;
- a briefing published: the zone office's and the leaders' (`briefing_record`, called
  by reports.services).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from hitech_zone import outbox
from inspections.models import Issue, Notification
from inspections.robots.models import RobotChannel, RobotDelivery
from projects.models import Project

Kind = Notification.Kind
Audience = RobotChannel.Audience
SEND_TASK = "inspections.robots.tasks.robot_deliveries_send"

DEPARTMENT_KINDS = frozenset({Kind.ASSIGNED, Kind.DUE_SOON, Kind.OVERDUE})
AUDIENCE_OF_PROJECT_KIND = {
    Kind.ALERT_RED: Audience.LEADERS,
    Kind.ALERT_ESCALATED: Audience.LEADERS,
    Kind.REPORT_ESCALATED: Audience.LEADERS,
    Kind.REPORT_DUE_SOON: Audience.ZONE_OFFICE,
    Kind.REPORT_LATE: Audience.ZONE_OFFICE,
    Kind.REPORT_RETURNED: Audience.ZONE_OFFICE,
}


@dataclass(frozen=True)
class Message:
    """One message, for every channel of an audience (or of one department)."""

    audience: str
    event_key: str
    title: str
    text: str
    link: str = ""
    department_id: int | None = None
    file_name: str = ""
    file_label: str = ""
    # Only to channels of this vendor (a file: WeCom alone takes files).
    vendor: str = ""


def site_link(path: str) -> str:
    """An absolute link to `path` on this site; "" when SITE_URL is not set."""
    return f"{settings.SITE_URL}{path}" if settings.SITE_URL else ""


def active_channels() -> list[RobotChannel]:
    return list(RobotChannel.objects.filter(active=True).order_by("pk"))


def messages_record(messages: Sequence[Message], channels: list[RobotChannel] | None = None) -> int:
    """Record each message for each matching active channel, once (a row that exists is
    left alone), and ask for the senders after commit. One query for the channels (none
    when given), and when any match, one insert and the outbox's. Returns the rows asked
    to insert."""
    if not messages:
        return 0
    if channels is None:
        channels = active_channels()
    rows = []
    for message in messages:
        for channel in channels:
            if channel.audience != message.audience:
                continue
            if message.department_id and channel.department_id != message.department_id:
                continue
            if message.vendor and channel.vendor != message.vendor:
                continue
            rows.append(
                RobotDelivery(
                    channel=channel,
                    event_key=message.event_key,
                    title=message.title[:200],
                    text=message.text,
                    link=message.link,
                    file_name=message.file_name,
                    file_label=message.file_label,
                )
            )
    if not rows:
        return 0
    RobotDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    send_request({row.channel_id for row in rows})
    return len(rows)


def send_request(channel_ids: Iterable[int]) -> None:
    """In the current transaction: ask for each channel's sender once it commits. One
    request waiting per channel is enough: a sender sends all that is due."""
    for channel_id in sorted(channel_ids):
        if not outbox.outbox_waiting(SEND_TASK, channel_id=channel_id):
            outbox.outbox_enqueue(SEND_TASK, channel_id=channel_id)


def _notice_text(kind_label: str, heading: str, lines: list[str], link: str) -> str:
    text = "\n\n".join([f"**{kind_label}**", heading, *[line for line in lines if line]])
    if link:
        text += f"\n\n[{gettext('Open in the app')}]({link})"
    return text


def issue_notices_record(issue: Issue, kind: str, event_key: str) -> int:
    """An issue's notice (assigned, due soon, overdue) to its department's channels."""
    if kind not in DEPARTMENT_KINDS or not issue.department_id:
        return 0
    channels = [
        channel
        for channel in active_channels()
        if channel.audience == Audience.DEPARTMENT and channel.department_id == issue.department_id
    ]
    if not channels:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        label = str(Kind(kind).label)
        link = site_link(reverse("issue_detail", args=[issue.pk]))
        lines = [issue.title]
        if issue.deadline:
            lines.append(gettext("Deadline: %(day)s") % {"day": issue.deadline.isoformat()})
        message = Message(
            audience=Audience.DEPARTMENT,
            department_id=issue.department_id,
            event_key=f"{kind}:issue-{issue.pk}:{event_key}",
            title=f"{label}: {issue.title}",
            text=_notice_text(label, f"**{issue.project.name}**", lines, link),
            link=link,
        )
    return messages_record([message], channels)


def project_notices_record(rows: Iterable[dict]) -> int:
    """Project notices (rows as `notifications.notify_projects` inserts them: recipient,
    project, kind, event, message) to the audience of their kind, once per event."""
    events: dict[tuple, dict] = {}
    for row in rows:
        if row["kind"] in AUDIENCE_OF_PROJECT_KIND:
            events.setdefault((row["kind"], row["project_id"], row["event_key"]), row)
    if not events:
        return 0
    # The channels first: with none for these notices (the usual case) one query is all.
    audiences = {AUDIENCE_OF_PROJECT_KIND[key[0]] for key in events}
    channels = [channel for channel in active_channels() if channel.audience in audiences]
    if not channels:
        return 0

    codes = dict(
        Project.objects.filter(pk__in={key[1] for key in events}).values_list("pk", "code")
    )
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for (kind, project_id, event_key), row in events.items():
            label = str(Kind(kind).label)
            code = codes.get(project_id)
            link = site_link(reverse("project_detail", args=[code])) if code else ""
            messages.append(
                Message(
                    audience=AUDIENCE_OF_PROJECT_KIND[kind],
                    event_key=f"{kind}:project-{project_id}:{event_key}",
                    title=f"{label}: {row['message'][:80]}",
                    text=_notice_text(label, row["message"], [], link),
                    link=link,
                )
            )
    return messages_record(messages, channels)


def briefing_record(
    *, event_key: str, title: str, text: str, link: str, file_name: str, file_label: str
) -> int:
    """A published briefing: its summary to the zone office's and the leaders' channels,
    and on WeCom its PDF as a file too (a message of its own, after the summary)."""
    messages = []
    for audience in (Audience.ZONE_OFFICE, Audience.LEADERS):
        messages.append(
            Message(audience=audience, event_key=event_key, title=title, text=text, link=link)
        )
        if file_name:
            messages.append(
                Message(
                    audience=audience,
                    event_key=f"{event_key}:file",
                    title=file_label,
                    text="",
                    file_name=file_name,
                    file_label=file_label,
                    vendor=RobotChannel.Vendor.WECOM,
                )
            )
    return messages_record(messages)
