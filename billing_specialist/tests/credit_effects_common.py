from .common import BillingDisputeCommon


class CreditEffectsCommon(BillingDisputeCommon):
    """Odoo's credit limits on, the company's hold rules as a new company has them (60 days overdue, 2 broken
    promises, watch at 80 %); the customer's limit is 1,000.00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.account_use_credit_limit = True
        cls.customer.with_company(cls.company).credit_limit = 1000.0

    @classmethod
    def _recompute(cls, partner=None, company=None):
        """The customer's credit state as credit control computes it (nightly, or when its ledger changes)."""
        partner, company = partner or cls.customer, company or cls.company
        cls.env["billing.credit.status"]._billing_recompute(partner, company)
        return partner._billing_credit_status(company)

    @classmethod
    def _credit(cls, partner, state="hold", amount=0.0, reasons="", company=None):
        """Set ``partner``'s credit state in ``company`` as credit control stores it, for a state the ledger alone
        would take many documents to reach (a watch, a hold paying cannot release, another company's hold)."""
        company = company or cls.company
        # The customers this transaction touched are recomputed now, not over this state at the next flush.
        cls.env.cr.flush()
        Status = cls.env["billing.credit.status"].sudo()
        status = Status.search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
        vals = {"state": state, "amount_to_release": amount, "reasons": reasons}
        if status:
            status.write(vals)
        else:
            status = Status.create({"partner_id": partner.id, "company_id": company.id, **vals})
        status.flush_recordset()
        return status

    def _release(self, status, reason="Payment plan agreed"):
        """A billing manager releases the hold (credit control's release wizard)."""
        return (
            self.env(user=self.manager)["billing.credit.release"]
            .with_context(default_status_id=status.id)
            .create({"reason": reason})
            .action_release()
        )
