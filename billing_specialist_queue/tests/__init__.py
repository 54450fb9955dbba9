from . import test_queue_chunks
from . import test_queue_runs
from . import test_queue_stuck_runs
