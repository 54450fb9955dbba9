import inspect
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools.misc import formatLang
from odoo.tools.translate import code_translations

from ..models.billing_payment_apply import Application
from ..models.billing_payment_source import BillingPaymentSource
from .common import BillingDisputeCommon


class PaymentMatchingCommon(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.billing_match_tolerance_amount = 1.0
        cls.inv1 = cls._invoice(1200.0, invoice_date=cls.today - timedelta(days=40))
        cls.inv2 = cls._invoice(300.0, invoice_date=cls.today - timedelta(days=30))
        cls.inv3 = cls._invoice(450.0, invoice_date=cls.today - timedelta(days=20))
        cls.fee1 = cls._invoice(99.0, partner=cls.other_customer, invoice_date=cls.today - timedelta(days=60))
        cls.fee2 = cls._invoice(99.0, partner=cls.other_customer, invoice_date=cls.today - timedelta(days=30))

    def _run(self, payments):
        return self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, payments)


@tagged("post_install", "-at_install")
class TestPaymentMatching(PaymentMatchingCommon):
    def test_automatic_run_applies_only_confident_proposals(self):
        named = self._payment(1200.0, memo=f"payment {self.inv1.name.replace('/', ' ')}")
        unique_amount = self._payment(450.0, memo="thanks")
        recurring = self._payment(99.0, memo="monthly fee", partner=self.other_customer)
        fields = ["account_id", "balance", "amount_currency", "display_type", "date_maturity", "tax_ids"]
        items_before = self.inv1.line_ids.read(fields)
        run = self._run(named | unique_amount | recurring)
        self.assertEqual((run.source_count, run.applied_count, run.proposed_count), (3, 2, 1))
        self.assertIn(self.inv1.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.inv1.line_ids.read(fields), items_before, "applying cash changes no invoice line")
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))
        self.assertTrue(self.inv3.currency_id.is_zero(self.inv3.amount_residual))
        self.assertEqual((self.fee1.amount_residual, self.fee2.amount_residual), (99.0, 99.0), "never guessed")
        line = run.line_ids.filtered(lambda rec: rec.payment_id == recurring)
        self.assertEqual(line.outcome, "proposed")
        self.assertIn("amount alone cannot tell which", line.reasons)
        applied = run.line_ids.filtered(lambda rec: rec.payment_id == named)
        self.assertTrue(applied.partial_ids)
        self.assertEqual(applied.invoice_ids, self.inv1)
        self.assertIn("found in the memo", applied.reasons)

    def _translate_to_french(self, terms):
        """Activate French and give these of the addon's terms a French translation, for this test only."""
        self.env["res.lang"]._activate_lang("fr_FR")
        code_translations.python_translations[("billing_specialist", "fr_FR")] = {
            **code_translations.get_python_translations("billing_specialist", "fr_FR"),
            **terms,
        }
        self.addCleanup(code_translations.python_translations.clear)

    def test_reasons_are_in_the_users_language(self):
        self._translate_to_french(
            {
                "%(numbers)s found in the memo": "%(numbers)s trouvé dans le libellé",
                "the amount settles it exactly": "le montant le solde exactement",
            }
        )
        self.specialist.lang = "fr_FR"
        Run = self.env["billing.match.run"].with_user(self.specialist).with_context(lang=self.specialist.lang)
        line = Run._run_automatic(self.company, self._payment(1200.0, memo=self.inv1.name)).line_ids
        self.assertEqual(line.outcome, "applied")
        self.assertEqual(line.reasons, f"{self.inv1.name} trouvé dans le libellé; le montant le solde exactement")

    def test_scheduled_action_runs_companies_that_ask_for_it(self):
        cron = self.env.ref("billing_specialist.ir_cron_billing_match")
        named = self._payment(1200.0, memo=self.inv1.name)
        Run = self.env["billing.match.run"]
        cron.method_direct_trigger()
        self.assertFalse(Run.search([("company_id", "=", self.company.id)]), "automatic matching is off by default")
        self.assertEqual(self.inv1.payment_state, "not_paid")
        self.company.billing_match_auto = True
        self._translate_to_french({"the amount settles it exactly": "le montant le solde exactement"})
        cron.user_id.lang = "fr_FR"
        cron.method_direct_trigger()
        run = Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(run), 1)
        line = run.line_ids.filtered(lambda rec: rec.payment_id == named)
        self.assertEqual(line.outcome, "applied")
        self.assertIn(self.inv1.payment_state, ("paid", "in_payment"))
        self.assertIn("le montant le solde exactement", line.reasons, "written in the language of the action's user")

    def test_one_invoice_is_never_given_to_two_payments_of_a_run(self):
        first = self._payment(300.0, memo=self.inv2.name)
        second = self._payment(300.0, memo=f"again {self.inv2.name}")
        run = self._run(first | second)
        self.assertEqual(run.line_ids.filtered(lambda rec: rec.payment_id == first).outcome, "applied")
        clash = run.line_ids.filtered(lambda rec: rec.payment_id == second)
        self.assertEqual(clash.outcome, "proposed")
        self.assertIn(f"also proposed for {first.name}", clash.reasons)
        self.assertEqual(-sum(second._billing_receivable_lines().mapped("amount_residual")), 300.0)

    def test_batch_failure_isolates_the_faulty_payment(self):
        good = self._payment(1200.0, memo=self.inv1.name)
        faulty = self._payment(299.6, memo=self.inv2.name)
        self.company.billing_writeoff_account_id = False  # the write-off of the second cannot be booked
        run = self._run(good | faulty)
        self.assertEqual(run.line_ids.filtered(lambda rec: rec.payment_id == good).outcome, "applied")
        failed = run.line_ids.filtered(lambda rec: rec.payment_id == faulty)
        self.assertEqual(failed.outcome, "error")
        self.assertIn("payment difference account", failed.reasons)
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))
        self.assertEqual(self.inv2.amount_residual, 300.0, "nothing of the faulty payment was written")

    def test_bank_line_without_partner_is_applied_and_undone(self):
        line = self._bank_line(1200.0, memo=f"transfer {self.inv1.name} acme")
        self.assertFalse(line.is_reconciled)
        run = (
            self.env["billing.match.run"]
            .with_user(self.specialist)
            ._run_automatic(self.company, statement_lines=line.with_user(self.specialist))
        )
        result = run.line_ids
        self.assertEqual((result.statement_line_id, result.outcome), (line, "applied"))
        self.assertIn("customer found from the reference", result.reasons)
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.partner_id, self.customer)
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))
        run.action_undo()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(self.inv1.amount_residual, 1200.0)
        again = self.env["billing.match.run"]._run_automatic(self.company, statement_lines=line)
        self.assertEqual(again.applied_count, 1, "an undone bank line can be matched again")

    def test_bank_line_partner_from_account_number_is_left_for_review(self):
        self.env["res.partner.bank"].create({"acc_number": "BE71 0961 2345 6769", "partner_id": self.customer.id})
        line = self._bank_line(450.0, memo="invoice payment", account_number="BE71096123456769")
        run = self.env["billing.match.run"]._run_automatic(self.company, statement_lines=line)
        result = run.line_ids
        self.assertEqual(result.outcome, "proposed", "a customer inferred from the account: never automatic")
        self.assertEqual(result.invoice_ids, self.inv3)
        self.assertIn("customer found from the bank account", result.reasons)
        self.assertFalse(line.is_reconciled)

    def test_partial_payment_and_overpayment(self):
        self._run(self._payment(500.0, memo=self.inv1.name))
        self.assertEqual(self.inv1.amount_residual, 700.0)
        over = self._payment(350.0, memo=self.inv2.name)
        self._run(over)
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual))
        self.assertEqual(-sum(over._billing_receivable_lines().mapped("amount_residual")), 50.0, "stays as credit")

    def test_small_difference_is_written_off(self):
        run = self._run(self._payment(299.6, memo=self.inv2.name))
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual))
        writeoff = run.line_ids.writeoff_move_id
        self.assertEqual(writeoff.state, "posted")
        self.assertAlmostEqual(
            writeoff.line_ids.filtered(lambda rec: rec.account_id == self.writeoff_account).debit, 0.4
        )

    def test_undo_takes_everything_back(self):
        run = self._run(self._payment(1200.0, memo=self.inv1.name) | self._payment(299.6, memo=self.inv2.name))
        self.assertEqual(run.applied_count, 2)
        kpis = self.env["billing.kpi"]._get_kpis(self.company, self.today, self.today)
        self.assertEqual((kpis["matching_auto_applied"], kpis["matching_auto_rate"]), (2, 100.0))
        writeoff = run.line_ids.writeoff_move_id
        run.with_user(self.specialist).action_undo()
        self.assertEqual(run.state, "undone")
        self.assertEqual((self.inv1.amount_residual, self.inv2.amount_residual), (1200.0, 300.0))
        self.assertEqual(writeoff.state, "cancel")
        kpis = self.env["billing.kpi"]._get_kpis(self.company, self.today, self.today)
        self.assertEqual((kpis["matching_auto_applied"], kpis["matching_auto_rate"]), (0, 0.0))
        with self.assertRaisesRegex(UserError, "already undone"):
            run.action_undo()

    def test_run_records_allocations_and_reconciles_their_amounts(self):
        payment = self._payment(299.6, memo=self.inv2.name)
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "applied")
        self.assertEqual(
            [(a.move_id, a.amount, a.currency_id) for a in line.allocation_ids],
            [(self.inv2, 300.0, self.inv2.currency_id)],
        )
        self.assertEqual((line.writeoff, line.currency_id), (0.4, self.inv2.currency_id))
        receivable = self.inv2.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
        by_origin = {p.credit_move_id.move_id: p.amount for p in receivable.matched_credit_ids}
        self.assertEqual(by_origin, {payment.move_id: 299.6, line.writeoff_move_id: 0.4})
        self.assertEqual(line.partial_ids, receivable.matched_credit_ids)

    def test_automatic_path_honours_each_allocations_amount(self):
        """The batch path reconciles what the engine allocated, in its order: not Odoo's oldest-due-first."""
        payment = self._payment(1300.0)
        allocations = [(self.inv1.id, 1000.0), (self.inv2.id, 300.0)]  # the older invoice is the one paid in part
        moves = self.inv1 | self.inv2
        payment._billing_check_applicable(moves, dict(allocations), automatic=True)
        Apply = self.env["billing.payment.apply"].with_user(self.specialist)
        [(partials, writeoff)] = Apply._apply_batch([Application(payment, allocations)])
        self.assertEqual((self.inv1.amount_residual, self.inv2.amount_residual), (200.0, 0.0))
        self.assertEqual(sorted(partials.mapped("amount")), [300.0, 1000.0])
        self.assertFalse(writeoff)

    def test_credit_note_and_partial_invoice_in_one_application(self):
        refund = self._invoice(200.0, move_type="out_refund")
        payment = self._payment(1100.0)
        allocations = [(self.inv2.id, 100.0), (self.inv1.id, 1200.0), (refund.id, -200.0)]
        partials, _writeoff = payment.with_user(self.specialist)._billing_apply(allocations)
        self.assertEqual(
            (self.inv1.amount_residual, self.inv2.amount_residual, refund.amount_residual), (0.0, 200.0, 0.0)
        )
        self.assertFalse(payment._billing_receivable_lines(), "the payment is used in full")
        self.assertEqual(sum(partials.mapped("amount")), 1300.0)

    def test_matched_invoices_list_the_payment(self):
        """Odoo's Payments smart button of an invoice settled by the matching shows the payment."""
        automatic = self._payment(1200.0, memo=self.inv1.name)
        self._run(automatic)
        self.assertEqual(self.inv1.matched_payment_ids, automatic)
        self.assertEqual(self.inv1.payment_count, 1)
        manual = self._payment(750.0)
        manual.with_user(self.specialist)._billing_apply([(self.inv2.id, 300.0), (self.inv3.id, 450.0)])
        self.assertEqual((self.inv2 | self.inv3).matched_payment_ids, manual)
        self.assertEqual(self.inv3.open_payments()["res_id"], manual.id, "the invoice's Payments button")

    def test_specialist_cannot_write_off_beyond_the_limit_through_matching(self):
        """Weakness 1: a large write-off typed on the review screen is refused, nothing is reconciled."""
        invoice = self._invoice(3855.0)
        payment = self._payment(1.0, memo=invoice.name)
        Review = self.env["billing.match.review"].with_user(self.specialist)
        action = Review.with_context(active_model="account.payment", active_ids=payment.ids).action_open_review()
        row = Review.search(action["domain"])
        row.write(
            {
                "writeoff": 3854.0,
                "allocation_ids": [Command.clear(), Command.create({"move_id": invoice.id, "amount": 3855.0})],
            }
        )
        moves_before = self._count("account.move")
        with self.assertRaisesRegex(UserError, "Writing off .*3,854.00 is above the .*50.00 a specialist may"):
            with self.env.cr.savepoint():
                row.action_apply()
        self.assertTrue(row.exists(), "the row stays to be corrected")
        self.assertFalse(self.env["billing.match.run"].search([("mode", "=", "manual")]), "no run recorded")
        self.assertEqual(invoice.amount_residual, 3855.0)
        self.assertEqual(payment._billing_available(), 1.0, "nothing reconciled")
        self.assertEqual(self._count("account.move"), moves_before, "no write-off booked")
        with self.assertRaisesRegex(UserError, "must be the difference"):
            payment.with_user(self.specialist)._billing_apply([(invoice.id, 3855.0)], writeoff=3855.0)
        with self.assertRaisesRegex(UserError, "above the payment tolerance"):
            payment.with_user(self.manager)._billing_check_applicable(
                invoice, {invoice.id: 3855.0}, 3854.0, automatic=True
            )
        payment.with_user(self.manager)._billing_apply([(invoice.id, 3855.0)], writeoff=3854.0)
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual), "a manager is not limited")

    def test_a_refused_amount_is_written_in_the_currency(self):
        """The refusal of more than an invoice's open amount writes the amount as money ("300.00"), not "300.0"."""
        payment = self._payment(400.0)
        with self.assertRaises(UserError) as refused:
            with self.env.cr.savepoint():
                payment.with_user(self.specialist)._billing_apply([(self.inv2.id, 400.0)])
        message = str(refused.exception)
        self.assertRegex(message, r"is open for \S*\s?300\.00\s?\S* only")
        self.assertNotIn("300.0 only", message)
        self.assertEqual(self.inv2.amount_residual, 300.0, "nothing applied")

    def test_specialist_writes_off_within_the_limit_on_the_wizard(self):
        payment = self._payment(280.0, memo=self.inv2.name)  # 20 short: above the tolerance, within the limit
        _partials, writeoff = payment.with_user(self.specialist)._billing_apply([(self.inv2.id, 300.0)], 20.0)
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual))
        self.assertEqual(writeoff.line_ids.filtered(lambda aml: aml.account_id == self.writeoff_account).debit, 20.0)

    def test_run_history_is_not_writable_by_clients(self):
        """Weakness 6/8: a run's state, outcomes and recorded reconciliations are not writable over RPC."""
        run = self._run(self._payment(1200.0, memo=self.inv1.name))
        other = self._run(self._payment(300.0, memo=self.inv2.name))
        line = run.line_ids
        for user in (self.specialist, self.manager):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                run.with_user(user).write({"state": "done"})
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                line.with_user(user).write(
                    {"outcome": "applied", "partial_ids": [Command.set(other.line_ids.partial_ids.ids)]}
                )
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                line.allocation_ids.with_user(user).write({"amount": 1.0})
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                self.env["billing.match.run.line"].with_user(user).create(
                    {
                        "run_id": run.id,
                        "outcome": "applied",
                        "partial_ids": [Command.set(other.line_ids.partial_ids.ids)],
                    }
                )
        self.assertEqual((line.outcome, line.partial_count, len(line.partial_ids)), ("applied", 1, 1))
        self.assertEqual(other.line_ids.partial_ids.exists(), other.line_ids.partial_ids)

    def test_second_undo_never_takes_another_runs_reconciliation(self):
        payment = self._payment(300.0, memo=self.inv2.name)
        first = self._run(payment)
        first.with_user(self.specialist).action_undo()
        second = self._run(payment)
        self.assertEqual(second.applied_count, 1)
        first.sudo().state = "done"  # as if the state had been rewritten
        with self.assertRaisesRegex(UserError, f"{payment.name} was unreconciled or reconciled again"):
            first.with_user(self.specialist).action_undo()
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual), "the second run's stays")

    def test_undo_refuses_a_bank_line_reconciled_again_by_hand(self):
        """Weakness 6: the run applied a bank line to X; a user moved it to Y: undo refuses, Y stays paid."""
        other = self._invoice(1200.0, invoice_date=self.today - timedelta(days=5))
        line = self._bank_line(1200.0, memo=self.inv1.name, partner=self.customer)
        run = (
            self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, statement_lines=line)
        )
        self.assertEqual(run.applied_count, 1)
        receivable = line.move_id.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
        receivable.remove_move_reconcile()
        (receivable | other.line_ids.filtered(lambda aml: aml.account_id == receivable.account_id)).reconcile()
        self.assertTrue(other.currency_id.is_zero(other.amount_residual))
        with self.assertRaisesRegex(UserError, f"{line.display_name} was unreconciled or reconciled again"):
            run.with_user(self.specialist).action_undo()
        self.assertTrue(other.currency_id.is_zero(other.amount_residual), "the user's reconciliation stays")
        self.assertEqual(run.state, "done")

    def test_undo_refuses_a_bank_line_whose_credit_was_used_since(self):
        line = self._bank_line(1500.0, memo=self.inv1.name, partner=self.customer)  # 300 left as credit
        run = self.env["billing.match.run"]._run_automatic(self.company, statement_lines=line)
        self.assertEqual(run.applied_count, 1)
        receivable = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
        )
        (receivable | self.inv2.line_ids.filtered(lambda aml: aml.account_id == receivable.account_id)).reconcile()
        with self.assertRaisesRegex(UserError, "reconciled with other items since the run"):
            run.action_undo()
        self.assertTrue(self.inv2.currency_id.is_zero(self.inv2.amount_residual))

    def test_disputed_invoice_is_not_applied_by_amount(self):
        self._open_case(self.inv3, amount=200.0)
        run = self._run(self._payment(450.0, memo="thanks"))
        self.assertEqual(run.applied_count, 0)
        self.assertEqual(self.inv3.amount_residual, 450.0)
        named = self._run(self._payment(450.0, memo=self.inv3.name))
        self.assertEqual(named.applied_count, 1, "the memo names the disputed invoice exactly")

    def _euro(self):
        """EUR at 2.0 per USD until ten days ago, 2.5 since: invoices of 40 days ago and payments of today differ."""
        return self.setup_other_currency(
            "EUR", rates=[("2000-01-01", 2.0), (str(self.today - timedelta(days=10)), 2.5)]
        )

    def test_payment_in_another_currency_than_the_invoice(self):
        eur = self._euro()
        old = self.today - timedelta(days=40)
        invoice = self._invoice(1000.0, currency_id=eur.id, invoice_date=old)  # 500 USD when invoiced
        unique = self._invoice(600.0, currency_id=eur.id, invoice_date=old)
        named = self._payment(400.0, memo=f"pay {invoice.name}")  # 400 USD = 1000 EUR at today's rate
        by_amount = self._payment(240.0, memo="thanks")  # = 600 EUR, but nothing names it
        run = self._run(named | by_amount)
        line = run.line_ids.filtered(lambda rec: rec.payment_id == named)
        self.assertEqual((line.outcome, line.confidence), ("applied", 93))
        paid, invoiced = (
            formatLang(self.env, 400.0, currency_obj=named.currency_id),
            formatLang(self.env, 1000.0, currency_obj=eur),
        )
        self.assertIn(f"paid in USD, invoiced in EUR: {paid} = {invoiced} at the rate of", line.reasons)
        self.assertTrue(eur.is_zero(invoice.amount_residual))
        self.assertEqual(named._billing_receivable_lines(), self.env["account.move.line"], "payment used in full")
        exchange = invoice.line_ids.matched_credit_ids.exchange_move_id
        self.assertEqual(len(exchange), 1, "the rate moved: Odoo books the exchange difference")
        self.assertAlmostEqual(sum(exchange.line_ids.mapped("debit")), 100.0)  # 500 USD invoiced, 400 USD received
        guess = run.line_ids.filtered(lambda rec: rec.payment_id == by_amount)
        self.assertEqual((guess.outcome, guess.confidence, guess.invoice_ids), ("proposed", 85, unique))
        self.assertEqual(unique.amount_residual, 600.0, "a converted amount alone is never applied")

    def test_conversion_rounding_is_no_difference(self):
        eur = self._euro()
        invoice = self._invoice(999.99, currency_id=eur.id, invoice_date=self.today - timedelta(days=40))
        payment = self._payment(400.0, memo=invoice.name)  # 1000.00 EUR: a cent over, from rounding 399.996 USD
        line = self._run(payment).line_ids
        self.assertEqual((line.outcome, line.confidence), ("applied", 93))
        items = formatLang(self.env, 999.99, currency_obj=eur)
        self.assertIn(f"{items} owed: the difference is the conversion's rounding", line.reasons)
        self.assertTrue(eur.is_zero(invoice.amount_residual))
        self.assertFalse(payment._billing_receivable_lines(), "and the payment is used in full")
        overpaid = self._invoice(1000.0, currency_id=eur.id, invoice_date=self.today - timedelta(days=40))
        line = self._run(self._payment(400.02, memo=overpaid.name)).line_ids  # 1000.05 EUR: a real overpayment
        self.assertEqual((line.outcome, line.confidence), ("proposed", 88))
        short = self._invoice(1000.01, currency_id=eur.id, invoice_date=self.today - timedelta(days=40))
        line = self._run(self._payment(400.0, memo=short.name)).line_ids  # a cent short: written off, in EUR
        self.assertEqual((line.outcome, line.confidence, line.writeoff), ("applied", 90, 0.01))
        self.assertTrue(eur.is_zero(short.amount_residual))

    def test_partial_payment_in_another_currency(self):
        eur = self._euro()
        invoice = self._invoice(1000.0, currency_id=eur.id, invoice_date=self.today - timedelta(days=40))
        payment = self._payment(200.0, memo=invoice.name)  # 500 EUR: half the invoice
        line = self._run(payment).line_ids
        self.assertEqual((line.outcome, line.confidence), ("proposed", 88), "partial and converted: a person checks")
        with self.assertRaisesRegex(UserError, "exactly what is left of the payment \\(500\\.00\\s€\\)"):
            payment._billing_apply([(invoice.id, 400.0)])
        payment._billing_apply([(invoice.id, 500.0)])
        self.assertEqual(invoice.amount_residual, 500.0)
        self.assertEqual(invoice.payment_state, "partial")
        with self.assertRaisesRegex(UserError, "must all be in one currency"):
            self._payment(50.0)._billing_apply([(invoice.id, 10.0), (self.inv3.id, 10.0)])

    def test_bank_line_in_a_foreign_currency(self):
        eur = self._euro()
        invoice = self._invoice(1000.0, currency_id=eur.id, invoice_date=self.today - timedelta(days=40))
        line = self._bank_line(400.0, memo=invoice.name, foreign_currency_id=eur.id, amount_currency=1000.0)
        result = self.env["billing.match.run"]._run_automatic(self.company, statement_lines=line).line_ids
        self.assertEqual((result.outcome, result.confidence), ("applied", 98), "paid in the invoice's currency")
        self.assertTrue(line.is_reconciled)
        self.assertTrue(eur.is_zero(invoice.amount_residual))

    def test_refusals(self):
        payment = self._payment(300.0, memo=self.inv2.name)
        with self.assertRaisesRegex(UserError, "positive amount"):
            payment._billing_apply([(self.inv2.id, 0.0)])
        with self.assertRaisesRegex(UserError, "open for"):
            payment._billing_apply([(self.inv2.id, 300.01)])
        with self.assertRaisesRegex(UserError, "only posted customer invoices"):
            payment._billing_apply([(self._invoice(10.0, move_type="in_invoice").id, 10.0)])
        with self.assertRaisesRegex(UserError, "take together exactly what is left"):
            payment._billing_apply([(self.inv1.id, 100.0), (self.inv3.id, 100.0)])
        payment._billing_apply([(self.inv2.id, 300.0)])
        with self.assertRaisesRegex(UserError, "already fully applied"):
            payment._billing_apply([(self.inv3.id, 300.0)])
        with self.assertRaisesRegex(UserError, "already fully applied"):
            self.env["billing.match.review"].with_context(
                active_model="account.payment", active_ids=payment.ids
            ).action_open_review()
        late = self._payment(100.0, date=self.today - timedelta(days=40))
        self.company.sudo().fiscalyear_lock_date = self.today - timedelta(days=35)
        with self.assertRaisesRegex(UserError, "locked period"):
            late._billing_apply([(self.inv3.id, 100.0)])
        self.assertEqual(self.inv3.amount_residual, 450.0)


