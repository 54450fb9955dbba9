from . import billing_dispute_resolve
from . import billing_report_wizard
from . import billing_report_aging_line
from . import billing_statement_wizard
from . import billing_collection_call
from . import billing_collection_schedule
from . import billing_collection_assign
from . import billing_invoice_check_override
