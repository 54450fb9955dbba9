"""Attack pass 10 (issue 21, "Evidence you can trust"): what the turn built, tried as an outsider (e-mail only), a
customer (portal user) and a specialist (ORM as the user) would try it. Each test is an attack; those refused guard
the rule, those that got through were fixed with the test."""

import io
import threading
import time
import zipfile
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import psycopg2.errors

from odoo import Command, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, tagged

from ..matching.remittance_files import TIMEOUT, RemittanceFileError, extract
from ..models.billing_dispute_gateway import sender_key
from .chunks_common import InvoiceRunChunksCommon
from .common import CommittedFixtureCase
from .test_mail_sender_identity import SenderCommon
from .test_promise_limits import PromiseLimitsCommon
from .test_remittance_origin import EmailedAdviceCommon

REFUSED = UserError  # AccessError and ValidationError are UserErrors


@tagged("post_install", "-at_install")
class TestAttackSenderAddress(SenderCommon):
    """An outsider and a portal user against the shared-address rule."""

    def test_an_idn_domain_in_punycode_is_the_same_address(self):
        """Acme's address has an international domain. Its mail server sends it in punycode (the ASCII form of the
        same domain). Globex's portal user sets its own address to that punycode form: Acme's e-mails must not be
        taken for Globex's (Globex would read them); the address is shared, so it identifies neither."""
        self.ap_contact.email = "ap@bücher.example"
        self._share_address("ap@xn--bcher-kva.example")
        self.assertEqual(sender_key("ap@bücher.example"), sender_key("AP@XN--BCHER-KVA.example"))
        Dispute = self.env["billing.dispute"]
        for sent_as in ("ap@xn--bcher-kva.example", "ap@bücher.example"):
            customers = Dispute._mail_gateway_identify(sent_as, self.company)[2]
            self.assertEqual(customers, self.customer | self.other_customer, sent_as)
        with self.mock_mail_gateway():
            cases, advices = self._receive(
                self.dispute_alias,
                f"{self.inv_a.name} is damaged.",
                sender="Accounts Payable <ap@xn--bcher-kva.example>",
            )
        self.assertFalse(cases, "no case for Globex with Acme's e-mail")
        self.assertFalse(advices)

    def test_an_accented_domain_is_not_its_unaccented_look_alike(self):
        """bucher.example and bücher.example are two domains (two owners): the owner of one does not write as a
        customer whose address is at the other."""
        self.ap_contact.email = "ap@bucher.example"
        self.assertNotEqual(sender_key("ap@bücher.example"), sender_key("ap@bucher.example"))
        customer = self.env["billing.dispute"]._mail_gateway_identify("ap@bücher.example", self.company)[0]
        self.assertFalse(customer)
        customer = self.env["billing.dispute"]._mail_gateway_identify("ap@bucher.example", self.company)[0]
        self.assertEqual(customer, self.customer)

    def test_plus_case_quoted_and_display_name_tricks(self):
        """Other spellings of Acme's address, set by Globex's portal user on its own partner: each is either the
        same address (shared: refused) or another one (Acme's e-mails still Acme's, never Globex's)."""
        Dispute = self.env["billing.dispute"]
        for globex_sets in (
            "AP@ACME.EXAMPLE.COM",
            " ap@acme.example.com\u200b",
            "ap+x@acme.example.com",
            '"ap"@acme.example.com',
            "Acme AP <ap@acme.example.com>",
        ):
            with self.subTest(globex_sets=globex_sets):
                self._share_address(globex_sets)
                customer = Dispute._mail_gateway_identify(f"Acme AP <{self.address}>", self.company)[0]
                self.assertNotEqual(customer, self.other_customer)
        # Two addresses in From (or one hidden in the display name): no single sender, nobody identified.
        self._share_address("someone@globex.example.com")
        for sender in (f"{self.address}, someone@globex.example.com", f'"{self.address}" <someone@globex.example.com>'):
            with self.subTest(sender=sender):
                customer = Dispute._mail_gateway_identify(sender, self.company)[0]
                self.assertNotEqual(customer, self.customer, "a display name naming Acme's address is no Acme")

    def test_reply_to_does_not_pick_the_customer(self):
        """From a stranger, Reply-To Acme's address: the sender is the stranger, refused."""
        with self.mock_mail_gateway():
            cases, advices = self._receive(
                self.remittance_alias,
                f"{self.inv_a.name} 1000.00",
                sender="mallory@evil.example.net",
                reply_to=self.address,
            )
        self.assertFalse(cases | self.env["billing.dispute"].browse())
        self.assertFalse(advices)


