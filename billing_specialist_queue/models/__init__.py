from . import billing_run_chunk
