from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import BillingDisputeCommon


class RunChunksCommon(BillingDisputeCommon):
    """A run larger than the chunk size (2 here): customers' sources in chunks, a bank line naming no customer last."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(CHUNK_SIZE_PARAM, "2")
        cls.third_customer = cls.env["res.partner"].create({"name": "Initech Supplies", "is_company": True})
        cls.acme = [cls._invoice(100.0 + i) for i in range(3)]
        cls.globex = cls._invoice(500.0, partner=cls.other_customer)
        cls.initech = cls._invoice(700.0, partner=cls.third_customer)
        cls.loose = cls._invoice(321.0, partner=cls.third_customer)

    def _sources(self):
        payments = self.env["account.payment"].union(
            *(self._payment(inv.amount_total, memo=inv.name) for inv in self.acme),
            self._payment(500.0, memo=self.globex.name, partner=self.other_customer),
            self._payment(700.0, memo=self.initech.name, partner=self.third_customer),
        )
        return payments, self._bank_line(321.0, memo=f"paying {self.loose.name}")

    def _start(self, user=None):
        payments, line = self._sources()
        run = self.env["billing.match.run"].with_user(user or self.specialist)
        return run._run_automatic(self.company, payments=payments, statement_lines=line)

    def _drain(self, limit=20):
        """Call the chunk cron as the scheduler would, until it has nothing ready left."""
        Chunk = self.env["billing.run.chunk"]
        for _call in range(limit):
            if not Chunk._billing_next():
                return
            Chunk._cron_process()
        self.fail("the chunk cron never ran dry")

    def _residuals(self):
        return [inv.amount_residual for inv in [*self.acme, self.globex, self.initech, self.loose]]
