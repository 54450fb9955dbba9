from . import billing_specialist_demo
