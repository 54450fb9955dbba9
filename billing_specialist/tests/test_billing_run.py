from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestBillingRun(BillingDisputeCommon):
    """Billing runs: each invoice's outcome, counts, reruns, failure isolation, bad input and access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Globex gets letters: neither the customer nor its contact has an e-mail address.
        cls.other_customer.write({"street": "1 Main Street", "city": "Springfield", "zip": "12345"})
        # Acme's accounts payable contact has no address, the company has: the e-mail goes to the company.
        cls.customer.email = "ap@acme.example.com"
        cls.contact_without_email = cls.env["res.partner"].create({"name": "Bob Buyer", "parent_id": cls.customer.id})

    def _draft(self, amount=100.0, partner=None, **vals):
        return self._invoice(amount, partner=partner, post=False, **vals)

    def _run(self, moves, user=None, **vals):
        env = self.env(user=user or self.specialist)
        return env["billing.invoice.run"]._create_for_invoices(moves.with_env(env), **vals)

    def _emails(self, move):
        return self.env["mail.message"].search(
            [
                ("model", "=", "account.move"),
                ("res_id", "=", move.id),
                ("message_type", "=", "comment"),
                ("partner_ids", "!=", False),
            ]
        )

    def _outcomes(self, run):
        return {line.move_id: line.outcome for line in run.line_ids}

    def test_each_invoice_outcome_and_counts(self):
        """Sent (with its mail), printed (letter), failed (error, still draft), skipped (posted meanwhile)."""
        by_mail = self._draft(100.0)
        to_company = self._draft(110.0, partner=self.contact_without_email)
        letter = self._draft(120.0, partner=self.other_customer)
        broken = self._draft(130.0)
        broken.invoice_line_ids = [Command.clear()]  # cannot be posted: no line
        posted_meanwhile = self._draft(140.0)
        run = self._run(by_mail | to_company | letter | broken | posted_meanwhile)
        posted_meanwhile.action_post()

        run.action_run()

        self.assertEqual(run.state, "done")
        self.assertEqual(
            self._outcomes(run),
            {
                by_mail: "posted_sent",
                to_company: "posted_sent",
                letter: "posted_printed",
                broken: "failed",
                posted_meanwhile: "skipped",
            },
        )
        self.assertEqual(
            run.invoice_count,
            run.sent_count + run.printed_count + run.blocked_count + run.failed_count + run.skipped_count,
        )
        self.assertEqual((run.invoice_count, run.pending_count), (5, 0))
        # Sent: posted, its e-mail recorded on the line and queued in the mail queue.
        line = run.line_ids.filtered(lambda rec: rec.move_id == by_mail)
        self.assertEqual(by_mail.state, "posted")
        self.assertTrue(by_mail.is_move_sent)
        self.assertEqual(line.mail_message_id, self._emails(by_mail))
        self.assertEqual(line.mail_message_id.partner_ids, self.customer_contact)
        self.assertTrue(self.env["mail.mail"].sudo().search([("mail_message_id", "=", line.mail_message_id.id)]))
        # The contact has no address: the customer's is used.
        self.assertEqual(self._emails(to_company).partner_ids, self.customer)
        # Letter: posted, printed, not e-mailed; the run holds the batch to print.
        self.assertEqual(letter.state, "posted")
        self.assertTrue(letter.is_move_sent)
        self.assertTrue(letter.invoice_pdf_report_id)
        self.assertFalse(self._emails(letter))
        self.assertTrue(run.print_attachment_id)
        self.assertEqual(run.print_attachment_id.res_model, "billing.invoice.run")
        # Failed: the error, the invoice left in draft, the others posted anyway.
        broken_line = run.line_ids.filtered(lambda rec: rec.move_id == broken)
        self.assertEqual(broken.state, "draft")
        self.assertIn("line", broken_line.message)
        self.assertFalse(broken.is_move_sent)
        # Skipped: posted by someone else, not sent by the run.
        self.assertFalse(self._emails(posted_meanwhile))
        # The owner gets the summary by e-mail.
        summary = run.message_ids.filtered(lambda msg: self.specialist.partner_id in msg.partner_ids)
        self.assertEqual(len(summary), 1)
        self.assertIn("Posted and sent: 2", summary.body)
        self.assertEqual(summary.notification_ids.res_partner_id, self.specialist.partner_id)
        self.assertEqual(summary.notification_ids.notification_type, "email")  # the owner's preference: e-mail

    def test_no_invoice_marked_sent_without_mail_or_print(self):
        """Odoo marks an invoice sent when its PDF exists even if no e-mail left (odoo/odoo#289484): not here."""
        invoices = self._draft(100.0) | self._draft(200.0, partner=self.other_customer)
        run = self._run(invoices)
        run.action_run()
        for line in run.line_ids:
            self.assertTrue(line.move_id.is_move_sent)
            self.assertTrue(line.mail_message_id or line.move_id.invoice_pdf_report_id)
            if line.outcome == "posted_sent":
                self.assertTrue(line.mail_message_id)
            else:
                self.assertEqual(line.outcome, "posted_printed")
                self.assertFalse(self._emails(line.move_id))

    def test_rerun_never_posts_or_sends_twice(self):
        sent = self._draft(100.0)
        broken = self._draft(130.0)
        broken.invoice_line_ids = [Command.clear()]
        run = self._run(sent | broken)
        run.action_run()
        self.assertEqual(self._outcomes(run), {sent: "posted_sent", broken: "failed"})
        posted_name = sent.name

        # The broken invoice fixed, the run again: only it is posted and sent; the other is not touched.
        broken.invoice_line_ids = [
            Command.create({"product_id": self.product_a.id, "price_unit": 130.0, "tax_ids": [Command.clear()]})
        ]
        run.with_user(self.specialist).action_run()
        self.assertEqual(self._outcomes(run), {sent: "posted_sent", broken: "posted_sent"})
        self.assertEqual((len(self._emails(sent)), len(self._emails(broken))), (1, 1))
        self.assertEqual(sent.name, posted_name)
        # Nothing left: a third run is refused; a new run over the same invoices skips them (posted already).
        with self.assertRaisesRegex(UserError, "nothing left"):
            run.with_user(self.specialist).action_run()
        with self.assertRaisesRegex(UserError, "draft customer invoices only"):
            self._run(sent)

    def test_one_failing_invoice_does_not_roll_back_the_others(self):
        good = self._draft(100.0) | self._draft(200.0)
        bad = self._draft(300.0)
        bad.invoice_line_ids = [Command.clear()]
        run = self._run(good[:1] | bad | good[1:])
        run.action_run()
        self.assertEqual(good.mapped("state"), ["posted", "posted"])
        self.assertEqual(bad.state, "draft")
        self.assertEqual((run.sent_count, run.failed_count), (2, 1))

    def test_selection_by_criteria_and_due_today(self):
        """Select Invoices previews the drafts the criteria select: own company, draft, customer invoices only."""
        mine = self._draft(100.0, partner=self.other_customer)
        later = self._draft(
            100.0, partner=self.other_customer, invoice_date=self.today.replace(year=self.today.year + 1)
        )
        self._draft(100.0)  # another customer
        self._invoice(100.0, partner=self.other_customer)  # posted already
        self._draft(100.0, partner=self.other_customer, move_type="in_invoice")  # a vendor bill
        run = (
            self.env["billing.invoice.run"]
            .with_user(self.specialist)
            .create({"partner_ids": [Command.set(self.other_customer.ids)], "due_today": True})
        )
        run.action_select_invoices()
        self.assertEqual(run.line_ids.move_id, mine)
        self.assertEqual((run.state, mine.state), ("draft", "draft"))  # a preview: nothing posted
        run.due_today = False
        run.action_select_invoices()
        self.assertEqual(run.line_ids.move_id, mine | later)
        with self.assertRaisesRegex(UserError, "Choose what to select"):
            self.env["billing.invoice.run"].with_user(self.specialist).create({}).action_select_invoices()

    def test_large_run_goes_to_the_scheduled_action(self):
        invoices = self._draft(100.0) | self._draft(200.0) | self._draft(300.0, partner=self.other_customer)
        run = self._run(invoices)
        with patch.object(type(run), "_FOREGROUND_LIMIT", 2):
            run.action_run()
        self.assertEqual(run.state, "running")
        self.assertEqual(set(invoices.mapped("state")), {"draft"})
        self.assertEqual(run.pending_count, 3)
        self.env["billing.invoice.run"]._cron_process()
        self.assertEqual((run.state, run.sent_count, run.printed_count), ("done", 2, 1))
        self.assertEqual(set(invoices.mapped("state")), {"posted"})

    def test_bounce_comes_back_on_the_run_and_the_invoice(self):
        invoice = self._draft(100.0)
        run = self._run(invoice)
        run.action_run()
        line = run.line_ids
        self.assertIn(line.mail_state, ("ready", "sent"))
        # Odoo's own bounce handling, as the mail gateway calls it for a bounce reply.
        self.env["mail.thread"]._routing_handle_bounce(
            None,
            {
                "bounced_email": "alice@acme.example.com",
                "bounced_partner": self.customer_contact,
                "bounced_msg_ids": [line.mail_message_id.message_id],
                "bounced_message": line.mail_message_id,
                "body": "Mailbox unavailable",
                "email_from": "MAILER-DAEMON@example.com",
                "to": "catchall@example.com",
                "message_id": "<bounce@example.com>",
            },
        )
        line.invalidate_recordset()
        self.assertEqual(line.mail_state, "bounce")
        self.assertEqual(run.bounced_count, 1)
        notification = line.mail_message_id.notification_ids
        self.assertEqual((notification.notification_status, notification.failure_type), ("bounce", "mail_bounce"))
        self.assertEqual(line.mail_message_id.res_id, invoice.id)  # the invoice's chatter shows the failure

    def test_portal_lists_the_invoice_once_posted(self):
        invoice = self._draft(100.0)
        Move = self.env["account.move"].with_user(self.portal_user)
        self.assertFalse(Move.search([("id", "=", invoice.id)]))
        self._run(invoice).action_run()
        self.assertEqual(Move.search([("id", "=", invoice.id)]), invoice)

    def test_other_company_refused(self):
        other = self.setup_other_company()["company"]
        foreign = (
            self.env["account.move"]
            .with_company(other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.other_customer.id,
                    "company_id": other.id,
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 50.0, "tax_ids": []})],
                }
            )
        )
        mine = self._draft(100.0)
        self.env.user.company_ids |= other
        run = self.env["billing.invoice.run"].create({"due_today": True})
        with self.assertRaisesRegex(UserError, "another company"):
            run._add_invoices(mine | foreign)
        self.assertFalse(run.line_ids)
        run.action_select_invoices()  # the selection stays in the run's company
        self.assertNotIn(foreign, run.line_ids.move_id)
        self.assertEqual((foreign.state, mine.state), ("draft", "draft"))
        # A specialist of the first company cannot reach the other company's invoice at all.
        with self.assertRaises(AccessError):
            self._run(foreign.with_user(self.specialist))
        self.assertEqual(foreign.state, "draft")

    def test_wrong_template_refused(self):
        partner_template = self.env["mail.template"].create(
            {"name": "Partner greeting", "model_id": self.env.ref("base.model_res_partner").id}
        )
        with self.assertRaisesRegex(ValidationError, "template for invoices"):
            self._run(self._draft(100.0), mail_template_id=partner_template.id)
        invoice_template = self.env.ref("account.email_template_edi_invoice")
        run = self._run(self._draft(100.0), mail_template_id=invoice_template.id)
        run.action_run()
        self.assertEqual(run.sent_count, 1)

    def test_access(self):
        """Billing specialists create and run; other users (even invoicing users) do not; nobody forges a log."""
        invoice = self._draft(100.0)
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                self.env["billing.invoice.run"].with_user(user).create({"due_today": True})
        run = self._run(invoice)
        with self.assertRaises(AccessError):
            run.with_user(self.internal_user).action_run()
        self.assertEqual(invoice.state, "draft")
        run.with_user(self.specialist).action_run()
        with self.assertRaises(AccessError):
            run.line_ids.with_user(self.specialist).write({"outcome": "skipped"})
        with self.assertRaises(AccessError):
            self.env["billing.invoice.run.line"].with_user(self.manager).create(
                {"run_id": run.id, "move_id": invoice.id, "outcome": "posted_sent"}
            )
        with self.assertRaises(AccessError):
            run.with_user(self.specialist).unlink()
        # The run's own state is the run's: a client cannot queue a run for the background as someone else, or
        # mark it done.
        queued = self._run(self._draft(50.0))
        for vals in ({"state": "running"}, {"state": "done"}, {"started_uid": self.manager.id}):
            with self.assertRaises(AccessError):
                queued.with_user(self.specialist).write(vals)
        self.assertEqual((queued.state, queued.started_uid.id), ("draft", False))

    def test_blocked_by_a_check_then_fixed_and_sent(self):
        """A blocking pre-send check stops one invoice (recorded with the check), the others go; once fixed it goes."""
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(self.company)
        Check.search([("company_id", "=", self.company.id), ("code", "=", "po_required")]).mode = "block"
        self.other_customer.billing_po_required = True
        without_po = self._draft(100.0, partner=self.other_customer)
        fine = self._draft(200.0)
        run = self._run(without_po | fine)
        run.action_run()
        self.assertEqual(self._outcomes(run), {without_po: "blocked", fine: "posted_sent"})
        blocked = run.line_ids.filtered(lambda rec: rec.move_id == without_po)
        self.assertEqual(blocked.check_codes, "po_required")
        self.assertEqual(blocked.check_names, "PO Reference Required")  # the check's name, not its code
        self.assertTrue(blocked.message)
        self.assertEqual((without_po.state, without_po.is_move_sent), ("draft", False))
        self.assertEqual(run.blocked_count, 1)

        without_po.ref = "PO-4711"
        run.with_user(self.specialist).action_run()
        self.assertEqual(self._outcomes(run), {without_po: "posted_printed", fine: "posted_sent"})
        self.assertEqual(len(self._emails(fine)), 1)
        self.assertFalse(blocked.check_codes, "posted once fixed: the line no longer names the check")
        self.assertFalse(blocked.check_names)

    def test_customer_who_gets_letters_is_printed_even_with_an_email(self):
        """The customer's own invoice sending setting (Download, not by e-mail) is respected: a letter."""
        letters = self.env["res.partner"].create(
            {"name": "Initech", "email": "ap@initech.example.com", "street": "2 Side Street"}
        )
        letters.with_company(self.company).invoice_sending_method = "manual"
        invoice = self._draft(100.0, partner=letters)
        run = self._run(invoice)
        run.action_run()
        self.assertEqual(run.line_ids.outcome, "posted_printed")
        self.assertFalse(self._emails(invoice))

    def test_daily_run_of_the_invoices_due_today(self):
        due = self._draft(100.0)
        later = self._draft(100.0, invoice_date=self.today.replace(year=self.today.year + 1))
        Run = self.env["billing.invoice.run"]
        Run._cron_due_today()
        run = Run.search([("line_ids.move_id", "=", due.id)])
        self.assertEqual((run.state, run.line_ids.move_id), ("running", due))
        Run._cron_process()
        self.assertEqual((run.state, due.state, later.state), ("done", "posted", "draft"))

    def test_run_from_the_invoice_list(self):
        """The list's Billing Run action: a draft run over the selected drafts; a posted one among them is refused."""
        drafts = self._draft(100.0) | self._draft(200.0)
        action = self.env["ir.actions.server"].browse(
            self.env.ref("billing_specialist.account_move_action_billing_invoice_run").id
        )
        result = (
            action.with_user(self.specialist)
            .with_context(active_model="account.move", active_ids=drafts.ids, active_id=drafts[0].id)
            .run()
        )
        run = self.env["billing.invoice.run"].browse(result["res_id"])
        self.assertEqual((run.state, run.line_ids.move_id), ("draft", drafts))
        posted = self._invoice(300.0)
        with self.assertRaisesRegex(UserError, "draft customer invoices only"):
            action.with_user(self.specialist).with_context(
                active_model="account.move", active_ids=(drafts | posted).ids, active_id=posted.id
            ).run()
        self.assertEqual(posted.state, "posted")

    def test_one_invoice_failing_to_deliver_does_not_stop_the_others(self):
        """A customer whose invoice layout is not an invoice report cannot be sent to: that invoice fails (posted, not
        marked sent); the others of the batch are sent. Fixed, the retry sends it without posting it again."""
        misconfigured = self.env["res.partner"].create({"name": "Hooli", "email": "ap@hooli.example.com"})
        misconfigured.invoice_template_pdf_report_id = self.env.ref("account.action_account_original_vendor_bill")
        first, broken, last = self._draft(100.0), self._draft(200.0, partner=misconfigured), self._draft(300.0)
        run = self._run(first | broken | last)
        run.action_run()
        self.assertEqual(self._outcomes(run), {first: "posted_sent", broken: "failed", last: "posted_sent"})
        line = run.line_ids.filtered(lambda rec: rec.move_id == broken)
        self.assertIn("not delivered", line.message)
        self.assertEqual((broken.state, broken.is_move_sent, len(self._emails(broken))), ("posted", False, 0))
        posted_name = broken.name

        misconfigured.invoice_template_pdf_report_id = False
        run.with_user(self.specialist).action_run()
        self.assertEqual(line.outcome, "posted_sent")
        self.assertEqual((broken.name, broken.is_move_sent, len(self._emails(broken))), (posted_name, True, 1))
        self.assertEqual((len(self._emails(first)), len(self._emails(last))), (1, 1))

    def test_outcome_button_opens_the_customer_invoice_list(self):
        """The Blocked / Failed / ... buttons open the customer invoice list (customer, state, amounts shown), not the
        journal entries' list where every draft reads '/'."""
        first, second = self._draft(100.0), self._draft(200.0)
        run = self._run(first | second)
        action = run.with_context(billing_outcome="pending").action_view_invoices()
        self.assertEqual(action["domain"], [("id", "in", (first | second).ids)])
        self.assertEqual(action["views"][0], (self.env.ref("account.view_out_invoice_tree").id, "list"))
        one = self._run(self._draft(300.0)).with_context(billing_outcome="pending").action_view_invoices()
        self.assertEqual(one["views"], [(False, "form")])  # one invoice: its form


