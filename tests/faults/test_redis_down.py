"""Redis goes down under a running app: gunicorn, a Celery worker and beat, DEBUG off, on a
PostgreSQL cluster and a Redis server of the test's own. Users keep saving, quickly; the
work those saves need waits in the outbox; the users who started work are told it is
queued; once Redis is back every piece of work happens, exactly once."""

import re
import time
import uuid
from datetime import timedelta
from functools import partial

import pytest

from tests.faults.conftest import HTTP_TIMEOUT, log_in, post, served_env, wait_until

pytestmark = pytest.mark.celery_worker

# A request must not hang on a broker that is down: the outbox gives up within about a
# second; this leaves room for a slow machine.
QUICK_SECONDS = 3
NOTIFY = "inspections.tasks.issue_step_notify"
SLIP_DETECT = "reports.tasks.slip_detect"
BRIEFING = "reports.tasks.briefing_generate"
# 任务服务器: what the Chinese pages call the task server (the broker and its workers).
TASK_SERVER_DOWN = "任务服务器暂时无法连接"


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_with_redis_down_saves_go_through_and_the_work_follows_once_it_is_back(
    private_postgres, private_redis, served, smtp_sink, tmp_path
):
    from django.utils import timezone

    from reports import periods

    database = private_postgres.create_database()
    sql = partial(private_postgres.sql, database)
    served.env = {
        **served_env(
            tmp_path, database_url=private_postgres.url(database), redis_url=private_redis.url
        ),
        **smtp_sink.env(),
        # Beat's outbox sweep every two seconds instead of every minute.
        "OUTBOX_FLUSH_SECONDS": "2",
    }
    served.manage("migrate", "--noinput")
    served.manage("load_demo", "--force")
    sql("update hitech_zone_user set email = username || '@example.org'")
    served.web()
    served.worker()
    served.beat()
    official = log_in(served, "official")
    pm = log_in(served, "pm")
    today = timezone.localdate()

    private_redis.stop()

    # 1. The project manager files a visit and raises an issue on it: saved, no task.
    visit_form = pm.get(f"{served.base_url}/visits/new/?new=1", timeout=HTTP_TIMEOUT).text
    project = re.search(r'<select name="project"[^>]*>.*?<option value="(\d+)"', visit_form, re.S)
    assert project, "the project manager has no project to visit"
    title = f"断网测试：招工渠道受限 {uuid.uuid4().hex[:6]}"
    submission_key = str(uuid.uuid4())
    response, seconds = timed(
        lambda: post(
            served,
            pm,
            "/visits/new/",
            {
                "submission_key": submission_key,
                "project": project.group(1),
                "visited_on": today.isoformat(),
                "notes": "Redis 停机时现场走访。",
                "issue-0-title": title,
                "issue-0-category": "hiring",
                "issue-0-severity": "serious",
                "issue-0-description": "高校尚未开学，招工渠道有限。",
            },
        )
    )
    assert response.status_code == 302, response.text[-2000:]
    assert seconds < QUICK_SECONDS, f"filing a visit took {seconds:.1f} s"
    [(issue_pk,)] = sql("select id from inspections_issue where title = %s", title)

    # 2. The official assigns it to 组织人事劳动局: its users must be notified (a task).
    [(department_pk,)] = sql("select id from inspections_department where code = 'hr-labour'")
    response, seconds = timed(
        lambda: post(
            served,
            official,
            f"/issues/{issue_pk}/assign/",
            {
                "assign-department": str(department_pk),
                "assign-deadline": (today + timedelta(days=7)).isoformat(),
                "assign-owner": "人才服务科",
                "assign-comment": "请组织专场招聘会。",
            },
        )
    )
    assert response.status_code == 302, response.text[-2000:]
    assert seconds < QUICK_SECONDS, f"assigning took {seconds:.1f} s"
    assert sql("select status from inspections_issue where id = %s", issue_pk) == [("assigned",)]

    # 3. Slip detection on demand: queued, and the official is told so.
    response, seconds = timed(lambda: post(served, official, "/alerts/detect/", {}))
    assert response.status_code == 302
    assert seconds < QUICK_SECONDS, f"asking for slip detection took {seconds:.1f} s"
    alerts_page = official.get(f"{served.base_url}/alerts/", timeout=HTTP_TIMEOUT).text
    assert TASK_SERVER_DOWN in alerts_page

    # 4. A monthly briefing now: queued, and its page says it waits for the task server.
    period = periods.last_complete(periods.MONTHLY, today)
    response, seconds = timed(
        lambda: post(
            served, official, "/briefings/generate/", {"kind": "monthly", "period": period.key}
        )
    )
    assert response.status_code == 302, response.text[-2000:]
    assert seconds < QUICK_SECONDS, f"asking for a briefing took {seconds:.1f} s"
    briefing_pk = int(re.search(r"/briefings/(\d+)/$", response.headers["Location"]).group(1))
    detail = official.get(f"{served.base_url}/briefings/{briefing_pk}/", timeout=HTTP_TIMEOUT)
    assert TASK_SERVER_DOWN in detail.text

    # The work waits in the outbox, each piece tried once and the fault noted.
    waiting = sql(
        "select task_name, attempts, last_error from hitech_zone_outboxmessage "
        "where sent_at is null order by id"
    )
    assert [name for name, _attempts, _error in waiting] == [NOTIFY, SLIP_DETECT, BRIEFING]
    assert all(attempts >= 1 and error for _name, attempts, error in waiting), waiting
    assert sql("select count(*) from inspections_notification where issue_id = %s", issue_pk) == [
        (0,)
    ]
    assert sql("select status from reports_briefing where id = %s", briefing_pk) == [("queued",)]

    # Redis comes back on the same port: beat's next sweep sends the outbox.
    private_redis.start()

    def outbox_empty() -> bool:
        return sql("select count(*) from hitech_zone_outboxmessage where sent_at is null") == [(0,)]

    wait_until(outbox_empty, timeout=60, interval=0.5, what="the outbox to drain", log=served.log)
    wait_until(
        lambda: smtp_sink.delivered(title)["dept@example.org"] == 1,
        timeout=60,
        interval=0.5,
        what="the department's e-mail",
        log=served.log,
    )
    wait_until(
        lambda: sql("select count from hitech_zone_heartbeat where name = 'slip-detect'"),
        timeout=60,
        interval=0.5,
        what="the slip detection to run",
        log=served.log,
    )
    wait_until(
        lambda: (
            sql("select status from reports_briefing where id = %s", briefing_pk)
            == [("published",)]
        ),
        timeout=90,
        interval=0.5,
        what="the briefing",
        log=served.log,
    )

    # Exactly once, even given time for a second delivery to show.
    time.sleep(4)
    assert sql(
        "select r.username, count(*) from inspections_notification n "
        "join hitech_zone_user r on r.id = n.recipient_id where n.issue_id = %s "
        "group by r.username",
        issue_pk,
    ) == [("dept", 1)]
    assert smtp_sink.delivered(title) == {"dept@example.org": 1}
    assert sql("select count from hitech_zone_heartbeat where name = 'slip-detect'") == [(1,)]
    assert sql(
        "select count(*), max(attempts) from reports_briefing where kind = 'monthly' "
        "and period = %s",
        period.key,
    ) == [(1, 1)]
    assert outbox_empty()
    # The page no longer says it waits.
    detail = official.get(f"{served.base_url}/briefings/{briefing_pk}/", timeout=HTTP_TIMEOUT)
    assert TASK_SERVER_DOWN not in detail.text
