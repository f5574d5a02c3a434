"""The briefing's figures, frozen: a dict of JSON types built from the data as it stood at
`as_of`, so rendering it again, later, prints the same briefing.

Money is a string of Decimal 万元 with two places ("1525000.00"), percentages a string
with one place ("48.3") or None, days ISO dates, moments ISO date-times in Asia/Shanghai.
Codes (status, light, kind, category) are stored, never their labels: the words are chosen
when the briefing is rendered, in the reader's language. Every list is sorted, so the same
data always gives the same snapshot, and the same digest.
"""

import hashlib
import json
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from inspections import deadlines, workdays
from projects import progress
from reports.briefings.common import escalated, iso_moment, light_counts, lights_at, visits
from reports.briefings.decisions import cutoff_day, decision_items
from reports.briefings.monthly import monthly_sections
from reports.briefings.reads import read, window_for
from reports.briefings.weekly import weekly_sections
from reports.periods import MONTHLY, WEEKLY, Period, PeriodError

SCHEMA = 1
# The zone the briefings are about: a setting where one exists, else the zone this app
# was made for.


def snapshot_digest(snapshot: dict) -> str:
    """SHA-256 of the canonical JSON of a snapshot."""
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def snapshot_build(*, kind: str, period: Period, as_of: datetime) -> dict:
    """Everything a briefing prints, as the data stood at `as_of`."""
    if kind not in (WEEKLY, MONTHLY) or period.kind != kind:
        raise PeriodError(f"A {kind} briefing needs a {kind} period, not {period.kind}.")
    window = window_for(period, as_of)
    reads = read(window, kind)
    # The figures' period: the briefing's month for a monthly, for a weekly the reporting
    # period when it is made.
    figures = (
        progress.through(period.start.year, period.start.month)
        if kind == MONTHLY
        else progress.reporting_period(timezone.localdate(as_of))
    )
    lights = lights_at(reads, as_of, figures)
    calendar = deadlines.calendar_for(cutoff_day(reads))
    snapshot = {
        "schema": SCHEMA,
        "kind": kind,
        "zone": settings.ZONE_NAME,
        "period": {
            "key": period.key,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "as_of": iso_moment(as_of),
        "lights_at": iso_moment(as_of),
        "light_counts": light_counts(lights),
        "escalated": escalated(reads, as_of),
        "decisions": decision_items(reads, lights, calendar),
        "visits": visits(reads),
        # Years of the period whose holiday schedule was not known: the working days
        # counted there are estimates, and the briefing says so in a footnote.
        "calendar_uncovered": workdays.WorkdayCalendar().uncovered_years(period.start, period.end),
    }
    if kind == WEEKLY:
        snapshot.update(weekly_sections(reads, lights, figures, calendar))
    else:
        snapshot.update(monthly_sections(reads, lights, calendar))
    return snapshot
