from contextlib import closing

from odoo import sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from ..models.billing_match_run import PLAN_LOCK_KEY
from ..models.billing_matcher import BillingMatcher
from ..models.billing_run_chunk import CHUNK_SIZE_PARAM, DEFAULT_CHUNK_SIZE
from .chunks_common import RunChunksCommon
from .common import BillingDisputeCommon, random_digits


@tagged("post_install", "-at_install")
class TestMatchRunChunks(RunChunksCommon):
    def test_large_run_is_planned_in_chunks_by_customer(self):
        run = self._start()
        self.assertEqual(run.state, "running")
        self.assertFalse(run.line_ids, "a large run is planned; the chunk cron applies it")
        cron = self.env.ref("billing_specialist.ir_cron_billing_run_chunk")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the chunk cron is woken")
        chunks = run.chunk_ids.sorted("sequence")
        self.assertEqual(
            [(c.kind, c.source_count) for c in chunks],
            [("customer", 2), ("customer", 1), ("customer", 1), ("customer", 2), ("rest", 1)],
        )
        acme = self.customer.id
        self.assertEqual(
            [c.partner_ids for c in chunks[:4]], [[acme], [acme], [self.other_customer.id], [self.third_customer.id]]
        )
        paying, transfer = self._lines
        self.assertIn(
            ["account.bank.statement.line", paying.id],
            chunks[3].source_refs,
            "the bank line naming no customer but Initech's invoice is planned with Initech",
        )
        self.assertEqual(
            chunks[4].source_refs,
            [["account.bank.statement.line", transfer.id]],
            "the one naming nothing waits for the whole ledger's index, last",
        )
        self.assertEqual(chunks[1].after_id, chunks[0], "one customer's chunks run one after the other")
        customers = [p for c in chunks if not c.after_id for p in c.partner_ids or []]
        self.assertEqual(len(customers), len(set(customers)), "no two parallel chunks touch one customer")
        self.assertEqual(self.env["billing.run.chunk"]._billing_next(), chunks[0])
        self.assertFalse(chunks[1]._billing_ready() or chunks[4]._billing_ready())

    def test_cron_processes_the_chunks_and_reports_progress(self):
        run = self._start()
        cron = self.env.ref("billing_specialist.ir_cron_billing_run_chunk")
        progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})
        self.env["billing.run.chunk"].with_context(ir_cron_progress_id=progress.id)._cron_process()
        self.assertEqual((progress.done, progress.remaining), (1, 3), "the 2nd Acme, Globex's and Initech's chunks")
        self.assertEqual(run.chunk_done_count, 1)
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.chunk_done_count, run.chunk_remaining_count, run.chunk_failed_count), (4 + 1, 0, 0))
        self.assertEqual((run.source_count, run.applied_count), (7, 6))
        self.assertEqual(self._residuals(), [0.0] * 6)
        self.assertEqual(sorted(run.line_ids.mapped("outcome")), ["applied"] * 6 + ["unmatched"])

    def test_chunk_processed_twice_applies_nothing_twice(self):
        run = self._start()
        first = run.chunk_ids.sorted("sequence")[0]
        self.assertTrue(first._billing_process())
        partials = run.line_ids.partial_ids
        self.assertEqual(len(run.line_ids), 2)
        self.assertTrue(first._billing_process(), "a done chunk is a no-op")
        first.sudo().state = "pending"  # its state lost: the sources themselves are no longer pending
        first._billing_process()
        self.assertEqual(len(run.line_ids), 2)
        self.assertEqual(run.line_ids.partial_ids, partials)
        self.assertEqual(
            self.env["account.partial.reconcile"].search_count(
                [("id", "not in", partials.ids), ("debit_move_id.move_id", "in", [inv.id for inv in self.acme])]
            ),
            0,
        )

    def test_failing_chunk_leaves_the_others_applied_and_the_run_resumable(self):
        run = self._start()
        chunks = run.chunk_ids.sorted("sequence")
        hints = chunks[2].hints
        chunks[2].sudo().hints = {"broken": True}  # this chunk's work raises (KeyError) when processed
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done", "done", "failed", "done", "pending"])
        self.assertIn("partners", chunks[2].error)
        self.assertEqual(self._residuals(), [0.0, 0.0, 0.0, 500.0, 0.0, 0.0], "rolled back whole; the rest waits")
        self.assertEqual(run.state, "running")
        with self.assertRaisesRegex(UserError, "Only a billing manager or Sam Specialist"):
            chunks[2].with_user(self._other_specialist()).action_retry()
        with self.assertRaisesRegex(UserError, "Only a failed chunk"):
            chunks[0].with_user(self.specialist).action_retry()
        chunks[2].sudo().hints = hints  # the cause fixed
        chunks[2].with_user(self.specialist).action_retry()
        self.assertEqual(chunks[2].state, "pending")
        self._drain()
        self.assertEqual(chunks.mapped("state"), ["done"] * 5)
        self.assertEqual(chunks[2].attempts, 2)
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        self.assertEqual(run.applied_count, 6)

    def _other_specialist(self):
        return new_test_user(
            self.env,
            login="bs_specialist_2",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=self.company.ids,
        )

    def test_undo_takes_back_every_chunk(self):
        run = self._start()
        self.env["billing.run.chunk"]._cron_process()
        with self.assertRaisesRegex(UserError, "still in progress"):
            run.with_user(self.specialist).action_undo()
        self._drain()
        self.assertEqual(self._residuals(), [0.0] * 6)
        run.with_user(self.specialist).action_undo()
        self.assertEqual(run.state, "undone")
        self.assertEqual(self._residuals(), [100.0, 101.0, 102.0, 500.0, 700.0, 321.0])
        self.assertFalse(self.loose.line_ids.matched_credit_ids)

    def test_chunks_are_history_clients_cannot_write(self):
        run = self._start()
        chunk = run.chunk_ids[:1]
        self.assertEqual(chunk.with_user(self.specialist).source_count, 2)
        with self.assertRaises(AccessError):
            chunk.with_user(self.manager).write({"state": "done"})
        with self.assertRaises(AccessError):
            self.env["billing.run.chunk"].with_user(self.manager).create(
                {"company_id": self.company.id, "res_model": run._name, "res_id": run.id}
            )
        with self.assertRaises(AccessError):
            chunk.with_user(self.internal_user).read(["state"])

    def test_chunk_leaves_for_review_what_it_would_apply_for_another_customer(self):
        """The ledger changed between planning and a chunk: what the chunk would apply for a customer that is not
        its own (another chunk's, maybe running at that moment) is left for review, not applied."""
        run = self._start()
        initech = run.chunk_ids.sorted("sequence")[3]
        initech.sudo().partner_ids = [self.other_customer.id]  # as if Initech's sources were planned elsewhere
        self._drain()
        lines = run.line_ids.filtered(lambda line: line.partner_id == self.third_customer)
        self.assertEqual(len(lines), 2)
        self.assertEqual(set(lines.mapped("outcome")), {"proposed"})
        self.assertTrue(all("planned for another customer" in line.reasons for line in lines))
        self.assertEqual((self.initech.amount_residual, self.loose.amount_residual), (700.0, 321.0))
        self.assertEqual(run.applied_count, 4)

    def test_cron_plans_no_second_run_while_one_is_in_progress(self):
        self.company.billing_match_auto = True
        run = self._start()
        Run = self.env["billing.match.run"]
        self.env.ref("billing_specialist.ir_cron_billing_match").sudo().method_direct_trigger()
        self.assertEqual(Run.search([("company_id", "=", self.company.id)]), run)


