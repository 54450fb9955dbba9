"""The events that change a customer's credit state: each notes the customers it touches (no query: the values are
in the cache), and the transaction recomputes them once, just before it commits (``cr.precommit``)."""

from odoo import api, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _billing_touch_credit(self):
        self.env["billing.credit.status"]._billing_touch(
            (move.commercial_partner_id.id, move.company_id.id) for move in self if move.commercial_partner_id
        )

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        moves._billing_touch_credit()
        return moves

    def write(self, vals):
        self._billing_touch_credit()  # the customer before the change (a new customer is noted below)
        result = super().write(vals)
        if "partner_id" in vals:
            self._billing_touch_credit()
        return result

    def unlink(self):
        self._billing_touch_credit()
        return super().unlink()


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._billing_touch_credit()
        return partials

    def unlink(self):
        self._billing_touch_credit()
        return super().unlink()

    def _billing_touch_credit(self):
        # the reconciled items were read to reconcile them: their partner and company come from the cache
        lines = self.debit_move_id | self.credit_move_id
        self.env["billing.credit.status"]._billing_touch((line.partner_id.id, line.company_id.id) for line in lines)


class BillingPromise(models.Model):
    _inherit = "billing.promise"

    def _billing_touch_credit(self):
        self.env["billing.credit.status"]._billing_touch((p.partner_id.id, p.company_id.id) for p in self)

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        promises._billing_touch_credit()
        return promises

    def write(self, vals):
        result = super().write(vals)
        self._billing_touch_credit()
        return result

    def unlink(self):
        self._billing_touch_credit()
        return super().unlink()


class BillingDispute(models.Model):
    _inherit = "billing.dispute"

    def _billing_touch_credit(self):
        self.env["billing.credit.status"]._billing_touch((case.partner_id.id, case.company_id.id) for case in self)

    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        cases._billing_touch_credit()
        return cases

    def write(self, vals):
        self._billing_touch_credit()
        result = super().write(vals)
        if "partner_id" in vals:
            self._billing_touch_credit()
        return result

    def unlink(self):
        self._billing_touch_credit()
        return super().unlink()


class BillingDisputeLine(models.Model):
    _inherit = "billing.dispute.line"

    def _billing_touch_credit(self):
        self.env["billing.credit.status"]._billing_touch(
            (line.dispute_id.partner_id.id, line.dispute_id.company_id.id) for line in self
        )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._billing_touch_credit()
        return lines

    def write(self, vals):
        result = super().write(vals)
        self._billing_touch_credit()
        return result
