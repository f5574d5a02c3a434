"""Demo data: the zone's 28 city-level key projects, laid out around the day it runs.

The four projects the news article names carry its facts (is_demo=False); the other 24
are invented (is_demo=True), as are the third park and every person marked （演示）.
The article's year is mapped onto the year of `today`; no actual date, issue or follow-up
lies after `today`, so the data loads on any day of the year.

Loading is idempotent: every row is matched on its natural key and created only when
missing; rows that exist are left as they are, so a second run writes nothing.
"""

from hitech_zone.demo.data import DEMO_PASSWORD
from hitech_zone.demo.loader import load_demo

__all__ = ["DEMO_PASSWORD", "load_demo"]
