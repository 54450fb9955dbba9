# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class ResPartner(models.Model):
    """What payment matching adds to a customer: the habits it learned (kept out of ``res_partner.py``, owned by
    collections, which names no matching model)."""

    _inherit = "res.partner"

    billing_match_habit_ids = fields.One2many(
        "billing.match.habit", "partner_id", string="What Matching Learned", context={"active_test": False}
    )
