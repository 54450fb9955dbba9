from . import billing_statement