@tagged("post_install", "-at_install")
class TestAttackPromiseLimits(PromiseLimitsCommon):
    """A specialist putting a promised date off beyond the company's limits without a manager."""

    def test_releasing_an_invoice_from_an_open_promise_does_not_reset_its_moves(self):
        """The big invoice is promised in 10 days. The specialist moves it to the small invoice's promise (the
        open promise now covers the small one only) and records a new promise on the big invoice 60 days ahead: a
        50-day move of the big invoice's date, beyond 14 days a move, without a manager's reason."""
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create(self._vals(500_000.0, 10))
        with self.assertRaises(REFUSED):
            promise.write({"move_ids": [Command.set(self.small.ids)], "amount": 2_000.0})
            Promise.create(self._vals(500_000.0, 60))
        self.assertEqual(promise.move_ids, self.big)
        self.assertEqual(promise.date, self.today + timedelta(days=10))

    def test_cancel_and_promise_again_counts_as_a_move(self):
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create(self._vals(500_000.0, 10))
        promise.action_cancel()
        self.assertIn("days later", self._assert_refused(Promise.create, self._vals(500_000.0, 60)))
        # Several fields at once are still a move.
        promise2 = Promise.create(self._vals(500_000.0, 20))
        with self.assertRaises(REFUSED) as caught:
            promise2.write(
                {
                    "date": fields.Date.to_string(self.today + timedelta(days=50)),
                    "tolerance_days": 0,
                    "amount": 600_000.0,
                    "note": "x",
                }
            )
        self.assertIn("days later", str(caught.exception))
        self.assertEqual(promise2.date, self.today + timedelta(days=20))

    def test_a_date_beyond_the_horizon_is_refused_for_the_horizon_not_the_move(self):
        """Moving a promise to 2099 names the company's days ahead (no manager may allow it), not the move's days."""
        promise = self.env["billing.promise"].with_user(self.specialist).create(self._vals(500_000.0, 10))
        with self.assertRaises(REFUSED) as caught:
            promise.write({"date": "2099-12-31"})
        self.assertIn("at most 60 days ahead", str(caught.exception))
        self.assertNotIn("a move", str(caught.exception))

    def test_cancelling_a_promise_past_its_deadline_does_not_reset_its_moves(self):
        """The deadline passed yesterday, nothing was paid, the nightly judge has not run: the specialist cancels the
        promise and records a new one 60 days ahead. That is a 61-day move of the invoice's date: refused without a
        manager's reason, as if the promise had still run."""
        Promise = self.env["billing.promise"].with_user(self.specialist)
        promise = Promise.create({**self._vals(500_000.0, 10), "tolerance_days": 0})
        yesterday = self.today - timedelta(days=1)
        self.env.cr.execute(
            "UPDATE billing_promise SET date = %s, date_deadline = %s WHERE id = %s", [yesterday, yesterday, promise.id]
        )
        promise.invalidate_recordset()
        promise.action_cancel()
        self.assertIn("days later", self._assert_refused(Promise.create, self._vals(500_000.0, 60)))
        # A week ahead is within one move of 14 days: allowed, and counted.
        again = Promise.create(self._vals(500_000.0, 7))
        self.assertEqual(again.date_move_count, promise.date_move_count + 1)


