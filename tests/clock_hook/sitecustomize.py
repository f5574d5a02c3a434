"""Puts a Python process that a test starts on the test's clock (tests/clock.py).

The test runner sets the shift, in seconds from the real clock, in the environment; every
Python process started from the test imports this module at start-up and moves its clock
by the same amount, ticking, so a worker or a server agrees with the test on the moment.
"""

import os

_shift = os.environ.get("HITECH_ZONE_TEST_CLOCK_SHIFT")
if _shift:
    try:
        import time as _time

        import time_machine as _time_machine
    except ImportError:  # a Python without the test tools: it keeps the real clock
        pass
    else:
        _time_machine.travel(_time.time() + float(_shift), tick=True).start()
