from . import billing_sale_hold_override
