"""The hot queries use indexes at city scale: every query the register page and the slip
job run is EXPLAINed on PostgreSQL, and none reads a large table from end to end.

The data is the bench's city scale (1,000 projects, ~10,000 milestones, ~12,000 monthly
figures, ~6,000 issues, their history rows), loaded with the bench's own generator.
"""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import data
from reports.detection import slip_detect

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are PostgreSQL's: this runs in the PostgreSQL pass of the suite",
    ),
]

CITY = 1_000
# A table is large when it holds at least this many rows at city scale: the milestones,
# the monthly figures, the issues, the open alerts and their history grow many times
# faster than the projects. The project table itself is read whole by the register's
# count and the zone totals, as it should be; a table of a few pages is read whole
# because that is cheaper than an index (the planner decides, and is right).
LARGE_ROWS = 5_000
APP_TABLES = ("projects_", "inspections_", "reports_")
# Reads that take a whole table by design, with why. Matched on the start of the SQL.
FULL_READS_BY_DESIGN = {
    # A projection follows from every milestone the project reached: all are read.
    'SELECT "projects_milestone"."id" AS "pk", "projects_milestone"."project_id" AS '
    '"project_id", "projects_milestone"."sequence"',
    # Each open alert is compared with today's signals to be kept or resolved.
    'SELECT "reports_alert"."id" AS "pk", "reports_alert"."project_id"',
    # Every open red alert, checked for its next escalation step, with its project's
    # people. Here, the morning after the first run, nearly every alert is open and red.
    'SELECT "reports_alert"."id" AS "pk", "reports_alert"."kind" AS "kind", '
    '"reports_alert"."detail" AS "detail", "reports_alert"."first_seen_at"',
    # The steps already taken for every open red alert: most alerts are open and red.
    'SELECT "reports_alertescalation"."alert_id" AS "alert_id", "reports_alertescalation"."step"',
}


def large_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        names = [name for (name,) in cursor.fetchall() if name.startswith(APP_TABLES)]
        large = set()
        for name in names:
            cursor.execute(f'SELECT count(*) FROM "{name}"')  # noqa: S608 (catalogue names)
            if cursor.fetchone()[0] >= LARGE_ROWS:
                large.add(name)
    return large


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker):
    """Loaded once for the module, in a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        data.populate(CITY)
        yield
        transaction.set_rollback(True)


def plans_of(queries: list[dict]) -> dict[str, str]:
    plans = {}
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            if any(sql.startswith(prefix) for prefix in FULL_READS_BY_DESIGN):
                continue
            cursor.execute("EXPLAIN " + sql)
            plans[sql] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def seq_scans(plans: dict[str, str]) -> list[str]:
    large = large_tables()
    assert {"projects_milestone", "projects_historicalmilestone"} <= large, large
    return [
        f"{table} in: {sql[:300]}…"
        for sql, plan in plans.items()
        for table in re.findall(r"Seq Scan on (\w+)", plan)
        if table in large
    ]


@pytest.mark.parametrize("url", ["/projects/", "/projects/?status=construction&sort=-total"])
def test_the_register_reads_no_large_table_whole(city, client, url):
    from hitech_zone.models import User

    client.force_login(User.objects.get(username="official"))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    plans = plans_of(captured.captured_queries)
    assert plans, "the register ran no SELECT"
    assert seq_scans(plans) == []


def test_the_slip_job_reads_no_large_table_whole(city):
    # The nightly run finds yesterday's alerts and projections: that is the run measured.
    slip_detect()
    data.analyze()
    with CaptureQueriesContext(connection) as captured:
        slip_detect()
    plans = plans_of(captured.captured_queries)
    assert len(plans) >= 5, "the slip job's reads were not captured"
    assert seq_scans(plans) == []


def test_the_issue_list_reads_its_first_page_from_the_index(city, client):
    from hitech_zone.models import User

    client.force_login(User.objects.get(username="official"))
    data.analyze()
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/issues/")
    assert response.status_code == 200
    pages = [
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "inspections_issue"' in query["sql"] and " LIMIT " in query["sql"]
    ]
    assert len(pages) == 1, [query["sql"][:200] for query in captured.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + pages[0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Walked in order and stopped after a page, not every issue sorted.
    assert "issue_list_order_idx" in plan, plan
    assert "Sort" not in plan, plan
