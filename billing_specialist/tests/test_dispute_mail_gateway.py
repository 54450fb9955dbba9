from email.message import EmailMessage
from email.utils import make_msgid

from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeMailGateway(BillingDisputeCommon, MockEmail):
    """Customers who write instead of clicking: an e-mail to the company's billing alias opens a case."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "billing-test.example.com"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company.email = "accounts@company.example.com"
        cls.company._billing_ensure_dispute_alias()
        cls.alias = cls.company.billing_dispute_alias_id
        cls.alias.alias_domain_id = cls.alias_domain
        cls.company.billing_dispute_default_user_id = cls.specialist
        cls.reason_damaged = cls.env.ref("billing_specialist.reason_damaged")
        cls.reason_damaged.keywords = "damaged, broken"
        cls.inv_a = cls._invoice(1000.0)
        cls.inv_b = cls._invoice(250.0)
        cls.inv_other = cls._invoice(700.0, partner=cls.other_customer)

    def _receive(self, subject, body, sender=None, attachment=None, reply_to_msg=None, to=None):
        """Feed a raw e-mail to the mail gateway, as fetchmail does (administrative rights); the case it opened."""
        msg = EmailMessage()
        msg["From"] = sender or f"Alice Payables <{self.customer_contact.email}>"
        msg["To"] = to or self.alias.alias_full_name
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="acme.example.com")
        if reply_to_msg:
            msg["In-Reply-To"] = reply_to_msg
            msg["References"] = reply_to_msg
        msg.set_content(body)
        if attachment:
            msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="photo-of-damage.pdf")
        before = self.env["billing.dispute"].search([]).ids
        self.env["mail.thread"].sudo().message_process(None, msg.as_string())
        return self.env["billing.dispute"].search([("id", "not in", before)])

    def _gateway_note(self, case):
        """The gateway's note for the specialist: internal, by OdooBot."""
        note = case.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("mail.mt_note") and m.author_id == self.env.ref("base.partner_root")
        )
        self.assertEqual(len(note), 1)
        self.assertTrue(note.subtype_id.internal)
        return note

    def test_customer_email_opens_case_with_invoices_reason_evidence_and_assignee(self):
        # Two numbers written as customers do: other separators, lower case, without the leading zeros.
        written_a = self.inv_a.name.replace("/", " ")
        year, seq = self.inv_b.name.split("/")[-2:]
        written_b = f"{self.inv_b.name.split('/')[0].lower()}-{year}-{int(seq)}"
        case = self._receive(
            f"Problem with {written_a}",
            f"Hello,\nthe goods of {written_a} and {written_b} arrived damaged and broken.\nAlice",
            attachment=b"%PDF-1.4 evidence",
        )
        self.assertEqual(len(case), 1)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.contact_id, self.customer_contact)
        self.assertEqual(case.company_id, self.company)
        self.assertEqual(case.channel, "email")
        self.assertEqual(case.state, "new")
        self.assertEqual(case.reason_id, self.reason_damaged)
        self.assertEqual(case.line_ids.move_id, self.inv_a | self.inv_b)
        self.assertEqual(case.amount_disputed, 1250.0)
        self.assertEqual(case.user_id, self.specialist)
        self.assertTrue(case.activity_ids.filtered(lambda a: a.user_id == self.specialist))
        # The e-mail is in the chatter, by the customer, with its attachment kept on the case.
        incoming = case.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(incoming), 1)
        attachment = incoming.attachment_ids
        self.assertEqual(attachment.mapped("name"), ["photo-of-damage.pdf"])
        self.assertEqual((attachment.res_model, attachment.res_id), ("billing.dispute", case.id))
        self.assertIn(self.customer_contact, case.message_partner_ids)

    def test_reply_to_case_lands_in_its_chatter(self):
        case = self._receive(f"Dispute {self.inv_a.name}", f"{self.inv_a.name} is damaged.")
        first = case.message_ids.filtered(lambda m: m.message_type == "email")
        reply = self._receive(
            f"Re: Dispute {self.inv_a.name}",
            "Here is the delivery note you asked for.",
            reply_to_msg=first.message_id,
        )
        self.assertFalse(reply, "a reply opens no new case")
        emails = case.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(emails.author_id, self.customer_contact)
        bodies = emails.mapped("body")
        self.assertEqual(len(bodies), 2)
        self.assertTrue(any("delivery note you asked for" in body for body in bodies))

    def test_unknown_sender_gets_polite_refusal_and_no_case(self):
        with self.mock_mail_gateway():
            case = self._receive(
                f"About {self.inv_a.name}", f"{self.inv_a.name} is wrong.", sender="Eve <eve@stranger.example.com>"
            )
        self.assertFalse(case)
        refusal = self._new_mails.filtered(lambda m: "eve@stranger.example.com" in (m.email_to or ""))
        self.assertEqual(len(refusal), 1)
        self.assertIn("could not find a customer account", refusal.body_html)
        self.assertNotEqual(self.alias.alias_status, "invalid", "a refused sender is no configuration error")

    def test_customer_of_another_company_is_refused(self):
        other = self.setup_other_company(name="Other Co")["company"]
        stranger = self.env["res.partner"].create({"name": "Wayne Corp", "email": "wayne@wayne.example.com"})
        invoice = self.init_invoice("out_invoice", partner=stranger, amounts=[300.0], post=True, company=other)
        self.assertEqual(invoice.company_id, other)
        with self.mock_mail_gateway():
            case = self._receive(f"About {invoice.name}", f"{invoice.name} is wrong.", sender=stranger.email)
        self.assertFalse(case)
        self.assertTrue(self._new_mails.filtered(lambda m: stranger.email in (m.email_to or "")))

    def test_other_customers_invoice_numbers_are_not_attached(self):
        case = self._receive(
            "Wrong invoices",
            f"We dispute {self.inv_a.name} and also {self.inv_other.name} (damaged).",
        )
        self.assertEqual(case.line_ids.move_id, self.inv_a)
        self.assertNotIn(self.inv_other, case.invoice_ids)
        note = self._gateway_note(case)
        self.assertIn(self.inv_other.name, note.body)
        self.assertIn("not found among the invoices of Acme Retail", note.body)
        self.assertNotIn("Globex", note.body, "the note does not tell whose invoice it is")

    def test_unknown_numbers_leave_case_open_with_note(self):
        case = self._receive("Invoice INV/1999/99999", "Please check INV/1999/99999, the price is wrong.")
        self.assertEqual(len(case), 1)
        self.assertFalse(case.line_ids)
        self.assertEqual(case.state, "new")
        self.assertEqual(case.user_id, self.specialist)
        note = self._gateway_note(case)
        self.assertIn("INV/1999/99999: not found", note.body)
        self.assertIn("add the disputed invoices", note.body)
        # The specialist adds the invoice; the case then works as any other.
        case.with_user(self.specialist).write({"line_ids": [(0, 0, {"move_id": self.inv_b.id, "amount_disputed": 50})]})
        self.assertEqual(case.amount_disputed, 50.0)

    def test_paid_or_disputed_invoice_is_noted_not_attached(self):
        self._open_case(self.inv_b)
        case = self._receive("Dispute", f"{self.inv_a.name} and {self.inv_b.name} are damaged.")
        self.assertEqual(case.line_ids.move_id, self.inv_a)
        self.assertIn("already disputed", self._gateway_note(case).body)

    def test_alias_defaults_cannot_set_protected_fields(self):
        cancelled = self.env["billing.dispute.stage"].search([("state", "=", "cancelled")], limit=1)
        self.alias.alias_defaults = repr(
            {
                "company_id": self.company.id,
                "stage_id": cancelled.id,
                "state": "resolved",
                "amount_disputed": 1.0,
                "amount_remaining": 0.0,
                "channel": "portal",
                "user_id": self.manager.id,
                "name": "FORGED",
            }
        )
        case = self._receive(f"Dispute {self.inv_a.name}", f"{self.inv_a.name}: damaged. X-State: resolved")
        self.assertEqual(case.state, "new")
        self.assertEqual(case.channel, "email")
        self.assertEqual(case.amount_disputed, 1000.0)
        self.assertEqual(case.amount_remaining, 1000.0)
        self.assertEqual(case.user_id, self.specialist)
        self.assertNotEqual(case.name, "FORGED")

    def test_reason_keywords(self):
        Reason = self.env["billing.dispute.reason"]
        self.reason_quantity.keywords = "missing items, short shipment"
        self.assertEqual(Reason._billing_from_text("Two MISSING ITEMS in the box"), self.reason_quantity)
        self.assertEqual(Reason._billing_from_text("it was brokenly packed"), Reason.browse())
        case = self._receive(f"Dispute {self.inv_a.name}", "Nothing about the cause.")
        self.assertEqual(case.reason_id, self.env.ref("billing_specialist.reason_other"))

    def test_alias_per_company_and_renamed_in_settings(self):
        other = self.setup_other_company(name="Other Co")["company"]
        self.assertTrue(other.billing_dispute_alias_id, "a new company gets its billing alias")
        self.assertNotEqual(other.billing_dispute_alias_id, self.alias)
        self.assertEqual(other.billing_dispute_alias_id.alias_model_id.model, "billing.dispute")
        self.assertIn(f"'company_id': {other.id}", other.billing_dispute_alias_id.alias_defaults)
        settings = self.env["res.config.settings"].create({"billing_dispute_alias_name": "disputes"})
        settings.execute()
        self.assertEqual(self.alias.alias_name, "disputes")
        case = self._receive(f"Dispute {self.inv_a.name}", "damaged", to=f"disputes@{self.alias_domain.name}")
        self.assertEqual(case.line_ids.move_id, self.inv_a)
