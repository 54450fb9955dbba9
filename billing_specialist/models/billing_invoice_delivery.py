from odoo import api, models
from odoo.tools import pdf


class BillingInvoiceDelivery(models.AbstractModel):
    """Delivers posted customer invoices with Odoo's own sending (``account.move.send``), and says how.

    E-mail (with the PDF) when the invoice contact or the customer has an address, else (or when the customer's
    invoice sending is not by e-mail) a printed PDF for a letter.
    Odoo marks an invoice sent as soon as its PDF exists, even when no e-mail could go out for want of an address
    (odoo/odoo#289484): here an invoice is marked sent only with the mail message or the printed PDF that proves it.
    """

    _name = "billing.invoice.delivery"
    _description = "Billing: Invoice Delivery"

    @api.model
    def _recipient(self, move):
        """The partner to e-mail the invoice to: the invoice contact, else the customer; empty for a letter."""
        for partner in (move.partner_id, move.partner_id.commercial_partner_id):
            if partner.email:
                return partner
        return self.env["res.partner"]

    @api.model
    def _deliver(self, moves, mail_template=None):
        """Send ``moves`` (posted customer invoices); return ``{move_id: (outcome, message, mail_message)}``.

        ``outcome`` is ``posted_sent`` (``mail_message`` is the e-mail), ``posted_printed`` (the invoice's PDF is
        its print record) or ``failed`` (``message`` says why; the invoice is then not marked sent). Raises what
        ``account.move.send`` raises: the caller isolates failures with a savepoint.
        """
        # Queued for the mail queue (sent within minutes), not sent one by one while the run waits.
        moves = moves.with_context(mail_notify_force_send=False)
        sender = self.env["account.move.send"].with_context(mail_notify_force_send=False)
        settings = {"mail_template": mail_template} if mail_template else {}
        by_mail, by_contact, letters = moves.browse(), moves.browse(), moves.browse()
        for move in moves:
            recipient = self._recipient(move)
            if not recipient or sender._get_default_sending_method(move) != "email":
                letters |= move
            elif recipient == move.partner_id:
                by_mail |= move
            else:
                by_contact |= move
        last_message = self.env["mail.message"].sudo().search([], order="id desc", limit=1).id
        if by_mail:
            sender._generate_and_send_invoices(by_mail, sending_methods={"email"}, **settings)
        for move in by_contact:  # the contact has no address: write to the customer's
            sender._generate_and_send_invoices(
                move, sending_methods={"email"}, mail_partner_ids=self._recipient(move).ids, **settings
            )
        if letters:
            sender._generate_and_send_invoices(letters, sending_methods={"manual"})
        messages = self._sent_messages(by_mail | by_contact, last_message)
        results = {}
        for move in by_mail | by_contact:
            message = messages.get(move.id)
            if message:
                results[move.id] = ("posted_sent", "", message)
            else:
                move.is_move_sent = False
                results[move.id] = ("failed", self.env._("Posted, but no e-mail was created."), None)
        for move in letters:
            if move.invoice_pdf_report_id:
                results[move.id] = ("posted_printed", "", None)
            else:
                move.is_move_sent = False
                results[move.id] = ("failed", self.env._("Posted, but no PDF was printed."), None)
        return results

    @api.model
    def _sent_messages(self, moves, after_id):
        """The e-mail each of ``moves`` got since message ``after_id``: ``{move_id: mail.message}``."""
        if not moves:
            return {}
        messages = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "in", moves.ids),
                    ("id", ">", after_id),
                    ("message_type", "=", "comment"),
                    ("partner_ids", "!=", False),
                ],
                order="id",
            )
        )
        return {message.res_id: message for message in messages}

    @api.model
    def _batch_print(self, moves, name):
        """One attachment values dict with the PDFs of ``moves`` one after the other, to print and post at once."""
        raws = [move.invoice_pdf_report_id.raw for move in moves if move.invoice_pdf_report_id]
        if not raws:
            return None
        if all(raw.startswith(b"%PDF") for raw in raws):
            return {"name": f"{name}.pdf", "raw": pdf.merge_pdf(raws), "mimetype": "application/pdf"}
        # Odoo renders HTML instead of PDF when it runs its tests (no wkhtmltopdf there): keep them readable.
        return {"name": f"{name}.html", "raw": b"\n".join(raws), "mimetype": "text/html"}
