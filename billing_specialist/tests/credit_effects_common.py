from .common import BillingDisputeCommon


class CreditEffectsCommon(BillingDisputeCommon):
    """A customer's credit state set as credit control would have computed it, to test its effects alone."""

    @classmethod
    def _credit(cls, partner, state="hold", amount=0.0, reasons="", company=None):
        """Set ``partner``'s credit state in ``company`` (the test company by default) as credit control stores it."""
        company = company or cls.company
        Status = cls.env["billing.credit.status"].sudo()
        status = Status.search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
        vals = {"state": state, "amount_to_release": amount, "reasons": reasons}
        if status:
            status.write(vals)
        else:
            status = Status.create({"partner_id": partner.id, "company_id": company.id, **vals})
        status.flush_recordset()
        return status
