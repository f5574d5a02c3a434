"""Helpers shared by the slip-detection tests (signals, forecasting, alerts, escalation)."""

from datetime import date, datetime, time

from django.utils import timezone

from reports.models import Alert


def at(day: date, hour: int = 1) -> datetime:
    """A moment on `day` in Asia/Shanghai: by default 01:00, when the nightly job runs."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def open_alerts(project=None) -> set[tuple[str, str, str]]:
    """(kind, subject_key, severity) of the open alerts, of one project or all."""
    alerts = Alert.objects.filter(resolved_at__isnull=True)
    if project is not None:
        alerts = alerts.filter(project=project)
    return set(alerts.values_list("kind", "subject_key", "severity"))


def alert_rows() -> list[tuple]:
    """Every alert row, every column: to compare the table before and after a run."""
    return list(Alert.objects.order_by("pk").values_list())
