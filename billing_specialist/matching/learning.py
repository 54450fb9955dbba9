"""The engine with what confirmed matches taught (``Habits``): see ``habits.py`` for what is used and how."""

import dataclasses

from odoo.tools.translate import LazyTranslate

from .engine import Matcher, normalize
from .habits import (
    DAYS_BONUS,
    DAYS_CEILING,
    LIFTED,
    SLIP_LIFTED,
    WAYS,
    Habits,
    memo_numbers,
    reference_way,
    sequence_number,
)

_lt = LazyTranslate(__name__, default_lang="en_US")


class LearningMatcher(Matcher):
    """``Matcher`` that also reads the customers' habits (``habits``: a ``Habits``; none: the plain engine).

    ``options``: those of ``Matcher`` (its ``MatchPolicy`` and data).
    """

    def __init__(self, items, habits=None, **options):
        super().__init__(items, **options)
        self.habits = habits or Habits()

    def _learned_payer(self, source, names=True):
        """The one customer this account (or, with ``names``, this payer name) paid for on confirmed matches.

        Never one customer's habit for another: an account on record (``res.partner.bank``) for a customer is that
        customer's, whatever was learned, and an account learned for two customers names neither (``Habits.payer``).
        """
        if not self.habits or source.partner_id:
            return ()
        habit = None
        if source.account_number and normalize(source.account_number) not in self.account_partners:
            habit = self.habits.payer("payer_account", source.account_number)
        if habit is None and names and source.payer_name:
            habit = self.habits.payer("payer_name", source.payer_name)
        if habit is None:
            return ()
        return habit.partner_id, self.habits.payer_reason(habit, self._label(habit.partner_id))

    def _strong_payer(self, source, partner_id):
        """Whether the payer's learned bank account has been seen often enough to stand for the customer.

        An account number on a bank line is written by the banks (the payer pays from an account it holds); a payer's
        name is text anyone writes: a name, learned or exact, is never the customer given (it only proposes).
        """
        learned = self._learned_payer(source, names=False)
        if not learned or learned[0] != partner_id:
            return False
        habit = self.habits.payer("payer_account", source.account_number or "")
        return habit is not None and habit.count >= self.habits.min_evidence

    def _search_source(self, source, partner_id):
        if source.partner_id is None and partner_id is not None and self._strong_payer(source, partner_id):
            return dataclasses.replace(source, partner_id=partner_id)
        return source

    def _learned_search(self, source, candidates, partner_id, partner_reason):
        """The invoice's sequence number alone, for a customer known to write it so; else a learned deduction."""
        if not self.habits:
            return []
        open_items = [it for it in self.by_partner.get(partner_id, []) if it.amount > 0]
        slipped = self._slip_search(source, partner_id, partner_reason, open_items)
        if slipped:
            return slipped
        if self.habits.has_way(partner_id, "sequence"):
            numbers = memo_numbers(source.memo)
            named = [it for it in open_items if sequence_number(it.number) in numbers]
            if len(named) == 1:
                return [self._sequence_proposal(source, partner_id, partner_reason, named[0], open_items)]
        return self._deduction_search(source, partner_id, partner_reason, open_items)

    def _sequence_proposal(self, source, partner_id, partner_reason, item, open_items):
        """The item the memo names by its sequence number alone: 90 when it settles it (80 without a known payer).

        A bare number is a weak reference: paid in part, it waits for a person (80); and when other open items of
        the customer have the same amount, it is held (identical amounts stay ambiguous whatever was learned).
        """
        reasons = [_lt("%(number)s found in the memo by its sequence number", number=item.number)]
        if partner_reason:
            reasons.append(partner_reason)
        base = 90 if source.partner_id is not None else 80
        proposal = self._proposal_for_items(source, partner_id, [item], False, reasons, base)
        if not self._is_zero(proposal.remainder) or proposal.allocations[0].amount < item.amount - self.rounding / 2:
            proposal.confidence = min(proposal.confidence, 80)
        twins = [it for it in open_items if it.id != item.id and self._is_zero(it.amount - item.amount)]
        if twins:
            proposal.hold(
                _lt(
                    "%(count)s other open items of the same amount: a sequence number alone cannot tell which",
                    count=self.format_count(len(twins)),
                )
            )
        return proposal

    def _deduction_search(self, source, partner_id, partner_reason, open_items):
        """No reference: the one open item the amount settles once the customer's usual fee or discount is added.

        An item of the amount itself while another fits after the usual deduction: the evidence disagrees (the
        plain search's proposals, held)."""
        fitting = [
            it
            for it in open_items
            if it.disputed <= 0
            and self.habits.deduction(partner_id, it.amount, self._round(it.amount - source.amount), self.rounding)
        ]
        if any(self._is_zero(it.amount - source.amount) for it in open_items):
            if not fitting:
                return []  # an item of the amount itself: the plain search decides
            proposals = self._search_amount(source, partner_id, partner_reason, 5)
            for proposal in proposals:
                proposal.hold(
                    _lt(
                        "%(number)s also fits the amount after the customer's usual deduction", number=fitting[0].number
                    )
                )
            return proposals
        if not fitting:
            return []
        reason = _lt("the only open item the amount settles after the customer's usual deduction")
        given = source.partner_id is not None
        if len(fitting) > 1:  # recurring invoices of one amount: which one is a guess
            reason = _lt(
                "%(count)s open items fit the amount after the customer's usual deduction: amount alone "
                "cannot tell which",
                count=self.format_count(len(fitting)),
            )
            proposals = [self._proposal_for_items(source, partner_id, [it], False, [reason], 40) for it in fitting]
            for proposal in proposals:
                proposal.hold(reason)
            return proposals
        reasons = [reason] + ([partner_reason] if partner_reason else [])
        proposal = self._proposal_for_items(source, partner_id, fitting, False, reasons, 90 if given else 80)
        others = self._sum_of_others(partner_id, open_items, fitting[0], source.amount)
        if others:
            proposal.hold(_lt("also the sum of %(numbers)s", numbers=" + ".join(it.number for it in others)))
        return [proposal]

    def _learned_deduction(self, partner_id, items, named_exactly, difference, proposal):
        if not self.habits or partner_id is None or any(it.partner_id != partner_id for it in items):
            return False
        total = sum(it.amount for it in items)
        habit = self.habits.deduction(partner_id, total, difference, self.rounding)
        if habit is None:
            return False
        proposal.allocations = self._full_allocations(items, named_exactly)
        proposal.writeoff = proposal.learned_fee = difference
        proposal.confidence = min(proposal.confidence, 95)
        proposal.reasons.append(
            self.habits.deduction_reason(habit, self._label(partner_id), self.format_amount(difference))
        )
        return True

    def _slip_search(self, source, partner_id, partner_reason, open_items):
        """The one open item of the customer that the memo names with the customer's known slip (80 at most).

        Reached when no item is named exactly and no single one is one typo away (several are): the customer's
        habit (it drops a character, say) tells which. Never automatic: a person confirms.
        """
        slips = self.habits.slips(partner_id)
        if not slips or not source.memo:
            return []
        named = [it for it in open_items if reference_way(source.memo, it.number, it.refs) in slips]
        if len(named) != 1:
            return []
        item = named[0]
        habit = slips[reference_way(source.memo, item.number, item.refs)]
        reasons = [
            _lt("%(number)s found in the memo with the customer's usual slip", number=item.number),
            self.habits.slip_reason(habit, self._label(partner_id)),
        ]
        if partner_reason:
            reasons.append(partner_reason)
        proposal = self._proposal_for_items(source, partner_id, [item], False, reasons, SLIP_LIFTED)
        proposal.confidence = min(proposal.confidence, SLIP_LIFTED)
        return [proposal]

    def _learned_typo(self, source, proposal, item):
        """A reference one typo off, with the slip the customer is known for: named, and raised to 80 (no higher)."""
        if (
            not self.habits
            or proposal.conflict
            or proposal.partner_id is None
            or item.partner_id != proposal.partner_id
        ):
            return
        habit = self.habits.slips(proposal.partner_id).get(reference_way(source.memo, item.number, item.refs))
        if habit is None:
            return
        proposal.reasons.append(self.habits.slip_reason(habit, self._label(proposal.partner_id)))
        proposal.confidence = max(proposal.confidence, SLIP_LIFTED)

    def _learned_lift(self, source, proposals):
        """The customer's habits behind the proposals: its way of writing references, its usual days to pay.

        A way of writing lifts a proposal only for a payer the source gives, or its learned bank account: a customer
        found from a name (or from an account on record, never applied alone either) stays a proposal."""
        given = source.partner_id is not None or bool(
            proposals and proposals[0].partner_id and self._strong_payer(source, proposals[0].partner_id)
        )
        self._lift_by_way(source, proposals, lift=given)
        self._days_to_pay(source, proposals)

    def _days_to_pay(self, source, proposals):
        """The customer's usual days to pay: a tie-break among held single-item proposals (the only one that fits
        comes first, still held), and a small bonus (``DAYS_BONUS``, up to ``DAYS_CEILING``) to a proposal whose
        invoices fit. Timing alone never applies anything, and never settles recurring invoices of one amount."""
        if not self.habits or not proposals or source.date is None or proposals[0].partner_id is None:
            return
        partner_id = proposals[0].partner_id
        habit = self.habits.usual_days(partner_id)
        if habit is None:
            return

        def fits(proposal):
            items = [self.items[a.item_id] for a in proposal.allocations if self.items[a.item_id].amount > 0]
            return bool(items) and all(
                it.partner_id == partner_id
                and it.invoice_date is not None
                and self.habits.fits_days(habit, (source.date - it.invoice_date).days)
                for it in items
            )

        reason = self.habits.days_reason(habit, self._label(partner_id))
        best = proposals[0]
        if best.conflict:
            single = all(p.partner_id == partner_id and len(p.allocations) == 1 for p in proposals)
            fitting = [p for p in proposals if fits(p)] if single and len(proposals) > 1 else []
            if len(fitting) == 1:
                proposals.remove(fitting[0])
                proposals.insert(0, fitting[0])
                fitting[0].reasons.append(reason)  # still held: a person confirms
            return
        if 0 < best.confidence < DAYS_CEILING and fits(best):
            best.confidence = min(best.confidence + DAYS_BONUS, DAYS_CEILING)
            best.reasons.append(reason)

    def _lift_by_way(self, source, proposals, lift=True):
        """Name the customer's way of writing references behind the best proposal; lift it to 90 at most.

        Only a proposal that settles its items (exactly, or with the tolerance or a learned deduction written off)
        and is not held: a habit never settles conflicting evidence nor picks between recurring invoices.
        """
        if not self.habits or not proposals or proposals[0].conflict or proposals[0].partner_id is None:
            return
        best = proposals[0]
        items = [self.items[a.item_id] for a in best.allocations]
        invoices = [it for it in items if it.amount > 0]
        if not invoices or any(it.partner_id != best.partner_id for it in items):
            return
        ways = {reference_way(source.memo, it.number, it.refs) for it in invoices}
        way = ways.pop() if len(ways) == 1 else None
        key = way if way in WAYS else (way if way and way.startswith("po:") else None)
        habit = key and self.habits.get(best.partner_id, "reference_pattern", key)
        if not habit:
            return
        best.reasons.append(self.habits.way_reason(habit, self._label(best.partner_id)))
        settled = self._is_zero(best.remainder) and all(
            self._is_zero(it.amount - a.amount) for it, a in zip(items, best.allocations, strict=True)
        )
        if lift and settled and 80 <= best.confidence < LIFTED:
            best.confidence = LIFTED
