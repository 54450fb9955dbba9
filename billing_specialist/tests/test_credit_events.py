import re
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.sql_db import Cursor
from odoo.tests import tagged

from ..models.billing_credit_status import TOUCHED_KEY
from .common import CommittedFixtureCase
from .test_credit import CreditCommon


@tagged("post_install", "-at_install")
class TestCreditEvents(CreditCommon):
    """Each event notes the customer; the transaction recomputes once, before it commits (run here by hand)."""

    def _touched(self):
        return self.env.cr.precommit.data.get(TOUCHED_KEY, set())

    def _commit_hooks(self):
        """What the commit would run first: the precommit hooks (the test never commits)."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _status(self, partner=None, company=None):
        return (partner or self.customer)._billing_credit_status(company or self.company)

    def test_invoice_posted_recomputes_before_commit(self):
        self._commit_hooks()
        self._invoice(1500.0)
        self.assertIn((self.customer.id, self.company.id), self._touched())
        self.assertFalse(self._status(), "nothing is computed before the commit")
        self._commit_hooks()
        self.assertEqual(self._status().state, "hold")
        self.assertFalse(self._touched(), "done once")

    def test_one_recompute_per_transaction(self):
        self._commit_hooks()
        for amount in (100.0, 200.0, 300.0):
            self._invoice(amount)
        hooks = [func for func in self.env.cr.precommit._funcs if getattr(func, "__name__", "") == "_billing_precommit"]
        self.assertEqual(len(hooks), 1)
        Status = type(self.env["billing.credit.status"])
        calls = []
        original = Status._billing_recompute

        def count(model, partners, companies):
            calls.append((partners, companies))
            return original(model, partners, companies)

        with patch.object(Status, "_billing_recompute", count):
            self._commit_hooks()
        self.assertEqual(len(calls), 1)
        self.assertEqual(self._status().exposure, 600.0)

    def test_draft_created_and_changed(self):
        self._commit_hooks()
        draft = self._invoice(500.0, post=False)
        self._commit_hooks()
        self.assertEqual(self._status().state, "ok")
        draft.write({"invoice_line_ids": [Command.update(draft.invoice_line_ids.id, {"price_unit": 1200.0})]})
        self.assertIn((self.customer.id, self.company.id), self._touched())
        self._commit_hooks()
        self.assertEqual(self._status().state, "hold")
        draft.unlink()
        self._commit_hooks()
        self.assertEqual(self._status().exposure, 0.0)

    def test_invoice_reset_and_cancelled(self):
        invoice = self._invoice(1500.0)
        self._commit_hooks()
        invoice.button_draft()
        self.assertIn((self.customer.id, self.company.id), self._touched())
        invoice.button_cancel()
        self._commit_hooks()
        self.assertEqual((self._status().state, self._status().exposure), ("ok", 0.0))

    def test_payment_reconciled(self):
        invoice = self._invoice(1500.0)
        self._commit_hooks()
        self.assertEqual(self._status().state, "hold")
        self._pay(invoice, 1500.0)
        self._commit_hooks()
        self.assertEqual(self._status().state, "ok")

    def test_reconciliation_notes_the_customer_without_queries(self):
        invoice = self._invoice(300.0)
        payment = self._payment(300.0)
        self._commit_hooks()
        lines = (invoice | payment.move_id).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        queries = []
        execute = Cursor.execute

        def observe(cursor, query, params=None, log_exceptions=True):
            queries.append(str(getattr(query, "code", query)))
            return execute(cursor, query, params, log_exceptions)

        with patch.object(Cursor, "execute", observe):
            lines.reconcile()
            self.env.flush_all()
        self.assertIn((self.customer.id, self.company.id), self._touched())
        self.assertFalse([query for query in queries if re.search(r"billing_credit", query)])

    def test_promise_created_and_judged(self):
        self._commit_hooks()
        promise = self._broken_promise()
        self.assertIn((self.customer.id, self.company.id), self._touched())
        self._commit_hooks()
        self.assertEqual(self._status().state, "watch")
        promise.write({"state": "kept"})
        self._commit_hooks()
        self.assertEqual(self._status().broken_promise_count, 0)

    def test_promise_judged_by_the_nightly_judge(self):
        invoice = self._invoice(100.0, invoice_date=self.today - timedelta(days=40))
        self.env(user=self.specialist)["billing.promise"].create(
            {
                "partner_id": self.customer.id,
                "move_ids": [Command.set(invoice.ids)],
                "amount": 100.0,
                "date": self.today + timedelta(days=2),
            }
        )
        self._commit_hooks()
        later = self.today + timedelta(days=30)
        self.company.billing_credit_hold_overdue_days = 0  # the invoice is late by then: only the promise counts
        judged = self.env["billing.promise"]._judge_promises(later)
        self.assertEqual(judged.mapped("state"), ["broken"])
        self._commit_hooks()  # the judge's own savepoints may have run the hook already: the result is the same
        self.assertEqual(self._status().broken_promise_count, 1)

    def test_dispute_opened_and_closed(self):
        invoice = self._invoice(1500.0)
        self._commit_hooks()
        case = self._open_case(invoice, amount=800.0)
        self.assertIn((self.customer.id, self.company.id), self._touched())
        self._commit_hooks()
        self.assertEqual((self._status().state, self._status().disputed_amount), ("ok", 800.0))
        case.with_user(self.specialist).action_cancel()
        self._commit_hooks()
        self.assertEqual(self._status().state, "hold")


@tagged("post_install", "-at_install")
class TestCreditCommitted(CommittedFixtureCase):
    """The event path with real commits: a draft invoice created, changed and deleted in transactions of their own;
    each commit leaves the customer's state up to date for the next transaction."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            company = env.company
            self.ids = {"company": company.id, "use_limit": company.account_use_credit_limit}
            company.account_use_credit_limit = True
            partner = env["res.partner"].create({"name": "Credit Committed Customer", "is_company": True})
            partner.with_company(company).credit_limit = 100.0
            self.ids["partner"] = partner.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            partner = env["res.partner"].browse(self.ids["partner"])
            env["account.move"].search([("partner_id", "=", partner.id)]).with_context(force_delete=True).unlink()
            env["billing.credit.status"].search([("partner_id", "=", partner.id)]).unlink()
            partner.unlink()
            env["res.company"].browse(self.ids["company"]).account_use_credit_limit = self.ids["use_limit"]

    @contextmanager
    def _committed(self):
        with self.committed_env() as env:
            yield env, env["res.partner"].browse(self.ids["partner"]), env["res.company"].browse(self.ids["company"])

    def test_committed_events_recompute(self):
        with self._committed() as (env, partner, _company):
            move = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 150.0, "tax_ids": []})],
                }
            )
            self.ids["move"] = move.id
        with self._committed() as (_env, partner, company):
            status = partner._billing_credit_status(company)
            self.assertEqual((status.state, status.exposure), ("hold", 150.0))
        with self._committed() as (env, _partner, _company):
            move = env["account.move"].browse(self.ids["move"])
            move.write({"invoice_line_ids": [Command.update(move.invoice_line_ids.id, {"price_unit": 50.0})]})
        with self._committed() as (_env, partner, company):
            status = partner._billing_credit_status(company)
            self.assertEqual((status.state, status.exposure), ("ok", 50.0))
        with self._committed() as (env, _partner, _company):
            env["account.move"].browse(self.ids["move"]).unlink()
        with self._committed() as (_env, partner, company):
            self.assertEqual(partner._billing_credit_status(company).exposure, 0.0)
