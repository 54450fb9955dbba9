"""Attack pass 9: the follow-up preview (its lines, the level dialog, Send) and the worklist's netting, as an outsider,
a portal customer and a billing specialist would try them."""

from datetime import datetime, timedelta

import psycopg2
from freezegun import freeze_time

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import BillingDisputeCommon, CommittedFixtureCase
from .followup_common import FollowupCommon

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@tagged("post_install", "-at_install")
class TestAttackPass9Preview(FollowupCommon):
    """The preview's lines and the level dialog, attacked through the ORM as a client would call it."""

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
class TestAttackPass9Rpc(FollowupCommon, HttpCase):
    """The preview attacked as a client sends it: JSON-RPC calls in the attacker's own session."""

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

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


@tagged("post_install", "-at_install")
class TestAttackPass9TwoSends(CommittedFixtureCase):
    """Two clicks on Send at once, on committed data: the customer's e-mail is queued once."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            today = fields.Date.context_today(env.user)
            partner = env["res.partner"].create(
                {"name": "Attack 9 Double Send", "is_company": True, "email": "ap@double.example.com"}
            )
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_payment_term_id": False,
                    "invoice_date": today - timedelta(days=40),
                    "invoice_date_due": today - timedelta(days=10),
                    "invoice_line_ids": [Command.create({"name": "Service", "price_unit": 100.0, "tax_ids": []})],
                }
            )
            invoice.action_post()
            run = env["billing.followup.run"]._start(env.company)
            run.line_ids.filtered(lambda line: line.partner_id != partner).unlink()  # the database's others
            self.ids = {"partner": partner.id, "invoice": invoice.id, "run": run.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            env["mail.mail"].search([("billing_followup_line_id", "in", run.line_ids.ids)]).unlink()
            run.unlink()
            invoice = env["account.move"].browse(self.ids["invoice"])
            invoice.button_draft()
            invoice.unlink()
            env["billing.collection"].search([("partner_id", "=", self.ids["partner"])]).unlink()
            env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"])]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _mail_count(self):
        with self.committed_env() as env:
            return env["mail.mail"].search_count([("model", "=", "res.partner"), ("res_id", "=", self.ids["partner"])])

    def test_a_second_send_that_read_the_preview_before_the_first_committed_sends_nothing(self):
        """The second click read the run (still a preview) before the first click committed; it takes the lock
        once the first is done. It must not queue the e-mail again."""
        with self.registry.cursor() as cr2:
            second = api.Environment(cr2, SUPERUSER_ID, {})["billing.followup.run"].browse(self.ids["run"])
            self.assertEqual(second.state, "preview")  # its snapshot is taken: the first click has not committed
            second.line_ids.mapped("outcome")
            with self.committed_env() as env:
                env["billing.followup.run"].browse(self.ids["run"]).action_send()
            self.assertEqual(self._mail_count(), 1)
            # A concurrent update, which Odoo retries (the retry then finds the run sent and says so); not a
            # duplicate-key error shown to the user, and nothing queued.
            with self.assertRaises(psycopg2.errors.SerializationFailure):
                second.action_send()
            cr2.rollback()
            with self.assertRaisesRegex(UserError, "Only a previewed"):
                second.action_send()
            cr2.rollback()
        self.assertEqual(self._mail_count(), 1)
        with self.committed_env() as env:
            run = env["billing.followup.run"].browse(self.ids["run"])
            self.assertEqual((run.state, run.line_ids.outcome), ("done", "emailed"))

    def test_two_sends_at_the_same_moment_one_is_refused_at_once(self):
        with self.registry.cursor() as cr2:
            first = api.Environment(cr2, SUPERUSER_ID, {})["billing.followup.run"].browse(self.ids["run"])
            first.action_send()  # holds the company's run lock, not committed yet
            with self.committed_env() as env, self.assertRaisesRegex(UserError, "under way"):
                env["billing.followup.run"].browse(self.ids["run"]).action_send()
            cr2.commit()
        self.assertEqual(self._mail_count(), 1)


@tagged("post_install", "-at_install")
class TestAttackPass9Worklist(BillingDisputeCommon):
    """The worklist's netting attacked: payer names made to look like a customer's, bank lines of another company,
    of another customer's contact, reconciled, huge or negative; today in a timezone far from UTC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        T = cls.today
        cls.hooli = cls.env["res.partner"].create({"name": "Hooli", "is_company": True})
        cls.hooli_inv = cls._invoice(
            855.0, partner=cls.hooli, invoice_date=T - timedelta(days=60), invoice_date_due=T - timedelta(days=30)
        )
        cls.globex_inv = cls._invoice(
            500.0,
            partner=cls.other_customer,
            invoice_date=T - timedelta(days=60),
            invoice_date_due=T - timedelta(days=30),
        )

    def _row(self, partner, user=None):
        self.env.invalidate_all()
        return self.env["billing.worklist"].with_user(user or self.manager).search([("partner_id", "=", partner.id)])

    def _figures(self, row):
        return (row.overdue_amount, row.unapplied_amount, row.credit_amount, row.followup_amount, row.call_status)

    def test_look_alike_payer_names_never_change_to_collect(self):
        """Bank lines naming no customer, from payers whose names look like Hooli's or Globex's: accents, case,
        spaces, invisible characters, look-alike letters and dashes. Huge amounts. None may net To Collect nor
        make a customer "paid"."""
        huge = 10.0**12
        names = [
            "HOOLI",
            "  hooli  ",
            "Hoolí",
            "Hooli\u200b",
            "\u200bHooli",
            "Hooli\u00a0",
            "Ho\u043eli",  # Cyrillic o
            "H\u2013ooli",
            "Globex Stores",
            "GLOBEX\u2011STORES",
            "Globex\u00a0Stores",
            "globex  stores",
            "Globex Stores; DROP TABLE res_partner; --",
            "%",
            "_ooli",
            "Hooli%",
        ]
        for name in names:
            self._bank_line(huge, "TRANSFER", partner_name=name)
        hooli, globex = self._row(self.hooli), self._row(self.other_customer)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 855.0, "call"))
        self.assertEqual(self._figures(globex), (500.0, 0.0, 0.0, 500.0, "call"))
        for row in (hooli, globex):
            self.assertEqual(row.net_credit_amount, 0.0)
            self.assertNotIn("do not call", row.reason)
            self.assertTrue(-1000.0 <= row.score < 10.0**6, row.score)  # only lowered, never below a worked row
        # Only the names equal to the customer's (case and spaces aside) are shown as cash by payer name.
        self.assertEqual(hooli.payer_cash_amount, 2 * huge)  # "HOOLI", "  hooli  "
        self.assertEqual(globex.payer_cash_amount, huge)  # "Globex Stores" (not "globex  stores")

    def test_a_contact_named_like_another_customer_nets_for_its_own_company_only(self):
        """A contact of Globex named "Hooli": its bank line is Globex's cash, never Hooli's."""
        impostor = self.env["res.partner"].create({"name": "Hooli", "parent_id": self.other_customer.id})
        self._bank_line(855.0, "HOOLI", partner=impostor, partner_name="Hooli")
        self.assertEqual(self._figures(self._row(self.hooli)), (855.0, 0.0, 0.0, 855.0, "call"))
        globex = self._row(self.other_customer)
        self.assertEqual(self._figures(globex), (500.0, 855.0, 0.0, 0.0, "paid"))
        self.assertEqual(globex.net_credit_amount, 355.0)

    def test_another_company_s_bank_line_of_the_customer_never_counts(self):
        other = self.setup_other_company(name="Attack 9 Worklist Co")
        self.env["account.bank.statement.line"].with_company(other["company"]).create(
            {
                "journal_id": other["default_journal_bank"].id,
                "date": self.today,
                "payment_ref": "HOOLI",
                "amount": 855.0,
                "partner_id": self.hooli.id,
                "partner_name": "Hooli",
            }
        )
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 0.0, 0.0, 855.0, "call"))
        self.assertEqual(hooli.payer_cash_amount, 0.0)

    def test_reconciled_negative_and_huge_bank_lines(self):
        # Reconciled with an invoice not due yet: that money is applied, nothing left to net.
        not_due = self._invoice(300.0, partner=self.hooli, invoice_date=self.today)
        applied = self._bank_line(300.0, "HOOLI", partner=self.hooli)
        applied._billing_apply([(not_due.id, 300.0)])
        self.assertTrue(applied.is_reconciled)
        # Money going out to Hooli is not cash from Hooli.
        self._bank_line(-5000.0, "REFUND", partner=self.hooli)
        self.assertEqual(self._figures(self._row(self.hooli)), (855.0, 0.0, 0.0, 855.0, "call"))
        # A huge line naming Hooli nets everything: nothing to collect, a net credit, and finite figures.
        self._bank_line(10.0**12, "HOOLI", partner=self.hooli)
        hooli = self._row(self.hooli)
        self.assertEqual(self._figures(hooli), (855.0, 10.0**12, 0.0, 0.0, "paid"))
        self.assertEqual((hooli.net_credit_amount, hooli.score), (10.0**12 - 855.0, -2000.0))

    def test_outsiders_read_no_row_and_cannot_act(self):
        self._bank_line(855.0, "HOOLI", partner=self.hooli)
        row = self._row(self.hooli)
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                self.env["billing.worklist"].with_user(user).search_read([], ["followup_amount"])
            with self.assertRaises(AccessError):
                row.with_user(user).action_log_call()

    def test_today_is_the_user_s_far_from_utc(self):
        """23:30 UTC on the 10th: it is the 11th in Kiritimati (UTC+14), still the 10th in UTC and Pago Pago. An
        invoice due on the 10th is overdue for the Kiritimati manager only."""
        with freeze_time(datetime(2026, 3, 10, 23, 30)):
            customer = self.env["res.partner"].create({"name": "Attack 9 Timezone", "is_company": True})
            self._invoice(
                100.0,
                partner=customer,
                invoice_date=fields.Date.to_date("2026-02-08"),
                invoice_date_due=fields.Date.to_date("2026-03-10"),
            )
            self._bank_line(40.0, "TZ", partner=customer, date=fields.Date.to_date("2026-03-10"))
            east = self.manager
            east.tz = "Pacific/Kiritimati"
            west = new_test_user(
                self.env,
                login="bs_attack9_west",
                groups="base.group_user,billing_specialist.group_billing_manager",
                company_id=self.company.id,
                company_ids=[Command.set(self.company.ids)],
                tz="Pacific/Pago_Pago",
            )
            row = self._row(customer, user=east)
            self.assertEqual((row.max_days_overdue, row.followup_amount, row.unapplied_amount), (1, 60.0, 40.0))
            self.assertFalse(self._row(customer, user=west))
            east.tz = "UTC"
            self.assertFalse(self._row(customer, user=east))
