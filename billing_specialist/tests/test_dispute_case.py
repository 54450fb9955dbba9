from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeCase(BillingDisputeCommon):
    def test_open_case_from_invoice_form_action(self):
        invoice = self._invoice(1000.0)
        action = invoice.with_user(self.specialist).action_billing_open_dispute()
        self.assertEqual(action["res_model"], "billing.dispute")
        form = Form(self.env["billing.dispute"].with_user(self.specialist).with_context(**action["context"]))
        form.reason_id = self.reason_quantity
        with form.line_ids.edit(0) as line:
            self.assertEqual(line.move_id, invoice)
            self.assertEqual(line.amount_disputed, 1000.0)
            line.amount_disputed = 250.0
        case = form.save()

        self.assertTrue(case.name.startswith("DSP/"))
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.contact_id, self.customer_contact)
        self.assertEqual(case.state, "new")
        self.assertEqual(case.user_id, self.specialist)
        self.assertEqual(case.currency_id, invoice.currency_id)
        self.assertEqual(case.amount_disputed, 250.0)
        self.assertEqual(case.amount_remaining, 250.0)
        self.assertEqual(case.date_deadline, case.date_opened + timedelta(days=self.reason_quantity.sla_days))
        self.assertIn(self.customer_contact, case.message_partner_ids)
        self.assertTrue(invoice.billing_in_dispute)
        self.assertEqual(invoice.billing_disputed_amount, 250.0)
        self.assertEqual(invoice.with_user(self.specialist).billing_dispute_count, 1)

    def test_acknowledgement_sent_and_optional(self):
        case = self._open_case(self._invoice(100.0))
        ack = case.message_ids.filtered(lambda m: "we received your dispute" in (m.subject or ""))
        self.assertEqual(len(ack), 1)
        self.assertIn(self.customer_contact, ack.notified_partner_ids)

        self.company.billing_dispute_send_acknowledgement = False
        quiet = self._open_case(self._invoice(100.0))
        self.assertFalse(quiet.message_ids.filtered(lambda m: "we received your dispute" in (m.subject or "")))

    def test_case_over_several_invoices(self):
        first, second = self._invoice(300.0), self._invoice(700.0)
        action = (first | second).with_user(self.specialist).action_billing_open_dispute()
        case = Form(self.env["billing.dispute"].with_user(self.specialist).with_context(**action["context"]))
        case.reason_id = self.reason_pricing
        case = case.save()
        self.assertEqual(case.invoice_ids, first | second)
        self.assertEqual(case.amount_disputed, 1000.0)
        self.assertEqual(case.line_ids.mapped("amount_disputed"), [300.0, 700.0])

    def test_description_is_sanitized(self):
        case = self._open_case(
            self._invoice(100.0),
            description='<p>Wrong price<script>alert("x")</script></p><img src=x onerror=alert(1)>',
        )
        self.assertIn("Wrong price", case.description)
        self.assertNotIn("<script", case.description)
        self.assertNotIn("onerror", case.description)

    def test_deadline_follows_reason_and_can_be_moved(self):
        case = self._open_case(self._invoice(100.0))
        self.assertEqual(case.date_deadline, case.date_opened + timedelta(days=self.reason_pricing.sla_days))
        case.reason_id = self.env.ref("billing_specialist.reason_duplicate")
        self.assertEqual(case.date_deadline, case.date_opened + timedelta(days=5))
        case.date_deadline = case.date_opened + timedelta(days=30)
        self.assertEqual(case.date_deadline, case.date_opened + timedelta(days=30))

    def test_stage_buttons(self):
        case = self._open_case(self._invoice(100.0))
        case.action_start()
        self.assertEqual(case.state, "in_progress")
        case.action_wait_customer()
        self.assertEqual(case.state, "waiting")
        case.action_start()
        self.assertEqual(case.state, "in_progress")
        case.action_cancel()
        self.assertEqual(case.state, "cancelled")
        self.assertEqual(case.date_closed, self.today)
        self.assertFalse(case.line_ids.move_id.billing_in_dispute)

    def test_moving_to_resolved_by_hand_is_refused(self):
        case = self._open_case(self._invoice(100.0))
        with self.assertRaisesRegex(UserError, "Resolve button"):
            case.stage_id = self.env.ref("billing_specialist.stage_resolved")
        self.assertEqual(case.state, "new")

    def test_partner_smart_button_counts_open_cases(self):
        self._open_case(self._invoice(100.0))
        self._open_case(self._invoice(200.0), amount=50.0)
        other = self._open_case(self._invoice(300.0))
        other.action_cancel()
        contact = self.customer_contact.with_user(self.specialist)
        self.assertEqual(contact.billing_open_dispute_count, 2)
        self.assertEqual(contact.billing_open_dispute_amount, 150.0)
        action = self.customer.with_user(self.specialist).action_billing_view_disputes()
        self.assertEqual(self.env["billing.dispute"].search_count(action["domain"]), 3)

    def test_invoice_list_filter(self):
        disputed = self._invoice(100.0)
        undisputed = self._invoice(100.0)
        self._open_case(disputed)
        found = self.env["account.move"].search(
            [("billing_in_dispute", "=", True), ("id", "in", (disputed | undisputed).ids)]
        )
        self.assertEqual(found, disputed)


