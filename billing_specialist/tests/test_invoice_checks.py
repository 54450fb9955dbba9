import io
from datetime import timedelta

import lxml.html
import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import BaseCase, Form, HttpCase, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.billing_specialist.checks import AmountHistory, has_postal_address, is_unusual_amount
from odoo.addons.billing_specialist.exceptions import BillingCheckBlocked
from odoo.addons.billing_specialist.models.billing_report_hook import ReportScope

from .common import BillingDisputeCommon, JsonRpcCallMixin


@tagged("post_install", "-at_install")
class TestInvoiceCheckRules(BaseCase):
    """The decision rules alone, without a database."""

    def test_unusual_amount_needs_history(self):
        history = AmountHistory(count=9, mean=1000.0, stddev=20.0)
        self.assertFalse(is_unusual_amount(5000.0, history, 10, 2.0, 10.0), "9 invoices: nothing is flagged")
        history = AmountHistory(count=10, mean=1000.0, stddev=20.0)
        self.assertTrue(is_unusual_amount(5000.0, history, 10, 2.0, 10.0))
        self.assertTrue(is_unusual_amount(100.0, history, 10, 2.0, 10.0), "unusually low counts too")
        self.assertFalse(is_unusual_amount(1080.0, history, 10, 2.0, 10.0), "within 10% of the mean")
        self.assertFalse(is_unusual_amount(5000.0, None, 10, 2.0, 10.0))

    def test_postal_address(self):
        self.assertTrue(has_postal_address("1 Main St", "Springfield", "", 1))
        self.assertTrue(has_postal_address("1 Main St", "", "12345", 1))
        self.assertFalse(has_postal_address("", "Springfield", "12345", 1))
        self.assertFalse(has_postal_address("1 Main St", "Springfield", "12345", False))


