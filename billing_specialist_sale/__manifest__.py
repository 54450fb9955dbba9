# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Billing Specialist: Sales",
    "summary": "Credit control on sales orders: a held customer's order is not confirmed unless a billing manager "
    "overrides; confirmed orders not yet invoiced count in the customer's exposure",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/billing-specialist/billing_specialist",
    "author": "billing_specialist developers",
    "license": "LGPL-3",
    "depends": ["billing_specialist", "sale"],
    "data": [
        "security/ir.model.access.csv",
        "wizards/billing_sale_hold_override_views.xml",
        "views/sale_order_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "billing_specialist_sale/static/tests/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}
