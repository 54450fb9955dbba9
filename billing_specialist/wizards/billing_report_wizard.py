import base64
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date, formatLang

from ..report.billing_workbook import KPI_ROWS


class BillingReportWizard(models.TransientModel):
    """Billing-activity report: a period and filters, the KPIs at a glance, the analysis and the XLSX workbook."""

    _name = "billing.report.wizard"
    _description = "Billing Activity Report"

    def _default_date_from(self):
        today = fields.Date.context_today(self)
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)

    def _default_date_to(self):
        return fields.Date.context_today(self).replace(day=1) - timedelta(days=1)

    date_from = fields.Date(required=True, default=_default_date_from)
    date_to = fields.Date(required=True, default=_default_date_to)
    company_ids = fields.Many2many(
        "res.company", string="Companies", required=True, default=lambda self: self.env.companies
    )
    team_ids = fields.Many2many("crm.team", string="Sales Teams")
    user_ids = fields.Many2many("res.users", string="Specialists", domain="[('share', '=', False)]")
    partner_ids = fields.Many2many("res.partner", string="Customers")
    kpi_html = fields.Html(string="Key Figures", compute="_compute_kpi_html", sanitize=False)
    aging_html = fields.Html(string="Aged Receivables", compute="_compute_kpi_html", sanitize=False)

    @api.depends("date_from", "date_to", "company_ids", "team_ids", "user_ids", "partner_ids")
    def _compute_kpi_html(self):
        for wizard in self:
            if not (wizard.date_from and wizard.date_to) or wizard.date_from > wizard.date_to:
                wizard.kpi_html = wizard.aging_html = False
                continue
            if not wizard._companies(raise_if_none=False):
                wizard.kpi_html = Markup("<p class='text-muted'>%s</p>") % self.env._(
                    "Choose at least one of your companies."
                )
                wizard.aging_html = False
                continue
            kpis = wizard._get_kpis()
            currency = kpis["currency"]
            rows = []
            for key, label, kind, definition in KPI_ROWS:
                value = kpis.get(key)
                reason = kpis["na_reasons"].get(key)
                if reason:
                    definition = Markup("%s<br/><em>%s</em>") % (
                        str(definition),
                        self.env._("n/a: %(reason)s", reason=reason),
                    )
                if value is None:
                    shown = self.env._("n/a")
                elif kind == "money":
                    shown = formatLang(self.env, value, currency_obj=currency)
                elif kind == "count":
                    shown = str(value)
                else:
                    shown = formatLang(self.env, value, digits=1)
                rows.append(
                    Markup(
                        "<tr><td>%s</td><td class='text-end fw-bold'>%s</td><td class='text-muted small'>%s</td></tr>"
                    )
                    % (str(label), shown, definition if reason else str(definition))
                )
            wizard.kpi_html = Markup("<table class='table table-sm o_billing_kpis'>%s</table>") % Markup("").join(rows)
            wizard.aging_html = wizard._aging_table(kpis["aging"])

    def _aging_table(self, aging, limit=50):
        currency = aging["currency"]

        def money(value):
            return formatLang(self.env, value, currency_obj=currency)

        partners = self.env["res.partner"].browse(
            [row["partner_id"] for row in aging["rows"][:limit] if row["partner_id"]]
        )
        names = {partner.id: partner.display_name for partner in partners}
        cell = Markup("<td class='text-end'>%s</td>")
        head = Markup("").join(Markup("<th class='text-end'>%s</th>") % label for label in aging["buckets"])
        body = Markup("").join(
            Markup("<tr><td>%s</td>%s<td class='text-end fw-bold'>%s</td></tr>")
            % (
                names.get(row["partner_id"], self.env._("No customer")),
                Markup("").join(cell % money(amount) for amount in row["amounts"]),
                money(row["total"]),
            )
            for row in aging["rows"][:limit]
        )
        foot = Markup("<tr class='fw-bold'><td>%s</td>%s<td class='text-end'>%s</td></tr>") % (
            self.env._("Total"),
            Markup("").join(cell % money(amount) for amount in aging["totals"]),
            money(aging["total"]),
        )
        values = {
            "date": format_date(self.env, aging["as_of"]),
            "balance": money(aging["ledger_balance"]),
            "count": len(aging["rows"]),
            "limit": limit,
        }
        if len(aging["rows"]) > limit:
            note = self.env._(
                "On %(date)s. Receivable accounts balance: %(balance)s. %(count)s customers; the %(limit)s largest "
                "shown, all in the workbook.",
                **values,
            )
        else:
            note = self.env._("On %(date)s. Receivable accounts balance: %(balance)s. %(count)s customers.", **values)
        return Markup(
            "<p class='text-muted small'>%s</p><table class='table table-sm o_billing_aging'>"
            "<thead><tr><th>%s</th>%s<th class='text-end'>%s</th></tr></thead><tbody>%s%s</tbody></table>"
        ) % (note, self.env._("Customer"), head, self.env._("Total"), body, foot)

    def _filters(self):
        self.ensure_one()
        return {
            "team_ids": self.team_ids.ids or None,
            "user_ids": self.user_ids.ids or None,
            "partner_ids": self.partner_ids.commercial_partner_id.ids or None,
        }

    def _companies(self, raise_if_none=True):
        """The chosen companies the user may report on (others are left out); a clear error when none is left."""
        self.ensure_one()
        # _origin: on the form (a new record) the companies are NewIds, and NewId & real ids is always empty.
        chosen = self.company_ids._origin
        companies = chosen if self.env.su else chosen & self.env.user.company_ids
        if not companies and raise_if_none:
            raise UserError(self.env._("Choose at least one of your companies for the report."))
        return companies

    def _get_kpis(self):
        self.ensure_one()
        return self.env["billing.kpi"]._get_kpis(self._companies(), self.date_from, self.date_to, **self._filters())

    def action_open_analysis(self):
        self.ensure_one()
        domain = [
            ("invoice_date", ">=", self.date_from),
            ("invoice_date", "<=", self.date_to),
            ("company_id", "in", self._companies().ids),
        ]
        if self.team_ids:
            domain.append(("team_id", "in", self.team_ids.ids))
        if self.partner_ids:
            domain.append(("partner_id", "in", self.partner_ids.commercial_partner_id.ids))
        action = self.env["ir.actions.act_window"]._for_xml_id("billing_specialist.billing_activity_report_action")
        action["domain"] = domain
        return action

    def _workbook_filename(self):
        return f"billing-activity-{self.date_from}-{self.date_to}.xlsx"

    def action_download_xlsx(self):
        self.ensure_one()
        content = self.env["billing.workbook"]._build(
            self._companies(), self.date_from, self.date_to, **self._filters()
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": self._workbook_filename(),
                "raw": content,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _cron_send_weekly_workbook(self):
        """E-mail last week's workbook to each company's billing managers (the scheduled action is off by default)."""
        # Superuser: the scheduled action reports on every company, whichever user runs it.
        wizards = self.sudo()
        managers = self.env.ref("billing_specialist.group_billing_manager").users.filtered(
            lambda user: not user.share and user.email
        )
        today = fields.Date.context_today(self)
        for company in wizards.env["res.company"].search([]):
            recipients = managers.filtered(lambda user, company=company: company in user.company_ids)
            if not recipients:
                continue
            wizard = wizards.with_company(company).create(
                {"date_from": today - timedelta(days=7), "date_to": today - timedelta(days=1),
                 "company_ids": [fields.Command.set(company.ids)]}
            )  # fmt: skip
            content = wizards.env["billing.workbook"]._build(company, wizard.date_from, wizard.date_to)
            subject = self.env._(
                "%(company)s: billing activity %(start)s - %(end)s",
                company=company.name,
                start=wizard.date_from,
                end=wizard.date_to,
            )
            wizards.env["mail.mail"].create(
                {
                    "subject": subject,
                    "email_from": company.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [fields.Command.set(recipients.partner_id.ids)],
                    "body_html": Markup("<p>%s</p>") % self.env._("Last week's billing activity is attached.")
                    + wizard.kpi_html,
                    "attachment_ids": [
                        fields.Command.create({"name": wizard._workbook_filename(), "datas": base64.b64encode(content)})
                    ],
                }
            )
