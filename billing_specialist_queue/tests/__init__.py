from . import test_queue_chunks
