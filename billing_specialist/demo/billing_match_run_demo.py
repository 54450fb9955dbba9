"""Payment matching's demo: unapplied payments and bank lines of every kind, automatic runs with history, habits
learned from a person's matches, the evidence screens of issue 21 and a large run stopped half-way."""

import logging
from collections import Counter
from datetime import datetime, time, timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..models.billing_run_chunk import CHUNK_SIZE_PARAM
from .ledger import bank_journal, open_by_customer, sale_journal, support_moves

LEARNED_ACCOUNT = "NL91 ABNA 0417 1643 00"
LEARNED_PAYER = "NORTHWIND TRADERS INC"


class BillingMatchRunDemo(models.Model):
    _inherit = "billing.match.run"  # pylint: disable=consider-merging-classes-inherited  # the demo lives apart

    @api.model
    def _demo_generate_matching(self):
        """Unapplied payments and bank lines of every kind, so Match Payments and the runs have something to show."""
        company = self.env.company
        if not company.chart_template:
            return
        by_customer = open_by_customer(self.env, company)
        pairs = [items for items in by_customer.values() if len(items) >= 2]
        singles = [items[0] for items in by_customer.values()]
        if len(pairs) < 3 or len(singles) < 8:
            return
        paid = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("paid", "in_payment")),
            ],
            limit=1,
        )
        payments = self._demo_matching_payments(company, singles, pairs[0])
        statement_lines = self._demo_matching_bank_lines(company, singles, pairs[1], paid)
        # One automatic run over most of them, so Matching Runs has history and a "Review the N left"; the first
        # payment is left out so the review screen also shows a proposal sure enough to apply.
        self._run_automatic(company, payments=payments[1:], statement_lines=statement_lines)

    @api.model
    def _demo_matching_payments(self, company, singles, combination):
        """Posted payments: exact, a reference with spaces, short, over, one for two invoices, one on account."""
        today = fields.Date.context_today(self)
        bank = bank_journal(self.env, company)
        exact, spaced, short, over = singles[0], singles[1], singles[2], singles[3]
        payments = [
            (exact.commercial_partner_id, exact.amount_residual, f"Payment {exact.name}"),
            (spaced.commercial_partner_id, spaced.amount_residual, spaced.name.replace("/", " ")),
            (short.commercial_partner_id, round(short.amount_residual * 0.9, 2), f"{short.name} less discount"),
            (over.commercial_partner_id, over.amount_residual + 25.0, f"{over.name} with thanks"),
            (combination[0].commercial_partner_id, combination[0].amount_residual + combination[1].amount_residual, ""),
            (singles[4].commercial_partner_id, 123.45, "on account"),
        ]
        created = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": partner.id,
                    "amount": amount,
                    "memo": memo,
                    "date": today - timedelta(days=index),
                    "journal_id": bank.id,
                }
                for index, (partner, amount, memo) in enumerate(payments)
            ]
        )
        created.action_post()
        return created

    @api.model
    def _demo_matching_bank_lines(self, company, singles, no_ref, duplicate):
        """Bank lines: naming an invoice, from a known account, for two invoices without a reference, of nobody,
        of no invoice, and one paying an invoice already paid (``duplicate``, when there is one)."""
        today = fields.Date.context_today(self)
        bank = bank_journal(self.env, company)
        with_account = singles[5].commercial_partner_id
        self.env["res.partner.bank"].create({"acc_number": "BE71 0961 2345 6769", "partner_id": with_account.id})
        named = singles[6]
        lines = [
            {
                "payment_ref": f"Transfer {named.name}",
                "amount": named.amount_residual,
                "partner_id": named.partner_id.id,
            },
            {
                "payment_ref": "Invoice payment",
                "amount": singles[5].amount_residual,
                "account_number": "BE71096123456769",
                "partner_name": with_account.name.upper(),
            },
            {
                "payment_ref": "Monthly payment",
                "amount": no_ref[0].amount_residual + no_ref[1].amount_residual,
                "partner_id": no_ref[0].commercial_partner_id.id,
            },
            {"payment_ref": "SEPA credit 000123", "amount": singles[7].amount_residual},
            {"payment_ref": "Transfer 8812", "amount": 777.77},
        ]
        if duplicate:
            lines.append(
                {
                    "payment_ref": f"Payment {duplicate.name}",
                    "amount": duplicate.amount_total,
                    "partner_id": duplicate.commercial_partner_id.id,
                }
            )
        return self.env["account.bank.statement.line"].create(
            [{"journal_id": bank.id, "date": today - timedelta(days=index), **vals} for index, vals in enumerate(lines)]
        )

    @api.model
    def _demo_generate_learning(self):
        """Habits learned: Northwind paid three invoices by bank transfer from one account, naming its PO numbers,
        applied by the specialist (a person's match teaches at once); a fourth transfer from that account naming
        nothing waits on the review screen, identified by what was learned."""
        company = self.env.company
        if not company.chart_template:
            return
        northwind = self.env.ref("billing_specialist.partner_northwind_demo")
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        invoices = self._demo_learning_invoices(company, northwind)
        lines = self._demo_learning_bank_lines(company, invoices)
        Review = self.env["billing.match.review"].with_user(specialist)
        Review.action_open_review()
        for line, invoice in zip(lines[:3], invoices[:3], strict=True):
            row = Review.search([("statement_line_id", "=", line.id)])
            row.write(
                {
                    "partner_id": northwind.id,
                    "allocation_ids": [
                        Command.clear(),
                        Command.create({"move_id": invoice.id, "amount": invoice.amount_residual}),
                    ],
                }
            )
            row.action_apply()
        Review.action_refresh()

    @api.model
    def _demo_learning_invoices(self, company, northwind):
        """Four posted consulting invoices of Northwind, 120, 90, 60 and 20 days old, with PO-7701 to PO-7704."""
        today = fields.Date.context_today(self)
        product = self.env.ref("billing_specialist.product_consulting_demo")
        journal = sale_journal(self.env, company)
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": northwind.id,
                    "journal_id": journal.id,
                    "invoice_date": today - timedelta(days=days),
                    "invoice_date_due": today - timedelta(days=days - 30),
                    "ref": f"PO-{7701 + index}",
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "quantity": 2 + index,
                                "price_unit": product.list_price,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for index, days in enumerate((120, 90, 60, 20))
            ]
        )
        invoices.action_post()
        return invoices

    @api.model
    def _demo_learning_bank_lines(self, company, invoices):
        """A transfer from Northwind's account for each of the first three invoices, naming its PO 28 days after
        it, and one for the fourth yesterday, naming nothing."""
        today = fields.Date.context_today(self)
        bank = bank_journal(self.env, company)
        payer = {"journal_id": bank.id, "account_number": LEARNED_ACCOUNT, "partner_name": LEARNED_PAYER}
        return self.env["account.bank.statement.line"].create(
            [
                {
                    **payer,
                    "date": invoice.invoice_date + timedelta(days=28),
                    "payment_ref": invoice.ref,
                    "amount": invoice.amount_residual,
                }
                for invoice in invoices[:3]
            ]
            + [
                {
                    **payer,
                    "date": today - timedelta(days=1),
                    "payment_ref": "Transfer 000871",
                    "amount": invoices[3].amount_residual,
                }
            ]
        )

    @api.model
    def _demo_generate_evidence(self):
        """Issue 21's screens: a bank line held because the payer's name learned for Northwind comes from an account
        on record for another customer, and a payment whose memo swaps two adjacent digits of its invoice number
        (applied at 90, saying why), both through one matching run."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        bank = bank_journal(self.env, company)
        lines = self.env["account.bank.statement.line"]
        account = self.env["res.partner.bank"].search(
            [("acc_number", "=", "BE71 0961 2345 6769"), ("partner_id", "!=", False)], limit=1
        )
        northwind = self.env.ref("billing_specialist.partner_northwind_demo")
        open_northwind = open_by_customer(self.env, company).get(northwind)
        if account and open_northwind:
            lines = lines.create(
                {
                    "journal_id": bank.id,
                    "date": today,
                    "payment_ref": "Transfer 000913",
                    "amount": open_northwind[-1].amount_residual,
                    "account_number": account.acc_number,
                    "partner_name": LEARNED_PAYER,
                }
            )
        payments = self.env["account.payment"]
        pair = self._demo_swapped_pair(company)
        if pair:
            invoice, paid = pair
            payments = payments.create(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": invoice.amount_residual,
                    "memo": f"payment {paid.name}",
                    "journal_id": bank.id,
                    "date": today,
                }
            )
            payments.action_post()
        if lines or payments:
            self._run_automatic(company, payments=payments, statement_lines=lines)

    @api.model
    def _demo_swapped_pair(self, company):
        """(open invoice, paid invoice) whose numbers differ by two adjacent digits swapped, of other amounts, the
        open one of a customer with no other open invoice of its amount; else None."""
        Move = self.env["account.move"]
        base = [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        paid = {move.name: move for move in Move.search([*base, ("payment_state", "in", ("paid", "in_payment"))])}
        # A sequence number two journals share (INV/2026/00004, RINV/2026/00004) would name two invoices at once.
        names = Move.search(
            [("company_id", "=", company.id), ("move_type", "in", ("out_invoice", "out_refund")), ("name", "like", "/")]
        ).mapped("name")
        shared = {seq for seq, count in Counter(name.rpartition("/")[2] for name in names).items() if count > 1}
        for invoices in open_by_customer(self.env, company).values():
            for invoice in invoices:
                prefix, _slash, seq = invoice.name.rpartition("/")
                for i in range(len(seq) - 1):
                    if seq[i] == seq[i + 1] or not (seq[i] + seq[i + 1]).isdigit():
                        continue
                    swapped = f"{seq[:i]}{seq[i + 1]}{seq[i]}{seq[i + 2 :]}"
                    other = paid.get(f"{prefix}/{swapped}") if not {seq, swapped} & shared else None
                    if (
                        other
                        and other.amount_total != invoice.amount_residual
                        and sum(it.amount_residual == invoice.amount_residual for it in invoices) == 1
                    ):
                        return invoice, other
        return None

    @api.model
    def _demo_generate_partial_run(self):
        """A large matching run (in chunks) the administrator stopped: the first chunk applied, the second failed
        (its managers told on the run's chatter), the rest cancelled by him: *Partly Done*.

        The chunk size is 2 for this run only; the second chunk is made to fail as the tests do (a source of no
        model), its warning kept out of the install log."""
        company = self.env.company
        if not company.chart_template:
            return
        picks = [items[0] for items in open_by_customer(self.env, company).values()][:5]
        if len(picks) < 5:
            return
        if self.search_count([("company_id", "=", company.id), ("state", "=", "running")]):
            return
        run = self._demo_chunked_run(company, picks)
        chunks = run.chunk_ids.sorted("sequence")
        if run.state != "running" or len(chunks) < 3:
            return
        chunks[0]._billing_process()
        chunks[1].write({"source_refs": [["billing.no.such.model", 1]]})
        chunk_logger = logging.getLogger("odoo.addons.billing_specialist.models.billing_run_chunk")
        disabled, chunk_logger.disabled = chunk_logger.disabled, True
        try:
            chunks[1]._billing_process()
        finally:
            chunk_logger.disabled = disabled
        if chunks[1].state == "failed" and not chunks.filtered(lambda chunk: chunk.state == "running"):
            run.with_user(self.env.ref("base.user_admin")).action_billing_cancel_rest()

    @api.model
    def _demo_chunked_run(self, company, picks):
        """A payment for each of ``picks``, matched by the demo specialist's run in chunks of 2 (sudo: the demo then
        drives the chunks itself)."""
        bank = bank_journal(self.env, company)
        today = fields.Date.context_today(self)
        payments = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": invoice.commercial_partner_id.id,
                    "amount": invoice.amount_residual,
                    "memo": invoice.name,
                    "journal_id": bank.id,
                    "date": today,
                }
                for invoice in picks
            ]
        )
        payments.action_post()
        Param = self.env["ir.config_parameter"].sudo()
        size = Param.get_param(CHUNK_SIZE_PARAM)
        Param.set_param(CHUNK_SIZE_PARAM, "2")
        try:
            specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
            run = self.with_user(specialist)._run_automatic(company, payments=payments, statement_lines=[])
        finally:
            Param.set_param(CHUNK_SIZE_PARAM, size or False)
        return run.sudo()

    @api.model
    def _demo_generate_workbench(self):
        """What the workbench flags and explains: Pioneer pays two invoices it names net of two credit notes it holds
        (the notes are offset first), and Harbor's bank sent one invoice's payment twice (both rows claim it)."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        pioneer = self.env.ref("billing_specialist.partner_pioneer_demo")
        harbor = self.env.ref("billing_specialist.partner_harbor_demo")
        invoices = support_moves(self.env, company, pioneer, "out_invoice", ((35, 4), (20, 5)))
        notes = support_moves(self.env, company, pioneer, "out_refund", ((25, 1), (10, 2)))
        claimed = support_moves(self.env, company, harbor, "out_invoice", ((30, 7),))
        net = sum(invoices.mapped("amount_residual")) - sum(notes.mapped("amount_residual"))
        bank = bank_journal(self.env, company)
        lines = [
            {
                "payment_ref": f"{invoices[0].name} {invoices[1].name} less credits",
                "amount": net,
                "partner_id": pioneer.id,
            },
            {"payment_ref": f"Payment {claimed.name}", "amount": claimed.amount_residual, "partner_id": harbor.id},
            {"payment_ref": f"{claimed.name} resent", "amount": claimed.amount_residual, "partner_id": harbor.id},
        ]
        self.env["account.bank.statement.line"].create(
            [
                {"journal_id": bank.id, "date": today - timedelta(days=index + 1), **vals}
                for index, vals in enumerate(lines)
            ]
        )

    @api.model
    def _demo_generate_last_month(self):
        """Last month's matching, so the Billing Report's default period has runs: Greenleaf paid three invoices
        naming them, applied by an automatic run; a fourth payment was applied, then the specialist undid that run
        (it reads Undone, with who and when, and its payment waits on Match Payments again)."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        last_month_end = today.replace(day=1) - timedelta(days=1)
        days = [last_month_end.replace(day=day) for day in (5, 12, 19, 26)]
        greenleaf = self.env.ref("billing_specialist.partner_greenleaf_demo")
        invoices = support_moves(
            self.env,
            company,
            greenleaf,
            "out_invoice",
            [((today - day).days + 30, quantity) for day, quantity in zip(days, (1, 2, 3, 5), strict=True)],
        )
        bank = bank_journal(self.env, company)
        payments = self.env["account.payment"].create(
            [
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": greenleaf.id,
                    "amount": invoice.amount_residual,
                    "memo": f"Payment {invoice.name}",
                    "date": day,
                    "journal_id": bank.id,
                }
                for invoice, day in zip(invoices, days, strict=True)
            ]
        )
        payments.action_post()
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        kept = self._run_automatic(company, payments=payments[:3], statement_lines=None)
        undone = self.with_user(specialist)._run_automatic(company, payments=payments[3:], statement_lines=None)
        undone.with_user(specialist).action_undo()
        for run, day in ((kept, days[2]), (undone, days[3])):  # the runs of last month, on the day they ran
            moment = datetime.combine(day, time(18, 0))
            self.env.cr.execute(SQL("UPDATE billing_match_run SET date = %s WHERE id = %s", moment, run.id))
            if undone == run:
                self.env.cr.execute(
                    SQL(
                        "UPDATE billing_match_run SET undone_date = %s WHERE id = %s",
                        moment + timedelta(hours=1),
                        run.id,
                    )
                )
        runs = kept | undone
        runs.invalidate_recordset(["date", "undone_date"])
        self.env.add_to_compute(self._fields["name"], runs)  # named after the day they ran
        runs.flush_recordset(["name"])
