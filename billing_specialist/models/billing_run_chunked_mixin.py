from odoo import api, fields, models


class BillingRunChunkedMixin(models.AbstractModel):
    """A run that a large selection splits into chunks (``billing.run.chunk``): the counts its form shows.

    The model defines ``chunk_ids`` (One2many on its Many2one of ``billing.run.chunk``), a ``running`` state,
    ``_billing_chunk_process(chunk)`` and ``_billing_chunks_finished()``.
    """

    _name = "billing.run.chunked.mixin"
    _description = "Run in Chunks"

    chunk_done_count = fields.Integer(string="Chunks Done", compute="_compute_chunk_counts")
    chunk_failed_count = fields.Integer(string="Chunks Failed", compute="_compute_chunk_counts")
    chunk_remaining_count = fields.Integer(string="Chunks Remaining", compute="_compute_chunk_counts")

    @api.depends("chunk_ids.state")
    def _compute_chunk_counts(self):
        for run in self:
            states = run.chunk_ids.mapped("state")
            run.chunk_done_count = states.count("done")
            run.chunk_failed_count = states.count("failed")
            run.chunk_remaining_count = states.count("pending") + states.count("running")

    def _billing_chunks_in_progress(self):
        """The chunks of these runs not done yet (waiting, running or failed)."""
        return self.chunk_ids.filtered(lambda chunk: chunk.state != "done")
