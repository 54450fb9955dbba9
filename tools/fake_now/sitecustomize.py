"""Shift Python's clock for a test run: imported at start-up when tools/fake_now is on PYTHONPATH.

tools/test.sh puts this folder on PYTHONPATH only when BILLING_FAKE_NOW is set (e.g. 2027-12-07T10:00:00, UTC).
It exports BILLING_FAKE_OFFSET (seconds from the real clock, computed once) so that every process of the run
(installs, pytest, the Chromium wrapper in bin/) lives on the same shifted clock, which keeps ticking.
time-machine patches Python's clock only: PostgreSQL keeps the real time, and so do the monotonic clocks that
timed waits and lock timeouts rely on (libfaketime would shift those too: never preload it into Python or PostgreSQL).
"""

import os
import time

_offset = os.environ.get("BILLING_FAKE_OFFSET")
_when = os.environ.get("BILLING_FAKE_NOW")
if _offset or _when:
    import time_machine

    # A naive date-time is read as UTC (time-machine's default), like `date -u -d` in tools/test.sh.
    _destination = time.time() + float(_offset) if _offset else _when
    time_machine.travel(_destination, tick=True).start()
