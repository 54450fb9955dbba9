from . import billing_dispute_resolve
