from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .chunks_common import InvoiceRunChunksCommon, RunChunksCommon

BROKEN_REFS = [["billing.no.such.model", 1]]  # a chunk whose work raises (KeyError) when processed


@tagged("post_install", "-at_install")
class TestRunChunksScreens(RunChunksCommon):
    """What the Chunks tab tells a user (walk of issue 14): who may retry, which customers, why a chunk failed."""

    def _other_specialist(self):
        return new_test_user(
            self.env,
            login="bs_specialist_walk",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )

    def test_retry_is_offered_only_to_who_may_retry(self):
        run = self._start()
        chunks = run.chunk_ids.sorted("sequence")
        chunks[2].sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertEqual(chunks[2].state, "failed")
        self.assertTrue(chunks[2].with_user(self.specialist).can_retry, "who started the run")
        self.assertTrue(chunks[2].with_user(self.manager).can_retry, "a billing manager")
        other = self._other_specialist()
        self.assertFalse(chunks[2].with_user(other).can_retry, "another specialist sees no Retry button")
        with self.assertRaisesRegex(UserError, "Only a billing manager"):
            chunks[2].with_user(other).action_retry()  # and the RPC call is refused as well
        self.assertEqual(chunks[2].state, "failed")
        self.assertFalse(chunks[0].with_user(self.manager).can_retry, "a done chunk has nothing to retry")

    def test_failed_chunk_says_what_crashed(self):
        run = self._start()
        chunk = run.chunk_ids.sorted("sequence")[2]
        chunk.sudo().source_refs = BROKEN_REFS
        self._drain()
        self.assertIn("Unexpected error (KeyError: 'billing.no.such.model')", chunk.error)
        self.assertIn("server log", chunk.error)

    def test_chunks_are_numbered_from_one_and_name_their_customers(self):
        run = self._start()
        chunks = run.chunk_ids.sorted("sequence")
        self.assertEqual(chunks.mapped("sequence"), list(range(1, len(chunks) + 1)))
        self.assertEqual(chunks[0].with_user(self.specialist).partner_names, self.customer.display_name)
        self.assertIn("naming no customer", chunks[-1].partner_names)

    def test_chunks_tab_says_which_chunk_holds_each_bank_line(self):
        """The bank line naming no customer but paying Initech's invoice is shown in Initech's chunk, marked as
        naming no customer; the one naming nothing in the "no customer" chunk; a long chunk lists a few."""
        run = self._start()
        chunks = run.chunk_ids.sorted("sequence").with_user(self.specialist)
        paying, transfer = self._lines
        self.assertIn(f"{paying.display_name} (names no customer)", chunks[3].source_names)
        self.assertEqual(chunks[4].source_names, transfer.display_name)
        self.assertNotIn(paying.display_name, chunks[0].source_names.split(", "))
        chunks[0].sudo().source_count = 7  # as if it held 7: the first ones and how many more
        chunks[0].invalidate_recordset(["source_names"])
        self.assertTrue(chunks[0].source_names.endswith("and 5 more"), chunks[0].source_names)


@tagged("post_install", "-at_install")
class TestInvoiceRunChunksScreens(InvoiceRunChunksCommon):
    def test_no_invoice_added_to_a_run_in_chunks(self):
        run = self._start_run()
        extra = self._invoice(42.0, post=False)
        with self.assertRaisesRegex(UserError, "processed in chunks"):
            run.with_user(self.specialist)._add_invoices(extra.with_user(self.specialist))
        with self.assertRaisesRegex(UserError, "processed in chunks"):
            run.with_user(self.specialist).write({"date_from": extra.invoice_date})
            run.with_user(self.specialist).action_select_invoices()
        self.assertNotIn(extra, run.line_ids.move_id, "an invoice in no chunk would never be posted")
        self._drain()
        self.assertEqual(run.state, "done")