@tagged("post_install", "-at_install")
class TestInvoiceChecks(BillingDisputeCommon):
    """Each pre-send check catches what it must and nothing else; block, warn, off; override; access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.checks = cls.env["billing.invoice.check"].search([("company_id", "=", cls.company.id)])
        cls.checks.mode = "off"
        cls.customer.write({"email": "ap@acme.example.com", "street": "1 Main St", "city": "Springfield"})

    def _set(self, code, mode="block", **params):
        check = self.checks.filtered(lambda c: c.code == code)
        check.write({"mode": mode, **params})
        return check

    def _draft(self, amount=1000.0, **vals):
        return self._invoice(amount, post=False, **vals)

    def _findings(self, move):
        return {code: message for code, _severity, message in move._billing_run_checks()[move.id]}

    # ------------------------------------------------------------------ each check

    def test_checks_are_seeded_for_every_company(self):
        codes = {code for code, _label in self.env["billing.invoice.check"]._fields["code"].selection}
        self.assertEqual(set(self.checks.mapped("code")), codes)
        new_company = self.env["res.company"].create({"name": "Seeded Co"})
        seeded = self.env["billing.invoice.check"].sudo().search([("company_id", "=", new_company.id)])
        self.assertEqual(set(seeded.mapped("code")), codes)
        self.assertEqual(set(seeded.mapped("mode")), {"warn"}, "a new company warns, it does not stop invoicing")

    def test_duplicate(self):
        self._set("duplicate", tolerance_percent=1.0, days_window=7)
        posted = self._invoice(1000.0, ref="PO-1")
        near = self._draft(1005.0, invoice_date=self.today + timedelta(days=3))
        self.assertIn("duplicate", self._findings(near))
        self.assertIn(posted.name, self._findings(near)["duplicate"])
        same_po = self._draft(4000.0, ref=" po-1 ", invoice_date=self.today + timedelta(days=90))
        self.assertIn("same PO reference", self._findings(same_po)["duplicate"])
        other_amount = self._draft(1500.0)
        far = self._draft(1000.0, invoice_date=self.today + timedelta(days=30))
        other_customer = self._draft(1000.0, partner=self.other_customer)
        for move in other_amount | far | other_customer:
            self.assertNotIn("duplicate", self._findings(move), move.amount_total)

    def test_duplicate_same_lines(self):
        self._set("duplicate", tolerance_percent=0.0, days_window=7)
        self._invoice(1000.0)
        same_lines_taxed = self._draft(1000.0, taxes=self.tax_sale_a)  # other total, same lines
        self.assertIn("same lines", self._findings(same_lines_taxed)["duplicate"])

    def test_po_required(self):
        self._set("po_required")
        self.customer.billing_po_required = True
        self.assertIn("po_required", self._findings(self._draft()))
        self.assertNotIn("po_required", self._findings(self._draft(ref="PO-77")))
        # Issue 21, class 6: invisible characters, spaces and dashes alone are no reference.
        for blank in ("\u200b", "\u00a0", "\t", " - ", "\u2011", "\ufeff"):
            self.assertIn("po_required", self._findings(self._draft(ref=blank)), repr(blank))
        self.assertNotIn("po_required", self._findings(self._draft(ref="\u200b7")), "a digit is a reference")
        self.assertNotIn("po_required", self._findings(self._draft(partner=self.other_customer)))

    def test_unusual_amount(self):
        self._set("unusual_amount", min_history=10, factor=2.0, tolerance_percent=10.0)
        for index in range(9):
            self._invoice(950.0 + index * 10, invoice_date=self.today - timedelta(days=30 * (index + 1)))
        huge = self._draft(5000.0)
        self.assertNotIn("unusual_amount", self._findings(huge), "9 past invoices: too few to judge")
        self._invoice(1000.0, invoice_date=self.today - timedelta(days=300))
        self.assertIn("unusual_amount", self._findings(huge))
        self.assertNotIn("unusual_amount", self._findings(self._draft(1020.0)))

    def test_missing_tax(self):
        self._set("tax")
        self.assertTrue(self.product_a.taxes_id)
        untaxed = self._draft(100.0)
        self.assertIn("No tax on 'product_a'", self._findings(untaxed)["tax"])
        self.assertNotIn("tax", self._findings(self._draft(100.0, taxes=self.tax_sale_a)))

    def test_fiscal_position(self):
        self._set("tax")
        fpos = self.env["account.fiscal.position"].create({"name": "Export", "company_id": self.company.id})
        wrong = self._draft(100.0, taxes=self.tax_sale_a, fiscal_position_id=fpos.id)
        self.assertIn("Fiscal position Export", self._findings(wrong)["tax"])
        self.customer.property_account_position_id = fpos
        self.assertNotIn("tax", self._findings(self._draft(100.0, taxes=self.tax_sale_a)))

    def test_no_way_to_deliver(self):
        self._set("delivery")
        nowhere = self._draft(partner=self.other_customer)  # no e-mail, no address
        self.assertIn("cannot be delivered", self._findings(nowhere)["delivery"])
        self.assertNotIn("delivery", self._findings(self._draft()), "the contact has an e-mail")
        self.other_customer.write({"street": "5 Harbour Rd", "zip": "1000", "country_id": self.env.ref("base.be").id})
        self.assertNotIn("delivery", self._findings(nowhere), "a letter can go")

    def test_unusual_currency(self):
        self._set("currency", min_history=3)
        other_currency = self.setup_other_currency("EUR")
        for _index in range(3):
            self._invoice(100.0)
        foreign = self._draft(100.0, currency_id=other_currency.id)
        self.assertIn(other_currency.name, self._findings(foreign)["currency"])
        self.assertNotIn("currency", self._findings(self._draft(100.0)))

    def test_recent_dispute_on_same_product(self):
        self._set("dispute", lookback_days=60)
        case = self._open_case(self._invoice(500.0))
        same_product = self._draft(100.0)
        self.assertIn(case.name, self._findings(same_product)["dispute"])
        other_product = self._draft(100.0)
        other_product.invoice_line_ids.product_id = self.product_b
        self.assertNotIn("dispute", self._findings(other_product))
        case.sudo().date_opened = self.today - timedelta(days=61)
        self.assertNotIn("dispute", self._findings(same_product), "older than the lookback")

    # ------------------------------------------------------------------ block, warn, off

    def test_block_stops_the_post_listing_every_problem(self):
        self._set("po_required")
        self._set("delivery")
        self.customer.billing_po_required = True
        first = self._draft(100.0)
        second = self._draft(200.0, partner=self.other_customer)
        with self.assertRaises(BillingCheckBlocked) as caught:
            (first | second).with_user(self.specialist).action_post()
        findings = {(move_id, code) for move_id, code, _message in caught.exception.findings}
        self.assertEqual(findings, {(first.id, "po_required"), (second.id, "delivery")})
        message = str(caught.exception)
        self.assertIn("PO reference", message)
        self.assertIn("cannot be delivered", message)
        self.assertEqual(set((first | second).mapped("state")), {"draft"}, "nothing is posted")
        first.ref = "PO-9"
        first.action_post()
        self.assertEqual(first.state, "posted", "corrected, it goes out")

    def test_warn_posts_and_records(self):
        self._set("po_required", mode="warn")
        self.customer.billing_po_required = True
        move = self._draft(100.0)
        move.with_user(self.specialist).action_post()
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.billing_check_state, "warn")
        self.assertEqual(move.billing_check_result_ids.code, "po_required")
        self.assertEqual(move.billing_check_result_ids.severity, "warn")

    def test_off_does_nothing(self):
        self.customer.billing_po_required = True
        move = self._draft(100.0, partner=self.other_customer)
        move.action_post()
        self.assertEqual(move.state, "posted")
        self.assertFalse(move.billing_check_result_ids)
        self.assertFalse(move.billing_check_state)

    def test_run_checks_on_draft_and_corrected_findings_kept(self):
        self._set("po_required")
        self.customer.billing_po_required = True
        move = self._draft(100.0)
        move.with_user(self.specialist).action_billing_run_checks()
        self.assertEqual(move.billing_check_state, "block")
        result = move.billing_check_result_ids
        self.assertEqual((result.code, result.severity, result.state), ("po_required", "block", "open"))
        move.ref = "PO-1"
        self.assertEqual(move._billing_run_checks(), {move.id: []})
        self.assertFalse(move.billing_check_state)
        self.assertEqual(result.state, "corrected", "kept for the report of billing errors prevented")
        self.assertTrue(result.date_corrected)

    def test_run_checks_contract_for_billing_runs(self):
        self._set("po_required")
        self._set("delivery", mode="warn")
        self.customer.billing_po_required = True
        invoice = self._draft(100.0)
        nowhere = self._draft(100.0, partner=self.other_customer)
        bill = self._draft(100.0, move_type="in_invoice", partner=self.other_customer)
        results = (invoice | nowhere | bill)._billing_run_checks()
        self.assertEqual(set(results), {invoice.id, nowhere.id, bill.id})
        self.assertEqual([(code, severity) for code, severity, _msg in results[invoice.id]], [("po_required", "block")])
        self.assertEqual([(code, severity) for code, severity, _msg in results[nowhere.id]], [("delivery", "warn")])
        self.assertEqual(results[bill.id], [], "vendor bills are not checked")
        self.assertEqual(invoice.state, "draft", "checking posts nothing")
        bill.action_post()
        self.assertEqual(bill.state, "posted")

    def test_run_checks_refuses_posted_invoices(self):
        with self.assertRaisesRegex(Exception, "draft customer invoices"):
            self._invoice(100.0).action_billing_run_checks()

    def test_dispute_credit_notes_are_not_blocked(self):
        for check in self.checks:
            check.mode = "block"
        self.company.billing_writeoff_max_amount = 1000.0
        self.checks.filtered(lambda c: c.code == "tax").mode = "off"
        self.checks.filtered(lambda c: c.code == "duplicate").mode = "off"
        invoice = self._invoice(300.0)
        case = self._open_case(invoice)
        self._resolve(case)
        self.assertEqual(case.state, "resolved", "the resolution's own credit note is not stopped")

    def test_report_errors_prevented_beside_disputes(self):
        self._set("po_required")
        self.customer.billing_po_required = True
        blocked = self._draft(100.0)
        with self.assertRaises(BillingCheckBlocked):
            blocked.action_post()
        blocked._billing_run_checks()  # Run Checks keeps the finding the failed post rolled back
        blocked.ref = "PO-5"
        blocked.action_post()
        case = self._open_case(self._invoice(300.0, ref="PO-6"))
        case.sudo().root_cause_id = self.cause_pricing
        start = self.today.replace(day=1)
        scope = ReportScope.of(self.company, start, self.today)
        prevented, reached = (
            self.env["billing.invoice.report"].with_user(self.specialist)._billing_errors_by_month(scope)
        )
        month = self.today.strftime("%Y-%m")
        self.assertEqual(prevented, {month: {"block": 1}})
        self.assertEqual(reached, {month: {self.cause_pricing: 1}})
        content = self.env["billing.workbook"].with_user(self.specialist)._build(self.company, start, self.today)
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Billing Errors"]
        headers = [cell.value for cell in sheet[1]]
        self.assertEqual(
            headers[:5], ["Month", "Blocked and Corrected", "Warned and Corrected", "Overridden", "Errors Prevented"]
        )
        self.assertEqual(headers[5:], [self.cause_pricing.name, "Disputes"])
        self.assertEqual([cell.value for cell in sheet[2]][:4], [month, 1, 0, 0])
        self.assertEqual(sheet.cell(2, 6).value, 1)
        # The report on screen shows the same month: one block corrected, one dispute of the pricing cause.
        wizard = (
            self.env["billing.report.wizard"]
            .with_user(self.specialist)
            .create({"date_from": start, "date_to": self.today, "company_ids": [Command.set(self.company.ids)]})
        )
        row = lxml.html.fromstring(wizard.kpi_html).xpath(
            f"//table[contains(@class, 'o_billing_errors')]//tr[@data-month='{month}']"
        )
        self.assertEqual(len(row), 1)
        cells = [cell.text_content().strip() for cell in row[0].xpath("./td")]
        self.assertEqual(cells[:5], [month, "1", "0", "0", "1"])
        self.assertIn(f"{self.cause_pricing.display_name}: 1", cells[5])

    # ------------------------------------------------------------------ override

    def _blocked_draft(self):
        self._set("po_required")
        self.customer.billing_po_required = True
        move = self._draft(100.0)
        move._billing_run_checks()
        return move

    def _override_wizard(self, move, user):
        return Form(
            self.env["billing.invoice.check.override"]
            .with_user(user)
            .with_context(active_model="account.move", active_ids=move.ids)
        )

    def test_manager_override_logs_reason(self):
        move = self._blocked_draft()
        form = self._override_wizard(move, self.manager)
        form.reason = "PO confirmed by phone"
        form.save().action_confirm()
        self.assertEqual(move.state, "posted")
        result = move.billing_check_result_ids
        self.assertEqual(
            (result.state, result.overridden_by, result.override_reason),
            ("overridden", self.manager, "PO confirmed by phone"),
        )
        self.assertEqual(move.billing_check_state, "overridden")
        log = move.message_ids.filtered(lambda m: "PO confirmed by phone" in (m.body or ""))
        self.assertTrue(log)
        self.assertEqual(log.author_id, self.manager.partner_id)

    def test_specialist_cannot_override(self):
        move = self._blocked_draft()
        with self.assertRaises(AccessError):
            move.with_user(self.specialist).action_billing_override_checks()
        wizard = (
            self.env["billing.invoice.check.override"]
            .with_user(self.specialist)
            .create({"move_ids": [Command.set(move.ids)], "reason": "I know better"})
        )
        with self.assertRaises(AccessError):
            wizard.action_confirm()
        self.assertEqual(move.state, "draft")
        self.assertFalse(move.billing_check_result_ids.overridden_by)

    def test_client_context_key_does_not_override(self):
        move = self._blocked_draft()
        for value in (True, "PO confirmed", {"reason": "x", "uid": self.manager.id}):
            with self.assertRaises(BillingCheckBlocked):
                move.with_user(self.manager).with_context(billing_check_override=value).action_post()
        self.assertEqual(move.state, "draft")

    def test_findings_not_writable_by_clients(self):
        move = self._blocked_draft()
        with self.assertRaises(AccessError):
            move.with_user(self.specialist).write({"billing_check_result_ids": [Command.clear()]})
        with self.assertRaises(AccessError):
            move.billing_check_result_ids.with_user(self.manager).write({"state": "overridden"})

    # ------------------------------------------------------------------ configuration

    def test_nonsense_parameters_refused(self):
        check = self.checks.filtered(lambda c: c.code == "unusual_amount").with_user(self.manager)
        for vals in (
            {"tolerance_amount": -1.0},
            {"tolerance_percent": 150.0},
            {"min_history": 0},
            {"min_history": -3},
            {"factor": 0.0},
            {"factor": float("nan")},
            {"tolerance_amount": float("inf")},
            {"days_window": -1},
            {"lookback_days": 0},
        ):
            with self.assertRaises(ValidationError, msg=vals):
                check.write(vals)
        self.assertEqual(check.min_history, 10)

    def test_specialist_cannot_configure(self):
        check = self.checks[0].with_user(self.specialist)
        self.assertTrue(check.mode)
        with self.assertRaises(AccessError):
            check.write({"mode": "off"})

    def test_other_company_config_not_visible_or_writable(self):
        other_company = self.setup_other_company(name="Checks Other Co")["company"]
        Check = self.env["billing.invoice.check"].with_user(self.manager)
        self.assertEqual(Check.search([]).company_id, self.company)
        foreign = self.env["billing.invoice.check"].search([("company_id", "=", other_company.id)], limit=1)
        self.assertTrue(foreign)
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).write({"mode": "off"})
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).read(["mode"])


@tagged("post_install", "-at_install")
class TestChecksIgnoreClientMarkers(BillingDisputeCommon):
    """The pre-send checks' markers sent by a client (JSON carries true, a string or a dict, never the Python
    marker), and a post of another company's blocked draft by id: nothing posts, no finding goes astray."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.email = "ap@acme.example.com"
        Check = cls.env["billing.invoice.check"]
        Check._ensure_for_companies(cls.company)
        Check.search([("company_id", "=", cls.company.id), ("code", "=", "po_required")]).mode = "block"
        cls.po_customer = cls.env["res.partner"].create(
            {"name": "PO Needed Inc", "is_company": True, "email": "ap@po.example.com", "billing_po_required": True}
        )

    def _blocked_draft(self):
        return self._invoice(100.0, partner=self.po_customer, post=False)

    def test_findings_marker_sent_as_json_is_not_the_marker(self):
        """JSON carries true, a string or a dict, never the Python marker: the post is still refused and the findings
        still go the refused post's own way."""
        move = self._blocked_draft()
        for value in (True, "1", {"keep": True}, ["x"]):
            with self.subTest(value=value), self.assertRaises(BillingCheckBlocked):
                move.with_user(self.specialist).with_context(billing_caller_keeps_findings=value).action_post()
            self.assertEqual(move.state, "draft")

    def test_override_sent_as_json_does_not_post(self):
        move = self._blocked_draft()
        override = {"reason": "the customer said so", "uid": self.manager.id}
        for user in (self.specialist, self.manager):
            with self.subTest(user=user.login), self.assertRaises(BillingCheckBlocked):
                move.with_user(user).with_context(billing_check_override=override).action_post()
        self.assertEqual(move.state, "draft")
        self.assertFalse(move.billing_check_result_ids.filtered(lambda r: r.state == "overridden"))

    def test_billing_run_with_client_markers_still_records_the_block(self):
        """A run started with the markers in its context (as a client could send them) records the block as usual."""
        blocked, clean = self._blocked_draft(), self._invoice(100.0, post=False)
        env = self.env(user=self.specialist)
        run = env["billing.invoice.run"]._create_for_invoices((blocked | clean).with_env(env))
        run.with_context(
            billing_caller_keeps_findings=True, billing_check_override={"reason": "x", "uid": self.specialist.id}
        ).action_run()
        outcomes = {line.move_id: line.outcome for line in run.line_ids}
        self.assertEqual(outcomes, {blocked: "blocked", clean: "posted_sent"})
        self.assertEqual(blocked.state, "draft")
        self.assertEqual(blocked.billing_check_state, "block")

    def test_post_of_another_companys_blocked_draft_is_refused_before_its_checks(self):
        """A specialist of company A posting company B's blocked draft by id: refused for access, before any check
        runs (so no finding is kept on an invoice he may not read)."""
        company_2 = self.setup_other_company()["company"]
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(company_2)
        Check.search([("company_id", "=", company_2.id), ("code", "=", "po_required")]).mode = "block"
        self.other_customer.billing_po_required = True
        move = (
            self.env["account.move"]
            .with_company(company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.other_customer.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 90.0})],
                }
            )
        )
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.specialist).browse(move.id).action_post()
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.specialist).browse(move.id).action_billing_run_checks()
        self.assertFalse(self.env["billing.invoice.check.result"].sudo().search([("move_id", "=", move.id)]))
        self.assertEqual(move.state, "draft")


@tagged("post_install", "-at_install")
class TestChecksIgnoreClientMarkersOverJsonRpc(JsonRpcCallMixin, BillingDisputeCommon, HttpCase):
    """The pre-send checks' markers as a client sends them: a JSON-RPC call in the attacker's own session."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Check = cls.env["billing.invoice.check"]
        Check._ensure_for_companies(cls.company)
        Check.search([("company_id", "=", cls.company.id), ("code", "=", "po_required")]).mode = "block"
        cls.po_customer = cls.env["res.partner"].create(
            {"name": "PO Needed RPC", "is_company": True, "email": "ap@porpc.example.com", "billing_po_required": True}
        )

    def test_markers_sent_over_json_rpc_do_not_post(self):
        move = self._invoice(100.0, partner=self.po_customer, post=False)
        self.authenticate(self.specialist.login, self.specialist.login)
        context = {
            "billing_caller_keeps_findings": {"keep": True},
            "billing_check_override": {"reason": "the customer said so", "uid": self.manager.id},
        }
        with self.assertRaisesRegex(JsonRpcException, "BillingCheckBlocked"):
            self._call("account.move", "action_post", [move.ids], {"context": context})
        self.assertEqual(move.state, "draft")
