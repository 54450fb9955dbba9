from odoo import api, models
from odoo.exceptions import AccessError


class BillingHistoryMixin(models.AbstractModel):
    """History that only its process writes: a run, its lines, its chunks. Clients may read it; only the process,
    as superuser (``sudo()``), creates or writes it.

    A model names its writer in the refusal with ``_history_writer()`` (e.g. "the matching run")."""

    _name = "billing.history.mixin"
    _description = "Run History"

    @api.model_create_multi
    def create(self, vals_list):
        self._check_written_by_run()
        return super().create(vals_list)

    def write(self, vals):
        self._check_written_by_run()
        return super().write(vals)

    @api.model
    def _check_written_by_run(self):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "%(model)s is written by %(writer)s only.", model=self._description, writer=self._history_writer()
                )
            )

    @api.model
    def _history_writer(self):
        return self.env._("its run")
