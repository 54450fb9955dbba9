from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeAssignment(BillingDisputeCommon):
    """A case opened on the portal reaches a person: team leader or round-robin, else the default specialist."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_vals = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.specialist_b = new_test_user(
            cls.env,
            login="bs_specialist_b",
            groups="base.group_user,billing_specialist.group_billing_user",
            name="Bea Billing",
            email="bea@example.com",
            **company_vals,
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Billing Desk",
                "company_id": cls.company.id,
                "user_id": cls.manager.id,
                "member_ids": [Command.set([cls.specialist.id, cls.specialist_b.id, cls.internal_user.id])],
            }
        )
        cls.reason_pricing.team_id = cls.team
        cls.company.email = "billing@company.example.com"

    def _portal_case(self, invoice=None, partner=None):
        """As the controller does: superuser with the portal user as ``env.user``, after its access check."""
        invoice = invoice or self._invoice(500.0)
        Dispute = self.env["billing.dispute"].with_user(self.portal_user).sudo()
        return Dispute._portal_create_from_invoice(
            invoice.with_env(Dispute.env),
            (partner or self.customer_contact).with_env(Dispute.env),
            self.reason_pricing.with_env(Dispute.env),
            100.0,
        )

    def test_leader_gets_the_case_an_activity_and_the_team_a_note(self):
        case = self._portal_case()
        self.assertEqual(case.user_id, self.manager)
        self.assertEqual(case.team_id, self.team)
        activity = case.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("Acme Retail", activity.summary)
        note = case.message_ids.filtered(lambda m: "assigned to Morgan Manager" in (m.body or ""))
        self.assertEqual(len(note), 1)
        # The billing members hear of it; the member without billing rights is not told.
        self.assertEqual(set(note.partner_ids.ids), {self.specialist.partner_id.id, self.specialist_b.partner_id.id})

    def test_acknowledgement_is_signed_by_the_company(self):
        case = self._portal_case()
        ack = case.message_ids.filtered(lambda m: "we received your dispute" in (m.subject or ""))
        self.assertEqual(len(ack), 1)
        self.assertEqual(ack.author_id, self.company.partner_id)
        self.assertIn("billing@company.example.com", ack.email_from)
        self.assertRegex(ack.body, rf"Kind regards,<br>\s*{self.company.name}\s*</p>")
        self.assertNotIn("OdooBot", ack.body)

    def test_round_robin_gives_each_specialist_a_turn(self):
        self.company.billing_dispute_assignment = "round_robin"
        assignees = [self._portal_case().user_id for _index in range(4)]
        # Only the billing specialists of the team take turns (Ian has no billing rights); none twice in a row.
        self.assertEqual(set(assignees), {self.specialist, self.specialist_b})
        self.assertEqual(assignees[0:2], assignees[2:4])
        self.assertNotEqual(assignees[0], assignees[1])

    def test_round_robin_starts_with_who_waited_longest(self):
        self.company.billing_dispute_assignment = "round_robin"
        membership = self.team.crm_team_member_ids.filtered(lambda m: m.user_id == self.specialist)
        membership.sudo().billing_last_turn = 1
        other = self.team.crm_team_member_ids.filtered(lambda m: m.user_id == self.specialist_b)
        other.sudo().billing_last_turn = 2
        self.assertEqual(self._portal_case().user_id, self.specialist)
        self.assertEqual(self._portal_case().user_id, self.specialist_b)

    def test_no_billing_leader_falls_back_to_the_default_specialist(self):
        self.team.user_id = self.internal_user
        self.company.billing_dispute_default_user_id = self.specialist_b
        self.assertEqual(self._portal_case().user_id, self.specialist_b)
        self.reason_pricing.team_id = False
        self.assertEqual(self._portal_case().user_id, self.specialist_b)

    def test_never_odoobot(self):
        odoobot = self.env.ref("base.user_root")
        self.assertTrue(odoobot.has_group("billing_specialist.group_billing_manager"))
        self.team.user_id = odoobot
        case = self._portal_case()
        self.assertFalse(case.user_id)
        self.assertTrue(case.message_ids.filtered(lambda m: "No specialist could be assigned" in (m.body or "")))
        self.assertNotIn(odoobot, case.activity_ids.user_id)
        with self.assertRaisesRegex(ValidationError, "default specialist"):
            self.company.billing_dispute_default_user_id = odoobot

    def test_default_specialist_must_be_a_billing_specialist_of_the_company(self):
        for user in (self.portal_user, self.internal_user):
            with self.assertRaisesRegex(ValidationError, "default specialist"):
                self.company.billing_dispute_default_user_id = user
        other_company = self.env["res.company"].create({"name": "Other Co"})
        with self.assertRaisesRegex(ValidationError, "default specialist"):
            other_company.billing_dispute_default_user_id = self.specialist
        self.company.billing_dispute_default_user_id = self.specialist
        self.assertEqual(self.company.billing_dispute_default_user_id, self.specialist)

    def test_turn_cannot_be_moved_by_a_client(self):
        sales_manager = new_test_user(
            self.env,
            login="bs_sales_manager",
            groups="base.group_user,sales_team.group_sale_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        membership = self.team.crm_team_member_ids[:1]
        with self.assertRaises(AccessError):
            membership.with_user(sales_manager).write({"billing_last_turn": 99})
        with self.assertRaises(AccessError):
            self.env["crm.team.member"].with_user(sales_manager).create(
                {
                    "crm_team_id": self.team.id,
                    "user_id": self.manager.id,
                    "billing_last_turn": 99,
                }
            )
        self.assertFalse(membership.billing_last_turn)

    def test_specialist_cannot_change_the_assignment_settings(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.specialist).write({"billing_dispute_assignment": "round_robin"})
        self.assertEqual(self.company.billing_dispute_assignment, "leader")

    def test_back_office_case_keeps_its_creator(self):
        case = self._open_case(self._invoice(100.0))
        self.assertEqual(case.user_id, self.specialist)
        self.assertFalse(case.activity_ids)


@tagged("post_install", "-at_install")
class TestDisputeSignatureAndScreens(BillingDisputeCommon):
    def test_resolution_email_is_signed_by_the_resolver(self):
        case = self._open_case(self._invoice(300.0), user_id=self.specialist.id)
        self._resolve(case, amounts=[300.0], user=self.manager, note="Price corrected.")
        notice = case.message_ids.filtered(lambda m: "is resolved" in (m.subject or ""))
        self.assertEqual(len(notice), 1)
        self.assertEqual(notice.author_id, self.manager.partner_id)
        self.assertIn("morgan@example.com", notice.email_from)
        self.assertIn("Morgan Manager", notice.body)

    def test_rejection_email_is_signed_by_the_resolver(self):
        case = self._open_case(self._invoice(300.0), user_id=self.manager.id)
        self._resolve(case, resolution="reject", user=self.specialist, note="Quantities match the delivery.")
        notice = case.message_ids.filtered(lambda m: "was not accepted" in (m.subject or ""))
        self.assertEqual(notice.author_id, self.specialist.partner_id)
        self.assertIn("Sam Specialist", notice.body)

    def test_deadline_status_and_the_kanban_bar(self):
        cases = self.env["billing.dispute"]
        for days in (-3, 1, 10):
            case = self._open_case(self._invoice(100.0 + days * 0 + len(cases)))
            case.date_deadline = self.today + timedelta(days=days)
            cases |= case
        closed = self._open_case(self._invoice(50.0))
        closed.date_deadline = self.today - timedelta(days=5)
        closed.action_cancel()
        self.assertEqual(cases.mapped("deadline_status"), ["overdue", "due_soon", "on_time"])
        self.assertFalse(closed.deadline_status)
        Dispute = self.env["billing.dispute"].with_user(self.specialist)
        domain = [("id", "in", (cases | closed).ids)]
        bars = Dispute.read_progress_bar(
            domain, "stage_id", {"field": "deadline_status", "colors": {"on_time": "", "due_soon": "", "overdue": ""}}
        )
        new_stage = str(cases[0].stage_id.id)
        self.assertEqual(bars[new_stage], {"on_time": 1, "due_soon": 1, "overdue": 1})
        self.assertEqual(Dispute.search(domain + [("deadline_status", "=", "due_soon")]), cases[1])
        self.assertEqual(Dispute.search(domain + [("deadline_status", "!=", "on_time")]), cases[:2] | closed)
        self.assertEqual(Dispute.search(domain + [("deadline_status", "=", False)]), closed)
        groups = Dispute.read_group(domain, ["amount_remaining:sum"], ["stage_id"])
        self.assertIn(sum(cases.mapped("amount_remaining")), [g["amount_remaining"] for g in groups])

    def test_invoice_banner_names_the_case(self):
        invoice = self._invoice(400.0)
        case = self._open_case(invoice, amount=100.0)
        self.assertEqual(invoice.with_user(self.specialist).billing_open_dispute_id, case)
        arch = invoice.with_user(self.specialist).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="billing_open_dispute_id"', arch)
        self.assertNotIn("Follow-ups", arch)
        # An invoicing user without billing rights still sees the banner, without the case he cannot open.
        arch = invoice.with_user(self.internal_user).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("This invoice is in dispute", arch)
        self.assertNotIn('name="billing_open_dispute_id"', arch)
        case.action_cancel()
        self.assertFalse(invoice.with_user(self.specialist).billing_open_dispute_id)

    def test_form_hides_state_buttons_on_a_new_case_and_counts_invoices(self):
        arch = (
            self.env["billing.dispute"].with_user(self.specialist).get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("not id or state != 'new'", arch)
        self.assertIn('name="invoice_count"', arch)
        case = self._open_case(self._invoice(100.0) | self._invoice(200.0))
        self.assertEqual(case.invoice_count, 2)
