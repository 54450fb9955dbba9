from . import test_dispute_case
from . import test_dispute_resolution
from . import test_dispute_sync
from . import test_dispute_sla
from . import test_dispute_security
from . import test_dispute_tour
from . import test_portal
from . import test_statement
