from . import test_queue_chunks
from . import test_queue_runs
