"""One project's data must not stop the nightly slip detection for the whole zone.

Each step of the detection (`reports.detection`) reads set-wise in SQL, then works in
Python project by project; that Python part runs under `SkippedProjects.guard`. When it
raises for a project, the error is logged with the project's code and traceback, and the
project is skipped for the rest of the night: its projections, alerts and escalations
stay as the last run left them, rather than be resolved or deleted on a half-computed
picture. The run keeps the list (`reports.models.SlipDetectionRun`) and the alerts page
shows it, so the project is fixed rather than silently left unchecked.

Faults that are not the project's are not caught: a database error has broken the
transaction for every project, and the task retries on the network or the disk failing
(`hitech_zone.tasks.TRANSIENT_FAULTS`).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.db import Error as DatabaseFault

from projects.models import Project

logger = logging.getLogger("reports.detection")

# Room enough for an exception's type and message, not a record of anything.
ERROR_MAX_LENGTH = 500
NOT_THE_PROJECT = (DatabaseFault, OSError, SoftTimeLimitExceeded)


@dataclass(frozen=True)
class Skip:
    project_id: int
    project: str  # the project's code
    step: str
    error: str


class SkippedProjects:
    """The projects a run of the detection skipped, each with the step that failed."""

    def __init__(self) -> None:
        self._skips: dict[int, Skip] = {}

    def __contains__(self, project_id: object) -> bool:
        return project_id in self._skips

    @property
    def project_ids(self) -> set[int]:
        return set(self._skips)

    def as_list(self) -> list[dict]:
        """JSON-ready, by project code."""
        return [asdict(skip) for skip in sorted(self._skips.values(), key=lambda s: s.project)]

    @contextmanager
    def guard(self, project_id: int, step: str) -> Iterator[None]:
        """Run one project's part of `step`: if it raises, log it and skip the project."""
        try:
            yield
        except NOT_THE_PROJECT:
            raise
        except Exception as error:
            # One query, on a failing night only.
            code = Project.objects.filter(pk=project_id).values_list("code", flat=True).first()
            code = code or f"#{project_id}"
            logger.exception(
                "Slip detection skipped project %s: its %s step failed",
                code,
                step,
                extra={"project": code, "step": step},
            )
            self._skips.setdefault(
                project_id,
                Skip(project_id, code, step, f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]),
            )
