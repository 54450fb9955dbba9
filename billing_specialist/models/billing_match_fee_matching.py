"""Fee rules in payment matching: what the rules add to the matching's seams (``billing.payment.source``,
``billing.payment.apply``, the review rows and run lines). The engine writes the difference off by rule
(``matching/fees.py``, read once per matcher by ``BillingMatcher``); applying books it to the rule's account."""

# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models


class BillingPaymentSource(models.AbstractModel):
    _inherit = "billing.payment.source"

    @api.model
    def _billing_proposal_vals(self, proposal):
        return {**super()._billing_proposal_vals(proposal), "fee_rule_id": proposal.fee_rule_id or False}


class BillingPaymentApply(models.AbstractModel):
    """A bank charge written off by rule goes to the rule's account, with the rule's label; checked again when
    booked (the rule, the amount a person may have changed). Undo cancels the entry as any write-off."""

    _inherit = "billing.payment.apply"

    @api.model
    def _billing_writeoff_target(self, application, invoice):
        rule_id = application.vals.get("fee_rule_id")
        if rule_id:
            source = application.source
            company = source.company_id
            amount = invoice.currency_id._convert(application.writeoff, company.currency_id, company, source.date)
            rule = self.env["billing.match.fee.rule"]._billing_rule_for(source, rule_id, amount)
            if rule:
                label = self.env._(
                    "%(label)s %(payment)s / %(invoice)s",
                    label=rule.writeoff_label or rule.name,
                    payment=source.name,
                    invoice=invoice.name,
                )
                return rule.account_id, self._writeoff_journal(company), label
        return super()._billing_writeoff_target(application, invoice)


class BillingMatchReview(models.Model):
    _inherit = "billing.match.review"

    fee_rule_id = fields.Many2one(
        "billing.match.fee.rule",
        readonly=True,
        ondelete="set null",
        help="The rule the proposed write-off follows: applied, it goes to the rule's account.",
    )

    def _billing_line_vals(self):
        return {**super()._billing_line_vals(), "fee_rule_id": self.fee_rule_id.id}


class BillingMatchRunLine(models.Model):
    _inherit = "billing.match.run.line"

    fee_rule_id = fields.Many2one(
        "billing.match.fee.rule",
        readonly=True,
        ondelete="set null",
        help="The rule the write-off followed, when it was a bank charge.",
    )
