"""Issue 21, class 3: an e-mailed remittance advice is unverified (its From header can be forged).

It may propose; it never decides an automatic application, never against the payment's own memo, and its deduction
cases wait for a specialist. An advice a specialist imported decides, but never against the memo either. A
specialist may vouch for an e-mailed advice (logged), after which it decides like an imported one. The origin is
the application's: no client sets it.
"""

import time
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.mail.tests.common import MockEmail

from ..matching.engine import Matcher, OpenItem, Source
from ..matching.remittance import AdviceLine, RemittanceRef, propose_remittance
from ..matching.remittance_files import TIMEOUT
from .common import THRESHOLD
from .screenshots import ScreenshotTourMixin
from .test_remittance import RemittanceCommon

ACME, GLOBEX = 7, 8


class EmailedAdviceCommon(RemittanceCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create({"name": "origin-test.example.com"})
        cls.company.alias_domain_id = cls.alias_domain
        cls.company._billing_ensure_remittance_alias()
        cls.alias = cls.company.billing_remittance_alias_id
        cls.alias.alias_domain_id = cls.alias_domain
        cls.inv4 = cls._invoice(750.0)

    def _receive(self, body, sender=None, csv=None):
        """A raw e-mail to the remittance alias, as fetchmail feeds it; the advice it created."""
        msg = EmailMessage()
        msg["From"] = sender or f"Alice Payables <{self.customer_contact.email}>"
        msg["To"] = self.alias.alias_full_name
        msg["Subject"] = "Payment advice"
        msg["Message-ID"] = make_msgid(domain="forger.example.net")
        msg.set_content(body)
        if csv:
            msg.add_attachment(csv, maintype="application", subtype="octet-stream", filename="advice.csv")
        before = self.Remittance.search([]).ids
        self.env["mail.thread"].sudo().message_process(None, msg.as_string())
        return self.Remittance.search([("id", "not in", before)])

    def _run(self, payment):
        return self.env["billing.match.run"].with_user(self.specialist)._run_automatic(self.company, payments=payment)


@tagged("post_install", "-at_install")
class TestRemittanceOrigin(EmailedAdviceCommon):
    def test_forged_advice_never_decides_where_a_real_payment_goes(self):
        # Anyone can write the customer's address in a From header: this advice says the 750.00 pays inv2 and inv3.
        forged = self._receive(f"{self.inv2.name} 300.00\n{self.inv3.name} 450.00 25.00 damaged\n")
        self.assertEqual(
            (forged.origin, forged.origin_user_id, forged.decides), ("email", self.env["res.users"], False)
        )
        # The customer's real payment names inv4 in its memo.
        payment = self._payment(750.0, memo=f"Payment {self.inv4.name}")
        self.assertEqual(forged.payment_id, payment, "matched: the advice proposes for it")
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "proposed", line.reasons)
        self.assertEqual(line.remittance_id, forged)
        self.assertIn("came by e-mail from", line.reasons)
        self.assertIn("it only proposes", line.reasons)
        self.assertIn(f"the payment's memo names {self.inv4.name}", line.reasons)
        self.assertEqual(
            (self.inv2 | self.inv3 | self.inv4).mapped("payment_state"), ["not_paid"] * 3, "nothing applied"
        )
        self.assertFalse(forged.line_ids.dispute_id, "no deduction case")
        self.assertFalse(self.inv3.billing_in_dispute, "the follow-up of inv3 goes on")
        # The specialist's Apply button refuses it too, saying how to go on.
        with self.assertRaisesRegex(UserError, "vouch for it"):
            forged.with_user(self.specialist).action_apply()
        # Even vouched for, it is held: the payment's own memo names another invoice.
        forged.with_user(self.specialist).action_vouch()
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "proposed")
        self.assertIn(f"the payment's memo names {self.inv4.name}", line.reasons)
        self.assertNotIn("only proposes", line.reasons)
        with self.assertRaisesRegex(UserError, "evidence disagrees"):
            forged.with_user(self.specialist).action_apply()
        self.assertEqual(self.inv4.payment_state, "not_paid")

    def test_an_emailed_file_read_later_is_still_emailed(self):
        advice = self._receive("See attached.", csv=f"ref,amount\n{self.inv4.name},750.00\n".encode())
        self.assertEqual((advice.state, advice.origin), ("reading", "email"))
        self.Remittance._cron_read_files()
        self.assertEqual(
            (advice.state, advice.origin, advice.origin_user_id.id, advice.decides), ("new", "email", False, False)
        )
        line = self._run(self._payment(750.0)).line_ids
        self.assertEqual(line.outcome, "proposed", line.reasons)
        self.assertIn("it only proposes", line.reasons)

    def test_imported_advice_decides_but_never_against_the_memo(self):
        csv = f"ref,amount\n{self.inv2.name},300.00\n{self.inv3.name},450.00\n".encode()
        imported = self._import(csv)
        self.assertEqual((imported.origin, imported.origin_user_id, imported.decides), ("user", self.specialist, True))
        payment = self._payment(750.0, memo=f"Payment {self.inv4.name}")
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "proposed", "a person imported it, but the memo names another invoice")
        self.assertIn("the evidence disagrees", line.reasons)
        self.assertEqual(self.inv4.payment_state, "not_paid")

    def test_imported_advice_whose_memo_agrees_is_applied(self):
        imported = self._import(f"ref,amount\n{self.inv2.name},300.00\n{self.inv3.name},450.00\n".encode())
        payment = self._payment(750.0, memo=f"{self.inv2.name} and more")
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "applied", line.reasons)
        self.assertEqual(line.remittance_id, imported)
        self.assertEqual((self.inv2 | self.inv3).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(self.inv4.payment_state, "not_paid")

    def test_emailed_advice_without_conflict_only_proposes_until_vouched_for(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n{self.inv3.name} 440.00 10.00 short shipped\n")
        payment = self._payment(740.0, memo="RUN 2209")
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "proposed")
        self.assertNotIn("evidence disagrees", line.reasons)
        self.assertEqual(advice.state, "matched")
        advice.with_user(self.specialist).action_vouch()
        self.assertEqual((advice.vouched_user_id, advice.decides), (self.specialist, True))
        self.assertTrue(advice.vouched_date)
        note = advice.message_ids.filtered(lambda m: "vouched for this advice" in (m.body or ""))
        self.assertEqual(note.author_id, self.specialist.partner_id, "the vouching is logged, by its author")
        line = self._run(payment).line_ids
        self.assertEqual(line.outcome, "applied", line.reasons)
        self.assertEqual(advice.line_ids.dispute_id.invoice_ids, self.inv3, "the deduction opens its case now")

    def test_deduction_cases_of_an_emailed_advice_wait_for_a_specialist(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n{self.inv3.name} 440.00 10.00 short shipped\n")
        payment = self._payment(740.0)
        # A person applies the payment from the review screen, as the advice proposes.
        rows = self.env["billing.match.review"].with_user(self.specialist)._refresh(self.company, payment)
        self.assertEqual(rows.remittance_id, advice)
        self.assertEqual(rows.allocation_ids.move_id, self.inv2 | self.inv3)
        rows.action_apply()
        self.assertEqual(advice.state, "applied")
        self.assertEqual(self.inv2.payment_state, "paid")
        self.assertEqual(self.inv3.amount_residual, 10.0)
        self.assertFalse(advice.line_ids.dispute_id, "the deduction waits for a specialist")
        self.assertFalse(self.inv3.billing_in_dispute, "nothing pauses the follow-up of the deducted 10.00")
        self.assertTrue(advice.message_ids.filtered(lambda m: "open no dispute case until" in (m.body or "")))
        # Vouching opens it, once.
        advice.with_user(self.specialist).action_vouch()
        case = advice.line_ids.dispute_id
        self.assertEqual((case.invoice_ids, case.amount_disputed, case.source_payment_id), (self.inv3, 10.0, payment))
        self.assertTrue(self.inv3.billing_in_dispute)
        with self.assertRaisesRegex(UserError, "vouched for .* already"):
            advice.with_user(self.specialist).action_vouch()
        self.assertEqual(len(advice.line_ids.dispute_id), 1)

    def test_origin_is_the_applications(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n")
        Remittance = self.Remittance.with_user(self.specialist)
        for vals in (
            {"origin": "user"},
            {"origin_user_id": self.specialist.id},
            {"vouched_user_id": self.specialist.id},
            {"vouched_date": "2026-01-01 00:00:00"},
        ):
            with self.assertRaises(AccessError):
                advice.with_user(self.specialist).write(vals)
            with self.assertRaises(AccessError):
                Remittance.create({"partner_id": self.customer.id, **vals})
        self.assertEqual((advice.origin, advice.vouched_user_id.id), ("email", False))
        # Context defaults are no way around it: an advice a specialist enters is the specialist's.
        entered = Remittance.with_context(
            default_origin="email", default_origin_user_id=self.manager.id, default_vouched_user_id=self.manager.id
        ).create({"partner_id": self.customer.id})
        self.assertEqual(
            (entered.origin, entered.origin_user_id, entered.vouched_user_id.id), ("user", self.specialist, False)
        )
        # An e-mailed advice nobody vouched for is not duplicated into a specialist's one.
        with self.assertRaisesRegex(UserError, "vouch for it first"):
            advice.with_user(self.specialist).copy()

    def test_who_may_vouch(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n")
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                advice.with_user(user).action_vouch()
        other = self.setup_other_company(name="Vouch Other Co")["company"]
        outsider = new_test_user(
            self.env,
            login="bs_vouch_outsider",
            groups="base.group_user,billing_specialist.group_billing_user",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        with self.assertRaises(AccessError):
            advice.with_user(outsider).action_vouch()
        self.assertFalse(advice.vouched_user_id)
        imported = self._import(f"ref,amount\n{self.inv3.name},450.00\n".encode())
        with self.assertRaisesRegex(UserError, "nothing to vouch for"):
            imported.with_user(self.specialist).action_vouch()
        unreadable = self._receive("Hello, nothing here")
        self.assertEqual(unreadable.state, "error")
        with self.assertRaisesRegex(UserError, "nothing to vouch for"):
            unreadable.with_user(self.specialist).action_vouch()

    def test_existing_advices_get_their_origin(self):
        """Advices from before the field: those with a sender came by e-mail (``init``)."""
        emailed = self._receive(f"{self.inv2.name} 300.00\n")
        imported = self._import(f"ref,amount\n{self.inv3.name},450.00\n".encode())
        self.env.cr.execute(
            "UPDATE billing_remittance SET origin = NULL, origin_user_id = NULL WHERE id IN %s",
            [(emailed.id, imported.id)],
        )
        self.Remittance.init()
        self.Remittance.invalidate_model()
        self.assertEqual((emailed.origin, emailed.decides), ("email", False))
        self.assertEqual((imported.origin, imported.origin_user_id), ("user", self.specialist))


@tagged("post_install", "-at_install")
class TestRemittanceEvidenceEngine(RemittanceCommon):
    """The rules in the plain engine (matching/remittance.py)."""

    ITEMS = (
        OpenItem(1, ACME, "INV/2026/00012", 300.0, date(2026, 1, 1)),
        OpenItem(2, ACME, "INV/2026/00013", 450.0, date(2026, 1, 1)),
        OpenItem(3, ACME, "INV/2026/00014", 750.0, date(2026, 1, 1)),
        OpenItem(4, GLOBEX, "INV/2026/00015", 750.0, date(2026, 1, 1)),
    )
    LINES = (AdviceLine("INV/2026/00012", 300.0), AdviceLine("INV/2026/00013", 450.0))

    def _propose(self, memo="", decides=True):
        advice = RemittanceRef(5, "RA-1", ACME, self.LINES, decides=decides, sender="ap@acme.example.com")
        return propose_remittance(Matcher(list(self.ITEMS)), Source(9, 750.0, memo, partner_id=ACME), advice)

    def test_a_person_vouched_for_it_decides(self):
        proposal = self._propose("RUN 42")
        self.assertTrue(proposal.applies(THRESHOLD), proposal.explain())
        self.assertEqual(proposal.item_ids, [1, 2])

    def test_unvouched_advice_only_proposes(self):
        proposal = self._propose("RUN 42", decides=False)
        self.assertTrue(proposal.conflict)
        self.assertFalse(proposal.applies(THRESHOLD))
        self.assertEqual(proposal.item_ids, [1, 2], "its proposal is kept for a person")
        self.assertIn("came by e-mail from ap@acme.example.com", proposal.explain())

    def test_memo_naming_other_open_invoices_is_a_conflict(self):
        for memo in ("INV/2026/00014", "inv 2026 14", "INV/2026/00012 INV/2026/00015"):
            proposal = self._propose(memo)
            self.assertTrue(proposal.conflict, memo)
            self.assertIn("the payment's memo names", proposal.explain())
        for memo in ("INV/2026/00012", "INV/2026/00012 INV/2026/00013", "payment run 2209", ""):
            self.assertTrue(self._propose(memo).applies(THRESHOLD), memo)


@tagged("post_install", "-at_install")
class TestRemittanceOriginRpc(EmailedAdviceCommon, HttpCase):
    """The origin and the vouching attacked as a client sends them: JSON-RPC in the attacker's own session."""

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def test_origin_and_vouching_over_json_rpc(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n")
        self.authenticate(self.specialist.login, self.specialist.login)
        for vals in ({"origin": "user"}, {"vouched_user_id": self.specialist.id}):
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._call("billing.remittance", "write", [advice.ids, vals])
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self._call("billing.remittance", "create", [{"partner_id": self.customer.id, **vals}])
        created = self._call(
            "billing.remittance",
            "create",
            [{"partner_id": self.customer.id}],
            {"context": {"default_origin": "email", "default_vouched_user_id": self.manager.id}},
        )
        created = self.Remittance.browse(created)
        self.assertEqual(
            (created.origin, created.origin_user_id, created.vouched_user_id.id), ("user", self.specialist, False)
        )
        self.authenticate(self.internal_user.login, self.internal_user.login)
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("billing.remittance", "action_vouch", [advice.ids])
        self.authenticate(self.specialist.login, self.specialist.login)
        self._call("billing.remittance", "action_vouch", [advice.ids])
        self.assertEqual(advice.vouched_user_id, self.specialist)


@tagged("post_install", "-at_install")
class TestRemittanceOriginTour(ScreenshotTourMixin, EmailedAdviceCommon, HttpCase):
    def test_vouch_for_an_emailed_advice_in_the_browser(self):
        advice = self._receive(f"{self.inv2.name} 300.00\n{self.inv3.name} 440.00 10.00 short shipped\n")
        self.start_tour(
            f"/odoo/action-billing_specialist.billing_remittance_action/{advice.id}",
            "billing_specialist_remittance_vouch_tour",
            login="bs_specialist",
        )
        self.assertEqual((advice.vouched_user_id, advice.decides), (self.specialist, True))


@tagged("post_install", "-at_install")
class TestAdviceEmailWithManyFiles(EmailedAdviceCommon):
    """An e-mail with 50 attachments: the mail fetch stays quick (nothing read in it), one advice, an e-mailed one; a
    second advice file is named on the advice."""

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
