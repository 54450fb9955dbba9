from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def _billing_related_disputes(self):
        moves = self.debit_move_id.move_id | self.credit_move_id.move_id
        return moves._billing_related_disputes()

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._billing_related_disputes()._sync_state_with_accounting()
        return partials

    def unlink(self):
        disputes = self._billing_related_disputes()
        result = super().unlink()
        disputes._sync_state_with_accounting()
        return result
