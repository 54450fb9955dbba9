"""One normalisation everywhere (issue 21, classes 2 and 6), through the ORM as the users would, and its migration."""

import importlib.util
import os
from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.billing_specialist.exceptions import BillingCheckBlocked
from odoo.addons.billing_specialist.models.account_move import fill_ref_keys

from .test_matching import PaymentMatchingCommon
from .test_remittance import RemittanceCommon

# The same PO reference as 'PO-4711', written as a customer's system or a copy-paste may write it.
REFERENCE_VARIANTS = [
    "PO-4711\u00a0",  # trailing no-break space
    "PO-4711\t",
    "PO-4711\u200b",  # zero-width space
    "PO\u200d-47\u200c11",  # zero-width joiner, non-joiner
    "\ufeffPO-4711",  # byte order mark
    "PO\u20114711",  # non-breaking hyphen
    "PO\u22124711",  # minus sign
    "PO\u20134711",  # en dash
    "po-4711",
    "PO 4711",
    "P.O. 4711",
    "PO/4711",
    "\u202ePO-4711\u202c",  # bidi override
    "ＰＯ－４７１１",  # fullwidth
    "PO-\u0664\u0667\u0661\u0661",  # Arabic-Indic digits
    "PO-47\u00ad11",  # soft hyphen
    "\u0420\u041e-4711",  # Cyrillic capitals Er and O, drawn as P and O
    "P\u039f-4711",  # Greek capital Omicron
]


@tagged("post_install", "-at_install")
class TestDuplicateCheckNormalised(PaymentMatchingCommon):
    """The blocking duplicate check compares references by their key, at any date distance (class 6)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        checks = cls.env["billing.invoice.check"].search([("company_id", "=", cls.company.id)])
        checks.mode = "off"
        cls.duplicate = checks.filtered(lambda check: check.code == "duplicate")
        cls.duplicate.write({"mode": "block", "tolerance_percent": 1.0, "days_window": 7})
        cls.original = cls._invoice(1000.0, ref="PO-4711")

    def _findings(self, move):
        return {code: message for code, _severity, message in move._billing_run_checks()[move.id]}

    def test_each_variant_is_the_same_reference_at_any_date(self):
        self.assertEqual(self.original.billing_ref_key, "po4711")
        for days, ref in enumerate(REFERENCE_VARIANTS, start=30):
            draft = self._invoice(3000.0 + days, post=False, ref=ref, invoice_date=self.today + timedelta(days=days))
            self.assertEqual(draft.billing_ref_key, "po4711", repr(ref))
            self.assertIn("same PO reference", self._findings(draft).get("duplicate", ""), repr(ref))
            with self.assertRaises(BillingCheckBlocked, msg=repr(ref)):
                draft.with_user(self.specialist).action_post()
            self.assertEqual(draft.state, "draft")

    def test_thirty_days_apart_and_a_year_back(self):
        later = self._invoice(1000.0, post=False, ref=" po 4711 ", invoice_date=self.today + timedelta(days=30))
        self.assertIn(self.original.name, self._findings(later)["duplicate"])
        earlier = self._invoice(250.0, post=False, ref="P.O.\u00a04711", invoice_date=self.today - timedelta(days=365))
        self.assertIn("same PO reference", self._findings(earlier)["duplicate"])

    def test_the_message_names_the_reference_as_the_other_invoice_writes_it(self):
        """A look-alike reads the same: the message shows the other invoice's reference, so the specialist sees it."""
        draft = self._invoice(80.0, post=False, ref="po\u20114711\u00a0", invoice_date=self.today + timedelta(days=40))
        self.assertIn(f"{self.original.name} (same PO reference PO-4711)", self._findings(draft)["duplicate"])

    def test_other_references_and_customers_are_no_duplicates(self):
        far = self.today + timedelta(days=30)
        for index, ref in enumerate(("PO-47110", "PO-4712", "PO-471", "P0-4711", "ПО-4711")):  # a zero; Cyrillic
            day = far + timedelta(days=10 * index)  # (drafts apart: no duplicates of each other by date)
            draft = self._invoice(3000.0 + 100 * index, post=False, ref=ref, invoice_date=day)
            self.assertNotIn("duplicate", self._findings(draft), repr(ref))
        other = self._invoice(3000.0, post=False, ref="PO-4711", partner=self.other_customer, invoice_date=far)
        self.assertNotIn("duplicate", self._findings(other), "another customer's PO number is its own")
        cancelled = self._invoice(500.0, ref="PO-9999")
        cancelled.button_draft()
        cancelled.button_cancel()
        self.assertNotIn("duplicate", self._findings(self._invoice(9000.0, post=False, ref="po9999", invoice_date=far)))

    def test_blank_references_are_no_reference(self):
        self._invoice(1000.0, ref="\u200b", invoice_date=self.today - timedelta(days=60))
        for index, blank in enumerate(("\u200b", "\u00a0", " - ", "\u3164")):
            day = self.today + timedelta(days=40 + 10 * index)
            draft = self._invoice(5000.0 + 100 * index, post=False, ref=blank, invoice_date=day)
            self.assertFalse(draft.billing_ref_key, repr(blank))
            self.assertNotIn("duplicate", self._findings(draft), repr(blank))

    def test_po_required_on_the_shared_key(self):
        self.checks = self.env["billing.invoice.check"].search([("company_id", "=", self.company.id)])
        self.checks.filtered(lambda check: check.code == "po_required").mode = "block"
        self.customer.billing_po_required = True
        for blank in ("\u3164", "\u2800", "\u200b\u00ad", "\ufe0f"):  # a Hangul filler is a letter showing nothing
            draft = self._invoice(10.0 + len(blank), post=False, ref=blank, invoice_date=self.today + timedelta(90))
            with self.assertRaises(BillingCheckBlocked, msg=repr(blank)):
                draft.with_user(self.specialist).action_post()

    def test_the_key_is_not_written_by_a_client(self):
        draft = self._invoice(3000.0, post=False, ref="PO-4711", invoice_date=self.today + timedelta(days=30))
        for user in (self.specialist, self.manager, self.internal_user):
            with self.assertRaises(AccessError, msg=user.login):
                draft.with_user(user).write({"billing_ref_key": "other"})
            with self.assertRaises(AccessError, msg=user.login):
                draft.with_user(user).write({"ref": "PO-0001", "billing_ref_key": "po4711x"})
        self.assertEqual(draft.billing_ref_key, "po4711")
        draft.with_user(self.specialist).ref = "PO-\u200b0001"
        self.assertEqual(draft.billing_ref_key, "po0001", "the key follows the reference")
        self.assertNotIn("duplicate", self._findings(draft))

    def test_migration_fills_the_keys_of_existing_moves(self):
        """``fill_ref_keys`` is what ``migrations/18.0.1.1.0/pre-migrate.py`` calls, by batches."""
        self.duplicate.mode = "warn"
        other = self._invoice(200.0, ref="ＰＯ－４７１１\u200b")
        blank = self._invoice(300.0, ref="\u00a0")
        moves = self.original | other | blank
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE account_move SET billing_ref_key = 'stale' WHERE id IN %s", tuple(moves.ids)))
        moves.invalidate_recordset(["billing_ref_key"])
        fill_ref_keys(self.env.cr, batch=1)
        self.assertEqual(moves.mapped("billing_ref_key"), ["po4711", "po4711", False])
        draft = self._invoice(50.0, post=False, ref="po 4711", invoice_date=self.today + timedelta(days=60))
        self.assertIn(self.original.name, self._findings(draft)["duplicate"])
        self.assertIn(other.name, self._findings(draft)["duplicate"])


