from datetime import datetime, timedelta

import lxml.html
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import html2plaintext

from .chunks_common import FollowupChunksCommon
from .common import JsonRpcCallMixin
from .followup_common import FollowupCommon

# What a preview could leave behind: the run and its lines, e-mails, chatter notes, calls, letters, accounts.
TRACES = (
    "billing.followup.run",
    "billing.followup.line",
    "billing.collection",
    "mail.mail",
    "mail.message",
    "mail.activity",
    "ir.attachment",
)


def text(html):
    return " ".join(html2plaintext(html or "").split())


@tagged("post_install", "-at_install")
class TestFollowupPreview(FollowupCommon):
    """The preview shows, per customer, the e-mail or letter that goes out; Send sends only what was previewed."""

    def _traces(self):
        return {model: self._count(model) for model in TRACES}

    def _wizard(self, line, level, user=None):
        Wizard = self.env["billing.followup.line.level"].with_user(user or self.specialist)
        return Wizard.with_context(default_line_id=line.id).create({"level_id": level.id})

    # ------------------------------------------------------------------ what the preview shows is what goes out

    def test_preview_shows_the_email_and_the_letter_that_go_out(self):
        invoice = self._overdue(35, 250.0)
        nomail = self._customer("No Mail", email=False)
        letter_invoice = self._overdue(10, 80.0, partner=nomail)
        run = self._preview()
        line = self._line(run, self.customer)
        self.assertEqual(line.level_id, self.firm)
        self.assertEqual(line.preview_emails, self.customer.email_formatted)
        self.assertIn(self.firm.name, line.preview_subject)
        self.assertIn(invoice.name, text(line.preview_body))
        self.assertIn("statement of account is attached", text(line.preview_body))
        self.assertFalse(line.preview_letter)
        letter = self._line(run, nomail)
        self.assertEqual((letter.channel, letter.preview_emails, letter.preview_subject), ("letter", False, False))
        self.assertIn("Dear No Mail", text(letter.preview_letter))
        self.assertIn(letter_invoice.name, text(letter.preview_letter))
        self.assertEqual(len(line.preview_hash), 64)

        run.action_send()
        self.assertEqual(line.outcome, "emailed")
        self.assertEqual(line.mail_id.subject, line.preview_subject)
        self.assertEqual(line.mail_id.body_html, line.preview_body, "the previewed body goes out as it is")
        self.assertEqual(line.mail_id.recipient_ids, self.customer)
        # The printed letter has the previewed text (the report calls the same template).
        self.assertEqual(letter.outcome, "letter")
        report = self.env["ir.actions.report"]._render_qweb_html(
            "billing_specialist.action_report_billing_followup_letter", letter.ids
        )[0]
        self.assertIn(text(letter.preview_letter), text(report.decode()))

    def test_a_customer_changed_since_the_preview_is_not_sent_and_says_what_changed(self):
        paid_part = self._overdue(10, 300.0)
        paid_all = self._overdue(10, 100.0, partner=self.other_customer)
        third = self._customer("Initech")
        self._overdue(10, partner=third)
        fourth = self._customer("Umbrella")
        self._overdue(10, partner=fourth)
        run = self._preview()
        self._pay(paid_part, 120.0)  # a payment arrived: the amount changed
        self._pay(paid_all, 100.0)  # paid in full: nothing to follow up any more
        third.email = "new-ap@initech.example.com"  # the recipients changed
        run.action_send()

        changed = self._line(run, self.customer)
        self.assertEqual(changed.outcome, "changed")
        self.assertIn("amount followed up", changed.result)
        self.assertIn("300.00", changed.result)
        self.assertIn("180.00", changed.result)
        self.assertFalse(self._mails(self.customer), "no stale letter goes out")
        self.assertFalse(paid_part.billing_followup_level_id, "nothing recorded as sent")
        settled = self._line(run, self.other_customer)
        self.assertEqual(settled.outcome, "changed")
        self.assertIn("nothing to follow up any more", settled.result)
        recipients = self._line(run, third)
        self.assertEqual(recipients.outcome, "changed")
        self.assertIn("new-ap@initech.example.com", recipients.result)
        self.assertFalse(self._mails(third))
        self.assertEqual(self._line(run, fourth).outcome, "emailed")
        self.assertEqual((run.state, run.changed_count, run.emailed_count), ("done", 3, 1))
        # The next run previews them again (as they are now).
        again = self._preview()
        self.assertEqual(again.line_ids.partner_id, self.customer | third)
        self.assertEqual(self._line(again, self.customer).amount_due, 180.0)

    def test_send_plans_again_only_the_customers_whose_inputs_changed(self):
        """The plan is computed once, at the preview: Send reads the ledger once and compares each customer's
        digest of its plan inputs; a payment, a dispute or a promise since changes it, nothing else does."""
        paid = self._overdue(10, 300.0)
        disputed = self._overdue(10, 200.0, partner=self.other_customer)
        third, fourth = self._customer("Initech"), self._customer("Umbrella")
        promised = self._overdue(10, 150.0, partner=third)
        self._overdue(10, partner=fourth)
        run = self._preview()
        previewed = {line.partner_id: line.plan_inputs for line in run.line_ids}
        self.assertEqual(len(previewed), 4)
        self.assertEqual(len(set(previewed.values())), 4, "one digest per customer")

        def digests_now():
            Ledger, Line = self.env["billing.followup.ledger"], self.env["billing.followup.line"]
            customers, levels = Ledger._read(self.company, run.date, run.line_ids.partner_id.ids)
            credits = Ledger._unapplied_credits(self.company, list(customers))
            return Line._plan_digests(customers, levels, credits, Line._contacts(customers))

        self.assertEqual(digests_now(), {p.id: digest for p, digest in previewed.items()}, "the same ledger")
        self._pay(paid, 120.0)
        self._open_case(disputed, amount=50.0)
        self.env["billing.promise"].create(
            {
                "partner_id": third.id,
                "move_ids": [Command.set(promised.ids)],
                "amount": 150.0,
                "date": self.today + timedelta(days=3),
                "tolerance_days": 0,
            }
        )
        now = digests_now()
        for partner in (self.customer, self.other_customer, third):
            self.assertNotEqual(now.get(partner.id), previewed[partner], partner.name)
        self.assertEqual(now[fourth.id], previewed[fourth], "nothing changed for Umbrella")
        run.action_send()
        for partner in (self.customer, self.other_customer, third):
            line = self._line(run, partner)
            self.assertEqual(line.outcome, "changed", partner.name)
            self.assertIn("Not sent, changed since the preview", line.result)
        kept = self._line(run, fourth)
        self.assertEqual(kept.outcome, "emailed")
        self.assertEqual(kept.plan_inputs, previewed[fourth])
        self.assertTrue(kept.collection_id, "its collection account is created at send, as a preview leaves none")
        self.assertEqual(kept.mail_id.body_html, kept.preview_body)

    def test_a_level_edited_since_the_preview_changes_the_text(self):
        self._overdue(10)
        run = self._preview()
        self.reminder.note = "Second thoughts: a firmer tone."
        run.action_send()
        line = self._line(run, self.customer)
        self.assertEqual(line.outcome, "changed")
        self.assertIn("the message's text", line.result)
        self.assertFalse(self._mails(self.customer))

    def test_the_emails_rendered_together_are_those_odoo_renders_one_by_one(self):
        # The preview compiles each template once for all its customers: the text must be Odoo's own render's.
        self._overdue(35, 250.0)
        self._overdue(10, 80.0, partner=self.other_customer)
        third = self._customer("Initech")
        self._overdue(70, partner=third)
        self.reminder.mail_template_id = self.env.ref("billing_specialist.mail_template_billing_followup").copy(
            {"subject": "Reminder {{ object.name }}", "body_html": "<p>Hello <t t-out='object.name'/></p>"}
        )  # a body without QWeb expression: Odoo renders it in its regex mode
        run = self._preview()
        lines = run.line_ids.filtered("send_email")
        self.assertEqual(len(lines), 3)
        default = self.env.ref("billing_specialist.mail_template_billing_followup")
        for line in lines:
            template = (line.level_id.mail_template_id or default).sudo()
            pid, context = line.partner_id.id, {"followup": line}
            subject = template._render_field("subject", [pid], compute_lang=True, add_context=context)[pid]
            body = template._render_field("body_html", [pid], compute_lang=True, add_context=context)[pid]
            self.assertEqual(line.preview_subject, subject)
            # stored sanitized as Odoo's outgoing e-mails are (the field's own sanitizing of Odoo's render)
            self.assertEqual(line.preview_body, line._fields["preview_body"].convert_to_cache(body, line))
        self.assertIn("Hello", self._line(run, self.other_customer).preview_body)
        self.assertIn("Our records show", self._line(run, self.customer).preview_body)

    def test_a_letter_whose_address_changed_since_the_preview_is_not_sent(self):
        # Letters are not rendered at the preview: what they are made of is hashed, the customer's address included.
        moved = self._customer("Moved Ltd", email=False)
        self._overdue(10, partner=moved)
        stays = self._customer("Stays Ltd", email=False)
        self._overdue(10, partner=stays)
        run = self._preview()
        line, kept = self._line(run, moved), self._line(run, stays)
        self.assertTrue(line.preview_letter_inputs)
        self.assertNotIn("Changed since the preview", text(line.preview_letter))
        moved.street = "1 New Road"
        self.env.invalidate_all()  # as the next request reads it (the address is computed into its display name)
        self.assertIn("1 New Road", text(line.preview_letter), "the opened letter is rendered as it is now")
        self.assertIn("Changed since the preview", text(line.preview_letter))
        run.action_send()
        self.assertEqual(line.outcome, "changed")
        self.assertIn("the message's text", line.result)
        self.assertEqual(kept.outcome, "letter")

    def test_a_preview_of_another_day_is_refused_and_vacuumed(self):
        self._overdue(10)
        old = self._preview()
        old.sudo().date = self.today - timedelta(days=2)  # past for every user (yesterday may be today at UTC-12)
        with self.assertRaisesRegex(UserError, "another day"):
            old.action_send()
        sent = self._send()
        kept = self._preview()
        self.Run._gc_previews()
        self.assertFalse(old.exists())
        self.assertEqual((sent | kept).exists(), sent | kept)

    # ------------------------------------------------------------------ exclude, choose the level

    def test_exclude_a_customer_and_choose_a_level_for_this_run(self):
        invoice = self._overdue(35)  # firm reminder reached
        self._overdue(10, partner=self.other_customer)
        run = self._preview()
        line, other = self._line(run, self.customer), self._line(run, self.other_customer)
        other.with_user(self.specialist).action_exclude()
        self.assertEqual((other.excluded, other.adjusted_by_id), (True, self.specialist))
        action = line.with_user(self.specialist).action_choose_level()
        self.assertEqual(action["res_model"], "billing.followup.line.level")
        self._wizard(line, self.reminder).action_apply()
        self.assertEqual((line.level_id, line.planned_level_id), (self.reminder, self.firm))
        self.assertIn(self.reminder.name, line.preview_subject)
        self.assertNotIn("statement of account is attached", text(line.preview_body))

        run.action_send()
        self.assertEqual(line.outcome, "emailed")
        self.assertEqual(line.mail_id.subject, line.preview_subject)
        self.assertFalse(line.attach_statement)
        self.assertEqual(invoice.billing_followup_level_id, self.reminder, "recorded at the level sent")
        self.assertEqual(line.collection_id.level_id, self.reminder)
        self.assertEqual((other.outcome, run.excluded_count), ("excluded", 1))
        self.assertFalse(self._mails(self.other_customer))
        self.assertFalse(other.collection_id.level_id)
        # Next time the customer is chased at the level its invoice reached; the excluded one comes back.
        again = self._preview()
        self.assertEqual(self._line(again, self.customer).level_id, self.firm)
        self.assertTrue(self._line(again, self.other_customer))

    def test_excluded_then_included_is_sent(self):
        self._overdue(10)
        run = self._preview()
        line = run.line_ids.with_user(self.specialist)
        line.action_exclude()
        line.action_include()
        run.action_send()
        self.assertEqual(line.outcome, "emailed")

    def test_who_may_change_what_on_the_preview(self):
        self._overdue(35)
        run = self._preview()
        line = run.line_ids
        # Harsher than the level reached: managers only.
        with self.assertRaisesRegex(AccessError, "billing managers"):
            self._wizard(line, self.final).action_apply()
        self.assertEqual(line.level_id, self.firm)
        self._wizard(line, self.final, user=self.manager).action_apply()
        self.assertEqual(line.level_id, self.final)
        # Without the billing group: neither exclude, nor choose, nor even open the dialog.
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                line.with_user(user).action_exclude()
            with self.assertRaises(AccessError):
                self._wizard(line, self.reminder, user=user)
        # Levels of another company, or archived ones, are refused.
        other = self.setup_other_company(name="Other Follow-up Co")["company"]
        self.env["billing.followup.level"]._seed_ladder(other)
        foreign_level = self.env["billing.followup.level"].search([("company_id", "=", other.id)], limit=1)
        with self.assertRaises(UserError):
            line.with_user(self.specialist)._set_preview_level(foreign_level)
        self.reminder.active = False
        with self.assertRaises(UserError):
            self._wizard(line, self.reminder).with_context(active_test=False).action_apply()
        self.reminder.active = True
        # The fields are read-only over RPC: written by the run only.
        for vals in (
            {"excluded": True},
            {"level_id": self.reminder.id},
            {"preview_hash": "0" * 64},
            {"preview_body": "<p>Pay now</p>"},
            {"outcome": "excluded"},
        ):
            with self.assertRaises(AccessError):
                line.with_user(self.specialist).write(vals)
        self.assertEqual((line.excluded, line.level_id), (False, self.final))
        # Another company's preview line, even named through the dialog's client-set context key.
        hidden_customer = self._customer("Hidden Customer")
        self.env["account.move"].with_company(other).create(
            {
                "move_type": "out_invoice",
                "partner_id": hidden_customer.id,
                "invoice_payment_term_id": False,
                "invoice_date": self.today - timedelta(days=40),
                "invoice_date_due": self.today - timedelta(days=10),
                "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
            }
        ).action_post()
        hidden = self.Run.sudo()._start(other).line_ids
        self.assertTrue(hidden)
        with self.assertRaises(AccessError):
            hidden.with_user(self.specialist).action_exclude()
        with self.assertRaises(AccessError):
            self._wizard(hidden, foreign_level)
        with self.assertRaises(AccessError):
            hidden.with_user(self.specialist)._set_preview_level(foreign_level)
        self.assertFalse(hidden.excluded)
        # Once sent, nothing changes any more.
        run.action_send()
        with self.assertRaises(UserError):
            line.with_user(self.specialist).action_exclude()

    # ------------------------------------------------------------------ Run Now leaves nothing behind unless sent

    def test_run_now_discarded_leaves_nothing_behind(self):
        self._overdue(10)
        self._overdue(95, partner=self._customer("To Collections", email=False))  # letter, call, escalation
        before = self._traces()
        action = self.env.ref("billing_specialist.billing_followup_run_now_action").with_user(self.specialist).run()
        run = self.Run.with_user(self.specialist).browse(action["res_id"])
        self.assertEqual(len(run.line_ids), 2)
        self.assertTrue(all(line.preview_hash for line in run.line_ids))
        letter = run.line_ids.filtered("send_letter")
        self.assertIn("Dear To Collections", text(letter.preview_letter))
        self._wizard(run.line_ids[0], self.reminder).action_apply()
        run.line_ids[1].action_exclude()
        with self.assertRaises(AccessError):
            run.with_user(self.internal_user).action_discard()
        result = run.action_discard()
        self.assertEqual(result["res_model"], "billing.followup.run")
        self.assertFalse(run.exists())
        self.assertEqual(self._traces(), before, "no run, line, e-mail, note, call, letter or account left")
        # A sent run is history: it cannot be discarded.
        sent = self._send()
        with self.assertRaises(UserError):
            sent.action_discard()

    def test_print_letters_renders_a_pdf_kept_on_each_line_and_leaves_out_the_excluded(self):
        """Print Letters of several letters: Odoo splits the PDF by the record the layout marks each letter with, so that mark must be the line (it was the customer:
        "does not contain the attributes 'data-oe-model' and 'data-oe-id'"); each letter is then kept on its line.
        An excluded customer's letter is neither printed nor counted."""
        customers = [self._customer(name, email=False) for name in ("Letter Ltd", "Second Ltd", "Left Out Ltd")]
        for customer in customers:
            self._overdue(10, partner=customer)
        run = self._preview()
        self._line(run, customers[2]).action_exclude()
        run.action_send()
        self.assertEqual(run.letter_count, 2, "the excluded customer's letter is not counted")
        lines = self._line(run, customers[0]) | self._line(run, customers[1])
        self.assertEqual(sorted(run.action_print_letters()["context"]["active_ids"]), sorted(lines.ids))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "billing_specialist.action_report_billing_followup_letter", lines.ids
        )[0]
        articles = lxml.html.fromstring(html).xpath("//div[contains(@class, 'article')]")
        self.assertEqual(
            sorted((node.get("data-oe-model"), int(node.get("data-oe-id"))) for node in articles),
            sorted((lines._name, line_id) for line_id in lines.ids),
            "each letter is marked with its line, which Odoo splits the PDF by and keeps each letter on",
        )

    def test_the_daily_run_leaves_a_customer_on_an_open_preview_to_it(self):
        """The daily run does not overtake a preview still open (walk): the preview's customers are left to its Send,
        so an excluded customer gets nothing and a chosen level goes out once; the others are chased as every day."""
        self._overdue(35, 250.0)
        preview = self.Run.with_user(self.specialist)._start(self.company)
        self._line(preview, self.customer).action_exclude()
        other = self._customer("Initech")
        self._overdue(35, 250.0, partner=other)  # overdue after the preview: on no preview
        daily = self.Run.sudo()._run_company(self.company)
        line = self._line(daily, self.customer)
        self.assertEqual(line.outcome, "excluded")
        self.assertIn(preview.name, line.result)
        self.assertFalse(self._mails(self.customer), "excluded on the preview: nothing sent by the daily run")
        self.assertEqual(self._line(daily, other).outcome, "emailed", "a customer on no preview is chased")
        preview.action_send()
        self.assertEqual(self._line(preview, self.customer).outcome, "excluded")
        self.assertFalse(self._mails(self.customer))

    def test_a_contact_who_moved_to_another_customer_is_not_sent_the_first_ones_invoices(self):
        """Issue 21, class 10: the invoice's contact has since moved to another customer: the follow-up goes to the
        customer's own address instead (never the first customer's invoices and amounts to another customer's
        person), and its line says why."""
        bob = self.env["res.partner"].create(
            {"name": "Bob Buyer", "parent_id": self.customer.id, "email": "bob@acme.example.com"}
        )
        self._overdue(35, 250.0, partner=bob)
        bob.parent_id = self.other_customer  # Bob now works for Globex
        run = self._preview()
        line = self._line(run, self.customer)
        self.assertEqual(line.recipient_ids, self.customer)
        self.assertNotIn("bob@", line.preview_emails)
        self.assertIn("not Bob Buyer, no longer a contact of this customer", line.contact_note)
        run.action_send()
        self.assertEqual(line.outcome, "emailed")
        self.assertEqual(line.mail_id.recipient_ids, self.customer)


