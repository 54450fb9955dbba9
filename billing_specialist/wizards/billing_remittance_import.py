import base64
import binascii

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..matching.remittance_files import MAX_BYTES


class BillingRemittanceImport(models.TransientModel):
    """Import a remittance advice file (CSV, XLSX or PDF) for a customer, read with the customer's saved format."""

    _name = "billing.remittance.import"
    _description = "Import a Remittance Advice"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, check_company=True, domain="[('parent_id', '=', False)]"
    )
    format_id = fields.Many2one(
        "billing.remittance.format",
        compute="_compute_format_id",
        store=True,
        readonly=False,
        check_company=True,
        help="How the file is laid out: the customer's saved format by default.",
    )
    file = fields.Binary(required=True)
    filename = fields.Char()
    date = fields.Date(help="The advice's date when the file has no date column; today by default.")
    reference = fields.Char(help="The customer's reference of the advice.")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id, required=True)

    @api.depends("partner_id", "company_id")
    def _compute_format_id(self):
        Format = self.env["billing.remittance.format"]
        for wizard in self:
            wizard.format_id = (
                Format._for_customer(wizard.partner_id, wizard.company_id) if wizard.partner_id else False
            )

    def action_import(self):
        """Read the file and create the remittance; refused as a whole, naming the rows, when a row is wrong."""
        self.ensure_one()
        if len(self.file or b"") * 3 // 4 > MAX_BYTES + 3:  # refused from its size alone, before it is decoded
            raise UserError(self.env._("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024)))
        try:
            content = base64.b64decode(self.file or b"", validate=True)
        except (binascii.Error, ValueError) as error:
            raise UserError(self.env._("The file is not readable.")) from error
        Remittance = self.env["billing.remittance"]
        advice, source = Remittance._billing_read(
            self.filename or "", content, self.format_id._layout(self.currency_id)
        )
        if source == "pdf" and not self.filename:
            self.filename = "remittance.pdf"
        remittance = Remittance._billing_import(
            self.partner_id.commercial_partner_id,
            self.company_id,
            advice,
            source,
            date=self.date,
            reference=self.reference,
            currency=self.currency_id,
            attachment=(self.filename or "remittance", content),
        )
        # The menu's action on the new advice: the Billing menus and the breadcrumb back to the advices stay.
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_remittance_action")
        action.update(res_id=remittance.id, views=[(False, "form")], view_mode="form", target="current")
        return action
