import math

from odoo import api, models
from odoo.exceptions import ValidationError

# Larger than any amount a billing team handles, small enough for a numeric(16, 2)-style column and float precision.
MAX_ABS = 1e13


class BillingFiniteMixin(models.AbstractModel):
    """Refuses NaN, Infinity and absurd sizes in the float fields listed in ``_finite_fields`` with a clear message.

    JSON-RPC accepts them; the ORM would otherwise crash rounding them (a server error, no message), or store a value
    that compares false to every limit.
    """

    _name = "billing.finite.mixin"
    _description = "Finite Numbers"
    _finite_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._refuse_non_finite(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._refuse_non_finite(vals)
        return super().write(vals)

    def _refuse_non_finite(self, vals):
        for name in self._finite_fields:
            value = vals.get(name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValidationError(
                    self.env._("%(field)s must be a number (not NaN or infinity).", field=self._fields[name].string)
                )
            if isinstance(value, int | float) and abs(value) >= MAX_ABS:
                raise ValidationError(self.env._("%(field)s is too large.", field=self._fields[name].string))
