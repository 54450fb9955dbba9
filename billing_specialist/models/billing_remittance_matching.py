"""Remittance advices in payment matching: what the advices add to the matching's seams (``billing.payment.source``,
``billing.payment.apply``, the review rows and run lines), so the matching never names them."""

# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def action_post(self):
        result = super().action_post()
        received = self.filtered(lambda pay: pay.payment_type == "inbound" and pay.partner_type == "customer")
        if received:  # a remittance advice waiting for this payment is matched to it now
            self.env["billing.remittance"].sudo()._billing_match_sources(received)
        return result


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft)
        invoices = posted.filtered(lambda move: move.move_type in ("out_invoice", "out_refund"))
        if invoices:  # a line of a waiting advice may name one of them: it is understood again
            self.env["billing.remittance.line"].sudo()._billing_understand_again(invoices.commercial_partner_id)
        return posted


class BillingPaymentSource(models.AbstractModel):
    """The advice that explains a payment or bank line proposes its breakdown, invoice by invoice."""

    _inherit = "billing.payment.source"

    def _billing_extra_proposals(self, matcher):
        proposals = super()._billing_extra_proposals(matcher)
        Remittance = self.env["billing.remittance"]
        if "remittances" not in matcher.extras:  # read once per matcher, on first use, by customer
            matcher.extras["remittances"] = Remittance._billing_waiting(matcher.company).grouped("partner_id")
        waiting = matcher.extras["remittances"].get(self.partner_id.commercial_partner_id, Remittance)
        remittance = Remittance._billing_for_source(self, waiting) if waiting else Remittance
        if remittance:
            proposals.append(remittance._billing_proposal(self, matcher))
        return proposals

    @api.model
    def _billing_hint_texts(self, matcher, partner_ids):
        texts = super()._billing_hint_texts(matcher, partner_ids)
        if "remittances" not in matcher.extras:  # read once for all the chunks planned: advices by customer
            matcher.extras["remittances"] = (
                self.env["billing.remittance"]._billing_waiting(matcher.company).grouped("partner_id")
            )
        for partner, remittances in matcher.extras["remittances"].items():
            if partner.id in partner_ids:
                texts += remittances.line_ids.mapped("reference")
        return texts

    @api.model
    def _billing_proposal_vals(self, proposal):
        return {**super()._billing_proposal_vals(proposal), "remittance_id": proposal.remittance_id or False}


class BillingPaymentApply(models.AbstractModel):
    """Applying a payment as its advice says marks the advice applied and opens its deduction cases; undoing the
    run takes that back."""

    _inherit = "billing.payment.apply"

    @api.model
    def _billing_after_apply(self, applications):
        result = super()._billing_after_apply(applications)
        for application in applications:
            if application.vals.get("remittance_id"):
                self.env["billing.remittance"].browse(application.vals["remittance_id"])._billing_after_apply(
                    application.source, application.allocations
                )
        return result

    @api.model
    def _billing_after_undo(self, run_lines):
        result = super()._billing_after_undo(run_lines)
        self.env["billing.remittance"]._billing_undone(run_lines)
        return result


class BillingMatchReview(models.Model):
    _inherit = "billing.match.review"

    remittance_id = fields.Many2one(
        "billing.remittance",
        string="Remittance Advice",
        readonly=True,
        help="The customer's breakdown of this payment: the proposal follows it, invoice by invoice.",
    )

    def _billing_line_vals(self):
        return {**super()._billing_line_vals(), "remittance_id": self.remittance_id.id}


class BillingMatchRunLine(models.Model):
    _inherit = "billing.match.run.line"

    remittance_id = fields.Many2one("billing.remittance", string="Remittance Advice", ondelete="set null")
