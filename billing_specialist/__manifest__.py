# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Billing Specialist",
    "summary": "Billing workbench: dispute cases that follow the accounting, "
    "payment matching, billing reports and a customer dispute portal",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/billing-specialist/billing_specialist",
    "author": "billing_specialist developers",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["account", "account_payment", "crm", "portal", "mail"],
    "data": [
        # Security: the groups, the access rights (by capability), one file of record rules per capability
        "security/billing_specialist_groups.xml",
        "security/ir.model.access.csv",
        "security/billing_settings_security.xml",
        "security/billing_runs_security.xml",
        "security/billing_dispute_security.xml",
        "security/billing_matching_security.xml",
        "security/billing_remittance_security.xml",
        "security/billing_collection_security.xml",
        "security/billing_invoicing_security.xml",
        "security/billing_report_security.xml",
        "security/billing_credit_security.xml",
        # Shared data (records of several capabilities: sequences, activity types, mail templates, scheduled actions)
        "data/ir_sequence_data.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "data/mail_alias_data.xml",
        "data/ir_cron_data.xml",
        # Disputes
        "data/billing_dispute_stage_data.xml",
        "data/billing_dispute_reason_data.xml",
        "data/billing_dispute_root_cause_data.xml",
        "wizards/billing_dispute_resolve_views.xml",
        "views/billing_dispute_views.xml",
        "views/billing_dispute_config_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/billing_dispute_portal_templates.xml",
        # Settings (Odoo's settings screen)
        "views/res_config_settings_views.xml",
        # Payment matching
        "views/billing_match_views.xml",
        "views/billing_match_review_views.xml",
        # Invoicing: billing runs
        "views/billing_invoice_run_views.xml",
        # Reports: statement, analysis, report wizard
        "report/billing_statement_report.xml",
        "wizards/billing_statement_wizard_views.xml",
        "report/billing_activity_report_views.xml",
        "wizards/billing_report_wizard_views.xml",
        "views/billing_statement_portal_templates.xml",
        # The Billing menu: after the actions it opens; the files below hang their screens under it
        "views/billing_menus.xml",
        # Payment matching: learned habits
        "views/billing_match_habit_views.xml",
        # Payment matching: fee rules
        "views/billing_match_fee_rule_views.xml",
        # Remittance advices
        "data/billing_remittance_data.xml",
        "views/billing_remittance_views.xml",
        # Collections: follow-up, promises, worklist, customer screen
        "data/billing_followup_data.xml",
        "data/billing_followup_run_data.xml",
        "data/billing_promise_data.xml",
        "views/billing_collection_views.xml",
        "report/billing_followup_letter.xml",
        "views/billing_followup_run_views.xml",
        "wizards/billing_followup_line_level_views.xml",
        "views/billing_promise_views.xml",
        "views/billing_promise_portal_templates.xml",
        "views/billing_collection_cockpit_views.xml",
        "report/billing_worklist_views.xml",
        "wizards/billing_collection_call_views.xml",
        "views/res_partner_collection_views.xml",
        # Reports of collections (the collector report hangs under the collections menu)
        "report/billing_collector_report_views.xml",
        # Reports: the cash outlook's screens (Cash Outlook, Outlook Accuracy, under Reporting)
        "report/billing_outlook_views.xml",
        # Invoicing: pre-send checks
        "views/billing_invoice_check_views.xml",
        "wizards/billing_invoice_check_override_views.xml",
        # Credit control: statuses, the release, the customer form
        "data/billing_credit_data.xml",
        "wizards/billing_credit_release_views.xml",
        "views/billing_credit_views.xml",
        # Credit control: its effects on invoices, the worklist and the portal
        "views/billing_credit_effects_views.xml",
        "views/billing_credit_portal_templates.xml",
    ],
    "demo": [
        "demo/billing_specialist_demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "billing_specialist/static/src/workbench/*",
            "billing_specialist/static/src/errors/*",
        ],
        "web.assets_tests": [
            "billing_specialist/static/tests/tours/*.js",
        ],
    },
}
