from datetime import date

from odoo.tests import BaseCase, tagged

from odoo.addons.billing_specialist.matching import Matcher, OpenItem, Source, normalize
from odoo.addons.billing_specialist.matching.engine import number_keys

ACME, GLOBEX, INITECH = 1, 2, 3


def item(id_, number, amount, partner=ACME, due=(2026, 1, 1), refs=(), disputed=0.0):
    return OpenItem(id_, partner, number, amount, date(*due), tuple(refs), disputed)


@tagged("post_install", "-at_install")
class TestMatchingEngine(BaseCase):
    """The candidate search and scoring, case by case, without a database."""

    def setUp(self):
        super().setUp()
        self.items = [
            item(1, "INV/2026/00042", 1200.0, due=(2026, 1, 10), refs=["PO-7781"]),
            item(2, "INV/2026/00043", 300.0, due=(2026, 1, 20)),
            item(3, "INV/2026/00044", 450.0, due=(2026, 2, 1)),
            item(4, "INV/2026/00107", 99.0, partner=GLOBEX),
            item(5, "INV/2026/00108", 99.0, partner=GLOBEX, due=(2026, 2, 1)),
            item(6, "INV/2026/00109", 99.0, partner=GLOBEX, due=(2026, 3, 1)),
            item(7, "INV/2026/00200", 500.0, partner=INITECH, disputed=200.0),
            item(8, "RINV/2026/00003", -50.0, partner=ACME),
        ]
        self.matcher = Matcher(
            self.items,
            partner_names={ACME: "Acme Retail", GLOBEX: "Globex Stores", INITECH: "Initech Ltd"},
            account_partners={"BE71 0961 2345 6769": INITECH},
            tolerance_amount=1.0,
            tolerance_percent=0.5,
        )

    def best(self, **kwargs):
        proposals = self.matcher.propose(Source(id=100, **kwargs))
        return proposals[0] if proposals else None

    def test_normalize_and_keys(self):
        self.assertEqual(normalize(" inv/2026-00042 "), "INV202600042")
        self.assertEqual(number_keys("INV/2026/00042"), {"INV202600042", "202600042", "INV202642", "202642"})

    def test_reference_written_differently(self):
        for memo in ("INV/2026/00042", "inv 2026 00042", "Payment inv-2026-42 thanks", "2026/00042",
                     "REF:INV202600042"):  # fmt: skip
            proposal = self.best(amount=1200.0, memo=memo, partner_id=ACME)
            self.assertEqual(proposal.item_ids, [1], memo)
            self.assertEqual(proposal.confidence, 98, memo)
            self.assertIn("INV/2026/00042 found in the memo", proposal.explain())

    def test_several_numbers_in_one_memo(self):
        proposal = self.best(amount=1500.0, memo="INV/2026/00042 + INV/2026/00043", partner_id=ACME)
        self.assertEqual(sorted(proposal.item_ids), [1, 2])
        self.assertEqual(proposal.confidence, 98)

    def test_customer_reference(self):
        proposal = self.best(amount=1200.0, memo="our PO 7781", partner_id=ACME)
        self.assertEqual(proposal.item_ids, [1])
        self.assertTrue(proposal.auto_ok)

    def test_typo_in_reference(self):
        # Transposed digits are two edits: not taken as a reference (here the unique amount finds the invoice).
        proposal = self.best(amount=1200.0, memo="INV/2026/00024 paid", partner_id=ACME)
        self.assertEqual(proposal.item_ids, [1])
        self.assertNotIn("found in the memo", proposal.explain())
        proposal = self.best(amount=1200.0, memo="INV/2026/000042", partner_id=ACME)  # one extra character
        self.assertEqual((proposal.item_ids, proposal.confidence), ([1], 90))
        self.assertIn("INV/2026/00042 found in the memo with one typo", proposal.explain())
        wrong_amount = self.best(amount=700.0, memo="INV/2026/000042", partner_id=ACME)
        self.assertEqual(wrong_amount.item_ids, [1])
        self.assertFalse(wrong_amount.auto_ok)

    def test_amount_and_partner_without_reference(self):
        proposal = self.best(amount=450.0, memo="thank you", partner_id=ACME)
        self.assertEqual((proposal.item_ids, proposal.confidence), ([3], 90))

    def test_recurring_amounts_are_never_guessed(self):
        proposals = self.matcher.propose(Source(id=1, amount=99.0, memo="monthly fee", partner_id=GLOBEX))
        self.assertEqual([p.item_ids for p in proposals], [[4], [5], [6]], "oldest due first")
        self.assertTrue(all(p.confidence == 40 and not p.auto_ok for p in proposals))
        named = self.best(amount=99.0, memo="fee INV/2026/00108", partner_id=GLOBEX)
        self.assertEqual((named.item_ids, named.confidence), ([5], 98))

    def test_one_payment_for_several_invoices(self):
        proposal = self.best(amount=750.0, memo="", partner_id=ACME)  # 300 + 450
        self.assertEqual(sorted(proposal.item_ids), [2, 3])
        self.assertEqual(proposal.confidence, 80)
        self.assertIn("2 items sum to the amount", proposal.explain())

    def test_partial_payment_of_a_named_invoice(self):
        proposal = self.best(amount=500.0, memo="INV/2026/00042", partner_id=ACME)
        self.assertEqual([(a.item_id, a.amount) for a in proposal.allocations], [(1, 500.0)])
        self.assertEqual(proposal.confidence, 93)

    def test_overpayment_leaves_open_credit(self):
        proposal = self.best(amount=1300.0, memo="INV/2026/00042", partner_id=ACME)
        self.assertEqual([(a.item_id, a.amount) for a in proposal.allocations], [(1, 1200.0)])
        self.assertEqual(proposal.remainder, 100.0)
        self.assertEqual(proposal.confidence, 93)

    def test_small_difference_within_tolerance_is_written_off(self):
        proposal = self.best(amount=1199.6, memo="INV/2026/00042", partner_id=ACME)
        self.assertEqual([(a.item_id, a.amount) for a in proposal.allocations], [(1, 1200.0)])
        self.assertAlmostEqual(proposal.writeoff, 0.4)
        self.assertEqual(proposal.confidence, 95)
        outside = self.best(amount=1150.0, memo="INV/2026/00042", partner_id=ACME)
        self.assertEqual(outside.writeoff, 0.0, "50 is beyond 1.00 and 0.5%: a partial payment, not a write-off")

    def test_partner_from_reference_account_or_name(self):
        from_ref = self.best(amount=300.0, memo="INV/2026/00043")
        self.assertEqual((from_ref.partner_id, from_ref.item_ids), (ACME, [2]))
        self.assertIn("customer found from the reference", from_ref.explain())
        from_account = self.best(amount=300.0, memo="", account_number="BE71096123456769")
        self.assertEqual(from_account.partner_id, INITECH)
        from_name = self.best(amount=450.0, memo="", payer_name="ACME RETAIL INC")
        self.assertEqual((from_name.partner_id, from_name.item_ids, from_name.confidence), (ACME, [3], 80))
        self.assertIsNone(self.best(amount=450.0, memo="hello"))

    def test_disputed_item(self):
        by_amount = self.best(amount=300.0, memo="", partner_id=INITECH)
        self.assertEqual([(a.item_id, a.amount) for a in by_amount.allocations], [(7, 300.0)])
        self.assertFalse(by_amount.auto_ok, "never automatic on a disputed item found by amount")
        self.assertIn("disputed: only the undisputed part is applied", by_amount.explain())
        named = self.best(amount=500.0, memo="INV/2026/00200 in full", partner_id=INITECH)
        self.assertEqual([(a.item_id, a.amount) for a in named.allocations], [(7, 500.0)])
        self.assertTrue(named.auto_ok, "the memo names the disputed invoice exactly")

    def test_open_credit_note_offsets(self):
        proposal = self.best(amount=1150.0, memo="INV/2026/00042 less RINV/2026/00003", partner_id=ACME)
        self.assertEqual([(a.item_id, a.amount) for a in proposal.allocations], [(8, -50.0), (1, 1200.0)])
        self.assertEqual(proposal.confidence, 98)

    def test_named_item_with_another_amount_while_another_item_matches(self):
        # 00043 is named but the amount is that of 00044: probably a typo in the reference; never automatic.
        proposal = self.best(amount=450.0, memo="INV/2026/00043", partner_id=ACME)
        self.assertEqual(proposal.item_ids, [2])
        self.assertEqual(proposal.confidence, 60)
        self.assertIn("but INV/2026/00044 matches the amount exactly", proposal.explain())

    def test_other_customers_items_are_not_taken(self):
        proposal = self.best(amount=99.0, memo="INV/2026/00107", partner_id=ACME)
        self.assertFalse(proposal and 4 in proposal.item_ids)