@tagged("post_install", "-at_install")
class TestRestrictedIndex(BillingDisputeCommon):
    """A chunk's index holds its customers' items and what its hints add: its proposals are the whole ledger's."""

    def _number(self, tail):
        """An invoice number of Odoo's current year (a posted invoice's number follows its date's year)."""
        return f"INV/{self.today.year}/{tail}"

    def _proposals(self, matcher, source):
        return [
            (p.confidence, p.conflict, [a.item_id for a in p.allocations], p.explain()) for p in matcher.propose(source)
        ]

    def test_restricted_index_proposes_as_the_whole_ledger(self):
        own = self._invoice(250.0, name=self._number("07777"))
        typo_own = self._invoice(410.0, name=self._number("55501"))
        other = self._invoice(250.0, partner=self.other_customer, name=self._number("08888"))
        self._invoice(410.0, partner=self.other_customer, name=self._number("55502"))  # one typo from typo_own
        paid = self._invoice(180.0, partner=self.other_customer, name=self._number("09999"))
        self._pay(paid, 180.0)
        self._invoice(180.0)  # the customer's own item of the amount
        bank = self.env["res.partner.bank"].create(
            {"acc_number": "NL91ABNA0417164300", "partner_id": self.other_customer.id}
        )
        sources = [
            self._payment(250.0, memo=f"for {other.name}"),  # names another customer's invoice: held
            self._payment(410.0, memo=self._number("5550")),  # one typo from two invoices of two customers: no typo hit
            self._payment(180.0, memo=f"again {paid.name}"),  # names a paid invoice: possible duplicate
            self._bank_line(250.0, memo=own.name, partner=self.customer, account_number=bank.acc_number),
        ]
        full = BillingMatcher(self.env, self.company)
        naive = {"partners": [self.customer.id], "foreign": [], "closed": {}, "accounts": {}}
        differs, results = False, []
        for source in sources:
            expected = self._proposals(full, source)
            hints = full.chunk_hints([source], [self.customer.id])
            restricted = BillingMatcher(self.env, self.company, hints=hints)
            self.assertNotIn(
                other.id, restricted.matchers[self.company.currency_id.id].by_partner.get(self.customer.id, [])
            )
            self.assertEqual(self._proposals(restricted, source), expected, source.display_name)
            differs |= self._proposals(BillingMatcher(self.env, self.company, hints=naive), source) != expected
            results.append(expected)
        self.assertTrue(differs, "the customers' items alone would propose otherwise")
        self.assertEqual(
            [[(c, conflict) for c, conflict, _a, _r in found] for found in results],
            [[(0, True)], [(90, False)], [(0, True)], [(0, True)]],
        )
        self.assertEqual(results[1][0][2], typo_own.ids, "no typo hit: the amount finds the customer's own")

    def test_bank_line_naming_no_customer_is_planned_with_the_customer_it_pays(self):
        """A bank line naming no customer that the whole ledger surely applies for one customer goes in that
        customer's chunk; the hints carry every customer its payer's name and memo name, so the chunk's index
        weighs the payer's name as the whole ledger's does. A line it cannot place waits for the whole ledger."""
        initech = self.env["res.partner"].create({"name": "Initech Supplies", "is_company": True})
        invoice = self._invoice(640.0, partner=initech, name=self._number("04444"))
        self._invoice(75.0, partner=self.other_customer)  # Globex and Acme have open items: their names are indexed
        self._invoice(80.0)
        paying = self._bank_line(640.0, memo=f"invoice {invoice.name}", partner_name="Globex Stores / Acme Retail")
        unknown = self._bank_line(640.5, memo="transfer")
        full = BillingMatcher(self.env, self.company)
        threshold = self.company.billing_match_threshold
        full.read_sources(paying | unknown)
        self.assertEqual(full.planned_customer(paying, threshold), initech.id)
        self.assertIsNone(full.planned_customer(unknown, threshold))
        hints = full.chunk_hints([paying], initech.ids)
        self.assertEqual({pid for pid, _name in hints["names"]}, {self.customer.id, self.other_customer.id})
        restricted = BillingMatcher(self.env, self.company, hints=hints)
        matcher = restricted.matchers[self.company.currency_id.id]
        self.assertEqual(matcher._named_partners("globexstoresacmeretail"), {self.customer.id, self.other_customer.id})
        self.assertNotIn(self.customer.id, matcher.by_partner, "Acme's items are not in Initech's chunk")
        expected = self._proposals(full, paying)
        self.assertEqual(self._proposals(restricted, paying), expected)
        self.assertEqual(expected[0][:3], (98, False, invoice.ids))

    def test_hints_keep_no_typo_neighbours_of_a_dense_numbering(self):
        """Numbers are dense: a number has many others one typo away. The hints name such a candidate instead of
        carrying every neighbour (at 100,000 sources a chunk of 100 customers carried most of the ledger), and the
        chunk's engine takes no typo hit from it, as the whole ledger's does."""
        own = self._invoice(410.0, name=self._number("55501"))
        neighbours = [
            self._invoice(300.0 + digit, partner=self.other_customer, name=self._number(f"5550{digit}"))
            for digit in range(2, 10)
        ]
        payment = self._payment(410.0, memo=self._number("55500"))  # one typo from 9 invoices: the amount finds its own
        only = self._invoice(333.0, partner=self.other_customer, name=self._number("61234"))
        lone = self._payment(333.0, memo=self._number("61235"))  # one typo from one invoice only: kept in the hints
        full = BillingMatcher(self.env, self.company)
        hints = full.chunk_hints([payment, lone], [self.customer.id])
        self.assertFalse(set(hints["foreign"]) & {item.id for item in neighbours})
        self.assertEqual(hints["foreign"], only.ids)
        self.assertIn([self.company.currency_id.id, f"inv{self.today.year}55500"], hints["ambiguous"])
        restricted = BillingMatcher(self.env, self.company, hints=hints)
        for source in (payment, lone):
            self.assertEqual(self._proposals(restricted, source), self._proposals(full, source), source.memo)
        self.assertEqual(self._proposals(full, payment)[0][2], own.ids)

    def test_item_named_and_settled_since_planning_counts_as_settled(self):
        other = self._invoice(250.0, partner=self.other_customer)
        self._invoice(250.0)
        payment = self._payment(250.0, memo=f"for {other.name}")
        hints = BillingMatcher(self.env, self.company).chunk_hints([payment], [self.customer.id])
        self.assertEqual(hints["foreign"], other.ids)
        self._pay(other, 250.0)  # settled by an earlier chunk
        proposals = BillingMatcher(self.env, self.company, hints=hints).propose(payment)
        self.assertTrue(proposals and all(p.conflict for p in proposals))
        self.assertIn("possible duplicate payment", proposals[0].explain())


