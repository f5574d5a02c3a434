"""The suite's clock: every test runs at one fixed moment, whatever the day it is run.

Each test starts at the moment given by ``--clock`` (Asia/Shanghai wall time, ISO format)
and the clock then ticks on as usual, so waits and timeouts behave. The moment is set
before the test's fixtures are made, so fixtures of any scope see it too. Python
processes a test starts (Celery workers, servers, ``manage.py``) run on the same shifted
clock through ``tests/clock_hook/sitecustomize.py``.

``--clock=now`` leaves the real clock alone. CI runs the tests marked ``date_sensitive``
once for each day of its date matrix (``.ci/date-matrix``).
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

ZONE = ZoneInfo("Asia/Shanghai")
# An ordinary working Wednesday in the middle of a month, late in the year: every test
# that is not about a particular day runs on it.
DEFAULT_CLOCK = "2026-11-18T10:00:00"
CLOCK_ENV = "HITECH_ZONE_TEST_CLOCK"
SHIFT_ENV = "HITECH_ZONE_TEST_CLOCK_SHIFT"
HOOK_DIR = Path(__file__).resolve().parent / "clock_hook"


def parse_clock(value: str) -> datetime | None:
    """The moment for ``--clock``: an ISO date or date-time in Asia/Shanghai, or None for
    ``now`` (the real clock)."""
    if value.strip().lower() == "now":
        return None
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    return moment


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get(CLOCK_ENV, DEFAULT_CLOCK),
        help=(
            "the moment each test starts at, Asia/Shanghai, e.g. 2027-01-01T00:00 "
            f"(default {DEFAULT_CLOCK}, or ${CLOCK_ENV}); 'now' keeps the real clock"
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "date_sensitive: the outcome hangs on the calendar day; CI runs it on every day of "
        "the date matrix",
    )
    try:
        config.test_clock = parse_clock(config.getoption("--clock"))
    except ValueError as error:
        raise pytest.UsageError(f"--clock: {error}") from None
    # Python subprocesses read the shift from the environment at start-up.
    path = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = f"{HOOK_DIR}{os.pathsep}{path}" if path else str(HOOK_DIR)


def pytest_report_header(config: pytest.Config) -> str:
    moment = config.test_clock
    return f"clock: {moment.isoformat() if moment else 'real (now)'}"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    moment = item.config.test_clock
    if moment is None:
        yield
        return
    real_start = time.time()
    traveller = time_machine.travel(moment, tick=True)
    traveller.start()
    os.environ[SHIFT_ENV] = repr(moment.timestamp() - real_start)
    try:
        yield
    finally:
        os.environ.pop(SHIFT_ENV, None)
        traveller.stop()


def real_time() -> float:
    """The real clock's time, whether or not a test is travelling."""
    hatch = time_machine.escape_hatch
    return hatch.time.time() if hatch.is_travelling() else time.time()


def clock_pinned_to(moment: str, *, autouse: bool = True):
    """A fixture for a module whose data carry fixed dates: its tests run at `moment`
    (Asia/Shanghai) whatever ``--clock`` says, since records made "now" must come after
    those dates. The processes a test starts follow the pinned clock too."""
    destination = parse_clock(moment)

    @pytest.fixture(autouse=autouse)
    def pinned_clock(time_machine, monkeypatch):
        real_start = real_time()
        time_machine.move_to(destination)
        monkeypatch.setenv(SHIFT_ENV, repr(destination.timestamp() - real_start))

    return pinned_clock
