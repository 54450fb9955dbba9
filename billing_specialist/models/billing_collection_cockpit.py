# pylint: disable=consider-merging-classes-inherited
from collections import defaultdict

from odoo import api, fields, models

# How many calls the customer screen lists (the newest); the chatter of the customer keeps them all.
COCKPIT_CALL_LIMIT = 20


class BillingCollection(models.Model):
    """The customer screen of a collector (the cockpit): everything about one customer in one company on one page.

    Non-stored fields, each computed for all the accounts on screen with one query: the contacts, the open
    invoices (overdue, in dispute, promised), the unapplied cash (payments and credit notes not applied), the
    calls logged (``_log_call``), the promises and the disputes. They read with the user's rights.
    """

    _inherit = "billing.collection"

    cockpit_contact_ids = fields.Many2many(
        "res.partner", string="Contacts", compute="_compute_cockpit_contacts", help="The customer and its contacts."
    )
    cockpit_item_ids = fields.Many2many(
        "account.move", string="Open Invoices", compute="_compute_cockpit_items", help="Posted invoices not paid."
    )
    cockpit_open_amount = fields.Monetary(string="Open", compute="_compute_cockpit_items")
    cockpit_overdue_amount = fields.Monetary(string="Overdue", compute="_compute_cockpit_items")
    cockpit_disputed_amount = fields.Monetary(string="In Dispute", compute="_compute_cockpit_items")
    cockpit_promised_amount = fields.Monetary(string="Promised", compute="_compute_cockpit_items")
    cockpit_unapplied_line_ids = fields.Many2many(
        "account.move.line",
        string="Unapplied Cash",
        compute="_compute_cockpit_unapplied",
        help="Posted payments and credit notes of the customer not yet applied to an invoice.",
    )
    cockpit_unapplied_amount = fields.Monetary(string="Unapplied", compute="_compute_cockpit_unapplied")
    cockpit_call_ids = fields.Many2many(
        "mail.message",
        string="Calls",
        compute="_compute_cockpit_calls",
        help="The calls logged with the customer in this company, the newest first.",
    )
    cockpit_promise_ids = fields.Many2many("billing.promise", string="Promises", compute="_compute_cockpit_promises")
    cockpit_dispute_ids = fields.Many2many("billing.dispute", string="Disputes", compute="_compute_cockpit_disputes")

    def _protected_fields(self, operation):
        """The screen's lists and amounts are read, never written: commands sent on them (create, delete) would act
        on the invoices, promises or contacts themselves."""
        protected = super()._protected_fields(operation)
        if operation == "write":
            return protected | {name for name in self._fields if name.startswith("cockpit_")}
        return protected

    def _cockpit_key_domain(self, partner_field, company_field="company_id"):
        """The domain of the records of these accounts' customers and companies (one query for all accounts)."""
        return [(partner_field, "in", self.partner_id.ids), (company_field, "in", self.company_id.ids)]

    def _cockpit_group(self, records, partner_of, company_of):
        """{account: records of its customer and company}, for records read for all accounts at once."""
        by_key = defaultdict(lambda: records.browse())
        for record in records:
            by_key[partner_of(record).id, company_of(record).id] |= record
        return {account: by_key[account.partner_id.id, account.company_id.id] for account in self}

    @api.depends("partner_id")
    def _compute_cockpit_contacts(self):
        for account in self:
            account.cockpit_contact_ids = account.partner_id | account.partner_id.child_ids

    @api.depends("partner_id", "company_id")
    def _compute_cockpit_items(self):
        moves = self.env["account.move"]
        if self.ids:
            moves = moves.search(
                [
                    *self._cockpit_key_domain("commercial_partner_id"),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="invoice_date_due, id",
            )
        today = fields.Date.context_today(self)
        # The part open promises pause (what is still to come of them), as the follow-up and the worklist count it.
        paused = self.env["billing.promise"].sudo()._paused_amounts(moves, today)
        grouped = self._cockpit_group(moves, lambda m: m.commercial_partner_id, lambda m: m.company_id)
        for account, items in grouped.items():
            account.cockpit_item_ids = items
            # Company currency: the residual signed is the company's, disputes and promises are shares of it.
            account.cockpit_open_amount = sum(items.mapped("amount_residual_signed"))
            account.cockpit_overdue_amount = sum(
                items.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today).mapped(
                    "amount_residual_signed"
                )
            )
            account.cockpit_disputed_amount = sum(
                move.billing_disputed_amount * move.amount_residual_signed / move.amount_residual
                for move in items
                if move.amount_residual
            )
            account.cockpit_promised_amount = sum(
                paused[move.id] * move.amount_residual_signed / move.amount_residual
                for move in items
                if move.id in paused and move.amount_residual
            )

    @api.depends("partner_id", "company_id")
    def _compute_cockpit_unapplied(self):
        lines = self.env["account.move.line"]
        if self.ids:
            lines = lines.search(
                [
                    *self._cockpit_key_domain("partner_id.commercial_partner_id"),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("amount_residual", "<", 0),
                ],
                order="date, id",
            )
        grouped = self._cockpit_group(
            lines, lambda line: line.partner_id.commercial_partner_id, lambda line: line.company_id
        )
        for account, unapplied in grouped.items():
            account.cockpit_unapplied_line_ids = unapplied
            account.cockpit_unapplied_amount = -sum(unapplied.mapped("amount_residual"))

    @api.depends("partner_id", "company_id")
    def _compute_cockpit_calls(self):
        messages = self.env["mail.message"]
        subtype = self.env.ref("billing_specialist.mt_billing_collection_call", raise_if_not_found=False)
        if self.ids and subtype:
            messages = messages.search(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", self.partner_id.ids),
                    ("subtype_id", "=", subtype.id),
                    ("record_company_id", "in", self.company_id.ids),
                ],
                order="date desc, id desc",
            )
        grouped = self._cockpit_group(
            messages, lambda m: self.env["res.partner"].browse(m.res_id), lambda m: m.record_company_id
        )
        for account, calls in grouped.items():
            account.cockpit_call_ids = calls[:COCKPIT_CALL_LIMIT]

    @api.depends("partner_id", "company_id")
    def _compute_cockpit_promises(self):
        promises = self.env["billing.promise"]
        if self.ids:
            promises = promises.search(self._cockpit_key_domain("partner_id"), order="date desc, id desc")
        for account, found in self._cockpit_group(promises, lambda p: p.partner_id, lambda p: p.company_id).items():
            account.cockpit_promise_ids = found

    @api.depends("partner_id", "company_id")
    def _compute_cockpit_disputes(self):
        disputes = self.env["billing.dispute"]
        if self.ids:
            disputes = disputes.search(self._cockpit_key_domain("partner_id"), order="date_opened desc, id desc")
        for account, found in self._cockpit_group(disputes, lambda d: d.partner_id, lambda d: d.company_id).items():
            account.cockpit_dispute_ids = found

    def action_open_cockpit(self):
        """The customer screen of this account."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.partner_id.display_name,
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("billing_specialist.billing_collection_view_form_cockpit").id, "form")],
            "target": "current",
        }
