"""Invoicing's demo: drafts the pre-send checks stop, a billing run with outcomes, and clean drafts to try one."""

from odoo import Command, api, fields, models


class BillingInvoiceRunDemo(models.Model):
    _inherit = "billing.invoice.run"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_checks(self):
        """Two drafts the pre-send checks stop: a near-duplicate of a posted invoice, and an invoice without the PO
        reference its customer requires (both checks set to block in the demo)."""
        company = self.env.company
        if not company.chart_template:
            return
        checks = self.env["billing.invoice.check"].search(
            [("company_id", "=", company.id), ("code", "in", ("duplicate", "po_required"))]
        )
        checks.mode = "block"
        posted = self.env["account.move"].search(
            [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")],
            order="invoice_date desc, id desc",
            limit=1,
        )
        customer = self.env.ref("billing_specialist.partner_northwind_demo")
        customer.billing_po_required = True
        drafts = posted.copy({"invoice_date": posted.invoice_date, "ref": posted.ref})
        drafts |= self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.child_ids[:1].id or customer.id,
                "invoice_date": fields.Date.context_today(self),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.env.ref("billing_specialist.product_support_demo").id,
                            "quantity": 1,
                            "price_unit": 300.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        drafts |= self._demo_lookalike_po(company)
        drafts._billing_run_checks()

    @api.model
    def _demo_lookalike_po(self, company):
        """A draft whose PO reference only looks different from a posted invoice's (lower case, a no-break hyphen,
        a trailing no-break space): the duplicate check compares normalised references, at any date."""
        posted = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("ref", "=like", "PO-%"),
            ],
            order="id",
            limit=1,
        )
        if not posted:
            return self.env["account.move"]
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": posted.partner_id.id,
                "invoice_date": fields.Date.context_today(self),
                "ref": posted.ref.lower().replace("-", "\u2011") + "\u00a0",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.env.ref("billing_specialist.product_widget_demo").id,
                            "quantity": 3,
                            "price_unit": 45.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )

    @api.model
    def _demo_generate_billing_run(self):
        """A billing run of the demo specialist, so *Billing Runs* shows outcomes: two new invoices posted and
        e-mailed, the two drafts the checks stop (above) blocked; and two clean drafts left to try a run with."""
        company = self.env.company
        if not company.chart_template:
            return
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        Move = self.env["account.move"].with_user(specialist)
        blocked = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "draft"),
                ("billing_check_result_ids", "!=", False),
            ]
        )
        drafts = self._demo_drafts(Move, ("harbor", "lakeside"), 5100)
        self.with_user(specialist)._create_for_invoices(drafts | blocked).action_run()
        # Two clean drafts left for a new run (Billing Run from the invoice list), beside the two blocked ones.
        self._demo_drafts(Move, ("greenleaf", "sunrise"), 5200)

    @api.model
    def _demo_drafts(self, Move, customers, first_po):
        """A draft invoice dated today for each of ``customers`` (demo keys), with a PO reference from ``first_po``."""
        product = self.env.ref("billing_specialist.product_consulting_demo")
        today = fields.Date.context_today(self)
        return Move.create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.env.ref(f"billing_specialist.partner_{key}_demo").id,
                    "invoice_date": today,
                    "ref": f"PO-{first_po + index}",
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": product.id, "quantity": 2 + index, "price_unit": product.list_price}
                        )
                    ],
                }
                for index, key in enumerate(customers)
            ]
        )
