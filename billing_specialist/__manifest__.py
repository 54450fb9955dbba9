# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Billing Specialist",
    "summary": "Billing workbench: dispute cases that follow the accounting, "
    "payment matching, billing reports and a customer dispute portal",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/billing-specialist/billing_specialist",
    "author": "billing_specialist developers",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["account", "crm", "portal", "mail"],
    "data": [
        "security/billing_specialist_groups.xml",
        "security/ir.model.access.csv",
        "security/billing_dispute_security.xml",
        "data/ir_sequence_data.xml",
        "data/billing_dispute_stage_data.xml",
        "data/billing_dispute_reason_data.xml",
        "data/billing_dispute_root_cause_data.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "wizards/billing_dispute_resolve_views.xml",
        "views/billing_dispute_views.xml",
        "views/billing_dispute_config_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/billing_menus.xml",
        "views/billing_dispute_portal_templates.xml",
        "report/billing_statement_report.xml",
        "views/billing_statement_portal_templates.xml",
    ],
    "demo": [
        "demo/billing_specialist_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "billing_specialist/static/tests/tours/*.js",
        ],
    },
}
