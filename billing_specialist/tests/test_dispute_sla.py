from datetime import timedelta

from odoo.tests import tagged

from .common import BillingDisputeCommon


@tagged("post_install", "-at_install")
class TestDisputeSla(BillingDisputeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.activity_type = cls.env.ref("billing_specialist.mail_activity_type_billing_escalation")
        cls.team = cls.env["crm.team"].create({"name": "Key Accounts", "user_id": cls.manager.id})

    def _escalations(self, case):
        return case.activity_ids.filtered(lambda a: a.activity_type_id == self.activity_type)

    def test_cron_escalates_overdue_cases_once(self):
        overdue = self._open_case(self._invoice(100.0), team_id=self.team.id)
        overdue.date_deadline = self.today - timedelta(days=1)
        on_time = self._open_case(self._invoice(100.0))
        closed = self._open_case(self._invoice(100.0))
        closed.date_deadline = self.today - timedelta(days=1)
        closed.action_cancel()

        self.env["billing.dispute"]._cron_check_sla()
        escalation = self._escalations(overdue)
        self.assertEqual(len(escalation), 1)
        self.assertEqual(escalation.user_id, self.manager)
        self.assertTrue(overdue.sla_breached)
        self.assertTrue(overdue.date_escalated)
        self.assertEqual(overdue.priority, "1")
        self.assertFalse(self._escalations(on_time) | self._escalations(closed))
        self.assertTrue(overdue.is_overdue)
        self.assertIn(overdue, self.env["billing.dispute"].search([("is_overdue", "=", True)]))
        self.assertNotIn(on_time, self.env["billing.dispute"].search([("is_overdue", "=", True)]))

        self.env["billing.dispute"]._cron_check_sla()
        overdue.activity_ids.unlink()
        self.env["billing.dispute"]._cron_check_sla()
        self.assertFalse(self._escalations(overdue), "an escalated case is never escalated twice")

    def test_without_team_leader_a_manager_gets_it(self):
        case = self._open_case(self._invoice(100.0))
        case.team_id = False
        case.date_deadline = self.today - timedelta(days=2)
        self.env["billing.dispute"]._cron_check_sla()
        escalation = self._escalations(case)
        self.assertEqual(len(escalation), 1)
        self.assertTrue(escalation.user_id.has_group("billing_specialist.group_billing_manager"))

    def test_closing_late_counts_as_breach(self):
        case = self._open_case(self._invoice(100.0))
        case.date_deadline = self.today - timedelta(days=1)
        self._resolve(case)
        self.assertTrue(case.sla_breached)
        on_time = self._open_case(self._invoice(100.0))
        self._resolve(on_time)
        self.assertFalse(on_time.sla_breached)

    def test_manual_escalation(self):
        case = self._open_case(self._invoice(100.0), team_id=self.team.id)
        case.action_escalate()
        self.assertEqual(len(self._escalations(case)), 1)
        self.assertFalse(case.sla_breached, "escalated early is not a breach")
        case.action_escalate()
        self.assertEqual(len(self._escalations(case)), 1)
