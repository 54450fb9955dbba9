"""The demo ledger every capability's demo builds on: invoices of twelve customers, paid, partly paid or open.

Built with the ORM (not XML) so that invoices are posted and paid through Odoo's own flows. Dates are relative to
today so the aging looks alive. Plain functions of ``env``: each capability's demo file (``billing_*_demo.py``)
calls them.
"""

from datetime import timedelta

from odoo import Command, fields

DEMO_CUSTOMERS = [
    "harbor",
    "northwind",
    "bluepeak",
    "greenleaf",
    "ironworks",
    "sunrise",
    "lakeside",
    "quantum",
    "redwood",
    "atlas",
    "pioneer",
    "coastal",
]
DEMO_PRODUCTS = ["consulting", "widget", "support"]


def demo_customers(env):
    """The twelve demo customers (companies), in the order of ``DEMO_CUSTOMERS``."""
    return [env.ref(f"billing_specialist.partner_{key}_demo") for key in DEMO_CUSTOMERS]


def sale_journal(env, company):
    """The company's first sales journal."""
    Journal = env["account.journal"]
    return Journal.search([*Journal._check_company_domain(company), ("type", "=", "sale")], limit=1)


def bank_journal(env, company):
    """The company's first bank journal (the demo's payments and bank lines go there)."""
    Journal = env["account.journal"]
    return Journal.search([*Journal._check_company_domain(company), ("type", "=", "bank")], limit=1)


def open_by_customer(env, company):
    """The company's posted invoices left unpaid and out of dispute, by customer, oldest first."""
    open_items = env["account.move"].search(
        [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "=", "not_paid"),
            ("billing_in_dispute", "=", False),
        ],
        order="invoice_date, id",
    )
    by_customer = {}
    for invoice in open_items:
        by_customer.setdefault(invoice.commercial_partner_id, []).append(invoice)
    return by_customer


def create_ledger(env, company, rng):
    """Four posted invoices per demo customer, then payments: a third paid in full, a sixth partly paid, the rest
    open (most of them overdue). Returns ``(open_invoices, partial)``, oldest first. Sets the company's write-off
    account. ``rng`` is the demo's seeded random generator; the caller goes on drawing from it."""
    writeoff_account = env["account.account"].search(
        [*env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")], limit=1
    )
    company.billing_writeoff_account_id = writeoff_account
    invoices = env["account.move"].create(_invoice_vals_list(env, company, rng))
    invoices.action_post()
    invoices = invoices.sorted(lambda m: (m.invoice_date, m.id))
    paid, partial, open_invoices = [], [], []
    for position, invoice in enumerate(invoices):
        bucket = position % 6
        (paid if bucket in (0, 3) else partial if bucket == 1 else open_invoices).append(invoice)
    _pay(env, company, rng, paid, partial)
    return open_invoices, partial


def _invoice_vals_list(env, company, rng):
    """Four invoices per customer, of one to three demo products, dated 5 to 140 days ago, due 30 days later."""
    today = fields.Date.context_today(env["account.move"])
    products = [env.ref(f"billing_specialist.product_{key}_demo") for key in DEMO_PRODUCTS]
    journal = sale_journal(env, company)
    admin = env.ref("base.user_admin")
    vals_list = []
    for index, customer in enumerate(demo_customers(env)):
        for number in range(4):
            days_ago = rng.randint(5, 140)
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.child_ids[:1].id or customer.id,
                    "invoice_date": today - timedelta(days=days_ago),
                    "invoice_date_due": today - timedelta(days=days_ago - 30),
                    "journal_id": journal.id,
                    "invoice_user_id": admin.id,  # the portal shows a salesperson, not OdooBot
                    "ref": f"PO-{4100 + index * 10 + number}",
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "quantity": rng.randint(1, 12),
                                "price_unit": product.list_price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                        for product in rng.sample(products, rng.randint(1, 3))
                    ],
                }
            )
    return vals_list


def _pay(env, company, rng, paid, partial):
    """Registers the payments of ``paid`` (in full) and ``partial`` (40 %), 10 to 45 days after each invoice."""
    today = fields.Date.context_today(env["account.move"])
    bank = bank_journal(env, company)
    for invoice in paid + partial:
        amount = invoice.amount_total if invoice in paid else round(invoice.amount_total * 0.4, 2)
        env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {
                "amount": amount,
                "journal_id": bank.id,
                "payment_date": min(invoice.invoice_date + timedelta(days=rng.randint(10, 45)), today),
                "payment_difference_handling": "open",
            }
        )._create_payments()


def support_moves(env, company, partner, move_type, ages_quantities):
    """Posted customer invoices or credit notes (``move_type``) of ``partner``, one per (age in days, quantity) of
    the support product, without taxes."""
    today = fields.Date.context_today(env["account.move"])
    product = env.ref("billing_specialist.product_support_demo")
    moves = env["account.move"].create(
        [
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "journal_id": sale_journal(env, company).id,
                "invoice_date": today - timedelta(days=days),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": product.list_price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
            for days, quantity in ages_quantities
        ]
    )
    moves.action_post()
    return moves