@tagged("post_install", "-at_install")
class TestBillingRunRefusesClientValues(BillingDisputeCommon):
    """A billing run as a client can write it (the attacker's user, as JSON-RPC's call_kw runs it): created done or
    started by someone else, a portal user as its owner, invoices or a company that are not the user's, its counts
    and outcomes. Each is refused with nothing written."""

    def test_run_created_done_or_started_by_someone_else_is_refused(self):
        """``create`` did not guard what ``write`` guards: a run created done (never processed) or 'started' by a
        manager (the scheduled action processes it with the manager's rights), with fake counts."""
        Run = self.env(user=self.specialist)["billing.invoice.run"]
        before = self._count("billing.invoice.run")
        for vals in (
            {"state": "done"},
            {"state": "running", "started_uid": self.manager.id},
            {"sent_count": 7},
            {"date_done": "2026-01-01 00:00:00"},
        ):
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                Run.create({"due_today": True, **vals})
        self.assertEqual(self._count("billing.invoice.run"), before)
        run = Run.with_context(default_state="done", default_started_uid=self.manager.id).create({"due_today": True})
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.started_uid)
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            run.write({"sent_count": 7})

    def test_run_owner_must_be_an_internal_user_of_the_company(self):
        """The owner gets the run's summary with the batch PDF of every customer's letters attached: a portal user
        (a customer) as owner received other customers' invoices."""
        Run = self.env(user=self.specialist)["billing.invoice.run"]
        before = self._count("billing.invoice.run")
        with self.assertRaisesRegex(ValidationError, "internal user"), self.env.cr.savepoint():
            Run.create({"due_today": True, "user_id": self.portal_user.id})
        self.assertEqual(self._count("billing.invoice.run"), before)
        run = Run.create({"due_today": True})
        with self.assertRaisesRegex(ValidationError, "internal user"), self.env.cr.savepoint():
            run.write({"user_id": self.portal_user.id})
        self.assertEqual(run.user_id, self.specialist)

    def test_run_refuses_an_invoice_of_another_company(self):
        company_2 = self.setup_other_company()["company"]
        self.specialist.company_ids |= company_2
        other = (
            self.env["account.move"]
            .with_company(company_2)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": self.today,
                    "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 90.0})],
                }
            )
        )
        mine = self._invoice(100.0, post=False)
        env = self.env(user=self.specialist, context={"allowed_company_ids": [self.company.id, company_2.id]})
        run = env["billing.invoice.run"].create({"company_id": self.company.id})
        with self.assertRaisesRegex(UserError, "another company"):
            run._create_for_invoices((mine | other).with_env(env))
        with self.assertRaisesRegex(UserError, "another company"):
            run._add_invoices(other.with_env(env))
        # Lines written by hand over RPC: the specialist creates no run line.
        with self.assertRaises(AccessError):
            run.write({"line_ids": [Command.create({"move_id": other.id})]})
        with self.assertRaises(AccessError):
            env["billing.invoice.run.line"].create({"run_id": run.id, "move_id": other.id})
        self.assertFalse(run.line_ids)
        self.assertEqual(other.state, "draft")

    def test_run_of_a_company_the_user_is_not_in(self):
        company_2 = self.setup_other_company()["company"]
        env = self.env(user=self.specialist)
        with self.assertRaises(AccessError):
            env["billing.invoice.run"].with_context(allowed_company_ids=[company_2.id]).create(
                {"company_id": company_2.id}
            )

    def test_run_counts_and_outcomes_are_not_written_over_rpc(self):
        run = self.env(user=self.specialist)["billing.invoice.run"]._create_for_invoices(
            self._invoice(100.0, post=False).with_user(self.specialist)
        )
        for vals in ({"blocked_count": -1}, {"invoice_count": 10**12}, {"state": "done"}, {"sent_count": 1}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                run.write(vals)
        with self.assertRaises(AccessError):
            run.line_ids.write({"outcome": "posted_sent"})


@tagged("post_install", "-at_install")
class TestBillingRunWhenInvoicesOrUsersChange(BillingDisputeCommon):
    """Billing runs whose invoices change between the selection and the post, or between two Runs, and runs of a user
    who lost the billing role: nothing posted for the wrong company, no block shown once fixed, no run stuck behind
    another."""

    def test_invoice_moved_to_another_company_after_selection(self):
        """A draft selected in a run of company A, then moved to company B's journal: the run does not post it."""
        company_2 = self.setup_other_company()["company"]
        self.specialist.company_ids |= company_2
        env = self.env(user=self.specialist, context={"allowed_company_ids": [self.company.id, company_2.id]})
        move = self._invoice(100.0, post=False).with_env(env)
        run = env["billing.invoice.run"]._create_for_invoices(move)
        journal_2 = self.env["account.journal"].search([("company_id", "=", company_2.id), ("type", "=", "sale")])[:1]
        move.write({"journal_id": journal_2.id})
        self.assertEqual(move.company_id, company_2)
        run.action_run()
        self.assertEqual(move.state, "draft", "a run of company A posted company B's invoice")
        self.assertEqual(run.line_ids.outcome, "failed")
        self.assertIn("another company", run.line_ids.message)
        self.assertNotIn(company_2.name, run.line_ids.message)
        # Moved back, a rerun posts it.
        move.write({"journal_id": self.company_data["default_journal_sale"].id})
        run.action_run()
        self.assertEqual((move.state, run.line_ids.outcome), ("posted", "posted_sent"))

    def test_blocked_invoice_fixed_between_two_runs(self):
        """Blocked on the first Run, fixed, posted on the second: the line and the invoice no longer show the block."""
        Check = self.env["billing.invoice.check"]
        Check._ensure_for_companies(self.company)
        Check.search([("company_id", "=", self.company.id), ("code", "=", "po_required")]).mode = "block"
        self.customer.write({"billing_po_required": True, "email": "ap@acme.example.com"})
        move = self._invoice(100.0, post=False)
        env = self.env(user=self.specialist)
        run = env["billing.invoice.run"]._create_for_invoices(move.with_env(env))
        run.action_run()
        self.assertEqual((run.line_ids.outcome, run.line_ids.check_codes), ("blocked", "po_required"))
        self.assertEqual(move.billing_check_state, "block")
        move.ref = "PO-8"
        run.action_run()
        line = run.line_ids
        self.assertEqual((move.state, line.outcome, run.blocked_count), ("posted", "posted_sent", 0))
        self.assertFalse(line.check_codes, "a posted invoice's line still names the check that blocked it once")
        self.assertFalse(line.check_names)
        self.assertNotEqual(move.billing_check_state, "block")

    def test_background_run_of_a_user_who_lost_the_billing_role_does_not_stop_the_others(self):
        """Two runs queued for the background: the first started by a specialist who lost the billing role since.
        The scheduled action leaves his run (processed with his rights, it cannot be) and still does the other."""
        leaver = new_test_user(
            self.env,
            login="bs_leaver_8",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.customer.email = "ap@acme.example.com"
        Run = self.env["billing.invoice.run"]
        runs = Run.browse()
        for user in (leaver, self.specialist):
            env = self.env(user=user)
            run = env["billing.invoice.run"]._create_for_invoices(self._invoice(100.0, post=False).with_env(env))
            run.sudo().write({"state": "running", "started_uid": user.id})
            runs |= run
        leaver.groups_id = [Command.unlink(self.env.ref("billing_specialist.group_billing_user").id)]
        Run._cron_process()
        self.assertEqual(runs.mapped("state"), ["running", "done"])
        self.assertEqual(runs[1].line_ids.outcome, "posted_sent")
        self.assertEqual(runs[0].line_ids.move_id.state, "draft")

    def test_chunk_of_a_user_who_lost_the_billing_role_does_not_stop_the_chunk_cron(self):
        """A chunked billing run started by a specialist who lost the billing role since: the chunk cron marks its
        chunk failed (with why) and tells the managers; a second large run of the company waits (one at a time)
        until a billing manager cancels the rest of the first; then it goes."""
        self.env["ir.config_parameter"].sudo().set_param(CHUNK_SIZE_PARAM, "1")
        leaver = new_test_user(
            self.env,
            login="bs_leaver_8c",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.customer.email = "ap@acme.example.com"
        runs = self.env["billing.invoice.run"]
        for user in (leaver, self.specialist):
            env = self.env(user=user)
            drafts = self._invoice(100.0, post=False) | self._invoice(110.0, post=False)
            runs |= env["billing.invoice.run"]._create_for_invoices(drafts.with_env(env))
        runs[0].with_user(leaver).action_run()
        with self.assertRaisesRegex(UserError, "Another large billing run"):
            runs[1].with_user(self.specialist).action_run()
        self.assertTrue(runs[0].chunk_ids)
        leaver.groups_id = [Command.unlink(self.env.ref("billing_specialist.group_billing_user").id)]
        Chunk = self.env["billing.run.chunk"]
        for _call in range(10):
            if not Chunk._billing_next():
                break
            Chunk._cron_process()
        self.assertIn("failed", runs[0].chunk_ids.mapped("state"))
        self.assertIn(self.manager.partner_id, runs[0].message_ids.partner_ids, "the managers are told")
        self.assertEqual(set(runs[0].line_ids.move_id.mapped("state")), {"draft"})
        runs[0].with_user(self.manager).action_billing_cancel_rest()
        self.assertEqual(runs[0].state, "cancelled")
        runs[1].with_user(self.specialist).action_run()
        for _call in range(10):
            if not Chunk._billing_next():
                break
            Chunk._cron_process()
        self.assertEqual(runs[1].state, "done")
        self.assertEqual(set(runs[1].line_ids.mapped("outcome")), {"posted_sent"})