@tagged("post_install", "-at_install")
class TestMatchingNormalised(PaymentMatchingCommon):
    """Two customers whose names shared a key before (class 2) each get their own payment; memos with invisible
    characters find their invoice; learned payer keys are migrated."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mueller = cls.env["res.partner"].create({"name": "Müller GmbH", "is_company": True})
        cls.mller = cls.env["res.partner"].create({"name": "Mller GmbH", "is_company": True})
        cls.aero = cls.env["res.partner"].create({"name": "Ærø Shipping", "is_company": True})
        cls.r_ship = cls.env["res.partner"].create({"name": "R Shipping", "is_company": True})
        cls.inv_mueller = cls._invoice(710.0, partner=cls.mueller)
        cls.inv_mller = cls._invoice(820.0, partner=cls.mller)
        cls.inv_aero = cls._invoice(930.0, partner=cls.aero)
        cls.inv_r = cls._invoice(640.0, partner=cls.r_ship)

    def _run_lines(self, lines):
        return (
            self.env["billing.match.run"]
            .with_user(self.specialist)
            ._run_automatic(self.company, payments=self.env["account.payment"], statement_lines=lines)
        )

    def test_customers_whose_names_collided_get_their_own_payments(self):
        cases = [
            (self.mueller, self.inv_mueller, "MÜLLER GMBH"),
            (self.mller, self.inv_mller, "Mller\u00a0GmbH"),
            (self.aero, self.inv_aero, "AERO SHIPPING"),  # Æ folds to æ, not to 'ae': no customer
            (self.r_ship, self.inv_r, "R\u200bShipping"),
        ]
        lines = {
            payer: self._bank_line(invoice.amount_total, memo="thanks", partner_name=payer)
            for _customer, invoice, payer in cases
        }
        run = self._run_lines(self.env["account.bank.statement.line"].union(*lines.values()))
        for customer, invoice, payer in cases:
            result = run.line_ids.filtered(lambda rec, line=lines[payer]: rec.statement_line_id == line)
            others = (self.inv_mueller | self.inv_mller | self.inv_aero | self.inv_r) - invoice
            self.assertFalse(result.invoice_ids & others, f"{payer}: never another customer's invoice")
            if payer == "AERO SHIPPING":
                continue
            self.assertEqual((result.partner_id, result.invoice_ids), (customer, invoice), payer)
            self.assertIn("customer found from the name", result.reasons, payer)
        for invoice in self.inv_mueller | self.inv_mller | self.inv_aero | self.inv_r:
            self.assertEqual(invoice.amount_residual, invoice.amount_total, "a name alone applies nothing")

    def test_a_memo_with_invisible_characters_is_applied(self):
        number = self.inv1.name  # INV/2026/00001-like
        memo = number.replace("/", "\u2011 ", 1).replace("/", "\u200b/")
        line = self._bank_line(1200.0, memo=memo, partner=self.customer)
        run = self._run_lines(line)
        self.assertEqual((run.line_ids.outcome, run.line_ids.invoice_ids), ("applied", self.inv1), memo)
        self.assertTrue(self.inv1.currency_id.is_zero(self.inv1.amount_residual))

    # ------------------------------------------------------------------ migration of learned payer keys

    def _apply_by_hand(self, line, invoice, partner):
        Review = self.env["billing.match.review"].with_user(self.specialist)
        Review.action_open_review()
        row = Review.search([("statement_line_id", "=", line.id)])
        row.write(
            {
                "partner_id": partner.id,
                "allocation_ids": [
                    Command.clear(),
                    Command.create({"move_id": invoice.id, "amount": invoice.amount_residual}),
                ],
            }
        )
        row.action_apply()

    def _payer_habits(self, customer):
        return (
            self.env["billing.match.habit"]
            .with_context(active_test=False)
            .search([("partner_id", "=", customer.id), ("kind", "in", ("payer_name", "payer_account"))])
        )

    def _set_key(self, habits, key):
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE billing_match_habit SET key = %s WHERE id IN %s", key, tuple(habits.ids)))
        habits.invalidate_recordset(["key"])

    def test_migration_rekeys_learned_payers_from_what_the_bank_wrote(self):
        """Old keys kept [0-9A-Z] only: 'Müller GmbH' and 'Mller GmbH' were both MLLERGMBH, while 'MULLER GMBH' was
        another habit of the same customer. ``_rekey_payers`` is what the post-migrate script calls."""
        taught = [
            (self.mueller, "Müller GmbH", "DE89 3704 0044 0532 0130 00"),
            (self.mueller, "MULLER GMBH", None),
            (self.mller, "Mller GmbH", None),
        ]
        for index, (customer, name, account) in enumerate(taught):
            invoice = self._invoice(100.0 + index, partner=customer)
            line = self._bank_line(100.0 + index, memo="transfer", partner_name=name, account_number=account)
            self._apply_by_hand(line, invoice, customer)
        mueller, mller = self._payer_habits(self.mueller), self._payer_habits(self.mller)
        names = mueller.filtered(lambda habit: habit.kind == "payer_name")
        self.assertEqual(names.key, "mullergmbh", "learned today with the new key: one habit")
        self.assertEqual(names.evidence_count, 2)
        # Back to what 18.0.1.0.0 stored: two habits of Müller, one of Mller with Müller's first key.
        split_off = names.sudo().create(
            {
                "company_id": self.company.id,
                "partner_id": self.mueller.id,
                "kind": "payer_name",
                "key": "MULLERGMBH",
                "active": False,
            }
        )
        names.evidence_ids.filtered(
            lambda ev: ev.statement_line_id.partner_name == "MULLER GMBH"
        ).sudo().habit_id = split_off
        self._set_key(names, "MLLERGMBH")
        self._set_key(mller.filtered(lambda habit: habit.kind == "payer_name"), "MLLERGMBH")
        self._set_key(mueller.filtered(lambda habit: habit.kind == "payer_account"), "DE89370400440532013000")

        kept = self.env["billing.match.habit"]._rekey_payers()

        mueller, mller = self._payer_habits(self.mueller), self._payer_habits(self.mller)
        self.assertTrue(mueller | mller <= kept, "re-keyed (a database with demo data has other habits too)")
        self.assertEqual(
            sorted((h.kind, h.key, h.evidence_count, h.active) for h in mueller),
            [("payer_account", "de89370400440532013000", 1, True), ("payer_name", "mullergmbh", 2, False)],
            "merged, and still switched off as a person asked for one of them",
        )
        self.assertEqual([(h.kind, h.key, h.evidence_count) for h in mller], [("payer_name", "mllergmbh", 1)])
        self.assertFalse(split_off.exists())
        self.assertEqual(self.env["billing.match.habit"]._rekey_payers(), kept, "running it again changes nothing")
        self.assertEqual(
            sorted(mueller.mapped("key") + mller.mapped("key")), ["de89370400440532013000", "mllergmbh", "mullergmbh"]
        )
        habits = self.env["billing.match.habit"]._engine_habits(self.company)
        self.assertIsNone(habits.payer("payer_name", "Müller GmbH"), "switched off")
        self.assertEqual(habits.payer("payer_name", "MLLER\u200bGMBH").partner_id, self.mller.id)
        self.assertEqual(habits.payer("payer_account", "de89 3704 0044 0532 0130 00").partner_id, self.mueller.id)


@tagged("post_install", "-at_install")
class TestRemittanceFingerprintNormalised(RemittanceCommon):
    """An advice imported again with its references written otherwise is still the same advice."""

    def test_same_advice_with_invisible_characters_is_refused(self):
        csv = f"ref,amount\n{self.inv1.name},1200\n{self.inv2.name},300\n".encode()
        first = self._import(csv, reference="ADV-1", date=self.today)
        disguised = f"ref,amount\n{self.inv2.name.lower()}\u200b,300\n\ufeff{self.inv1.name}\u00a0,1200\n"
        with self.assertRaisesRegex(UserError, f"imported already: {first.name}"):
            self._import(disguised.encode(), date=self.today)
        self.assertEqual(self._count(), 1)

    def test_migration_rekeys_fingerprints(self):
        """``_billing_rekey_duplicates`` is what the post-migrate script calls."""
        csv = f"ref,amount\n{self.inv1.name},1200\n".encode()
        first = self._import(csv, date=self.today)
        twin = self._import(f"ref,amount\n{self.inv1.name}\u200b,1200\n".encode(), date=self.today - timedelta(1))
        new_key = first.duplicate_key
        # As 18.0.1.0.0 stored them: references upper-cased only, the twin (same advice, a zero-width space in its
        # reference, imported on another day that a person then corrected) another fingerprint.
        old = {first: "old-first", twin: "old-twin"}
        self.env.flush_all()
        for rem, key in old.items():
            self.env.cr.execute(
                SQL(
                    "UPDATE billing_remittance SET duplicate_key = %s, date = %s WHERE id = %s", key, self.today, rem.id
                )
            )
        (first | twin).invalidate_recordset(["duplicate_key", "date"])
        self.env["billing.remittance"]._billing_rekey_duplicates()
        self.assertEqual(first.duplicate_key, new_key, "the first gets the new fingerprint")
        self.assertEqual(twin.duplicate_key, "old-twin", "its twin keeps its own (one key per advice)")
        with self.assertRaisesRegex(UserError, f"imported already: {first.name}"):
            self._import(f"ref,amount\n{self.inv1.name.lower()}\t,1200\n".encode(), date=self.today)


def _post_migrate():
    """The module of ``migrations/18.0.1.1.0/post-migrate.py`` (its name is no Python identifier)."""
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations", "18.0.1.1.0", "post-migrate.py")
    spec = importlib.util.spec_from_file_location("billing_specialist_post_migrate_18_0_1_1_0", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestChunkHintsMigration(PaymentMatchingCommon):
    def test_waiting_chunks_get_todays_keys(self):
        run = self.env["billing.match.run"].sudo().create({"company_id": self.company.id, "mode": "automatic"})
        Chunk = self.env["billing.run.chunk"].sudo()
        hints = {
            "partners": [self.customer.id],
            "foreign": [],
            "names": [[self.customer.id, "Acme Retail"]],
            "ambiguous": [[self.company.currency_id.id, "INV202600042"]],
        }
        base = {"company_id": self.company.id, "res_model": run._name, "res_id": run.id, "match_run_id": run.id}
        waiting = Chunk.create({**base, "hints": hints})
        done = Chunk.create({**base, "hints": hints, "state": "done"})
        _post_migrate().rekey_chunk_hints(self.env)
        self.assertEqual(waiting.hints["ambiguous"], [[self.company.currency_id.id, "inv202600042"]])
        self.assertEqual(waiting.hints["names"], hints["names"], "raw text, keyed when read")
        self.assertEqual(done.hints["ambiguous"], [[self.company.currency_id.id, "INV202600042"]], "history kept")
