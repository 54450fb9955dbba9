from odoo import api, models

from .billing_payment_apply import Application


class BillingPaymentSource(models.AbstractModel):
    """What the matching asks of a source of cash: a customer payment (``account.payment``) or an incoming bank line
    (``account.bank.statement.line``). Both inherit this contract, as Odoo's statement lines and reconcile models
    share ``account.reconcile.abstract``: the matching code calls these methods and never tests a source's model.

    Each source model declares the two attributes below and implements the methods that raise
    ``NotImplementedError``; the others are shared. Remittance advices extend the proposal hooks
    (``models/billing_remittance_matching.py``). The contract declares no field: it adds no column.
    """

    _name = "billing.payment.source"
    _description = "Payment Matching: Source of Cash"

    # The field naming the source on a run line, a review row and a remittance advice ("payment_id" or
    # "statement_line_id"), and the review row's ``source_type``.
    _billing_source_field = None
    _billing_source_type = None

    # ------------------------------------------------------------------ what the source is

    @api.model
    def _billing_pending(self, company):
        """The sources of ``company`` with an amount still to apply (the run's and the review's default)."""
        raise NotImplementedError

    def _billing_currency(self):
        """The currency the customer paid in."""
        raise NotImplementedError

    def _billing_available(self):
        """What the source still has to apply, in ``_billing_currency()``."""
        raise NotImplementedError

    def _billing_label(self):
        """The source's name in messages."""
        raise NotImplementedError

    def _billing_row_name(self):
        """The source's name on the review screen."""
        return self.display_name

    def _billing_receivable_lines(self):
        """The source's own receivable journal items not reconciled yet."""
        return self.move_id.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable" and not aml.reconciled
        )

    def _billing_payment(self):
        """The customer payment this source is (a dispute's ``source_payment_id``), or an empty payment."""
        return self.env["account.payment"]

    def _billing_done(self):
        """Applied in full by other means since it was planned (a bank line reconciled): not tried again."""
        return False

    def _billing_source(self):
        """The engine's view of one source (``matching.Source``)."""
        self.ensure_one()
        return self._billing_sources_read()[self.id]

    def _billing_sources_read(self):
        """The engine's view of each source, {id: Source}, in a few queries whatever their number (a run's)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ whom it is applied for

    def _billing_customer(self, moves, partner=None):
        """The customer a person applies the source for, to ``moves``; ``partner`` is the one they chose (used
        only where the source names none)."""
        raise NotImplementedError

    def _billing_proposed_customer(self, partner):
        """The customer the automatic run applies the source for, when the engine proposes ``partner``'s invoices
        (None: the source's own, as the checks take it)."""
        return None

    # ------------------------------------------------------------------ applying

    def _billing_check_state(self):
        """Refuse, with a clear message, a source that cannot take an application at all (not posted, reconciled)."""
        raise NotImplementedError

    def _billing_check_applicable(
        self, moves, amounts, writeoff=0.0, customer=None, automatic=False, learned_fee=0.0, fee_rule=None
    ):
        """Refuse, with a clear message and before anything is written, what cannot be applied.

        :param amounts: {move id: amount} in the invoices' currency, credit notes negative.
        :param customer: whom the source is applied for; default the source's own customer.
        """
        self.ensure_one()
        self._billing_check_state()
        self.env["billing.payment.apply"]._check_allocations(
            self,
            moves,
            amounts,
            writeoff,
            customer=customer or self.partner_id.commercial_partner_id,
            automatic=automatic,
            learned_fee=learned_fee,
            fee_rule=fee_rule,
        )

    def _billing_apply(self, allocations, writeoff=0.0, nowait=False, partner=None):
        """Apply the source now to the given invoices and credit notes (no run recorded): see
        ``billing.payment.apply._check_and_apply``. Screens apply through ``_apply_applications``.

        :param allocations: [(invoice or credit note id, amount)] in the invoices' currency, credit notes negative.
        :param partner: the customer chosen for a source that names none (``_billing_customer``).
        :return: (account.partial.reconcile created, write-off move or empty recordset)
        """
        self.ensure_one()
        application = Application(self, list(allocations), writeoff, customer=partner)
        return self.env["billing.payment.apply"]._check_and_apply(application, nowait)

    @api.model
    def _billing_before_reconcile(self, applications):
        """Called once per batch with this model's ``applications``, before anything is booked (a bank line's
        amount moves to its customer's receivable). Undone by ``_billing_after_unreconcile``."""

    @api.model
    def _billing_link(self, applications):
        """Called once per batch, right before reconciling (a payment lists itself on the invoices it settles)."""

    def _billing_after_unreconcile(self):
        """Undo's mirror of ``_billing_before_reconcile``, on the sources of a run undone, once their
        reconciliations are gone."""

    # ------------------------------------------------------------------ proposals (hooks for other capabilities)

    def _billing_extra_proposals(self, matcher):
        """Proposals for this source from outside the engine (``BillingMatcher.propose`` weighs them with its own):
        none here. ``matcher.extras`` keeps what a hook reads once per matcher."""
        return []

    @api.model
    def _billing_hint_texts(self, matcher, partner_ids):
        """Texts besides the memos that name invoices for the sources of a chunk of ``partner_ids``: none here."""
        return []

    @api.model
    def _billing_proposal_vals(self, proposal):
        """Values a review row and a run line record of ``proposal`` besides its invoices: none here."""
        return {}

    # ------------------------------------------------------------------ every source model

    @api.model
    def _billing_source_models(self):
        """The models implementing this contract, payments first."""
        names = self.env.registry.descendants([self._name], "_inherit") - {self._name}
        return sorted((self.env[name] for name in names), key=lambda model: model._billing_source_field != "payment_id")
