from datetime import timedelta

from .common import BillingDisputeCommon


class FollowupCommon(BillingDisputeCommon):
    """The company's seeded ladder, two customers with an e-mail, helpers to invoice overdue and to run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.levels = cls.env["billing.followup.level"].search([("company_id", "=", cls.company.id)], order="delay")
        cls.reminder, cls.firm, cls.final, cls.collections = cls.levels
        cls.customer.email = "ap@acme.example.com"
        cls.other_customer.email = "ap@globex.example.com"
        cls.Run = cls.env["billing.followup.run"]

    def _overdue(self, days, amount=100.0, partner=None, **vals):
        """An invoice due ``days`` days ago."""
        due = self.today - timedelta(days=days)
        return self._invoice(
            amount,
            partner=partner or self.customer,
            invoice_date=due - timedelta(days=30),
            invoice_date_due=due,
            invoice_payment_term_id=False,
            **vals,
        )

    def _customer(self, name, email=True):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, "email": email and f"{name.lower().replace(' ', '')}@example.com"}
        )

    def _preview(self, user=None):
        return self.Run.with_user(user or self.specialist)._start(self.company)

    def _send(self, user=None):
        run = self._preview(user)
        run.action_send()
        return run

    def _line(self, run, partner):
        return run.line_ids.filtered(lambda ln: ln.partner_id == partner)

    def _mails(self, partner):
        return self.env["mail.mail"].sudo().search([("model", "=", "res.partner"), ("res_id", "=", partner.id)])
