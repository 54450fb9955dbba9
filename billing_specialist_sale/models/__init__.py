from . import billing_credit_status
from . import sale_order
from . import payment_transaction
from . import sale_order_line
