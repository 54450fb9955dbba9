from odoo import models


def hold_sentence(env, status):
    """What a specialist reads of a customer on credit hold: the hold's reasons (one sentence each) and the amount
    that releases it (none when paying cannot: the reasons say so)."""
    reasons = " ".join(line.strip() for line in (status.reasons or "").splitlines() if line.strip())
    sentence = env._(
        "%(customer)s is on credit hold: %(reasons)s",
        customer=status.partner_id.display_name,
        reasons=reasons or env._("no reason recorded."),
    )
    if status.currency_id.compare_amounts(status.amount_to_release, 0) > 0:
        release = env._("Paying %(amount)s releases it.", amount=status.currency_id.format(status.amount_to_release))
        return f"{sentence} {release}"
    return sentence


class BillingInvoiceChecker(models.AbstractModel):
    """The pre-send check "Customer on Credit Hold": an invoice of a customer whose credit state is On Hold in the
    invoice's company. A credit note lowers what the customer owes: never held."""

    _inherit = "billing.invoice.checker"

    def _check_credit_hold(self, moves, checks):
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            return
        # One query for every customer and company of the invoices (never one per invoice).
        statuses = (
            self.env["billing.credit.status"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", invoices.commercial_partner_id.ids),
                    ("company_id", "in", invoices.company_id.ids),
                    ("state", "=", "hold"),
                ]
            )
        )
        held = {(status.partner_id.id, status.company_id.id): status for status in statuses}
        for move in invoices:
            status = held.get((move.commercial_partner_id.id, move.company_id.id))
            if status:
                yield move.id, hold_sentence(self.env, status)
