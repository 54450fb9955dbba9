# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class BillingDispute(models.Model):
    """Cases opened by a remittance advice's deductions point back to it."""

    _inherit = "billing.dispute"

    remittance_id = fields.Many2one(
        "billing.remittance",
        string="Remittance Advice",
        readonly=True,
        copy=False,
        check_company=True,
        index="btree_not_null",
        help="The remittance advice whose deduction opened this case.",
    )