@tagged("post_install", "-at_install")
class TestMatchRunChunksAreGuarded(RunChunksCommon):
    """Large matching runs in chunks attacked: Run Now while a run is in progress, a chunk left waiting by a run no
    longer in progress, a billing manager of another company, a chunk size out of range, client ``default_*`` keys.
    Nothing wrong is written."""

    def test_run_now_plans_no_second_run_while_one_is_in_progress(self):
        """Run Now while a large run's chunks wait planned a second run over the same customers: two chunks of one
        customer could then run at once (the scheduled action already left a busy company alone)."""
        run = self._start()
        Run = self.env["billing.match.run"]
        with self.assertRaisesRegex(UserError, "still in progress"):
            Run.with_user(self.specialist).action_run_now()
        self.assertEqual(Run.search([("company_id", "=", self.company.id)]), run)
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        Run.with_user(self.specialist).action_run_now()  # once done, a new run may start
        self.assertEqual(Run.search_count([("company_id", "=", self.company.id)]), 2)

    def test_waiting_chunk_of_a_run_no_longer_in_progress_blocks_no_other_run(self):
        """A failed chunk retried while its run was undone (two transactions at once) was left waiting for good: the
        chunk cron picked it first on every call, did nothing, and never reached any other run's chunks."""
        run = self._start()
        chunks = run.chunk_ids.sorted("sequence")
        run.sudo().state = "undone"  # the undo committed, the retry's "waiting" too
        other = self._start()
        self.assertNotEqual(other, run)
        self.assertFalse(chunks[0]._billing_ready(), "its run is no longer in progress")
        self._drain()
        self.assertEqual(other.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        self.assertEqual(set(chunks.mapped("state")), {"pending"})
        self.assertFalse(run.line_ids, "the undone run applies nothing")
        with self.assertRaisesRegex(UserError, "undone or finished"):
            chunks[0].sudo().state = "failed"
            chunks[0].with_user(self.specialist).action_retry()

    def test_billing_manager_of_another_company_can_neither_read_nor_retry_a_chunk(self):
        """Held: the chunks' company rule, through the chunk and through its run's Chunks tab."""
        other = self.env["res.company"].create({"name": "Stark Billing"})
        outsider = new_test_user(
            self.env,
            login="bs_outsider",
            company_id=other.id,
            company_ids=other.ids,
            groups="base.group_user,billing_specialist.group_billing_manager",
        )
        run = self._start()
        chunk = run.chunk_ids.sorted("sequence")[:1]
        chunk.sudo().state = "failed"
        with self.assertRaises(AccessError):
            chunk.with_user(outsider).action_retry()
        self.assertEqual(chunk.state, "failed")
        self.assertFalse(self.env["billing.run.chunk"].with_user(outsider).search([]))
        with self.assertRaises(AccessError):
            run.with_user(outsider).chunk_ids.mapped("state")

    def test_chunk_size_parameter_out_of_range_is_bounded(self):
        """Held: zero or negative means one source a chunk, text the default; a huge size runs in one go."""
        Chunk, params = self.env["billing.run.chunk"], self.env["ir.config_parameter"].sudo()
        for value, size in (
            ("0", 1),
            ("-5", 1),
            ("lots", DEFAULT_CHUNK_SIZE),
            ("2.5", DEFAULT_CHUNK_SIZE),
            (" 3 ", 3),
            ("10000000000", 10000000000),
        ):
            params.set_param(CHUNK_SIZE_PARAM, value)
            self.assertEqual(Chunk._billing_chunk_size(), size, value)
        run = self._start()
        self.assertFalse(run.chunk_ids)
        self.assertEqual((run.state, run.applied_count), ("done", 6))

    def test_default_context_keys_change_no_chunk(self):
        """Held: the chunks are created as superuser, which drops a client's ``default_*`` keys."""
        self._sources()
        context = {
            "default_state": "done",
            "default_kind": "rest",
            "default_attempts": 9,
            "default_user_id": 1,
            "default_after_id": False,
            "default_date_done": "2020-01-01 00:00:00",
        }
        action = self.env["billing.match.run"].with_user(self.specialist).with_context(**context).action_run_now()
        run = self.env["billing.match.run"].browse(action["res_id"])
        self.assertEqual((run.state, run.user_id), ("running", self.specialist))
        chunks = run.chunk_ids.sorted("sequence")
        self.assertEqual(chunks.mapped("kind"), ["customer"] * 4 + ["rest"])
        self.assertEqual(set(chunks.mapped("state")), {"pending"})
        self.assertEqual((set(chunks.mapped("attempts")), chunks.user_id), ({0}, self.specialist))
        self.assertFalse(any(chunks.mapped("date_done")))


LONG = 100_000


@tagged("post_install", "-at_install")
class TestMatchRunChunksWithHostileBankLines(RunChunksCommon):
    """Bank lines an attacker controls in a chunked matching run: 100,000 characters, a customer changed or a line
    reconciled by hand after planning, a payer name or account of another customer; and two Run Now at once. Each is
    planned and run without applying anything wrong."""

    def test_bank_line_of_100000_characters_is_planned_and_matched(self):
        """A bank line whose memo is 100,000 digits and whose payer's name is 100,000 characters starting with '='
        is planned and matched like any other: the run finishes, the line waits unmatched, the others are applied."""
        payments, lines = self._sources()
        huge = self._bank_line(42.0, memo=random_digits(LONG), partner_name="=" + "X" * LONG)
        run = (
            self.env["billing.match.run"]
            .with_user(self.specialist)
            ._run_automatic(self.company, payments=payments, statement_lines=lines | huge)
        )
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual(self._residuals(), [0.0] * 6)
        line = run.line_ids.filtered(lambda rec: rec.statement_line_id == huge)
        self.assertEqual(len(line), 1)
        self.assertNotEqual(line.outcome, "applied")
        self.assertFalse(huge.is_reconciled)

    def test_bank_line_planned_for_a_customer_then_given_another_is_not_applied(self):
        """The bank line naming Initech's invoice is planned in Initech's chunk; a user sets its customer to Globex
        before the chunk runs: it is not applied to Initech's invoice for Globex (nor twice), it waits for review."""
        run = self._start()
        chunk = run.chunk_ids.filtered(lambda rec: rec.partner_ids == [self.third_customer.id])
        line = self._lines[0]
        self.assertIn(["account.bank.statement.line", line.id], chunk.source_refs, "planned with Initech")
        line.partner_id = self.other_customer  # an accountant, in the bank reconciliation
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(self.loose.amount_residual, 321.0, msg="Initech's invoice is not settled by Globex")
        self.assertFalse(line.is_reconciled)
        recorded = run.line_ids.filtered(lambda rec: rec.statement_line_id == line)
        self.assertEqual(len(recorded), 1, "recorded once")
        self.assertIn(recorded.outcome, ("proposed", "unmatched"), "left for a person")

    def test_bank_line_planned_then_reconciled_by_hand_is_not_applied_again(self):
        """A user applies the planned bank line by hand (review screen) before its chunk runs: nothing twice."""
        run = self._start()
        line = self._lines[0]
        line.with_user(self.specialist)._billing_apply([(self.loose.id, 321.0)])
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(self.loose.amount_residual, 0.0)
        self.assertFalse(run.line_ids.filtered(lambda rec: rec.statement_line_id == line), "not tried again")
        self.assertEqual(self._residuals(), [0.0] * 6)

    def test_run_now_while_another_transaction_plans_a_large_run_is_refused(self):
        """Two Run Now at once: neither saw the other's run in progress (not committed yet) and both planned the
        same customers' sources, two runs' chunks of one customer then running side by side."""
        self._sources()
        Run = self.env["billing.match.run"]
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as other:  # the other Run Now, planning
            other.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", PLAN_LOCK_KEY, self.company.id))
            self.assertTrue(other.fetchone()[0])
            with self.assertRaisesRegex(UserError, "being planned"):
                Run.with_user(self.specialist).action_run_now()
            other.rollback()
        self.assertFalse(Run.search([("company_id", "=", self.company.id)]), "nothing planned twice")
        Run.with_user(self.specialist).action_run_now()  # once the other is done planning
        run = Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(run.state, "running")
        self._drain()
        self.assertEqual(self._residuals(), [0.0] * 6)

    def _run_with_first_line(self, **vals):
        """Run the fixture's sources, the bank line paying Initech's invoice written with ``vals``; it must stay
        unapplied: :return: its run line."""
        payments, lines = self._sources()
        lines[0].write(vals)
        run = self.env["billing.match.run"].with_user(self.specialist)
        run = run._run_automatic(self.company, payments=payments, statement_lines=lines)
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(self.loose.amount_residual, 321.0)
        self.assertFalse(lines[0].is_reconciled)
        return run.line_ids.filtered(lambda rec: rec.statement_line_id == lines[0])

    def test_bank_line_whose_payer_is_another_customer_is_not_applied_in_a_chunk(self):
        """A bank line naming no customer pays Initech's invoice by its number, but its payer's name is Globex's:
        the whole ledger holds it for review (the evidence disagrees). Its "no customer" chunk ran after Globex's,
        which paid Globex's only invoice: Globex, with nothing open, was no longer known by name, and the line was
        applied to Initech's invoice."""
        line = self._run_with_first_line(partner_name=self.other_customer.name)
        self.assertEqual(line.outcome, "proposed")

    def test_bank_line_from_another_customers_account_is_not_applied_in_a_chunk(self):
        """As above with the bank account: the line naming Initech's invoice comes from Globex's account; Globex's
        chunk paid everything Globex owed, and its account was no longer known to the "no customer" chunk."""
        self.env["res.partner.bank"].create({"partner_id": self.other_customer.id, "acc_number": "BE71096123456769"})
        line = self._run_with_first_line(account_number="BE71 0961 2345 6769")
        self.assertEqual(line.outcome, "proposed")
        self.assertIn("the bank account is that of Globex Stores", line.reasons)