@tagged("post_install", "-at_install")
class TestDisputeBadInput(BillingDisputeCommon):
    """Each bad input is refused with a clear message and writes nothing."""

    def assertRefused(self, exception, message, func, *args, **kwargs):
        before = self._count("billing.dispute"), self._count("billing.dispute.line")
        with self.assertRaisesRegex(exception, message):
            with self.env.cr.savepoint():
                func(*args, **kwargs)
        self.assertEqual((self._count("billing.dispute"), self._count("billing.dispute.line")), before)

    def test_second_open_case_names_the_first(self):
        invoice = self._invoice(1000.0)
        first = self._open_case(invoice, amount=100.0)
        self.assertRefused(ValidationError, first.name, self._open_case, invoice, amount=50.0)
        self.assertRefused(UserError, first.name, invoice.with_user(self.specialist).action_billing_open_dispute)

    def test_closed_case_allows_a_new_one(self):
        invoice = self._invoice(1000.0)
        self._open_case(invoice, amount=100.0).action_cancel()
        self.assertEqual(self._open_case(invoice, amount=100.0).state, "new")

    def test_draft_and_cancelled_invoices(self):
        draft = self._invoice(100.0, post=False)
        self.assertRefused(ValidationError, "not posted", self._open_case, draft, amount=10.0)
        self.assertRefused(UserError, "posted", draft.action_billing_open_dispute)
        cancelled = self._invoice(100.0, post=False)
        cancelled.button_cancel()
        self.assertRefused(ValidationError, "not posted", self._open_case, cancelled, amount=10.0)

    def test_vendor_bill_and_credit_note(self):
        bill = self._invoice(100.0, move_type="in_invoice")
        self.assertRefused(ValidationError, "not a customer invoice", self._open_case, bill, amount=10.0)
        self.assertRefused(UserError, "Only customer invoices", bill.action_billing_open_dispute)
        refund = self._invoice(100.0, move_type="out_refund")
        self.assertRefused(ValidationError, "not a customer invoice", self._open_case, refund, amount=10.0)

    def test_amount_zero_negative_or_above_open(self):
        invoice = self._invoice(1000.0)
        self.assertRefused(ValidationError, "greater than zero", self._open_case, invoice, amount=0.0)
        self.assertRefused(ValidationError, "greater than zero", self._open_case, invoice, amount=-5.0)
        self._pay(invoice, 600.0)
        self.assertRefused(
            ValidationError,
            r"400\.01 on .* is more than its open amount \$\s400\.00\.",
            self._open_case,
            invoice,
            amount=400.01,
        )
        self.assertEqual(self._open_case(invoice, amount=400.0).amount_disputed, 400.0)

    def test_raising_the_amount_later_is_checked_too(self):
        case = self._open_case(self._invoice(100.0), amount=40.0)
        with self.assertRaisesRegex(ValidationError, "more than its open amount"):
            with self.env.cr.savepoint():
                case.line_ids.amount_disputed = 150.0
        self.assertEqual(case.line_ids.amount_disputed, 40.0)

    def test_paid_invoice(self):
        invoice = self._invoice(100.0)
        self._pay(invoice, 100.0)
        self.assertRefused(UserError, "nothing left to pay", invoice.action_billing_open_dispute)

    def test_mixed_customers(self):
        mine, theirs = self._invoice(100.0), self._invoice(100.0, partner=self.other_customer)
        self.assertRefused(UserError, "several customers", (mine | theirs).action_billing_open_dispute)
        self.assertRefused(ValidationError, "was issued to Globex", self._open_case, mine | theirs, amount=10.0)
        case = self._open_case(mine)
        self.assertRefused(
            ValidationError,
            "was issued to",
            case.write,
            {"line_ids": [Command.create({"move_id": theirs.id, "amount_disputed": 10.0})]},
        )

    def test_mixed_currencies(self):
        other_currency = self.setup_other_currency("EUR")
        usd_invoice = self._invoice(100.0)
        eur_invoice = self._invoice(100.0, currency_id=other_currency.id)
        self.assertRefused(UserError, "several currencies", (usd_invoice | eur_invoice).action_billing_open_dispute)
        self.assertRefused(ValidationError, "one currency", self._open_case, usd_invoice | eur_invoice, amount=10.0)

    def test_mixed_companies(self):
        other = self.setup_other_company()["company"]
        self.env.user.company_ids |= other
        partner = self.customer
        foreign = self._invoice(
            100.0,
            partner=partner,
            company_id=other.id,
            journal_id=self.env["account.journal"]
            .search([("company_id", "=", other.id), ("type", "=", "sale")], limit=1)
            .id,
        )
        mine = self._invoice(100.0)
        self.assertRefused(UserError, "several companies", (mine | foreign).action_billing_open_dispute)
        self.specialist.company_ids |= other
        self.assertRefused((UserError, ValidationError), "compan", self._open_case, foreign, amount=10.0)

    def test_case_without_invoice(self):
        self.assertRefused(
            ValidationError,
            "at least one disputed invoice",
            self.env["billing.dispute"].with_user(self.specialist).create,
            {"partner_id": self.customer.id, "reason_id": self.reason_pricing.id},
        )


@tagged("post_install", "-at_install")
class TestCaseCompanyAndOneOpenCase(BillingDisputeCommon):
    """A case stays in its invoices' company, and unarchiving never makes two open cases on one invoice (attacks by a
    specialist)."""

    def test_case_company_follows_its_invoices(self):
        """A specialist of two companies moves a case (and its invoices' lines) to the other company."""
        other_company = self.setup_other_company()["company"]
        self.specialist.company_ids |= other_company
        case = self._open_case(self._invoice(100.0))
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                both = (self.company | other_company).ids
                case.with_user(self.specialist).with_context(allowed_company_ids=both).write(
                    {"company_id": other_company.id}
                )
        self.assertEqual(case.company_id, self.company)
        self.assertEqual(case.line_ids.company_id, self.company)

    def test_unarchiving_cannot_make_two_open_cases_on_one_invoice(self):
        invoice = self._invoice(100.0)
        first = self._open_case(invoice)
        first.with_user(self.specialist).active = False
        second = self._open_case(invoice)
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                first.with_user(self.specialist).active = True
        self.assertFalse(first.active)
        self.assertEqual(invoice._billing_open_dispute(), second)