@tagged("post_install", "-at_install")
class TestPaymentSourceContract(PaymentMatchingCommon):
    """Payments and bank lines implement the one source contract the matching calls (``billing.payment.source``)."""

    def test_every_source_implements_the_contract(self):
        contract = BillingPaymentSource.__dict__
        required = sorted(
            name
            for name, method in contract.items()
            if callable(method) and "raise NotImplementedError" in inspect.getsource(method)
        )
        self.assertIn("_billing_pending", required)
        models = self.env["billing.payment.source"]._billing_source_models()
        self.assertEqual([model._name for model in models], ["account.payment", "account.bank.statement.line"])
        for model in models:
            missing = [name for name in required if getattr(type(model), name) is getattr(BillingPaymentSource, name)]
            self.assertEqual(missing, [], f"{model._name} implements the contract")
            self.assertEqual(
                model._billing_source_field, {"account.payment": "payment_id"}.get(model._name, "statement_line_id")
            )
            self.assertIn(model._billing_source_field, self.env["billing.match.run.line"]._fields)
            self.assertIn(model._billing_source_field, self.env["billing.match.review"]._fields)
            self.assertIn(
                model._billing_source_type, dict(self.env["billing.match.review"]._fields["source_type"].selection)
            )

    def test_a_source_that_names_no_model_refuses(self):
        """The contract itself applies nothing: a method a source model forgot fails loudly, not silently."""
        with self.assertRaises(NotImplementedError):
            self.env["billing.payment.source"]._billing_pending(self.env.company)
