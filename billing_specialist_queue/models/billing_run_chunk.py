from odoo import api, models

CHANNEL = "root.billing"


class BillingRunChunk(models.Model):
    """Each chunk ready to run becomes a job on ``root.billing``: the job runner spreads them over the workers and
    servers; the channel's capacity bounds how many run at once. A chunk waiting for another (the same customer's
    earlier chunk, or every customer chunk for the "no customer" one) is enqueued once that is done."""

    _inherit = "billing.run.chunk"

    def _billing_job_identity(self):
        """One job per chunk and attempt: enqueuing it again while it waits creates no second job."""
        self.ensure_one()
        return f"billing-chunk-{self.id}-{self.attempts}"

    def _billing_dispatch(self):
        ready = self.sudo().filtered(lambda rec: rec._billing_ready())
        # queue_job's identity key leaves alone a job waiting to run, not one running: a chunk whose job is running
        # still reads "pending" to others until that job commits; it gets no second job.
        running = set(
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("identity_key", "in", [chunk._billing_job_identity() for chunk in ready]),
                    ("state", "=", "started"),
                ]
            )
            .mapped("identity_key")
        )
        for chunk in ready.filtered(lambda rec: rec._billing_job_identity() not in running):
            run = chunk._billing_run()
            chunk.with_delay(
                channel=CHANNEL,
                identity_key=chunk._billing_job_identity(),
                description=self.env._(
                    "%(run)s: chunk %(number)s (%(count)s sources)",
                    run=run.display_name,
                    number=chunk.sequence + 1,
                    count=chunk.source_count,
                ),
            )._billing_process_job()

    def _billing_process_job(self):
        """The job: process the chunk (a done or held chunk is left alone), say what became of it."""
        self.ensure_one()
        self._billing_process()
        return self.env._(
            "Chunk %(chunk)s: %(state)s", chunk=self.id, state=dict(self._fields["state"].selection)[self.state]
        )

    def _billing_after_done(self):
        """Enqueue what waited for this chunk, and wake the chunk cron: when two workers finish a run's last chunks
        at once, neither sees the other's; the cron, after both committed, enqueues the rest and finishes the run."""
        result = super()._billing_after_done()
        self._billing_siblings().filtered(lambda rec: rec.state == "pending")._billing_dispatch()
        self.env.ref("billing_specialist.ir_cron_billing_run_chunk").sudo()._trigger()
        return result

    @api.model
    def _cron_process(self):
        """With queue_job the jobs do the work: the cron finishes the runs whose chunks are all done and enqueues
        the chunks ready to run that have no job waiting (the identity key leaves those alone)."""
        self._billing_finish_runs()
        self.sudo().search([("state", "=", "pending")])._billing_dispatch()
