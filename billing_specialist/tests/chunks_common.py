from datetime import timedelta

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import BillingDisputeCommon


class ChunksCommon(BillingDisputeCommon):
    """Runs larger than the chunk size (2 here), a third customer, and the chunk cron called as the scheduler would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(CHUNK_SIZE_PARAM, "2")
        cls.third_customer = cls.env["res.partner"].create({"name": "Initech Supplies", "is_company": True})

    def _drain(self, limit=20):
        """Call the chunk cron as the scheduler would, until it has nothing ready left."""
        Chunk = self.env["billing.run.chunk"]
        for _call in range(limit):
            if not Chunk._billing_next():
                return
            Chunk._cron_process()
        self.fail("the chunk cron never ran dry")


class RunChunksCommon(ChunksCommon):
    """A matching run larger than the chunk size: customers' sources in chunks. Two bank lines name no customer:
    one pays Initech's invoice by its number (planned in Initech's chunk), the other names nothing and matches no
    amount (the "no customer" chunk, last)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
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
        self._lines = self._bank_line(321.0, memo=f"paying {self.loose.name}") | self._bank_line(999.0, memo="transfer")
        return payments, self._lines

    def _start(self, user=None):
        payments, line = self._sources()
        run = self.env["billing.match.run"].with_user(user or self.specialist)
        return run._run_automatic(self.company, payments=payments, statement_lines=line)

    def _residuals(self):
        return [inv.amount_residual for inv in [*self.acme, self.globex, self.initech, self.loose]]


class FollowupChunksCommon(ChunksCommon):
    """A follow-up run of three customers (three chunks' worth at 2 a chunk: Acme and Globex, then Initech)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.customer | cls.other_customer | cls.third_customer
        for partner in cls.customers:
            partner.email = f"ap@{partner.name.split()[0].lower()}.example.com"
            due = cls.today - timedelta(days=10)
            cls._invoice(
                100.0,
                partner=partner,
                invoice_date=due - timedelta(days=30),
                invoice_date_due=due,
                invoice_payment_term_id=False,
            )

    def _send_run(self):
        """Preview then Send as the specialist, as the form does."""
        run = self.env["billing.followup.run"].with_user(self.specialist)._start(self.company)
        run.action_send()
        return run

    def _mails(self, partner=None):
        """The follow-up e-mails queued (of ``partner``)."""
        domain = [("billing_followup_line_id", "!=", False)]
        if partner:
            domain.append(("res_id", "=", partner.id))
        return self.env["mail.mail"].sudo().search([("model", "=", "res.partner"), *domain])


class InvoiceRunChunksCommon(ChunksCommon):
    """A billing run of five drafts: three of Acme (one to its contact), one of Globex, one of Initech."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@acme.example.com"
        cls.other_customer.email = "ap@globex.example.com"
        cls.third_customer.email = "ap@initech.example.com"
        cls.drafts = cls.env["account.move"].union(
            *(cls._invoice(100.0 + i, post=False) for i in range(3)),
            cls._invoice(500.0, partner=cls.other_customer, post=False),
            cls._invoice(700.0, partner=cls.third_customer, post=False),
        )

    def _start_run(self):
        run = (
            self.env["billing.invoice.run"]
            .with_user(self.specialist)
            ._create_for_invoices(self.drafts.with_user(self.specialist))
        )
        run.action_run()
        return run

    def _emails(self, moves=None):
        """The invoice e-mails sent (of ``moves``)."""
        return self.env["mail.message"].search(
            [
                ("model", "=", "account.move"),
                ("res_id", "in", (moves or self.drafts).ids),
                ("message_type", "=", "comment"),
                ("partner_ids", "!=", False),
            ]
        )