@tagged("post_install", "-at_install")
class TestAttackVouchRace(CommittedFixtureCase):
    """Two specialists vouch for one e-mailed advice at once (two real transactions): one vouches, the other is
    refused; one name on the advice, one note in its chatter."""

    def setUp(self):
        super().setUp()
        with self.committed_env() as env:
            self.partner_id = env["res.partner"].create({"name": "Vouched Twice Customer", "is_company": True}).id
            self.remittance_id = (
                env["billing.remittance"]
                .create(
                    {
                        "company_id": env.company.id,
                        "partner_id": self.partner_id,
                        "reference": "advice",
                        "email_from": "ap@vouched-twice.example.com",
                        "source": "email",
                        "state": "new",
                    }
                )
                .id
            )
            self.admin_id = env.ref("base.user_admin").id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.committed_env() as env:
            env["billing.remittance"].browse(self.remittance_id).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def _vouch(self, cr):
        env = api.Environment(cr, self.admin_id, {})
        env["billing.remittance"].browse(self.remittance_id).action_vouch()
        env.flush_all()  # as the end of the request does: the row is written (and locked) now

    def test_two_vouches_at_once(self):
        outcome = {}

        def second():
            with self.registry.cursor() as cr:
                try:
                    self._vouch(cr)  # waits on the first transaction's row, then fails on it
                    outcome["result"] = "vouched"
                except psycopg2.errors.SerializationFailure:
                    cr.rollback()
                    try:  # what Odoo's retry of the request then does: sees the first one's vouch
                        self._vouch(cr)
                        outcome["result"] = "vouched on retry"
                    except UserError as error:
                        outcome["result"] = str(error)

        with self.registry.cursor() as first:
            self._vouch(first)
            thread = threading.Thread(target=second)
            thread.start()
            thread.join(timeout=2)
            self.assertTrue(thread.is_alive(), "the second vouch waits for the first transaction")
        thread.join(timeout=30)
        self.assertFalse(thread.is_alive())
        self.assertIn("vouched for", outcome["result"])
        self.assertIn("already", outcome["result"])
        with self.committed_env() as env:
            remittance = env["billing.remittance"].browse(self.remittance_id)
            self.assertEqual(remittance.vouched_user_id.id, self.admin_id)
            self.assertTrue(remittance.decides)
            notes = remittance.message_ids.filtered(lambda m: "vouched for this advice" in (m.body or ""))
            self.assertEqual(len(notes), 1)


