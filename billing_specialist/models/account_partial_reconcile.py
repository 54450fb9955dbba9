from odoo import api, models


class AccountPartialReconcile(models.Model):
    """Cases follow the payments of their invoices; reconciliations no case involves must cost (almost) nothing.

    Creating a partial marks the invoices' residual amounts to recompute, and through them the cases' amounts
    (``billing.dispute.line.amount_remaining`` depends on ``move_id.amount_residual``): to find those cases, the ORM
    reads ``billing_dispute_line_ids`` of the debit moves and of the credit moves apart, two queries per
    reconciliation. Reading them once for all the moves beforehand serves the ORM, and the hook below, from the cache:
    one indexed query per ``reconcile()``, and nothing more when no case is involved (measured by
    ``bench/reconcile_overhead.py``).
    """

    _inherit = "account.partial.reconcile"

    def _billing_related_disputes(self):
        moves = self.debit_move_id.move_id | self.credit_move_id.move_id
        return moves._billing_related_disputes()

    @api.model_create_multi
    def create(self, vals_list):
        line_ids = {vals[key] for vals in vals_list for key in ("debit_move_id", "credit_move_id") if vals.get(key)}
        moves = self.env["account.move.line"].browse(line_ids).move_id
        moves._billing_related_disputes()  # one query for all the moves, before the ORM looks them up one by one
        partials = super().create(vals_list)
        disputes = moves._billing_related_disputes()  # from the cache
        if disputes:
            disputes._sync_state_with_accounting()
        return partials

    def unlink(self):
        disputes = self._billing_related_disputes()
        # A reconciliation a matching run made, taken back by hand (not with the run's Undo, which un-learns itself:
        # ``billing.payment.apply._undo``): what its match taught the matching is taken back too. One indexed lookup
        # (the run lines' reconciliations), before the link goes.
        taught = (
            self.env["billing.match.run.line"]
            .sudo()
            .search([("partial_ids", "in", self.ids), ("run_id.state", "!=", "undone")])
            if self
            else None
        )
        result = super().unlink()
        if disputes:
            disputes._sync_state_with_accounting()
        if taught:
            self.env["billing.match.habit"]._unlearn(taught)
        return result
