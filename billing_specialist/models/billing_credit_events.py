# pylint: disable=consider-merging-classes-inherited  # credit control's hooks live apart (docs/ARCHITECTURE.md)
"""The events that change a customer's credit state: each notes the customers it touches (no query: the values are
in the cache), and the transaction recomputes them once, just before it commits (``cr.precommit``)."""

from odoo import api, models


class BillingCreditEventMixin(models.AbstractModel):
    """A record whose creation, change or deletion may change its customer's credit state.

    A model adds it to its ``_inherit`` and says which customers a record touches (``_billing_credit_pairs``). A write
    notes the customers before the change, and after it too when one of ``_billing_credit_partner_fields`` changes
    (the record moved to another customer); ``_billing_credit_fields`` limits the writes that count (None: all)."""

    _name = "billing.credit.event.mixin"
    _description = "Credit Control: Events"

    _billing_credit_fields = None
    _billing_credit_partner_fields = frozenset({"partner_id"})

    def _billing_credit_pairs(self):
        """(partner id, company id) of the customers these records touch."""
        return ((record.partner_id.id, record.company_id.id) for record in self)

    def _billing_touch_credit(self):
        self.env["billing.credit.status"]._billing_touch(self._billing_credit_pairs())

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._billing_touch_credit()
        return records

    def write(self, vals):
        if self._billing_credit_fields is not None and not self._billing_credit_fields.intersection(vals):
            return super().write(vals)
        self._billing_touch_credit()  # the customer before the change (a new customer is noted below)
        result = super().write(vals)
        if self._billing_credit_partner_fields.intersection(vals):
            self._billing_touch_credit()
        return result

    def unlink(self):
        self._billing_touch_credit()
        return super().unlink()


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "billing.credit.event.mixin"]

    def _billing_credit_pairs(self):
        return ((move.commercial_partner_id.id, move.company_id.id) for move in self if move.commercial_partner_id)


class AccountPartialReconcile(models.Model):
    _name = "account.partial.reconcile"
    _inherit = ["account.partial.reconcile", "billing.credit.event.mixin"]

    # a partial is created or deleted, never moved: its writes (the exchange entry's link) change no customer
    _billing_credit_fields = frozenset()

    def _billing_credit_pairs(self):
        # the reconciled items were read to reconcile them: their partner and company come from the cache
        lines = self.debit_move_id | self.credit_move_id
        return ((line.partner_id.id, line.company_id.id) for line in lines)


class BillingPromise(models.Model):
    _name = "billing.promise"
    _inherit = ["billing.promise", "billing.credit.event.mixin"]


class BillingDispute(models.Model):
    _name = "billing.dispute"
    _inherit = ["billing.dispute", "billing.credit.event.mixin"]


class BillingDisputeLine(models.Model):
    _name = "billing.dispute.line"
    _inherit = ["billing.dispute.line", "billing.credit.event.mixin"]

    _billing_credit_partner_fields = frozenset({"dispute_id"})

    def _billing_credit_pairs(self):
        return ((line.dispute_id.partner_id.id, line.dispute_id.company_id.id) for line in self)
