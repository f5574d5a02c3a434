"""The open alerts as .xlsx and CSV: typed cells, neutralised text, each user's own scope."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.utils import timezone

from reports.models import Alert, AlertEscalation
from tests.reports.slip_helpers import at

pytestmark = pytest.mark.django_db


def alert(project, kind, severity, *, detail=None, resolved=False, day=date(2026, 7, 1)):
    return Alert.objects.create(
        project=project,
        kind=kind,
        severity=severity,
        detail=detail or {},
        first_seen_at=at(day),
        last_seen_at=at(day, hour=2),
        resolved_at=at(day, hour=3) if resolved else None,
    )


@pytest.fixture
def alerts(own_project, other_project, official):
    own_project.name = '=HYPERLINK("http://evil.example")'
    own_project.save()
    overdue = alert(
        own_project,
        Alert.Kind.MILESTONE_OVERDUE,
        Alert.Severity.RED,
        detail={"milestone": "开工", "baseline": "2026-06-01", "days": 30},
    )
    AlertEscalation.objects.create(
        alert=overdue, step=AlertEscalation.Step.RESPONSIBLE, escalated_at=at(date(2026, 7, 2))
    )
    alert(own_project, Alert.Kind.STALE, Alert.Severity.YELLOW, resolved=True)
    alert(other_project, Alert.Kind.SUSPENDED, Alert.Severity.RED)
    return overdue


def xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return [
        list(row) for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows()
    ]


def test_officials_export_every_open_alert_worst_first(client, official, alerts):
    client.force_login(official)
    rows = xlsx_rows(client.get("/alerts/export.xlsx"))
    assert len(rows) == 3  # a header and the two open alerts; the resolved one is not there
    assert [row[0].value for row in rows[1:]] == ["T-OWN", "T-OTHER"]
    overdue = rows[1]
    assert overdue[1].value == '\'=HYPERLINK("http://evil.example")'
    assert overdue[1].data_type == "s"
    assert "开工" in overdue[4].value and "30" in overdue[4].value
    assert overdue[5].is_date
    assert overdue[5].value == timezone.localtime(alerts.first_seen_at).replace(tzinfo=None)
    assert "2026-07-02" in overdue[7].value


def test_a_project_manager_exports_only_their_projects_alerts(client, manager, alerts):
    client.force_login(manager)
    rows = xlsx_rows(client.get("/alerts/export.xlsx"))
    assert [row[0].value for row in rows[1:]] == ["T-OWN"]
    response = client.get("/alerts/export.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["T-OWN"]
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'
    assert rows[1][5] == "2026-07-01 01:00:00"  # ISO, in the zone's time


def test_the_alert_page_links_to_both_exports(client, leader, alerts):
    client.force_login(leader)
    body = client.get("/alerts/").content.decode()
    assert 'href="/alerts/export.xlsx"' in body and 'href="/alerts/export.csv"' in body
