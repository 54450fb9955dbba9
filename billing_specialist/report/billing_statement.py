import io
import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import xlsxwriter


class BillingStatement(models.AbstractModel):
    """Statement of account of one customer for one company and period, in the company currency.

    Opening balance, every receivable movement of the period (invoices, credit notes, payments, write-offs) with a
    running balance, the closing balance, and the aging of what was open on the last day, as it stood that day:
    reconciliations made later are ignored. Read with SQL in a few queries whatever the size of the ledger.
    """

    _name = "billing.statement"
    _description = "Customer Statement of Account"

    @api.model
    def _check_statement_access(self, partners, company):
        """Refuse, before anything is read, a statement the current user may not see.

        The reader needs invoicing rights (billing specialists have them), read access to the customers, and the
        company among the user's allowed companies. Superuser callers (the portal, after checking that the
        statement is the customer's own) skip the check.
        """
        if self.env.su:
            return
        user = self.env.user
        if not (
            user.has_group("billing_specialist.group_billing_user") or user.has_group("account.group_account_invoice")
        ):
            raise AccessError(
                self.env._("Only billing specialists and invoicing users can print statements of account.")
            )
        if not company or company not in user.company_ids:
            raise AccessError(self.env._("You cannot print statements of account for this company."))
        partners.check_access("read")
        partners.commercial_partner_id.check_access("read")

    @api.model
    def _get_statement(self, partner, company, date_from, date_to):
        self._check_statement_access(partner, company)
        if date_from > date_to:
            raise UserError(self.env._("The statement starts after it ends."))
        commercial = partner.commercial_partner_id
        base = self._receivable_base(commercial, company)
        cr = self.env.cr
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        cr.execute(SQL("SELECT COALESCE(SUM(aml.balance), 0) %s AND aml.date < %s", base, date_from))
        opening = cr.fetchone()[0]
        lines = self._statement_lines(base, date_from, date_to, opening)
        aging_data = self.env["billing.aging"]._get_aging(company, date_to, partner_ids=commercial.ids)
        aging = [
            {"label": label, "amount": amount}
            for label, amount in zip(aging_data["buckets"], aging_data["totals"], strict=True)
        ]
        return {
            "partner": commercial,
            "company": company,
            "currency": company.currency_id,
            "date_from": date_from,
            "date_to": date_to,
            "opening": opening,
            "lines": lines,
            "closing": lines[-1]["balance"] if lines else opening,
            "aging": aging,
            "total_debit": sum(line["debit"] for line in lines),
            "total_credit": sum(line["credit"] for line in lines),
        }

    @api.model
    def _receivable_base(self, partner, company):
        """The FROM and WHERE of the receivable items of the commercial ``partner`` in ``company``."""
        return SQL(
            """
            FROM account_move_line aml
            JOIN account_move move ON move.id = aml.move_id
            JOIN account_account account ON account.id = aml.account_id
            WHERE aml.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = %(partner)s)
              AND aml.company_id = %(company)s
              AND move.state = 'posted'
              AND account.account_type = 'asset_receivable'
            """,
            partner=partner.id,
            company=company.id,
        )

    @api.model
    def _statement_lines(self, base, date_from, date_to, opening):
        """One line per document of the period, with the running balance from ``opening``."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT move.id, move.name, move.move_type, move.ref, aml.date,
                       MAX(aml.date_maturity), SUM(aml.debit), SUM(aml.credit), move.billing_in_dispute
                %s AND aml.date BETWEEN %s AND %s
                GROUP BY move.id, move.name, move.move_type, move.ref, aml.date, move.billing_in_dispute
                ORDER BY aml.date, move.id
                """,
                base,
                date_from,
                date_to,
            )
        )
        labels = {
            "out_invoice": self.env._("Invoice"),
            "out_refund": self.env._("Credit Note"),
            "out_receipt": self.env._("Receipt"),
        }
        lines, balance = [], opening
        for move_id, name, move_type, ref, date, due, debit, credit, in_dispute in cr.fetchall():
            balance += debit - credit
            kind = labels.get(move_type) or (self.env._("Payment") if credit > debit else self.env._("Other"))
            lines.append(
                {
                    "move_id": move_id,
                    "name": name,
                    "kind": kind,
                    "ref": ref or "",
                    "date": date,
                    "date_maturity": due if move_type == "out_invoice" else False,
                    "debit": debit,
                    "credit": credit,
                    "balance": balance,
                    "in_dispute": bool(in_dispute),
                }
            )
        return lines

    @api.model
    def _filename(self, partner, date_to=None, extension=None):
        """``Statement - Azure Interior - 2026-12-07.pdf``: the customer and the last day (today by default, as the
        default period and the Print menu's ``print_report_name``), in characters every file system and mail client
        keeps (a name's slashes, colons, quotes or line breaks become ``_``)."""
        name = re.sub(r"[^\w .,&()+'-]+", "_", partner.commercial_partner_id.name or "")
        name = " ".join(name.split())[:80].strip(" .") or "Customer"
        last_day = fields.Date.to_date(date_to) or fields.Date.context_today(self)
        filename = f"{self.env._('Statement')} - {name} - {fields.Date.to_string(last_day)}"
        return f"{filename}.{extension}" if extension else filename

    @api.model
    def _default_period(self):
        today = fields.Date.context_today(self)
        return today - timedelta(days=90), today

    # ------------------------------------------------------------------ XLSX

    @api.model
    def _statement_xlsx(self, statement):
        """The statement as an XLSX workbook: typed cells, currency and date formats, a formula for the total."""
        output = io.BytesIO()
        # Text from the data (names, references) is never read as a formula; the addon writes its own with write_formula.
        workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False})
        sheet = workbook.add_worksheet(self.env._("Statement")[:31])
        formats = self._statement_formats(workbook, statement["currency"])
        bold, date_format = formats["bold"], formats["date"]
        sheet.write_string(0, 0, self.env._("Statement of account"), formats["title"])
        sheet.write_string(1, 0, statement["partner"].display_name or "", bold)
        sheet.write_string(2, 0, statement["company"].name or "")
        sheet.write_string(3, 0, self.env._("From"))
        sheet.write_datetime(3, 1, fields.Datetime.to_datetime(statement["date_from"]), date_format)
        sheet.write_string(4, 0, self.env._("To"))
        sheet.write_datetime(4, 1, fields.Datetime.to_datetime(statement["date_to"]), date_format)
        columns = [
            self.env._("Date"),
            self.env._("Document"),
            self.env._("Type"),
            self.env._("Reference"),
            self.env._("Due Date"),
            self.env._("Debit"),
            self.env._("Credit"),
            self.env._("Balance"),
        ]
        for col, label in enumerate(columns):
            sheet.write_string(6, col, label, formats["header"])
        row = self._write_statement_lines(sheet, formats, statement, 7)
        row += 2
        sheet.write_string(row, 0, self.env._("Aging on %(date)s", date=statement["date_to"]), bold)
        row += 1
        for col, bucket in enumerate(statement["aging"]):
            sheet.write_string(row, col, bucket["label"], formats["header"])
            sheet.write_number(row + 1, col, bucket["amount"], formats["amount"])
        sheet.freeze_panes(7, 0)
        sheet.autofilter(6, 0, 6, len(columns) - 1)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 3, 18)
        sheet.set_column(4, 4, 12)
        sheet.set_column(5, 7, 14)
        workbook.close()
        return output.getvalue()

    @api.model
    def _statement_formats(self, workbook, currency):
        money = "#,##0.%s" % ("0" * currency.decimal_places) if currency.decimal_places else "#,##0"
        symbol = f'"{currency.symbol}" ' if currency.position == "before" else ""
        return {
            "bold": workbook.add_format({"bold": True}),
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "header": workbook.add_format({"bold": True, "bg_color": "#D9E2F3", "border": 1}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "amount": workbook.add_format({"num_format": symbol + money}),
            "total": workbook.add_format({"num_format": symbol + money, "bold": True, "top": 1}),
        }

    @api.model
    def _write_statement_lines(self, sheet, formats, statement, row):
        """The opening balance on ``row``, the lines, the closing balance: return the closing balance's row."""
        bold, date_format, amount_format, total_format = (formats[k] for k in ("bold", "date", "amount", "total"))
        sheet.write_string(row, 1, self.env._("Opening balance"), bold)
        sheet.write_number(row, 7, statement["opening"], amount_format)
        first_data_row = row + 1
        for line in statement["lines"]:
            row += 1
            sheet.write_datetime(row, 0, fields.Datetime.to_datetime(line["date"]), date_format)
            sheet.write_string(row, 1, line["name"] or "")
            sheet.write_string(row, 2, line["kind"])
            sheet.write_string(row, 3, line["ref"])
            if line["date_maturity"]:
                sheet.write_datetime(row, 4, fields.Datetime.to_datetime(line["date_maturity"]), date_format)
            sheet.write_number(row, 5, line["debit"], amount_format)
            sheet.write_number(row, 6, line["credit"], amount_format)
            sheet.write_formula(row, 7, f"=H{row}+F{row + 1}-G{row + 1}", amount_format, line["balance"])
        row += 1
        sheet.write_string(row, 1, self.env._("Closing balance"), bold)
        if statement["lines"]:
            sheet.write_formula(row, 5, f"=SUM(F{first_data_row + 1}:F{row})", total_format, statement["total_debit"])
            sheet.write_formula(row, 6, f"=SUM(G{first_data_row + 1}:G{row})", total_format, statement["total_credit"])
        sheet.write_formula(row, 7, f"=H{row}", total_format, statement["closing"])
        return row


class ReportBillingStatement(models.AbstractModel):
    _name = "report.billing_specialist.report_billing_statement"
    _description = "Statement of Account (PDF)"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        Statement = self.env["billing.statement"]
        default_from, default_to = Statement._default_period()
        # The options come from the report URL: anything a client typed there is checked before it is used.
        try:
            date_from = fields.Date.to_date(data.get("date_from")) or default_from
            date_to = fields.Date.to_date(data.get("date_to")) or default_to
            company_id = int(data.get("company_id") or 0)
            partner_ids = [int(pid) for pid in (docids or data.get("partner_ids") or [])]
        except (TypeError, ValueError):
            raise UserError(self.env._("The statement's dates, company or customers are not valid.")) from None
        company = self.env["res.company"].browse(company_id) or self.env.company
        partners = self.env["res.partner"].browse(partner_ids)
        Statement._check_statement_access(partners, company)
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "statements": [Statement._get_statement(partner, company, date_from, date_to) for partner in partners],
        }
