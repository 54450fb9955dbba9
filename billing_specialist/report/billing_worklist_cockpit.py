from odoo import models


class BillingWorklist(models.Model):
    """The worklist row opens the customer screen (the cockpit) of its collection account.

    Kept apart from ``billing_worklist.py`` (the ranking's SQL) so that both merge without touching the same lines.
    """

    _inherit = "billing.worklist"

    def action_open_cockpit(self):
        """The customer screen of the row's collection account (created when missing)."""
        return self._collection().action_open_cockpit()
