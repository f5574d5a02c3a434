from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model

from hitech_zone import permissions
from projects import selectors


@shared_task(name="projects.tasks.zone_summary_compute")
def zone_summary_compute(*, as_of: str, username: str | None = None) -> dict[str, str | int]:
    """The zone totals as the given user (or the system) may see them, as strings."""
    user = get_user_model().objects.get(username=username) if username else permissions.SYSTEM
    summary = selectors.zone_summary(user=user, as_of=date.fromisoformat(as_of))
    return {
        "project_count": summary.project_count,
        "total_investment": str(summary.total_investment),
        "annual_plan": str(summary.annual_plan),
        "completed_ytd": str(summary.completed_ytd),
    }
