"""Demo ledger: invoices in every state, payments and dispute cases in every stage.

Built with the ORM (not XML) so that invoices are posted, paid and credited through Odoo's own flows and the
cases follow them exactly as they do in production. Dates are relative to today so the aging looks alive.
"""

import logging
import random
from collections import Counter
from datetime import datetime, time, timedelta

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..matching.remittance import Advice, AdviceLine
from ..models.billing_run_chunk import CHUNK_SIZE_PARAM

DEMO_CUSTOMERS = [
    "harbor",
    "northwind",
    "bluepeak",
    "greenleaf",
    "ironworks",
    "sunrise",
    "lakeside",
    "quantum",
    "redwood",
    "atlas",
    "pioneer",
    "coastal",
]
DEMO_PRODUCTS = ["consulting", "widget", "support"]


class BillingDisputeDemo(models.Model):
    _inherit = "billing.dispute"

    @api.model
    def _demo_generate_data(self):
        company = self.env.company
        if not company.chart_template:
            return
        rng = random.Random(2026)
        today = fields.Date.context_today(self)
        ref = self.env.ref
        customers = [ref(f"billing_specialist.partner_{key}_demo") for key in DEMO_CUSTOMERS]
        products = [ref(f"billing_specialist.product_{key}_demo") for key in DEMO_PRODUCTS]
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        bank = self._demo_bank_journal(company)
        writeoff_account = self.env["account.account"].search(
            [*self.env["account.account"]._check_company_domain(company), ("account_type", "=", "expense")], limit=1
        )
        company.billing_writeoff_account_id = writeoff_account

        admin = ref("base.user_admin")
        vals_list = []
        for index, customer in enumerate(customers):
            for number in range(4):
                days_ago = rng.randint(5, 140)
                vals_list.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": customer.child_ids[:1].id or customer.id,
                        "invoice_date": today - timedelta(days=days_ago),
                        "invoice_date_due": today - timedelta(days=days_ago - 30),
                        "journal_id": journal.id,
                        "invoice_user_id": admin.id,  # the portal shows a salesperson, not OdooBot
                        "ref": f"PO-{4100 + index * 10 + number}",
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "quantity": rng.randint(1, 12),
                                    "price_unit": product.list_price,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                            for product in rng.sample(products, rng.randint(1, 3))
                        ],
                    }
                )
        invoices = self.env["account.move"].create(vals_list)
        invoices.action_post()
        invoices = invoices.sorted(lambda m: (m.invoice_date, m.id))

        # Payments: a third paid in full, a sixth partly paid, the rest open (most of them overdue).
        paid, partial, open_invoices = [], [], []
        for position, invoice in enumerate(invoices):
            bucket = position % 6
            (paid if bucket in (0, 3) else partial if bucket == 1 else open_invoices).append(invoice)
        for invoice in paid + partial:
            amount = invoice.amount_total if invoice in paid else round(invoice.amount_total * 0.4, 2)
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids
            ).create(
                {
                    "amount": amount,
                    "journal_id": bank.id,
                    "payment_date": min(invoice.invoice_date + timedelta(days=rng.randint(10, 45)), today),
                    "payment_difference_handling": "open",
                }
            )._create_payments()

        # One case per stage, on open invoices of different customers.
        reasons = self.env["billing.dispute.reason"].search([])
        causes = self.env["billing.dispute.root.cause"].search([])
        specialist = ref("billing_specialist.user_billing_specialist_demo")
        used_partners = set()
        candidates = []
        for invoice in open_invoices + partial:
            if invoice.commercial_partner_id.id not in used_partners:
                used_partners.add(invoice.commercial_partner_id.id)
                candidates.append(invoice)
        plans = [
            "new",
            "in_progress",
            "waiting",
            "overdue",
            "credit_full",
            "credit_partial",
            "write_off",
            "rejected",
            "cancelled",
            "paid",
        ]
        Resolve = self.env["billing.dispute.resolve"]
        for index, (plan, invoice) in enumerate(zip(plans, candidates, strict=False)):
            amount = round(invoice.amount_residual * (1.0 if plan in ("credit_full", "paid") else 0.25), 2)
            if plan == "write_off":
                amount = min(amount, 35.0)
            case = self.with_context(mail_notrack=True).create(
                {
                    "partner_id": invoice.commercial_partner_id.id,
                    "contact_id": invoice.partner_id.id if invoice.partner_id.parent_id else False,
                    "reason_id": rng.choice(reasons).id,
                    "user_id": (specialist if index % 2 == 0 else admin).id,
                    "channel": rng.choice(["back_office", "portal", "email"]),
                    "priority": rng.choice(["0", "0", "1", "2"]),
                    "description": "<p>The customer contests part of this invoice.</p>",
                    "line_ids": [Command.create({"move_id": invoice.id, "amount_disputed": amount})],
                }
            )
            if plan == "in_progress":
                case.action_start()
            elif plan == "waiting":
                case.action_wait_customer()
            elif plan == "overdue":
                # Opened earlier, so that its deadline (opening + the reason's SLA) is three days past.
                case.write({"date_opened": today - timedelta(days=case.reason_id.sla_days + 3)})
                case._cron_check_sla()
            elif plan == "cancelled":
                case.action_cancel()
            elif plan == "paid":
                self.env["account.payment.register"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                ).create({"journal_id": bank.id})._create_payments()
            elif plan in ("credit_full", "credit_partial", "write_off", "rejected"):
                resolution = {"rejected": "reject"}.get(plan, "credit_note" if plan.startswith("credit") else plan)
                wizard = Resolve.create(
                    {
                        "dispute_id": case.id,
                        "resolution": resolution,
                        "root_cause_id": rng.choice(causes).id,
                        "note": "Reviewed against the order and the delivery note.",
                        "notify_customer": False,
                    }
                )
                if plan == "credit_partial":
                    wizard.line_ids.amount = round(amount / 2, 2)
                wizard.action_apply()

    @api.model
    def _demo_bank_journal(self, company):
        """The company's first bank journal (the demo's payments and bank lines go there)."""
        Journal = self.env["account.journal"]
        return Journal.search([*Journal._check_company_domain(company), ("type", "=", "bank")], limit=1)

    @api.model
    def _demo_generate_matching(self):
        """Unapplied payments and bank lines of every kind, so Match Payments and the runs have something to show."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        bank = self._demo_bank_journal(company)
        by_customer = self._demo_open_by_customer(company)
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
        exact, spaced, short, over = singles[0], singles[1], singles[2], singles[3]
        combination = pairs[0]
        payments = [
            (exact.commercial_partner_id, exact.amount_residual, f"Payment {exact.name}"),
            (spaced.commercial_partner_id, spaced.amount_residual, spaced.name.replace("/", " ")),
            (short.commercial_partner_id, round(short.amount_residual * 0.9, 2), f"{short.name} less discount"),
            (over.commercial_partner_id, over.amount_residual + 25.0, f"{over.name} with thanks"),
            (combination[0].commercial_partner_id, combination[0].amount_residual + combination[1].amount_residual, ""),
            (singles[4].commercial_partner_id, 123.45, "on account"),
        ]
        Payment = self.env["account.payment"]
        created = Payment.create(
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
        with_account = singles[5].commercial_partner_id
        self.env["res.partner.bank"].create({"acc_number": "BE71 0961 2345 6769", "partner_id": with_account.id})
        named, no_ref, duplicate = singles[6], pairs[1], paid
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
        statement_lines = self.env["account.bank.statement.line"].create(
            [{"journal_id": bank.id, "date": today - timedelta(days=index), **vals} for index, vals in enumerate(lines)]
        )
        # One automatic run over most of them, so Matching Runs has history and a "Review the N left"; the first
        # payment is left out so the review screen also shows a proposal sure enough to apply.
        self.env["billing.match.run"]._run_automatic(company, payments=created[1:], statement_lines=statement_lines)

    @api.model
    def _demo_generate_portfolio(self):
        """A collection portfolio: the demo specialist has most customers, the administrator three, so that each
        one's *My Worklist* has someone to call (the customers of Odoo's own demo stay unassigned)."""
        company = self.env.company
        customers = [self.env.ref(f"billing_specialist.partner_{key}_demo") for key in DEMO_CUSTOMERS]
        accounts = self.env["billing.collection"]._for_partners(self.env["res.partner"].union(*customers), company)
        by_partner = {account.partner_id: account for account in accounts}
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        admin = self.env.ref("base.user_admin")
        for key, customer in zip(DEMO_CUSTOMERS, customers, strict=True):
            by_partner[customer].user_id = admin if key in ("atlas", "coastal", "redwood") else specialist

    @api.model
    def _demo_generate_followup(self):
        """A follow-up history: a run three weeks ago (customers stand at different levels) and today's preview, which
        holds the customers whose items reached a new level since (sent from the run's form)."""
        company = self.env.company
        if not company.chart_template or not self.env["billing.followup.level"].search_count(
            [("company_id", "=", company.id)]
        ):
            return
        today = fields.Date.context_today(self)
        Run = self.env["billing.followup.run"].sudo().with_context(tracking_disable=True)
        Run._run_company(company, mode="scheduled", date=today - timedelta(days=21))
        Run._start(company, mode="manual")  # today's preview, not sent

    @api.model
    def _demo_generate_promises(self):
        """Promises to pay in every outcome: open, kept, partially kept and broken (judged by the nightly job).

        The closed ones were made ten days ago for five days ago; their payments are dated accordingly (the
        judge counts what was applied between the promise and its deadline).
        """
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        Promise = self.env["billing.promise"]
        bank = self._demo_bank_journal(company)
        invoices = self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
                ("company_id", "=", company.id),
                ("billing_in_dispute", "=", False),
            ],
            order="invoice_date_due, id",
        )
        picks, seen = [], set()
        for invoice in invoices:
            if invoice.commercial_partner_id.id not in seen:
                seen.add(invoice.commercial_partner_id.id)
                picks.append(invoice)
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        # "open_part": 60 % of the invoice, its date put off once; the follow-up still chases the other 40 %.
        plans = [
            ("open", 1.0, "phone"),
            ("kept", 1.0, "email"),
            ("partial", 0.6, "phone"),
            ("broken", 0.0, "portal"),
            ("open_part", 1.0, "phone"),
        ]
        closed, payments = Promise, self.env["account.payment"]
        for (plan, paid_share, channel), invoice in zip(plans, picks, strict=False):
            amount = invoice._billing_undisputed_residual()
            if plan == "open_part":
                amount = invoice.currency_id.round(amount * 0.6)
            opened = plan.startswith("open")
            promise = Promise.with_user(specialist).create(
                {
                    "partner_id": invoice.commercial_partner_id.id,
                    "move_ids": [Command.set(invoice.ids)],
                    "amount": amount,
                    "date": today + timedelta(days=7 if opened else 0),
                    "tolerance_days": 3 if opened else 0,
                    "channel": channel,
                    "note": "Promised on the phone by accounts payable." if channel == "phone" else False,
                }
            )
            if plan == "open_part":
                promise.with_user(specialist).date = today + timedelta(days=14)
            if opened:
                continue
            closed |= promise
            if paid_share:
                payments |= (
                    self.env["account.payment.register"]
                    .with_context(active_model="account.move", active_ids=invoice.ids)
                    .create(
                        {
                            "amount": round(amount * paid_share, 2),
                            "journal_id": bank.id,
                            "payment_date": today - timedelta(days=6),
                            "payment_difference_handling": "open",
                        }
                    )
                    ._create_payments()
                )
        self.env.flush_all()
        if closed:
            self.env.cr.execute(
                SQL(
                    "UPDATE billing_promise SET create_date = %s, date_made = %s, date = %s, date_deadline = %s"
                    " WHERE id IN %s",
                    today - timedelta(days=10),
                    today - timedelta(days=10),
                    today - timedelta(days=5),
                    today - timedelta(days=5),
                    tuple(closed.ids),
                )
            )
        partials = payments.move_id.line_ids.matched_debit_ids
        if partials:
            self.env.cr.execute(
                SQL(
                    "UPDATE account_partial_reconcile SET create_date = %s WHERE id IN %s",
                    today - timedelta(days=6),
                    tuple(partials.ids),
                )
            )
        self.env.invalidate_all()
        Promise._judge_promises(today)

    @api.model
    def _demo_generate_calls(self):
        """Calls logged by each customer's specialist, and next actions, for the customer screens (the cockpit)."""
        company = self.env.company
        if not company.chart_template:
            return
        customers = [self.env.ref(f"billing_specialist.partner_{key}_demo") for key in DEMO_CUSTOMERS]
        accounts = self.env["billing.collection"]._for_partners(self.env["res.partner"].union(*customers), company)
        today = fields.Date.context_today(self)
        calls = [
            ("no_answer", "Voicemail; left a message with the invoice numbers."),
            ("reached", "Accounts payable has the invoices; payment run next week."),
            ("wrong_contact", "Purchasing, not payables: asked for the right contact."),
            ("reached", "Asked for a copy of the statement; sent."),
        ]
        for index, account in enumerate(accounts.filtered("user_id").sorted(lambda a: a.partner_id.name)):
            account = account.with_user(account.user_id)
            outcome, note = calls[index % len(calls)]
            message = account._log_call(outcome, note)
            if index % 3:  # most calls were made on earlier days: the worklist shows who is due again today
                day = today - timedelta(days=1 + index % 6)
                account.sudo().last_call_date = day
                message.sudo().date = datetime.combine(day, time(10, 0))
            if index % 2 == 0:
                account._schedule_next_action(today + timedelta(days=index % 5), "Follow up on the last call")

    @api.model
    def _demo_generate_checks(self):
        """Two drafts the pre-send checks stop: a near-duplicate of a posted invoice, and an invoice without the PO
        reference its customer requires (both checks set to block in the demo)."""
        company = self.env.company
        if not company.chart_template:
            return
        checks = self.env["billing.invoice.check"].search(
            [("company_id", "=", company.id), ("code", "in", ("duplicate", "po_required"))]
        )
        checks.mode = "block"
        posted = self.env["account.move"].search(
            [("company_id", "=", company.id), ("move_type", "=", "out_invoice"), ("state", "=", "posted")],
            order="invoice_date desc, id desc",
            limit=1,
        )
        customer = self.env.ref("billing_specialist.partner_northwind_demo")
        customer.billing_po_required = True
        drafts = posted.copy({"invoice_date": posted.invoice_date, "ref": posted.ref})
        drafts |= self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": customer.child_ids[:1].id or customer.id,
                "invoice_date": fields.Date.context_today(self),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.env.ref("billing_specialist.product_support_demo").id,
                            "quantity": 1,
                            "price_unit": 300.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        drafts |= self._demo_lookalike_po(company)
        drafts._billing_run_checks()

    @api.model
    def _demo_lookalike_po(self, company):
        """A draft whose PO reference only looks different from a posted invoice's (lower case, a no-break hyphen,
        a trailing no-break space): the duplicate check compares normalised references, at any date."""
        posted = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("ref", "=like", "PO-%"),
            ],
            order="id",
            limit=1,
        )
        if not posted:
            return self.env["account.move"]
        return self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": posted.partner_id.id,
                "invoice_date": fields.Date.context_today(self),
                "ref": posted.ref.lower().replace("-", "\u2011") + "\u00a0",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.env.ref("billing_specialist.product_widget_demo").id,
                            "quantity": 3,
                            "price_unit": 45.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )

    @api.model
    def _demo_generate_billing_run(self):
        """A billing run of the demo specialist, so *Billing Runs* shows outcomes: two new invoices posted and
        e-mailed, the two drafts the checks stop (above) blocked; and two clean drafts left to try a run with."""
        company = self.env.company
        if not company.chart_template:
            return
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        Move = self.env["account.move"].with_user(specialist)
        blocked = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "draft"),
                ("billing_check_result_ids", "!=", False),
            ]
        )
        drafts = self._demo_drafts(Move, ("harbor", "lakeside"), 5100)
        self.env["billing.invoice.run"].with_user(specialist)._create_for_invoices(drafts | blocked).action_run()
        # Two clean drafts left for a new run (Billing Run from the invoice list), beside the two blocked ones.
        self._demo_drafts(Move, ("greenleaf", "sunrise"), 5200)

    def _demo_drafts(self, Move, customers, first_po):
        """A draft invoice dated today for each of ``customers`` (demo keys), with a PO reference from ``first_po``."""
        product = self.env.ref("billing_specialist.product_consulting_demo")
        today = fields.Date.context_today(self)
        return Move.create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.env.ref(f"billing_specialist.partner_{key}_demo").id,
                    "invoice_date": today,
                    "ref": f"PO-{first_po + index}",
                    "invoice_line_ids": [
                        Command.create(
                            {"product_id": product.id, "quantity": 2 + index, "price_unit": product.list_price}
                        )
                    ],
                }
                for index, key in enumerate(customers)
            ]
        )

    def _demo_open_by_customer(self, company):
        """The company's posted invoices left unpaid and out of dispute, by customer, oldest first."""
        open_items = self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "=", "not_paid"),
                ("billing_in_dispute", "=", False),
            ],
            order="invoice_date, id",
        )
        by_customer = {}
        for invoice in open_items:
            by_customer.setdefault(invoice.commercial_partner_id, []).append(invoice)
        return by_customer

    @api.model
    def _demo_generate_remittances(self):
        """A remittance advice applied with a deduction (its case opened) and one waiting for its payment."""
        company = self.env.company
        if not company.chart_template:
            return
        by_customer = self._demo_open_by_customer(company)
        customers = sorted((c for c, items in by_customer.items() if len(items) >= 2), key=lambda c: c.id)
        if len(customers) < 2:
            return
        first, second = by_customer[customers[0]][:2], by_customer[customers[1]][:1]
        Remittance = self.env["billing.remittance"]
        deduction = round(min(25.0, first[1].amount_residual / 2), 2)
        applied = Remittance._billing_import(
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
        bank = self._demo_bank_journal(company)
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
        waiting = Remittance._billing_import(
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

    @api.model
    def _demo_remittance_by_email(self, customer, company, waiting):
        """The customer e-mails the waiting advice again: kept in the Error state, naming the first one."""
        body = "".join(f"<p>{line.reference} {line.amount_paid:.2f}</p>" for line in waiting.line_ids)
        self.env["billing.remittance"].with_context(default_company_id=company.id).message_new(
            {"email_from": customer.email, "subject": "Remittance REMIT-2209 (resent)", "body": body},
            {"company_id": company.id},
        )

    @api.model
    def _demo_remittance_file_by_email(self, customer, company, waiting):
        """The customer e-mails a CSV whose amounts are in the other decimal convention than its format's: kept
        unread at first (read after the mail fetch), then refused, naming the row and the value."""
        Remittance = self.env["billing.remittance"]
        layout = self.env["billing.remittance.format"]._for_customer(customer, company)._layout()
        amount = "1,234.56" if layout.decimal_comma else "1.234,56"
        content = f"ref;amount\n{waiting.line_ids[:1].reference};{amount}\n".encode()
        attachment = Remittance._Attachment("advice-0917.csv", content, {})
        remittance = Remittance.with_context(default_company_id=company.id).message_new(
            {
                "email_from": customer.email,
                "subject": "Remittance 0917",
                "body": "See attached.",
                "attachments": [attachment],
            },
            {"company_id": company.id},
        )
        remittance._billing_read_file()

    @api.model
    def _demo_remittance_file_unread(self, customer, invoice, company):
        """An e-mailed CSV the scheduled action has not read yet: *Waiting to Be Read* until it runs."""
        Remittance = self.env["billing.remittance"]
        layout = self.env["billing.remittance.format"]._for_customer(customer, company)._layout()
        amount = f"{invoice.amount_residual:.2f}"
        if layout.decimal_comma:
            amount = amount.replace(".", ",")
        content = f"ref;amount\n{invoice.name};{amount}\n".encode()
        attachment = Remittance._Attachment("advice-0921.csv", content, {})
        Remittance.with_context(default_company_id=company.id).message_new(
            {
                "email_from": customer.email,
                "subject": "Remittance 0921",
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
        Remittance = self.env["billing.remittance"].with_context(default_company_id=company.id)
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

    @api.model
    def _demo_generate_learning(self):
        """Habits learned: Northwind paid three invoices by bank transfer from one account, naming its PO numbers,
        applied by the specialist (a person's match teaches at once); a fourth transfer from that account naming
        nothing waits on the review screen, identified by what was learned."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        northwind = self.env.ref("billing_specialist.partner_northwind_demo")
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        product = self.env.ref("billing_specialist.product_consulting_demo")
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "sale")], limit=1
        )
        bank = self._demo_bank_journal(company)
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
        account = "NL91 ABNA 0417 1643 00"
        lines = self.env["account.bank.statement.line"].create(
            [
                {
                    "journal_id": bank.id,
                    "date": invoice.invoice_date + timedelta(days=28),
                    "payment_ref": invoice.ref,
                    "amount": invoice.amount_residual,
                    "account_number": account,
                    "partner_name": "NORTHWIND TRADERS INC",
                }
                for invoice in invoices[:3]
            ]
            + [
                {
                    "journal_id": bank.id,
                    "date": today - timedelta(days=1),
                    "payment_ref": "Transfer 000871",
                    "amount": invoices[3].amount_residual,
                    "account_number": account,
                    "partner_name": "NORTHWIND TRADERS INC",
                }
            ]
        )
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
    def _demo_generate_worklist(self):
        """Cash arrived but not applied yet, as the worklist shows it: a bank line naming the demo specialist's
        first customer to call, for all it has left to collect ("paid, not applied yet: do not call"), and a posted
        payment of the next one, for half of it (it nets partly)."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        bank = self._demo_bank_journal(company)
        specialist = self.env.ref("billing_specialist.user_billing_specialist_demo")
        self.env.flush_all()
        rows = self.env["billing.worklist"].search(
            [
                ("company_id", "=", company.id),
                ("user_id", "=", specialist.id),
                ("followup_amount", ">", 0),
                ("payer_cash_amount", "=", 0),
            ],
        )
        if not rows:
            return
        paid, partly = rows[0], rows[1:2]
        self.env["account.bank.statement.line"].create(
            {
                "journal_id": bank.id,
                "date": today - timedelta(days=1),
                "partner_id": paid.partner_id.id,
                "payment_ref": f"Transfer {paid.partner_id.name}",
                "amount": paid.followup_amount,
            }
        )
        if not partly:
            return
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partly.partner_id.id,
                "amount": company.currency_id.round(partly.followup_amount / 2),
                "memo": "On account",
                "date": today - timedelta(days=1),
                "journal_id": bank.id,
            }
        )
        payment.action_post()

    @api.model
    def _demo_generate_evidence(self):
        """Issue 21's screens: a bank line held because the payer's name learned for Northwind comes from an account
        on record for another customer, and a payment whose memo swaps two adjacent digits of its invoice number
        (applied at 90, saying why), both through one matching run."""
        company = self.env.company
        if not company.chart_template:
            return
        today = fields.Date.context_today(self)
        bank = self._demo_bank_journal(company)
        lines = self.env["account.bank.statement.line"]
        account = self.env["res.partner.bank"].search(
            [("acc_number", "=", "BE71 0961 2345 6769"), ("partner_id", "!=", False)], limit=1
        )
        northwind = self.env.ref("billing_specialist.partner_northwind_demo")
        open_northwind = self._demo_open_by_customer(company).get(northwind)
        if account and open_northwind:
            lines = lines.create(
                {
                    "journal_id": bank.id,
                    "date": today,
                    "payment_ref": "Transfer 000913",
                    "amount": open_northwind[-1].amount_residual,
                    "account_number": account.acc_number,
                    "partner_name": "NORTHWIND TRADERS INC",
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
            self.env["billing.match.run"]._run_automatic(company, payments=payments, statement_lines=lines)

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
        for invoices in self._demo_open_by_customer(company).values():
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
        bank = self._demo_bank_journal(company)
        picks = [items[0] for items in self._demo_open_by_customer(company).values()][:5]
        if len(picks) < 5:
            return
        Run = self.env["billing.match.run"]
        if Run.search_count([("company_id", "=", company.id), ("state", "=", "running")]):
            return
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
            run = Run.with_user(specialist)._run_automatic(company, payments=payments, statement_lines=[]).sudo()
        finally:
            Param.set_param(CHUNK_SIZE_PARAM, size or False)
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
