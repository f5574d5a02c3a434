"""The job-sized inserts (hitech_zone.bulk), on whichever database the suite runs on: COPY
through a staging table on PostgreSQL, bulk_create on SQLite; the same rows either way."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from hitech_zone import bulk
from reports.models import Alert, MilestoneProjection
from tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def alert(project, subject_key: str, *, detail: dict) -> bulk.Row:
    now = timezone.now()
    return {
        "project_id": project.pk,
        "kind": Alert.Kind.STALE,
        "subject_key": subject_key,
        "severity": Alert.Severity.YELLOW,
        "detail": detail,
        "first_seen_at": now,
        "last_seen_at": now,
    }


def test_rows_are_inserted_with_every_field_and_conflicts_are_skipped():
    project = ProjectFactory()
    bulk.insert_rows(
        Alert,
        [
            alert(project, "stale", detail={"days": 31, "last_update": "2026-10-01", "名": "测试"}),
            alert(project, "other", detail={}),
        ],
    )
    # The open alert on the same subject is unique: the second insert keeps the first row.
    bulk.insert_rows(
        Alert, [alert(project, "stale", detail={"days": 99}), alert(project, "new", detail={})]
    )

    stored = {row.subject_key: row for row in Alert.objects.filter(project=project)}
    assert sorted(stored) == ["new", "other", "stale"]
    assert stored["stale"].detail == {"days": 31, "last_update": "2026-10-01", "名": "测试"}
    assert stored["stale"].severity == Alert.Severity.YELLOW
    assert stored["stale"].resolved_at is None
    assert stored["stale"].first_seen_at is not None


def test_an_upsert_updates_the_named_fields_of_the_row_it_meets():
    first, second = MilestoneFactory(), MilestoneFactory()
    computed = timezone.now()

    def projection(milestone, days: int) -> bulk.Row:
        return {
            "milestone_id": milestone.pk,
            "projected_date": date(2027, 1, 1) + timedelta(days=days),
            "pace_ratio": Decimal("1.250"),
            "basis_count": 2,
            "anchor_date": date(2026, 11, 1),
            "computed_at": computed,
        }

    fields = ["projected_date", "pace_ratio", "basis_count", "anchor_date", "computed_at"]
    bulk.insert_rows(
        MilestoneProjection,
        [projection(first, 0)],
        unique_fields=["milestone"],
        update_fields=fields,
    )
    bulk.insert_rows(
        MilestoneProjection,
        [projection(first, 30), projection(second, 5)],
        unique_fields=["milestone"],
        update_fields=fields,
    )

    stored = {row.milestone_id: row for row in MilestoneProjection.objects.all()}
    assert len(stored) == 2
    assert stored[first.pk].projected_date == date(2027, 1, 31)
    assert stored[second.pk].projected_date == date(2027, 1, 6)
    assert stored[second.pk].pace_ratio == Decimal("1.250")


def test_nothing_to_insert_runs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk.insert_rows(Alert, [])


def test_fields_left_out_take_their_defaults():
    from inspections.models import Notification
    from tests.factories import UserFactory

    project, recipient = ProjectFactory(), UserFactory()
    before = timezone.now()
    bulk.insert_rows(
        Notification,
        [
            {
                "recipient_id": recipient.pk,
                "project_id": project.pk,
                "kind": Notification.Kind.ALERT_RED,
                "event_key": "alert-1",
                "message": "红灯",
            }
        ],
    )
    stored = Notification.objects.get(recipient=recipient)
    assert stored.message == "红灯" and stored.issue_id is None
    assert stored.created_at >= before
    assert stored.read_at is None
