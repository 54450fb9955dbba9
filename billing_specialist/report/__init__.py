from . import billing_activity_report
from . import billing_aging
from . import billing_kpi
from . import billing_statement
from . import billing_workbook
from . import billing_worklist
from . import billing_worklist_cockpit
from . import billing_collector_report
