from odoo import Command, api, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang


class BillingWriteoff(models.AbstractModel):
    """The write-off policy, shared by payment matching (``billing.payment.apply``, a payment difference) and dispute
    resolution (``billing.dispute.resolve``, an accepted balance): who may write off how much, and the entry.

    Rules, wherever a write-off is booked (company currency, at the rate of the booking's date):

    - the automatic matching run books only differences within the tolerance (``billing_match_tolerance_amount``, or
      the percentage of the source's amount), whoever runs it;
    - a person (review screen, dispute resolution) may write off up to the company's limit
      (``billing_writeoff_max_amount``) or, for a payment difference, the tolerance if it is larger; billing managers
      are not limited.
    """

    _name = "billing.writeoff"
    _description = "Write-off Policy"

    @api.model
    def _check_writeoff(self, company, amount, tolerated=0.0, automatic=False, learned=False, rule=None):
        """Refuse a write-off of ``amount`` (company currency) that the rules above do not allow.

        :param tolerated: the payment-difference tolerance for this source, in company currency (0 outside matching).
        :param automatic: booked by the automatic run: the tolerance only, no exemption.
        :param learned: the write-off is the fee or discount the customer deducted on earlier confirmed matches
            (``LearningMatcher``): the automatic run may book it up to the company's write-off limit.
        :param rule: the name of the matching's fee rule writing it off as a bank charge: likewise.
        """
        currency = company.currency_id
        if currency.compare_amounts(amount, tolerated) <= 0:
            return
        if automatic and (learned or rule):
            if currency.compare_amounts(amount, company.billing_writeoff_max_amount) <= 0:
                return
            if rule:
                raise UserError(
                    self.env._(
                        "The bank charge of %(amount)s by rule '%(rule)s' is above the write-off limit (%(limit)s); "
                        "a person decides.",
                        amount=formatLang(self.env, amount, currency_obj=currency),
                        rule=rule,
                        limit=formatLang(self.env, company.billing_writeoff_max_amount, currency_obj=currency),
                    )
                )
            raise UserError(
                self.env._(
                    "The customer's usual deduction of %(amount)s is above the write-off limit (%(limit)s); a person "
                    "decides.",
                    amount=formatLang(self.env, amount, currency_obj=currency),
                    limit=formatLang(self.env, company.billing_writeoff_max_amount, currency_obj=currency),
                )
            )
        if automatic:
            raise UserError(
                self.env._(
                    "The difference of %(amount)s is above the payment tolerance (%(tolerance)s); a person decides.",
                    amount=formatLang(self.env, amount, currency_obj=currency),
                    tolerance=formatLang(self.env, tolerated, currency_obj=currency),
                )
            )
        if self.env.user.has_group("billing_specialist.group_billing_manager"):
            return
        limit = max(company.billing_writeoff_max_amount, tolerated)
        if currency.compare_amounts(amount, limit) > 0:
            raise UserError(
                self.env._(
                    "Writing off %(amount)s is above the %(limit)s a specialist may write off; issue a credit note "
                    "or ask a billing manager.",
                    amount=formatLang(self.env, amount, currency_obj=currency),
                    limit=formatLang(self.env, limit, currency_obj=currency),
                )
            )

    @api.model
    def _writeoff_journal(self, company):
        """The journal of write-offs: the company's setting, else its first miscellaneous journal."""
        return company.billing_writeoff_journal_id or self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")], limit=1
        )

    @api.model
    def _prepare_writeoff_vals(self, invoice, amount, date, label, account, journal):
        """Values of the entry writing ``amount`` (invoice currency) of ``invoice`` off to ``account``.

        The one write-off builder: payment differences and dispute resolutions use it; the caller has checked the
        amount (``_check_writeoff``).
        """
        company = invoice.company_id
        receivable = invoice.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")[:1]
        balance = invoice.currency_id._convert(amount, company.currency_id, company, date)
        partner = invoice.commercial_partner_id
        common = {"name": label, "partner_id": partner.id, "currency_id": invoice.currency_id.id}
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": date,
            "ref": label,
            "partner_id": partner.id,
            "line_ids": [
                Command.create(
                    {**common, "account_id": receivable.account_id.id, "amount_currency": -amount, "balance": -balance}
                ),
                Command.create({**common, "account_id": account.id, "amount_currency": amount, "balance": balance}),
            ],
        }
