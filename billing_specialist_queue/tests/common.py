from odoo.tests import common as odoo_test_common

if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    # Odoo 18.0 sources older than queue_job's test helpers: they only register a path in this dict.
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs  # after the guard above

__all__ = ["PerformAll", "trap_jobs"]


class PerformAll:
    def _perform_all(self, trap, limit=10):
        """Perform the trapped jobs, and those they enqueue, as the job runner would."""
        for _round in range(limit):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()
        self.fail("the jobs never ran dry")

    def _assert_jobs_on_root_billing(self, trap, chunks):
        trap.assert_jobs_count(len(chunks))
        for chunk in chunks:
            trap.assert_enqueued_job(
                chunk._billing_process_job,
                properties={"channel": "root.billing", "identity_key": f"billing-chunk-{chunk.id}-0"},
            )
