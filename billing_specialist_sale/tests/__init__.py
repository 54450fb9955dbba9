from . import test_sale_credit_hold
from . import test_sale_exposure
from . import test_sale_hold_rpc
from . import test_sale_hold_tour
from . import test_attack_sale
