from . import portal
from . import portal_promise
from . import report
from . import portal_invoice
from . import portal_credit
