"""Remittances' demo: advices applied with a deduction (its case opened), waiting for their payment, e-mailed
again, in a file refused or not read yet, matched to an arrived payment; and one customer's saved layout."""

from datetime import timedelta

from odoo import api, fields, models

from ..matching.remittance import Advice, AdviceLine
from .ledger import bank_journal, open_by_customer


class BillingRemittanceDemo(models.Model):
    _inherit = "billing.remittance"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_remittances(self):
        """A remittance advice applied with a deduction (its case opened) and one waiting for its payment."""
        company = self.env.company
        if not company.chart_template:
            return
        by_customer = open_by_customer(self.env, company)
        customers = sorted((c for c, items in by_customer.items() if len(items) >= 2), key=lambda c: c.id)
        if len(customers) < 2:
            return
        first, second = by_customer[customers[0]][:2], by_customer[customers[1]][:1]
        deduction = round(min(25.0, first[1].amount_residual / 2), 2)
        applied = self._billing_import(
            customers[0],
            company,
            Advice(
                [
                    AdviceLine(first[0].name.replace("/", "-"), first[0].amount_residual),
                    AdviceLine(
                        first[1].name, first[1].amount_residual - deduction, deduction, "2 units damaged in transit"
                    ),
                ]
            ),
            "manual",
            reference="AP-RUN-0412",
        )
        bank = bank_journal(self.env, company)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customers[0].id,
                "amount": applied.amount_total,
                "memo": "AP RUN 0412",
                "journal_id": bank.id,
                "date": fields.Date.context_today(self),
            }
        )
        payment.action_post()
        self.env["billing.match.run"]._run_automatic(company, payments=payment, statement_lines=[])
        waiting = self._billing_import(
            customers[1],
            company,
            Advice(
                [
                    AdviceLine(second[0].name, second[0].amount_residual),
                ]
            ),
            "manual",
            reference="REMIT-2209",
        )
        self._demo_remittance_by_email(customers[1], company, waiting)
        self._demo_remittance_file_by_email(customers[1], company, waiting)
        self._demo_remittance_file_unread(customers[-1], by_customer[customers[-1]][-1], company)
        if len(customers) > 2:
            self._demo_remittance_matched(customers[2], by_customer[customers[2]][:2], company, bank)
        self._demo_remittance_format(company)
        self._demo_remittance_explained(company, by_customer)

    @api.model
    def _demo_remittance_explained(self, company, by_customer):
        """An advice whose lines the import could not all understand: an invoice paid already, a number nobody has,
        and one found, so the lines' Understood As shows why as well as what."""
        Move = self.env["account.move"]
        paid = Move.search(
            [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("payment_state", "=", "paid")],
            order="id",
            limit=1,
        )
        if not paid:
            return
        customer = paid.commercial_partner_id
        lines = [AdviceLine(paid.name, paid.amount_total), AdviceLine("INV/2026/99999", 150.0)]
        if by_customer.get(customer):
            found = by_customer[customer][-1]
            lines.append(AdviceLine(found.name, found.amount_residual))
        self._billing_import(customer, company, Advice(lines), "manual", reference="REMIT-3318")

    @api.model
    def _demo_remittance_by_email(self, customer, company, waiting):
        """The customer e-mails the waiting advice again: kept in the Error state, naming the first one."""
        body = "".join(f"<p>{line.reference} {line.amount_paid:.2f}</p>" for line in waiting.line_ids)
        self.with_context(default_company_id=company.id).message_new(
            {"email_from": customer.email, "subject": "Remittance REMIT-2209 (resent)", "body": body},
            {"company_id": company.id},
        )

    @api.model
    def _demo_remittance_file_by_email(self, customer, company, waiting):
        """The customer e-mails a CSV whose amounts are in the other decimal convention than its format's: kept
        unread at first (read after the mail fetch), then refused, naming the row and the value."""
        layout = self.env["billing.remittance.format"]._for_customer(customer, company)._layout()
        amount = "1,234.56" if layout.decimal_comma else "1.234,56"
        content = f"ref;amount\n{waiting.line_ids[:1].reference};{amount}\n"
        remittance = self._demo_mail_csv(customer, company, "0917", content)
        remittance._billing_read_file()

    @api.model
    def _demo_remittance_file_unread(self, customer, invoice, company):
        """An e-mailed CSV the scheduled action has not read yet: *Waiting to Be Read* until it runs."""
        layout = self.env["billing.remittance.format"]._for_customer(customer, company)._layout()
        amount = f"{invoice.amount_residual:.2f}"
        if layout.decimal_comma:
            amount = amount.replace(".", ",")
        self._demo_mail_csv(customer, company, "0921", f"ref;amount\n{invoice.name};{amount}\n")

    @api.model
    def _demo_mail_csv(self, customer, company, number, content):
        """The advice the mail gateway makes of ``customer``'s e-mail "Remittance <number>" with the CSV file
        ``advice-<number>.csv`` attached (not read yet)."""
        attachment = self._Attachment(f"advice-{number}.csv", content.encode(), {})
        return self.with_context(default_company_id=company.id).message_new(
            {
                "email_from": customer.email,
                "subject": f"Remittance {number}",
                "body": "See attached.",
                "attachments": [attachment],
            },
            {"company_id": company.id},
        )

    @api.model
    def _demo_remittance_matched(self, customer, invoices, company, bank):
        """An advice e-mailed by the customer whose payment has arrived, with a short-shipment deduction: matched,
        it only proposes (nobody vouched for it yet), for a person to vouch for or apply on the review screen."""
        deduction = round(min(40.0, invoices[-1].amount_residual / 2), 2)
        lines = [f"<p>{invoices[0].name} {invoices[0].amount_residual:.2f}</p>"]
        if len(invoices) > 1:
            lines.append(
                f"<p>{invoices[1].name} {invoices[1].amount_residual - deduction:.2f} {deduction:.2f} "
                "short-shipped, 3 cartons</p>"
            )
        Remittance = self.with_context(default_company_id=company.id)
        mail = {"email_from": customer.email, "subject": "REMIT-7731", "body": "".join(lines)}
        advice = Remittance.message_new(mail, {"company_id": company.id})
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": customer.id,
                "amount": advice.amount_total,
                "memo": "REMIT 7731",
                "journal_id": bank.id,
                "date": fields.Date.context_today(self) - timedelta(days=1),
            }
        )
        payment.action_post()  # matches the waiting advice to it

    @api.model
    def _demo_remittance_format(self, company):
        """Northwind's saved layout: its AP system's CSV export (header names, debit/credit, decimal comma, German
        dates) and a pattern for the lines of its PDF advices."""
        self.env["billing.remittance.format"].create(
            {
                "name": "Northwind AP export",
                "company_id": company.id,
                "partner_id": self.env.ref("billing_specialist.partner_northwind_demo").id,
                "column_reference": "Invoice No",
                "column_amount": False,
                "column_debit": "Debit",
                "column_credit": "Credit",
                "column_deduction": "Deduction",
                "column_reason": "Reason",
                "column_date": "Value Date",
                "decimal_comma": True,
                "date_formats": "%d.%m.%Y, %Y-%m-%d",
                "line_pattern": r"(?P<reference>INV/\d{4}/\d+)\s+(?P<amount>[\d.]*\d,\d\d)"
                r"(?:\s+(?P<deduction>[\d.]*\d,\d\d)\s+(?P<reason>.+))?\s*$",
            }
        )