def _nested_zip():
    """A spreadsheet (a zip) whose one part is itself a zip holding 200 MB of blanks."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/inner.zip", inner.getvalue())
    return outer.getvalue()


@tagged("post_install", "-at_install")
class TestAttackFileBudget(BaseCase):
    """Files an outsider sends, each read or refused within the budget (5 s, 300 MiB) by the child process."""

    def test_hostile_files_refused_within_the_budget(self):
        mib = 1024 * 1024
        for name, kind, content, message in [
            ("one 19 MB line", "csv", b"INV/1," + b"9" * (19 * mib), "field larger than field limit"),
            ("19 MB of commas on one line", "csv", b"," * (19 * mib), "more than 300 MB of memory"),
            ("a quote never closed", "csv", b'"' + b"a\n" * (9 * mib), "field larger than field limit"),
            ("UTF-16 BOM then lone surrogates", "csv", b"\xff\xfe" + b"\x00\xd8" * mib, "encoding"),
            ("UTF-32 BOM", "csv", b"\xff\xfe\x00\x00" + "INV,1\n".encode("utf-32-le"), "encoding"),
            ("NUL bytes", "csv", b"INV\x00,1\n" * mib, "encoding"),
            ("a zip in the spreadsheet's zip", "xlsx", _nested_zip(), "cannot be read"),
        ]:
            with self.subTest(name=name):
                started = time.monotonic()
                with self.assertRaises(RemittanceFileError) as caught:
                    extract(kind, content)
                self.assertLess(time.monotonic() - started, TIMEOUT + 1)
                self.assertIn(message, str(caught.exception))
                stats = caught.exception.stats
                if stats:
                    self.assertLessEqual(stats["maxrss"], 300 * 1024 + 1024, "KiB")


@tagged("post_install", "-at_install")
class TestAttackManyAttachments(EmailedAdviceCommon):
    """An e-mail with 50 attachments: the mail fetch stays quick (nothing read in it), one advice, an e-mailed one."""

    def test_fifty_attachments(self):
        msg = EmailMessage()
        msg["From"] = f"Alice Payables <{self.customer_contact.email}>"
        msg["To"] = self.alias.alias_full_name
        msg["Subject"] = "Fifty files"
        msg["Message-ID"] = make_msgid(domain="acme.example.com")
        msg.set_content("See attached.")
        for index in range(49):
            msg.add_attachment(
                b"\x00" * 1024, maintype="application", subtype="octet-stream", filename=f"junk{index}.bin"
            )
        msg.add_attachment(
            f"ref,amount\n{self.inv4.name},750.00\n".encode(),
            maintype="application",
            subtype="octet-stream",
            filename="advice.csv",
        )
        before = self.Remittance.search([]).ids
        started = time.monotonic()
        self.env["mail.thread"].sudo().message_process(None, msg.as_string())
        self.assertLess(time.monotonic() - started, TIMEOUT)
        advice = self.Remittance.search([("id", "not in", before)])
        self.assertEqual(len(advice), 1)
        self.assertEqual((advice.state, advice.origin, advice.decides), ("reading", "email", False))
        self.assertEqual(advice.attachment_id.name, "advice.csv")
        self.Remittance._cron_read_files()
        self.assertEqual((advice.state, advice.amount_total, advice.decides), ("new", 750.0, False))

    def test_a_second_advice_file_is_named_not_lost(self):
        """Two advice files in one e-mail: the first is read, the second is named on the advice for a person."""
        msg = EmailMessage()
        msg["From"] = f"Alice Payables <{self.customer_contact.email}>"
        msg["To"] = self.alias.alias_full_name
        msg["Subject"] = "Two advices"
        msg["Message-ID"] = make_msgid(domain="acme.example.com")
        msg.set_content("See attached.")
        for name in ("first.csv", "second.csv"):
            msg.add_attachment(
                f"ref,amount\n{self.inv4.name},750.00\n".encode(),
                maintype="application",
                subtype="octet-stream",
                filename=name,
            )
        before = self.Remittance.search([]).ids
        self.env["mail.thread"].sudo().message_process(None, msg.as_string())
        advice = self.Remittance.search([("id", "not in", before)])
        self.assertEqual(len(advice), 1)
        self.assertEqual(advice.attachment_id.name, "first.csv")
        notes = advice.message_ids.mapped("body")
        self.assertTrue(any("second.csv" in note and "2 advice files" in note for note in notes), notes)


@tagged("post_install", "-at_install")
class TestAttackInvoiceRunChunked(InvoiceRunChunksCommon):
    """Whether a billing run is a large one in progress (``chunked``) is the run's to write: a specialist who sets it
    false takes a running large run out of the database's one-per-company index (a second one could start beside
    it); set true, it blocks the company's large runs."""

    def test_a_specialist_cannot_write_chunked(self):
        run = self._start_run()
        self.assertEqual((run.state, run.chunked), ("running", True))
        Run = self.env["billing.invoice.run"].with_user(self.specialist)
        for vals in ({"chunked": False}, {"chunked": True, "name": "x"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                run.with_user(self.specialist).write(vals)
        self.assertTrue(run.chunked)
        with self.assertRaises(AccessError):
            Run.create({"company_id": self.company.id, "chunked": True})
        created = Run.with_context(default_chunked=True).create({"company_id": self.company.id})
        self.assertFalse(created.chunked, "a client's default is ignored")
        # The second large run is still refused by the database.
        other = self.env["billing.invoice.run"].sudo().create({"company_id": self.company.id})
        with self.assertRaises(UserError):
            other._billing_write_running({"state": "running", "chunked": True})