@tagged("post_install", "-at_install")
class TestFollowupPreviewChunks(FollowupChunksCommon):
    """A previewed run above the chunk size: each chunk sends its customers only as previewed."""

    def test_chunks_send_only_as_previewed(self):
        umbrella = self.env["res.partner"].create({"name": "Umbrella", "is_company": True, "email": "ap@umbrella.test"})
        due = self.today - timedelta(days=10)
        self._invoice(
            100.0,
            partner=umbrella,
            invoice_date=due - timedelta(days=30),
            invoice_date_due=due,
            invoice_payment_term_id=False,
        )
        run = self.env["billing.followup.run"].with_user(self.specialist)._start(self.company)
        acme, globex, initech = (run.line_ids.filtered(lambda ln, p=p: ln.partner_id == p) for p in self.customers)
        self.assertEqual(len(run.line_ids), 4)
        globex.action_exclude()
        run.action_send()
        self.assertEqual(run.state, "running")
        self.assertEqual(globex.outcome, "excluded")
        # Between the planning and the chunks, Initech's payables address changes.
        self.third_customer.email = "payables@initech.example.com"
        self._drain()
        self.assertEqual(run.state, "done")
        self.assertEqual(acme.outcome, "emailed")
        self.assertEqual(acme.mail_id.subject, acme.preview_subject)
        self.assertEqual(initech.outcome, "changed")
        self.assertIn("payables@initech.example.com", initech.result)
        self.assertFalse(self._mails(self.third_customer) | self._mails(self.other_customer))
        self.assertEqual(sorted(run.chunk_ids.mapped("source_count")), [1, 2], "the excluded customer in no chunk")
        self.assertEqual(run.line_ids.filtered(lambda ln: ln.partner_id == umbrella).outcome, "emailed")


EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@tagged("post_install", "-at_install")
class TestFollowupPreviewAgainstAttacks(FollowupCommon):
    """The preview's lines and the level dialog, attacked through the ORM as a client would call it: markup in what the
    customer controls, another company's line, a level archived or an address changed before Send, client context
    keys and timezones, yesterday's preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company(name="Attack 9 Other Co")["company"]
        cls.env["billing.followup.level"]._seed_ladder(cls.other)
        cls.foreign_level = cls.env["billing.followup.level"].search([("company_id", "=", cls.other.id)], limit=1)

    def _hidden_line(self):
        """A preview line of the other company, where the specialist has no rights."""
        hidden_customer = self._customer("Hidden Customer")
        self.env["account.move"].with_company(self.other).create(
            {
                "move_type": "out_invoice",
                "partner_id": hidden_customer.id,
                "invoice_payment_term_id": False,
                "invoice_date": self.today - timedelta(days=40),
                "invoice_date_due": self.today - timedelta(days=10),
                "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
            }
        ).action_post()
        hidden = self.Run.sudo()._start(self.other).line_ids
        self.assertEqual(len(hidden), 1)
        return hidden

    def test_markup_in_a_customer_name_and_address_is_escaped_in_the_preview(self):
        """The preview body is stored unsanitized and shown by the HTML field: what the customer controls (its name,
        its address) must arrive escaped, in the e-mail and in the letter."""
        mailed = self._customer("Evil Mail")
        mailed.write({"name": f"Evil {EVIL}", "street": EVIL})
        lettered = self._customer("Evil Letter", email=False)
        lettered.write({"name": f"Letter {EVIL}", "street": EVIL, "city": EVIL})
        self._overdue(10, partner=mailed)
        self._overdue(10, partner=lettered)
        run = self._preview()
        email_line, letter_line = self._line(run, mailed), self._line(run, lettered)
        self.assertTrue(email_line.send_email and letter_line.send_letter)
        stored = {
            "body": email_line.preview_body,
            "letter": letter_line.preview_letter,
        }
        for what, html in stored.items():
            self.assertTrue(html, what)
            self.assertNotIn("<img src=x", html, what)
            self.assertNotIn("<script>", html, what)
            self.assertIn("&lt;img", html, what)
        # As the web client reads them (the HTML field shows the value as markup).
        read = email_line.with_user(self.specialist).web_read({"preview_body": {}, "preview_subject": {}})[0]
        self.assertNotIn("<img src=x", read["preview_body"])
        self.assertIn("Evil", read["preview_subject"])  # a plain-text field: shown as text
        # Send queues exactly that escaped body.
        run.with_user(self.specialist).action_send()
        mail = self._mails(mailed)
        self.assertEqual(len(mail), 1)
        self.assertNotIn("<img src=x", mail.body_html)
        self.assertEqual(email_line.outcome, "emailed")

    def test_the_level_dialog_retargeted_to_another_company_s_line_is_refused(self):
        own = (self._overdue(35), self._preview())[1].line_ids
        hidden = self._hidden_line()
        Wizard = self.env["billing.followup.line.level"].with_user(self.specialist)
        wizard = Wizard.with_context(default_line_id=own.id).create({"level_id": self.reminder.id})
        # The dialog's line is read-only in the view only: written over RPC to point at another company's line.
        wizard.write({"line_id": hidden.id, "level_id": self.foreign_level.id})
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual((hidden.level_id, hidden.adjusted_by_id), (hidden.planned_level_id, self.env["res.users"]))
        self.assertEqual(own.level_id, self.firm)

    def test_the_level_dialog_opened_on_another_company_s_line_shows_nothing_of_it(self):
        """The dialog's form asks the server for its defaults with the client's context: a default_line_id of
        another company's line must not read that line's customer or level (related fields read as superuser)."""
        hidden = self._hidden_line()
        Wizard = self.env["billing.followup.line.level"].with_user(self.specialist)
        spec = {
            "line_id": {"fields": {"display_name": {}}},
            "planned_level_id": {"fields": {"display_name": {}}},
            "company_id": {"fields": {"display_name": {}}},
            "level_id": {"fields": {"display_name": {}}},
        }
        with self.assertRaises(AccessError):
            Wizard.with_context(default_line_id=hidden.id).onchange({}, [], spec)
        with self.assertRaises(AccessError):
            Wizard.with_context(default_line_id=hidden.id).default_get(["line_id"])
        # The line sent as a value of the form, first call or a change of the field.
        with self.assertRaises(AccessError):
            Wizard.onchange({"line_id": hidden.id}, [], spec)
        with self.assertRaises(AccessError):
            Wizard.onchange({"line_id": hidden.id}, ["line_id"], spec)
        # The specialist's own line still opens, its fields filled in.
        own = (self._overdue(35), self._preview())[1].line_ids
        action = own.with_user(self.specialist).action_choose_level()
        result = Wizard.with_context(**action["context"]).onchange({}, [], spec)
        self.assertEqual(result["value"]["line_id"]["id"], own.id)
        self.assertEqual(result["value"]["planned_level_id"]["id"], self.firm.id)
        # A preview already sent cannot be adjusted: its dialog does not open either.
        own.run_id.with_user(self.specialist).action_send()
        with self.assertRaises(UserError):
            Wizard.with_context(**action["context"]).onchange({}, [], spec)

    def test_a_chosen_level_archived_before_send_is_not_sent(self):
        self._overdue(35)
        run = self._preview()
        line = run.line_ids
        wizard = (
            self.env["billing.followup.line.level"]
            .with_user(self.specialist)
            .with_context(default_line_id=line.id)
            .create({"level_id": self.reminder.id})
        )
        wizard.action_apply()
        self.reminder.active = False
        run.with_user(self.specialist).action_send()
        self.assertEqual(line.outcome, "changed")
        self.assertFalse(self._mails(self.customer))
        self.assertFalse(line.move_ids.billing_followup_level_id)

    def test_a_template_editor_cannot_plant_script_in_the_stored_preview(self):
        """Any mail template editor (every internal user once Restrict Template Rendering is off) may edit the
        follow-up template: QWeb attributes pass Odoo's sanitizing at save and render as live HTML. The stored
        preview is opened by every billing specialist: it must not carry script, and neither does what is sent."""
        template = self.env.ref("billing_specialist.mail_template_billing_followup")
        editor = new_test_user(
            self.env,
            login="bs_attack9_editor",
            groups="base.group_user,mail.group_mail_template_editor",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        template.with_user(editor).write(
            {
                "body_html": '<p>Please pay <img src="x" t-att-onerror="\'alert(1)\'"/>'
                "<a t-att-href=\"'javascript:alert(2)'\">here</a></p>"
            }
        )
        self._overdue(10)
        run = self._preview()
        line = run.line_ids
        self.assertIn("Please pay", line.preview_body)
        self.assertNotIn("onerror", line.preview_body)
        self.assertNotIn("javascript:", line.preview_body)
        run.with_user(self.specialist).action_send()
        self.assertEqual(line.outcome, "emailed")
        mail = self._mails(self.customer)
        self.assertIn("Please pay", mail.body_html)
        self.assertNotIn("onerror", mail.body_html)

    def test_the_daily_clean_up_keeps_a_preview_still_today_west_of_utc(self):
        """05:00 UTC on the 11th is 18:00 on the 10th in Pago Pago: a specialist there previews the 10th and may send
        it (Send takes his today). The clean-up (its today UTC's) must not delete it under him; a preview of the 9th
        is past everywhere."""
        with freeze_time(datetime(2026, 3, 11, 5, 0)):
            self.specialist.tz = "Pacific/Pago_Pago"
            due = fields.Date.to_date("2026-03-01")
            self._invoice(
                100.0,
                partner=self.customer,
                invoice_date=due - timedelta(days=30),
                invoice_date_due=due,
                invoice_payment_term_id=False,
            )
            run = self.Run.with_user(self.specialist)._start(self.company)
            self.assertEqual(run.date, fields.Date.to_date("2026-03-10"))
            past = self.Run.sudo()._create_run(self.company, "manual", fields.Date.to_date("2026-03-09"))
            self.Run._gc_previews()
            self.assertFalse(past.exists())
            self.assertTrue(run.exists(), "still today for its specialist")
            run.action_send()
            self.assertEqual((run.state, run.line_ids.outcome), ("done", "emailed"))

    def test_an_email_changed_to_another_customer_s_address_is_not_sent(self):
        self._overdue(10)
        self._overdue(10, partner=self.other_customer)
        run = self._preview()
        acme = self._line(run, self.customer)
        self.assertEqual(acme.preview_emails, self.customer.email_formatted)
        # After the preview, Acme's address becomes Globex's: its letter must not go to Globex.
        self.customer.email = self.other_customer.email
        run.with_user(self.specialist).action_send()
        self.assertEqual(acme.outcome, "changed")
        self.assertIn("recipients", acme.result)
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(self._line(run, self.other_customer).outcome, "emailed")
        self.assertEqual(len(self._mails(self.other_customer)), 1)

    def test_client_context_keys_reach_no_other_company(self):
        hidden = self._hidden_line()
        run = hidden.run_id
        for user in (self.specialist, self.internal_user, self.portal_user):
            for action in ("action_send", "action_discard", "action_cancel"):
                with self.assertRaises(AccessError, msg=f"{user.login} {action}"):
                    getattr(run.with_user(user).with_context(allowed_company_ids=[self.other.id]), action)()
            with self.assertRaises(AccessError, msg=user.login):
                hidden.with_user(user).with_context(allowed_company_ids=[self.other.id]).read(["preview_body"])
        # Run Now with the other company as the client's current company: refused, nothing created.
        before = self.Run.sudo().search_count([])
        with self.assertRaises(AccessError):
            self.Run.with_user(self.specialist).with_context(allowed_company_ids=[self.other.id]).action_run_now()
        self.assertEqual(self.Run.sudo().search_count([]), before)
        self.assertEqual((run.state, hidden.outcome), ("preview", "planned"))

    def test_a_preview_of_yesterday_is_not_sent_even_by_a_manager(self):
        self._overdue(10)
        run = self._preview()
        run.sudo().date = self.today - timedelta(days=1)
        with self.assertRaises(UserError):
            run.with_user(self.manager).action_send()
        self.assertFalse(self._mails(self.customer))
        self.assertEqual(run.line_ids.outcome, "planned")
        # A client-set timezone far ahead of UTC does not make yesterday's preview today's.
        with self.assertRaises(UserError):
            run.with_user(self.manager).with_context(tz="Pacific/Kiritimati").action_send()
        self.assertFalse(self._mails(self.customer))


@tagged("post_install", "-at_install")
class TestFollowupPreviewOverJsonRpc(JsonRpcCallMixin, FollowupCommon, HttpCase):
    """The preview attacked as a client sends it: JSON-RPC calls in the attacker's own session."""

    def test_the_preview_over_json_rpc(self):
        self._overdue(35)
        own = self._preview().line_ids
        other = self.setup_other_company(name="Attack 9 RPC Co")["company"]
        self.env["billing.followup.level"]._seed_ladder(other)
        self.env["account.move"].with_company(other).create(
            {
                "move_type": "out_invoice",
                "partner_id": self._customer("Hidden RPC Customer").id,
                "invoice_payment_term_id": False,
                "invoice_date": self.today - timedelta(days=40),
                "invoice_date_due": self.today - timedelta(days=10),
                "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
            }
        ).action_post()
        hidden = self.Run.sudo()._start(other).line_ids
        spec = {"line_id": {"fields": {"display_name": {}}}, "planned_level_id": {"fields": {"display_name": {}}}}
        self.authenticate(self.specialist.login, self.specialist.login)
        # The dialog opened with another company's line as its default: refused, nothing of it shown.
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call(
                "billing.followup.line.level",
                "onchange",
                [[], {}, [], spec],
                {"context": {"default_line_id": hidden.id}},
            )
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call(
                "billing.followup.line.level",
                "web_save",
                [[], {"line_id": hidden.id, "level_id": hidden.planned_level_id.id}],
                {"specification": spec},
            )
        # The own line's dialog opens; the stored preview and status are not writable.
        result = self._call(
            "billing.followup.line.level", "onchange", [[], {}, [], spec], {"context": {"default_line_id": own.id}}
        )
        self.assertEqual(result["value"]["line_id"]["id"], own.id)
        for vals in (
            {"preview_body": "<img src=x onerror=alert(1)>"},
            {"preview_hash": "0" * 64},
            {"outcome": "excluded"},
        ):
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._call("billing.followup.line", "write", [own.ids, vals])
        # A portal customer reads no preview line, not even the own one's e-mail.
        self.authenticate(self.portal_user.login, self.portal_user.login)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.followup.line", "web_read", [own.ids], {"specification": {"preview_body": {}}})
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.followup.line", "action_exclude", [own.ids])
        self.assertFalse(own.excluded)
        self.assertTrue(own.preview_hash and own.preview_hash != "0" * 64)
