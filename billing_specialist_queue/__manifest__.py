# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Billing Specialist: Queue Jobs",
    "summary": "Large billing runs as queue_job jobs: one job per chunk of customers, on the channel root.billing",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/billing-specialist/billing_specialist",
    "author": "billing_specialist developers",
    "license": "LGPL-3",
    "depends": ["billing_specialist", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
    ],
    "auto_install": True,
    "installable": True,
}
