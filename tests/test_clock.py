"""The suite's own clock (tests/clock.py): a test runs at the moment asked for, and so do
the Python processes it starts."""

import subprocess
import sys
import time
from datetime import datetime

import pytest

from tests.clock import ZONE, clock_pinned_to, real_time

pinned_clock = clock_pinned_to("2027-01-01T00:00", autouse=False)


def child_time() -> float:
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(child.stdout)


@pytest.mark.date_sensitive
def test_a_test_starts_at_the_moment_asked_for(request):
    asked = request.config.test_clock
    now = datetime.now(ZONE)
    if asked is None:
        assert abs(now.timestamp() - real_time()) < 1
    else:
        assert 0 <= (now - asked).total_seconds() < 60


@pytest.mark.date_sensitive
def test_a_python_process_the_test_starts_is_on_the_same_clock():
    """The worker or server a test starts must agree with it on the day: the child's time
    must lie between the parent's readings before and after it ran."""
    before = time.time()
    seen = child_time()
    after = time.time()
    assert before - 1 <= seen <= after + 1


def test_a_pinned_clock_holds_for_the_test_and_its_processes(pinned_clock):
    now = datetime.now(ZONE)
    assert (now.year, now.month, now.day, now.hour, now.minute) == (2027, 1, 1, 0, 0)
    seen = datetime.fromtimestamp(child_time(), ZONE)
    assert (seen.year, seen.month, seen.day, seen.hour) == (2027, 1, 1, 0)


def test_the_clock_ticks_so_waits_and_timeouts_behave():
    first = time.time()
    time.sleep(0.05)
    assert time.time() - first >= 0.04
