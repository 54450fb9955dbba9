from odoo import Command

from odoo.addons.billing_specialist.tests.common import BillingDisputeCommon


class SaleCreditCommon(BillingDisputeCommon):
    """Sales orders of customers whose credit state comes from the real hold rules (Odoo's credit limit)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        salesman = cls.env.ref("sales_team.group_sale_salesman_all_leads")
        cls.env.user.groups_id |= cls.env.ref("sales_team.group_sale_manager")
        (cls.specialist | cls.manager).write({"groups_id": [Command.link(salesman.id)]})
        cls.company.account_use_credit_limit = True
        cls.product_a.invoice_policy = "order"

    # ------------------------------------------------------------------ helpers

    @classmethod
    def _order(cls, amount=100.0, partner=None, company=None, user=None):
        """A quotation of one untaxed line worth ``amount`` (as ``user``, the test's user by default)."""
        env = cls.env(user=user) if user else cls.env
        company = company or cls.company
        return (
            env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": (partner or cls.customer_contact).id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {
                                "product_id": cls.product_a.id,
                                "product_uom_qty": 1,
                                "price_unit": amount,
                                "tax_id": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )

    def _limit(self, partner, amount, company=None):
        partner.with_company(company or self.company).credit_limit = amount

    def _recompute(self, partner=None, company=None):
        """The credit state recomputed as the nightly job and the events do; returns the status (maybe empty)."""
        partner = partner or self.customer
        company = company or self.company
        self.env["billing.credit.status"]._billing_recompute(partner, company)
        return partner._billing_credit_status(company)

    def _commit_events(self):
        """What a commit runs first: the precommit recomputes of the transaction's events."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _put_on_hold(self, partner=None, company=None):
        """Exposure 1,000 (an open invoice) above a limit of 500: on hold, 500 to release."""
        partner = partner or self.customer
        self._limit(partner, 500.0, company)
        if company and company != self.company:
            self._invoice_in(company, 1000.0, partner)
        else:
            self._invoice(1000.0, partner=partner)
        status = self._recompute(partner, company)
        self.assertEqual(status.state, "hold")
        return status

    def _invoice_in(self, company, amount, partner):
        move = (
            self.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [
                        Command.create({"name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": []})
                    ],
                }
            )
        )
        move.action_post()
        return move
