"""The issue life cycle: 提出 → 交办 → 办理 → 办结 → 销号, reopened with a reason. One service,
role checks, a follow-up for every step, notifications after commit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hitech_zone.permissions import Role, role_groups
from inspections import services
from inspections.models import DepartmentMember, FollowUp, Issue, Notification
from tests import factories

pytestmark = [pytest.mark.date_sensitive, pytest.mark.django_db(transaction=True)]

Status = Issue.Status


@pytest.fixture
def department():
    return factories.DepartmentFactory(code="hr", name="组织人事劳动局")


@pytest.fixture
def department_user(role_user, department):
    user = role_user(
        Role.DEPARTMENT, username="hr-clerk", full_name="人事科", email="hr@example.cn"
    )
    DepartmentMember.objects.create(user=user, department=department)
    return user


@pytest.fixture
def issue(official, own_project):
    return services.issue_raise(
        project=own_project, title="招工渠道有限", category=Issue.Category.HIRING, by=official
    )


def test_the_whole_life_cycle(official, department_user, department, issue, today):
    services.issue_transition(
        issue=issue,
        name="assign",
        by=official,
        department=department,
        deadline=today + timedelta(days=10),
        comment="请协助组织招聘会",
    )
    services.issue_transition(issue=issue, name="start", by=department_user, comment="已联系院校")
    services.issue_transition(
        issue=issue, name="resolve", by=department_user, result="举办专场招聘会，招到120人"
    )
    closed = services.issue_transition(
        issue=issue, name="close", by=official, comment="核实无误，销号"
    )
    assert closed.status == Status.CLOSED and closed.closed_at is not None
    steps = list(
        FollowUp.objects.filter(issue=issue)
        .order_by("acted_at", "id")
        .values_list("status_before", "status_after", "actor__username")
    )
    assert steps == [
        ("", Status.RAISED, "t-official"),
        (Status.RAISED, Status.ASSIGNED, "t-official"),
        (Status.ASSIGNED, Status.IN_PROGRESS, "hr-clerk"),
        (Status.IN_PROGRESS, Status.RESOLVED, "hr-clerk"),
        (Status.RESOLVED, Status.CLOSED, "t-official"),
    ]


def test_reopening_needs_a_reason_and_goes_back_to_the_department(
    official, department_user, department, issue, today
):
    services.issue_transition(
        issue=issue,
        name="assign",
        by=official,
        department=department,
        deadline=today + timedelta(days=5),
    )
    services.issue_transition(issue=issue, name="start", by=department_user)
    services.issue_transition(issue=issue, name="resolve", by=department_user, result="已处理")
    with pytest.raises(ValidationError) as excinfo:
        services.issue_transition(issue=issue, name="reopen", by=official)
    assert "comment" in excinfo.value.message_dict
    reopened = services.issue_transition(
        issue=issue, name="reopen", by=official, comment="现场核查仍缺人"
    )
    assert reopened.status == Status.ASSIGNED


@pytest.mark.parametrize("name", ["start", "resolve", "close", "reopen"])
def test_steps_out_of_order_are_refused_with_a_message(official, issue, name):
    with pytest.raises((services.TransitionRefused, PermissionDenied)) as excinfo:
        services.issue_transition(issue=issue, name=name, by=official)
    assert str(excinfo.value)
    issue.refresh_from_db()
    assert issue.status == Status.RAISED


def test_only_the_department_handles_and_only_officials_assign(
    official, leader, manager, department_user, department, issue, today
):
    for user in (leader, manager, department_user):
        with pytest.raises(PermissionDenied):
            services.issue_transition(
                issue=issue, name="assign", by=user, department=department, deadline=today
            )
    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    for user in (official, leader, manager):
        with pytest.raises(PermissionDenied):
            services.issue_transition(issue=issue, name="start", by=user)
    other_department_user = factories.UserFactory(username="other-dept")
    other_department_user.groups.add(role_groups()[Role.DEPARTMENT])
    DepartmentMember.objects.create(
        user=other_department_user,
        department=factories.DepartmentFactory(code="build", name="建设局"),
    )
    with pytest.raises(PermissionDenied):
        services.issue_transition(issue=issue, name="start", by=other_department_user)


def test_a_deadline_before_the_day_of_assignment_is_refused(official, department, issue, today):
    with pytest.raises(ValidationError) as excinfo:
        services.issue_transition(
            issue=issue,
            name="assign",
            by=official,
            department=department,
            deadline=today - timedelta(days=1),
        )
    assert "deadline" in excinfo.value.message_dict
    issue.refresh_from_db()
    assert issue.status == Status.RAISED and issue.deadline is None


def test_only_the_official_who_raised_or_assigned_closes(
    role_user, official, department_user, department, issue, today
):
    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    services.issue_transition(issue=issue, name="start", by=department_user)
    services.issue_transition(issue=issue, name="resolve", by=department_user, result="已解决")
    stranger = role_user(Role.OFFICIAL, username="another-official")
    with pytest.raises(PermissionDenied):
        services.issue_transition(issue=issue, name="close", by=stranger)


def test_assignment_notifies_the_department_once(
    official, department_user, department, issue, today, mailoutbox
):
    from inspections import notifications

    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    follow_up = issue.follow_ups.get(status_after=Status.ASSIGNED)
    # The task ran on commit (here, without a worker: the broker is not consumed), so call
    # the same function twice, as a redelivered task would.
    notifications.notify_step(follow_up_id=follow_up.pk)
    notifications.notify_step(follow_up_id=follow_up.pk)
    assert (
        Notification.objects.filter(
            recipient=department_user, kind=Notification.Kind.ASSIGNED
        ).count()
        == 1
    )
    assert len([m for m in mailoutbox if "hr@example.cn" in m.to]) == 1


def test_an_assignment_is_emailed_at_once_behind_a_backlog_of_other_notices(
    official, department_user, department, issue, today, mailoutbox
):
    from inspections import notifications

    # A slip detection's notices wait for the e-mail job, older than the assignment.
    for n in range(3):
        person = factories.UserFactory(email=f"waiting-{n}@example.cn")
        notifications.notify_projects(
            [
                notifications.ProjectNotice(
                    recipient_id=person.pk,
                    project_id=issue.project_id,
                    kind=Notification.Kind.ALERT_RED,
                    event_key=f"alert-{n}",
                    message="红灯",
                )
            ]
        )
    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    follow_up = issue.follow_ups.get(status_after=Status.ASSIGNED)
    notifications.notify_step(follow_up_id=follow_up.pk)

    assert [m.to for m in mailoutbox] == [["hr@example.cn"]]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 3
    assert notifications.send_all_pending_emails() == 3


def test_daily_deadline_notices_go_out_once(
    official, department_user, department, own_project, mailoutbox
):
    from datetime import date

    from inspections import notifications

    today = date(2026, 10, 9)  # a Friday; Saturday the 10th is an adjusted working day
    due_soon = factories.IssueFactory(
        project=own_project,
        status=Status.ASSIGNED,
        department=department,
        deadline=date(2026, 10, 12),
        raised_by=official,
        assigned_by=official,
    )
    overdue = factories.IssueFactory(
        project=own_project,
        status=Status.IN_PROGRESS,
        department=department,
        deadline=date(2026, 9, 30),
        raised_by=official,
        assigned_by=official,
    )
    later = factories.IssueFactory(
        project=own_project,
        status=Status.ASSIGNED,
        department=department,
        deadline=date(2026, 10, 20),
        raised_by=official,
        assigned_by=official,
    )

    assert (
        notifications.notify_deadlines(today=today) == 3
    )  # due soon: department; overdue: department and official
    assert notifications.notify_deadlines(today=today) == 0
    kinds = set(Notification.objects.values_list("issue_id", "kind", "recipient__username"))
    assert kinds == {
        (due_soon.pk, Notification.Kind.DUE_SOON, "hr-clerk"),
        (overdue.pk, Notification.Kind.OVERDUE, "hr-clerk"),
        (overdue.pk, Notification.Kind.OVERDUE, "t-official"),
    }
    assert not Notification.objects.filter(issue=later).exists()
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    assert len(mailoutbox) == 2  # the official has no e-mail address; the department does


def test_the_unread_count_shows_in_the_header(
    client, department_user, official, own_project, department, today
):
    issue = services.issue_raise(
        project=own_project, title="招工难", category=Issue.Category.HIRING, by=official
    )
    services.issue_transition(
        issue=issue, name="assign", by=official, department=department, deadline=today
    )
    from inspections import notifications

    notifications.notify_step(follow_up_id=issue.follow_ups.get(status_after=Status.ASSIGNED).pk)
    client.force_login(department_user)
    body = client.get("/issues/").content.decode()
    assert '<span class="count" aria-label="未读">1</span>' in body
    client.post("/notifications/read/")
    assert 'class="count"' not in client.get("/issues/").content.decode()
