import dataclasses

from odoo.tools.misc import format_date, formatLang
from odoo.tools.translate import LazyTranslate

from ..matching import LearningMatcher, OpenItem
from ..matching.remittance import propose_remittance
from .billing_matcher_inputs import closed_invoice_numbers

_lt = LazyTranslate(__name__)


class BillingMatcher:
    """The engine indexed on one company's open invoices and credit notes, one index per currency."""

    def __init__(self, env, company):
        self.env = env
        self.company = company
        moves = env["account.move"].search_fetch(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            ["name", "ref", "payment_reference", "commercial_partner_id", "amount_residual", "invoice_date_due",
             "invoice_date", "currency_id", "move_type", "billing_disputed_amount"],
        )  # fmt: skip
        by_currency = {}
        for move in moves:
            if move.currency_id.is_zero(move.amount_residual):
                continue
            sign = -1 if move.move_type == "out_refund" else 1
            by_currency.setdefault(move.currency_id.id, []).append(
                OpenItem(
                    id=move.id,
                    partner_id=move.commercial_partner_id.id or None,
                    number=move.name,
                    amount=sign * move.amount_residual,
                    due=move.invoice_date_due or move.invoice_date,
                    refs=tuple(r for r in (move.ref, move.payment_reference) if r and r != move.name),
                    disputed=move.billing_disputed_amount or 0.0,
                    invoice_date=move.invoice_date or None,
                )
            )
        partners = moves.commercial_partner_id
        names = {partner.id: partner.name for partner in partners if partner.name}
        banks = env["res.partner.bank"].search_fetch(
            [("partner_id", "child_of", partners.ids)], ["acc_number", "partner_id"]
        )
        accounts = {bank.acc_number: bank.partner_id.commercial_partner_id.id for bank in banks}
        closed = closed_invoice_numbers(env, company)  # a memo naming a paid invoice is held (duplicate payment)
        self._options = {"partner_names": names, "account_partners": accounts, "closed_numbers": closed}
        self._remittances = None  # {customer: its remittance advices not applied yet}, read on first use
        habits = env["billing.match.habit"]._engine_habits(company)  # what confirmed matches taught
        # Customers known by a learned account but with nothing open: named in the reasons, not searched by name.
        self._labels = {p.id: p.name for p in env["res.partner"].browse(habits.by_partner) if p.id not in names}
        self._options = {"partner_names": names, "account_partners": accounts, "closed_numbers": closed,
                         "habits": habits}  # fmt: skip
        self.matchers = {currency_id: self._matcher(currency_id, items) for currency_id, items in by_currency.items()}

    def _matcher(self, currency_id, items):
        """The engine on ``items`` (open in that currency), its reasons in the currency's and the user's format."""
        currency = self.env["res.currency"].browse(currency_id)
        matcher = LearningMatcher(
            items,
            tolerance_amount=self.company.billing_match_tolerance_amount,
            tolerance_percent=self.company.billing_match_tolerance_percent,
            rounding=currency.rounding,
            format_amount=lambda value: formatLang(self.env, value, digits=currency.decimal_places),
            format_count=lambda value: formatLang(self.env, value, digits=0),
            **self._options,
        )
        for partner_id, name in self._labels.items():
            matcher.partner_labels.setdefault(partner_id, name)
        return matcher

    def explain_no_proposal(self, record):
        """Why ``propose(record)`` gave nothing, as a lazy reason (render it with ``env._``)."""
        currency = record._billing_currency()
        matcher = self.matchers.get(currency.id) or self._matcher(currency.id, [])
        source = record._billing_source()
        if source.partner_id:  # a customer with nothing open is named too
            matcher.partner_labels.setdefault(source.partner_id, record.partner_id.commercial_partner_id.name)
        return matcher.explain_no_proposal(source)

    def _remittance_proposal(self, record, remittance=None):
        """The proposal of the remittance advice that explains ``record`` (see ``billing.remittance``), or None.

        Its references go through the engine's reference search on the open items in the record's currency.
        """
        Remittance = self.env["billing.remittance"]
        if remittance is None:
            if self._remittances is None:  # read once per matcher, on first use, by customer
                self._remittances = Remittance._billing_waiting(self.company).grouped("partner_id")
            waiting = self._remittances.get(record.partner_id.commercial_partner_id, Remittance)
            remittance = Remittance._billing_for_source(record, waiting) if waiting else Remittance
        if not remittance:
            return None
        currency = record._billing_currency()
        matcher = self.matchers.get(currency.id) or self._matcher(currency.id, [])
        return propose_remittance(matcher, record._billing_source(), remittance._billing_ref())

    def propose(self, record):
        """Proposals for a payment or bank line, best first.

        Open items in the source's own currency come first. When they give nothing at or above the company's
        threshold, the items in the company's other currencies are searched too, with the source's amount converted
        at the company's rate of its date (the rate the reconciliation uses): such proposals are 5 points less sure
        and say which conversion they rely on. Their allocations are in the items' currency.
        """
        source = record._billing_source()
        currency = record._billing_currency()
        remitted = self._remittance_proposal(record)
        if remitted and (remitted.conflict or remitted.confidence >= self.company.billing_match_threshold):
            return [remitted]  # the customer's own breakdown decides, or holds for a person
        matcher = self.matchers.get(currency.id)
        proposals = matcher.propose(source) if matcher else []
        if remitted:
            proposals = sorted([remitted, *proposals], key=lambda proposal: -proposal.confidence)
        if proposals and (proposals[0].conflict or proposals[0].confidence >= self.company.billing_match_threshold):
            return proposals  # conflicting evidence is for a person to settle, not for another currency
        for currency_id, other in self.matchers.items():
            if currency_id == currency.id:
                continue
            target = self.env["res.currency"].browse(currency_id)
            converted = currency._convert(source.amount, target, self.company, record.date)
            found = other.propose(dataclasses.replace(source, amount=converted))
            if not found:
                continue
            reasons = [
                _lt(
                    "paid in %(paid)s, invoiced in %(invoiced)s: %(amount)s = %(converted)s at the rate of %(date)s",
                    paid=currency.name,
                    invoiced=target.name,
                    amount=formatLang(self.env, source.amount, currency_obj=currency),
                    converted=formatLang(self.env, converted, currency_obj=target),
                    date=format_date(self.env, record.date),
                )
            ]
            # Rounding the payment to its own cents leaves up to this much in the invoices' currency: an amount that
            # much above the items proposed is taken as theirs, not as an overpayment. (Below them, the invoice would
            # stay open by a cent: that is the tolerance write-off's job.)
            noise = currency._convert(currency.rounding, target, self.company, record.date, round=False) / 2
            items = target.round(sum(other.items[a.item_id].amount for a in found[0].allocations))
            if 0 < target.round(converted - items) <= noise + target.rounding / 2:
                found = other.propose(dataclasses.replace(source, amount=items))
                reasons.append(
                    _lt(
                        "%(items)s owed: the difference is the conversion's rounding",
                        items=formatLang(self.env, items, currency_obj=target),
                    )
                )
            for proposal in found:
                proposal.confidence = max(proposal.confidence - 5, 0)
                proposal.reasons += reasons
                proposals.append(proposal)
        return sorted(proposals, key=lambda proposal: -proposal.confidence)
