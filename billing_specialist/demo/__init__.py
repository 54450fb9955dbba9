from . import ledger
from . import billing_dispute_demo
from . import billing_match_run_demo
from . import billing_remittance_demo
from . import billing_collection_demo
from . import billing_followup_run_demo
from . import billing_promise_demo
from . import billing_invoice_run_demo
