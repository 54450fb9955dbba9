"""The matching benchmark's ledger loaded with COPY (issue 14): the same cases and ground truth as
``matching.generate`` (which goes through the ORM, ~10 minutes for 10,000 sources), in seconds per 10,000.

Every row is a copy of a template row that Odoo itself wrote: a customer, an open invoice in the company's currency
and one in EUR (with their product, tax and receivable lines), a posted payment, a bank statement line, and a past
invoice fully reconciled with its payment, all created and posted through the ORM in a savepoint, read back as
PostgreSQL prints them (every column, including those of other modules), then rolled back. Only the columns that
differ per record are replaced (ids, names and sequence numbers, partner, dates, amounts, residuals, reconciliation
links), so each column Odoo needs holds what Odoo would have written. Ids are reserved with ``setval`` as in
``reporting.py``; names continue each journal's sequence (prefix and number), so later postings go on from there.

Not copied (the matching does not read them): followers of the invoices, the pre-send check findings of each
invoice (``billing_check_state`` left empty, consistent with no finding), chatter messages.
"""

import io
import json
import random
from datetime import date, timedelta

from _common import MIX, memo_variant, reserve_ids, setup, swap, typo, unique_amounts

MAXINT = 2147483647  # account.bank.statement.line's internal_index counts its sequence down from there
CHUNK = 20_000  # rows buffered per table before COPY


def _text(value):
    """``value`` in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Table:
    """Rows of one table written with COPY, each a template row (as PostgreSQL printed it) with columns replaced."""

    def __init__(self, cr, name):
        self.cr, self.name = cr, name
        cr.execute(f"SELECT * FROM {name} LIMIT 0")
        self.columns = [column.name for column in cr.description]
        self.index = {column: position for position, column in enumerate(self.columns)}
        self.templates, self.buffer, self.pending, self.total = {}, io.StringIO(), 0, 0

    def template(self, key, where, params=()):
        """Keep the row matching ``where`` (SQL on the table) as template ``key``."""
        self.cr.execute(f"SELECT id FROM {self.name} WHERE {where}", params)
        (record_id,) = self.cr.fetchone()
        buffer = io.StringIO()
        self.cr.copy_expert(f"COPY (SELECT * FROM {self.name} WHERE id = {int(record_id)}) TO STDOUT", buffer)
        self.templates[key] = buffer.getvalue()[:-1].split("\t")
        return record_id

    def add(self, key, **values):
        row = list(self.templates[key])
        for column, value in values.items():
            row[self.index[column]] = _text(value)
        self.buffer.write("\t".join(row) + "\n")
        self.pending += 1

    def flush(self):
        if self.pending:
            self.buffer.seek(0)
            self.cr.copy_expert(f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN", self.buffer)
            self.total += self.pending
            self.buffer, self.pending = io.StringIO(), 0


class Sequence:
    """A journal's numbering: names ``<prefix with the year><number>`` going on from the highest posted one."""

    def __init__(self, cr, journal_id, template_prefix, width=5):
        self.cr, self.journal_id, self.width, self.last = cr, journal_id, width, {}
        year = next(part for part in template_prefix.split("/") if part.isdigit() and len(part) == 4)
        self.before, self.after = template_prefix.split(year, 1)

    def next(self, day):
        prefix = f"{self.before}{day.year}{self.after}"
        if prefix not in self.last:
            self.cr.execute(
                "SELECT max(sequence_number) FROM account_move WHERE journal_id = %s AND sequence_prefix = %s",
                (self.journal_id, prefix),
            )
            self.last[prefix] = self.cr.fetchone()[0] or 0
        self.last[prefix] += 1
        number = self.last[prefix]
        return f"{prefix}{number:0{self.width}d}", prefix, number


class _Rollback(Exception):
    pass


class LedgerWriter:
    """Writes customers, invoices, payments, bank lines and reconciliations by COPY from ORM-made templates."""

    ORDER = (
        "res_partner",
        "account_full_reconcile",
        "account_payment",
        "account_move",
        "account_bank_statement_line",
        "account_move_line",
        "account_partial_reconcile",
        "account_move_line_account_tax_rel",
        "account_account_tag_account_move_line_rel",
    )

    def __init__(self, env, bank, eur, product):
        self.env, self.cr = env, env.cr
        self.company, self.bank, self.eur = env.company, bank, eur
        self.tax = env.company.account_sale_tax_id
        if not (self.tax and self.tax.amount_type == "percent" and not self.tax.price_include):
            self.tax = env["account.tax"]
        self.rate = self.tax.amount / 100 if self.tax else 0.0
        self.tables = {name: Table(self.cr, name) for name in self.ORDER}
        self.relations = {}  # {template line key: [(table, {column: value})]}: its taxes and tax tags
        self._make_templates(product)

    # ------------------------------------------------------------------ templates

    def _make_templates(self, product):
        env = self.env
        try:
            with self.cr.savepoint():
                self._orm_samples(product)
                env.flush_all()
                self._read_templates()
                raise _Rollback
        except _Rollback:
            pass
        env.invalidate_all()
        env.cr.precommit.clear()
        env.cr.postcommit.clear()

    def _orm_samples(self, product):
        env = self.env
        Move = env["account.move"].with_context(tracking_disable=True, mail_notrack=True)
        Payment = env["account.payment"].with_context(tracking_disable=True, mail_notrack=True)
        self.template_partner = partner = env["res.partner"].create({"name": "Bench Template", "is_company": True})
        today = date.today()
        self.samples = {
            "open": self._sample_invoice(Move, partner, product, self.company.currency_id, today),
            "eur": self._sample_invoice(Move, partner, product, self.eur, today),
            "paid": self._sample_invoice(Move, partner, product, self.company.currency_id, today - timedelta(days=200)),
        }
        (self.samples["open"] | self.samples["eur"] | self.samples["paid"]).action_post()
        paid = self.samples["paid"]
        self.samples["payment"] = self._sample_payment(Payment, partner, 500.0, today, "TEMPLATE-MEMO")
        self.samples["paid_payment"] = self._sample_payment(
            Payment, partner, paid.amount_total, today - timedelta(days=180), "TEMPLATE-MEMO"
        )
        (self.samples["payment"] | self.samples["paid_payment"]).action_post()
        receivable = (paid.line_ids | self.samples["paid_payment"].move_id.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        receivable.reconcile()
        assert paid.payment_state in ("paid", "in_payment") and receivable.full_reconcile_id
        self.samples["bank_line"] = env["account.bank.statement.line"].create(
            {"journal_id": self.bank.id, "date": today, "amount": 100.0, "payment_ref": "TEMPLATE-REF"}
        )

    def _sample_invoice(self, Move, partner, product, currency, day):
        return Move.create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": day,
                "invoice_date_due": day + timedelta(days=30),
                "ref": "PO-TEMPLATE",
                "currency_id": currency.id,
                "invoice_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "quantity": 1,
                            "price_unit": 1000.0,
                            "tax_ids": [(6, 0, self.tax.ids)],
                        },
                    )
                ],
            }
        )

    def _sample_payment(self, Payment, partner, amount, day, memo):
        return Payment.create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
                "memo": memo,
                "date": day,
                "journal_id": self.bank.id,
            }
        )

    def _read_templates(self):
        t, samples = self.tables, self.samples
        t["res_partner"].template("customer", "id = %s", (self.template_partner.id,))
        for key in ("open", "eur", "paid"):
            move = samples[key]
            t["account_move"].template(key, "id = %s", (move.id,))
            for kind in ("product", "tax", "payment_term"):
                line = move.line_ids.filtered(lambda aml, kind=kind: aml.display_type == kind)
                if line:
                    t["account_move_line"].template(f"{key}_{kind}", "id = %s", (line.id,))
                    self._read_relations(f"{key}_{kind}", line.id)
        self.sequences = {"invoice": Sequence(self.cr, samples["open"].journal_id.id, samples["open"].sequence_prefix)}
        for key in ("payment", "paid_payment"):
            payment = samples[key]
            t["account_payment"].template(key, "id = %s", (payment.id,))
            t["account_move"].template(key, "id = %s", (payment.move_id.id,))
            for line in payment.move_id.line_ids:
                kind = "receivable" if line.account_id.account_type == "asset_receivable" else "liquidity"
                t["account_move_line"].template(f"{key}_{kind}", "id = %s", (line.id,))
        self.template_memo_label = samples["payment"].move_id.line_ids[0].name  # e.g. "Manual Payment: TEMPLATE-MEMO"
        self.sequences["payment"] = Sequence(self.cr, self.bank.id, samples["payment"].move_id.sequence_prefix)
        full = samples["paid"].line_ids.full_reconcile_id
        t["account_full_reconcile"].template("paid", "id = %s", (full.id,))
        t["account_partial_reconcile"].template("paid", "full_reconcile_id = %s", (full.id,))
        st_line = samples["bank_line"]
        t["account_bank_statement_line"].template("bank_line", "id = %s", (st_line.id,))
        t["account_move"].template("bank_line", "id = %s", (st_line.move_id.id,))
        for line in st_line.move_id.line_ids:
            kind = "suspense" if line.account_id == st_line.journal_id.suspense_account_id else "liquidity"
            t["account_move_line"].template(f"bank_line_{kind}", "id = %s", (line.id,))
        self.sequences["bank_line"] = Sequence(self.cr, self.bank.id, st_line.move_id.sequence_prefix)

    def _read_relations(self, key, line_id):
        rows = []
        for table, column in (
            ("account_move_line_account_tax_rel", "account_move_line_id"),
            ("account_account_tag_account_move_line_rel", "account_move_line_id"),
        ):
            self.cr.execute(f"SELECT * FROM {table} WHERE {column} = %s", (line_id,))
            names = [d.name for d in self.cr.description]
            rows += [(table, column, dict(zip(names, values, strict=True))) for values in self.cr.fetchall()]
        self.relations[key] = rows

    # ------------------------------------------------------------------ rows

    def flush(self):
        for name in self.ORDER:
            self.tables[name].flush()

    def partners(self, names):
        first = reserve_ids(self.cr, "res_partner", len(names))
        for offset, name in enumerate(names):
            self.tables["res_partner"].add(
                "customer",
                id=first + offset,
                name=name,
                complete_name=name,
                commercial_company_name=name,
                commercial_partner_id=first + offset,
                customer_rank=1,
            )
        self.flush()
        return list(range(first, first + len(names)))

    def _line(self, key, **values):
        self.tables["account_move_line"].add(key, **values)
        for table, column, row in self.relations.get(key, ()):
            self.tables[table].buffer.write(
                "\t".join(_text(values["id"] if name == column else value) for name, value in row.items()) + "\n"
            )
            self.tables[table].pending += 1

    def invoice(self, ids, spec, names, paid_by=None):
        """One posted customer invoice. ``spec``: dict(partner, name, date, due, untaxed, ref, eur, sequence).

        :param ids: {"move": id, "line": first line id} (advanced here)
        :param paid_by: the full reconcile id if the invoice is paid (its receivable line reconciled with it)
        :return: (amount_total in the invoice's currency, receivable line id)
        """
        key = "eur" if spec["eur"] else ("paid" if paid_by else "open")
        amounts = self._invoice_amounts(spec)
        _untaxed, _tax, total, _bal_untaxed, _bal_tax, bal_total = amounts
        move_id, name, day = ids["move"], spec["name"], spec["date"]
        open_amount, open_balance = (0.0, 0.0) if paid_by else (total, bal_total)
        self._invoice_entry(key, move_id, spec, names, amounts, (open_amount, open_balance))
        common = {
            "move_id": move_id,
            "move_name": name,
            "partner_id": spec["partner"],
            "date": day,
            "invoice_date": day,
            "ref": spec["ref"],
        }
        receivable = self._invoice_lines(key, ids["line"], common, amounts)
        reconciled = {}
        if paid_by:
            reconciled = {"full_reconcile_id": paid_by, "matching_number": str(paid_by)}
        self._line(
            f"{key}_payment_term",
            id=receivable,
            **common,
            name=name,
            date_maturity=spec["due"],
            balance=bal_total,
            debit=bal_total,
            amount_currency=total,
            amount_residual=open_balance,
            amount_residual_currency=open_amount,
            **reconciled,
        )
        ids["move"], ids["line"] = move_id + 1, receivable + 1
        return total, receivable

    def _invoice_amounts(self, spec):
        """(untaxed, tax, total) in the invoice's currency, then in the company's (its balances)."""
        rate = 1.8 if spec["eur"] else 1.0  # EUR per company unit when invoiced (see matching.setup)
        untaxed = spec["untaxed"]
        tax = round(untaxed * self.rate, 2)
        total = round(untaxed + tax, 2)
        bal_untaxed, bal_tax = round(untaxed / rate, 2), round(tax / rate, 2)
        bal_total = round(bal_untaxed + bal_tax, 2)
        return untaxed, tax, total, bal_untaxed, bal_tax, bal_total

    def _invoice_entry(self, key, move_id, spec, names, amounts, residual):
        """The invoice's account_move row; ``residual``: (open amount, open balance)."""
        untaxed, tax, total, bal_untaxed, bal_tax, bal_total = amounts
        open_amount, open_balance = residual
        name, day = spec["name"], spec["date"]
        self.tables["account_move"].add(
            key,
            id=move_id,
            name=name,
            sequence_prefix=spec["sequence"][0],
            sequence_number=spec["sequence"][1],
            partner_id=spec["partner"],
            commercial_partner_id=spec["partner"],
            partner_shipping_id=spec["partner"],
            invoice_partner_display_name=names[spec["partner"]],
            ref=spec["ref"],
            payment_reference=name,
            date=day,
            invoice_date=day,
            invoice_date_due=spec["due"],
            billing_check_state=None,
            amount_untaxed=untaxed,
            amount_tax=tax,
            amount_total=total,
            amount_residual=open_amount,
            amount_untaxed_signed=bal_untaxed,
            amount_untaxed_in_currency_signed=untaxed,
            amount_tax_signed=bal_tax,
            amount_total_signed=bal_total,
            amount_total_in_currency_signed=total,
            amount_residual_signed=open_balance,
        )

    def _invoice_lines(self, key, line_id, common, amounts):
        """The invoice's product line (and tax line); :return: the id of its receivable line, next."""
        untaxed, tax, total, bal_untaxed, bal_tax, _bal_total = amounts
        self._line(
            f"{key}_product",
            id=line_id,
            **common,
            balance=-bal_untaxed,
            credit=bal_untaxed,
            amount_currency=-untaxed,
            price_unit=untaxed,
            price_subtotal=untaxed,
            price_total=total,
        )
        line_id += 1
        if self.tax:
            self._line(
                f"{key}_tax",
                id=line_id,
                **common,
                balance=-bal_tax,
                credit=bal_tax,
                amount_currency=-tax,
                tax_base_amount=bal_untaxed,
            )
            line_id += 1
        return line_id

    def payment(self, ids, partner, names, day, amount, memo, paid=None):
        """One posted inbound customer payment in the company's currency, open or (``paid``: (full reconcile id,
        invoice name)) reconciled in full with an invoice. :return: its receivable line id"""
        key = "paid_payment" if paid else "payment"
        pay_id, move_id = ids["payment"], ids["move"]
        name, prefix, number = self.sequences["payment"].next(day)
        self._payment_entry(key, pay_id, move_id, (name, prefix, number), partner, names, day, amount, memo)
        label = (
            self.template_memo_label.replace("TEMPLATE-MEMO", memo) if memo else self.template_memo_label.split(":")[0]
        )
        common = {
            "move_id": move_id,
            "move_name": name,
            "partner_id": partner,
            "date": day,
            "date_maturity": day,
            "ref": memo or None,
            "name": label,
            "payment_id": pay_id,
        }
        line_id = ids["line"]
        self._line(
            f"{key}_liquidity",
            id=line_id,
            **common,
            balance=amount,
            debit=amount,
            amount_currency=amount,
            amount_residual=amount,
            amount_residual_currency=amount,
        )
        reconciled = {}
        if paid:
            reconciled = {"full_reconcile_id": paid[0], "matching_number": str(paid[0])}
        else:
            reconciled = {"amount_residual": -amount, "amount_residual_currency": -amount}
        self._line(
            f"{key}_receivable",
            id=line_id + 1,
            **common,
            balance=-amount,
            credit=amount,
            amount_currency=-amount,
            **reconciled,
        )
        ids["payment"], ids["move"], ids["line"] = pay_id + 1, move_id + 1, line_id + 2
        return line_id + 1

    def _payment_entry(self, key, pay_id, move_id, numbering, partner, names, day, amount, memo):
        """The payment's account_payment and account_move rows; ``numbering``: (name, prefix, number)."""
        name, prefix, number = numbering
        self.tables["account_payment"].add(
            key,
            id=pay_id,
            move_id=None,
            name=name,
            partner_id=partner,
            memo=memo,
            date=day,
            amount=amount,
            amount_company_currency_signed=amount,
        )
        self.tables["account_move"].add(
            key,
            id=move_id,
            name=name,
            sequence_prefix=prefix,
            sequence_number=number,
            ref=memo or None,
            partner_id=partner,
            commercial_partner_id=partner,
            invoice_partner_display_name=names[partner],
            date=day,
            invoice_date_due=day,
            amount_total=amount,
            amount_total_signed=amount,
            amount_total_in_currency_signed=amount,
            origin_payment_id=pay_id,
        )

    def bank_line(self, ids, day, amount, ref):
        """One incoming bank statement line naming no customer, its amount in the suspense account."""
        st_id, move_id, line_id = ids["st_line"], ids["move"], ids["line"]
        name, prefix, number = self.sequences["bank_line"].next(day)
        self.tables["account_move"].add(
            "bank_line",
            id=move_id,
            name=name,
            sequence_prefix=prefix,
            sequence_number=number,
            date=day,
            invoice_date_due=day,
            amount_total=amount,
            amount_total_signed=amount,
            amount_total_in_currency_signed=amount,
            statement_line_id=None,
        )
        self.tables["account_bank_statement_line"].add(
            "bank_line",
            id=st_id,
            move_id=move_id,
            payment_ref=ref,
            amount=amount,
            amount_residual=-amount,
            internal_index=f"{day.strftime('%Y%m%d')}{MAXINT - 1:0>10}{st_id:0>10}",
        )
        common = {"move_id": move_id, "move_name": name, "date": day, "name": ref, "statement_line_id": st_id}
        self._line(
            "bank_line_liquidity",
            id=line_id,
            **common,
            balance=amount,
            debit=amount,
            amount_currency=amount,
            amount_residual=amount,
            amount_residual_currency=amount,
        )
        self._line(
            "bank_line_suspense", id=line_id + 1, **common, balance=-amount, credit=amount, amount_currency=-amount
        )
        ids["st_line"], ids["move"], ids["line"] = st_id + 1, move_id + 1, line_id + 2

    def link_back(self):
        """The links written after their targets existed: payment -> its entry, entry -> its bank line."""
        self.cr.execute("""UPDATE account_payment p SET move_id = m.id FROM account_move m
                            WHERE m.origin_payment_id = p.id AND p.move_id IS NULL""")
        self.cr.execute("""UPDATE account_move m SET statement_line_id = s.id FROM account_bank_statement_line s
                            WHERE s.move_id = m.id AND m.statement_line_id IS NULL""")

    def settle(self, ids, debit_line, credit_line, amount, day):
        """The reconciliation in full of a past invoice's receivable line with its payment's (``ids["full"]`` is
        the full reconcile id the lines were written with)."""
        self.tables["account_full_reconcile"].add("paid", id=ids["full"])
        self.tables["account_partial_reconcile"].add(
            "paid",
            id=ids["partial"],
            debit_move_id=debit_line,
            credit_move_id=credit_line,
            full_reconcile_id=ids["full"],
            amount=amount,
            debit_amount_currency=amount,
            credit_amount_currency=amount,
            max_date=day,
        )
        ids["full"], ids["partial"] = ids["full"] + 1, ids["partial"] + 1


def _plan(rng, sources, customers, amount):
    """The sources' cases and their invoices, as ``matching.generate`` draws them, then unrelated open invoices."""

    today = date.today()
    plan = [
        (case, identifiable, rng.choice(customers))
        for case, share, identifiable in MIX
        for _ in range(round(sources * share))
    ]
    rng.shuffle(plan)
    specs = []
    for index, (case, _identifiable, customer) in enumerate(plan):
        if case == "recurring":
            fee = amount()
            values = [fee, fee, fee]
        elif case in ("several", "combination"):
            values = [amount() for _ in range(rng.choice([2, 3]))]
        else:
            values = [amount()]
        for position, value in enumerate(values):
            day = today - timedelta(days=90 - 20 * position - rng.randint(0, 5))
            specs.append(
                {
                    "owner": index,
                    "partner": customer,
                    "date": day,
                    "due": day + timedelta(days=30),
                    "ref": f"PO-{rng.randint(100000, 999999)}" if case == "po_ref" else None,
                    "eur": case == "foreign",
                    "untaxed": value,
                }
            )
    while len(specs) < 2 * sources:
        day = today - timedelta(days=rng.randint(0, 120))
        specs.append(
            {
                "owner": None,
                "partner": rng.choice(customers),
                "date": day,
                "due": day + timedelta(days=30),
                "ref": None,
                "eur": False,
                "untaxed": amount(),
            }
        )
    return plan, specs


def _source(rng, case, targets):
    """(memo, amount paid) of a source of ``case`` paying ``targets`` (invoice specs), as ``matching.generate``."""

    first, total = targets[0], round(sum(spec["total"] for spec in targets), 2)
    memo, paid = "", total
    if case in ("number", "bank_line"):
        memo = memo_variant(rng, first["name"])
    elif case == "foreign":
        memo, paid = first["name"], round(first["total"] / 2.0, 2)  # EUR at 2.0 per company unit
    elif case == "po_ref":
        memo = f"our order {first['ref']}"
    elif case == "typo":
        memo = f"payment {typo(rng, first['name'])}"
    elif case == "swap":
        memo = f"payment {swap(rng, first['name'])}"
    elif case == "unique_amount":
        memo = "payment, thank you"
    elif case == "several":
        memo = " + ".join(spec["name"] for spec in targets)
    elif case == "partial":
        memo, paid = first["name"], round(first["total"] * rng.uniform(0.3, 0.9), 2)
    elif case == "overpay":
        memo, paid = first["name"], round(first["total"] + rng.uniform(5, 100), 2)
    elif case == "tolerance":
        memo, paid = first["name"], round(first["total"] - rng.uniform(0.01, 0.99), 2)
    elif case == "recurring":
        memo, paid = "monthly fee", first["total"]
    return memo, paid


def _history(rng, sources, customers, amount, today):
    """The specs of the past invoices (each paid in full 20 days after, see ``generate_copy``)."""
    history = []
    for _ in range(sources // 2):
        day = today - timedelta(days=rng.randint(150, 400))
        history.append(
            {
                "owner": None,
                "partner": rng.choice(customers),
                "date": day,
                "due": day,
                "ref": None,
                "eur": False,
                "untaxed": amount(),
            }
        )
    return history


def _reserve(cr, writer, plan, specs, history):
    """The first id of each table's rows to come, reserved in its sequence."""
    bank_count = sum(1 for case, _ident, _customer in plan if case == "bank_line")
    pay_count = len(plan) - bank_count + len(history)
    per_invoice = 3 if writer.tax else 2
    return {
        "move": reserve_ids(cr, "account_move", len(specs) + 2 * len(history) + len(plan)),
        "line": reserve_ids(
            cr, "account_move_line", per_invoice * (len(specs) + len(history)) + 2 * pay_count + 2 * bank_count
        ),
        "payment": reserve_ids(cr, "account_payment", pay_count),
        "st_line": reserve_ids(cr, "account_bank_statement_line", bank_count),
        "full": reserve_ids(cr, "account_full_reconcile", len(history)),
        "partial": reserve_ids(cr, "account_partial_reconcile", len(history)),
    }


def _copy_truth(cr, truth):
    """The right answers (``truth``: a tab-separated buffer) into ``bench_truth``."""
    cr.execute(
        "CREATE TABLE IF NOT EXISTS bench_truth (source text, case_name text, identifiable bool, "
        "invoice_ids text, customer_id int)"
    )
    truth.seek(0)
    cr.copy_expert("COPY bench_truth FROM STDIN", truth)


def generate_copy(env, sources, seed=7):
    """The ledger of ``matching.generate`` for ``sources`` sources, loaded with COPY; ground truth in bench_truth.

    :return: {table: rows written}
    """

    rng = random.Random(seed)
    cr = env.cr
    writer = LedgerWriter(env, *setup(env))
    names = [f"Bench Customer {i:05d}" for i in range(max(sources // 5, 10))]
    customers = writer.partners(names)
    labels = dict(zip(customers, names, strict=True))
    amount = unique_amounts(rng)
    plan, specs = _plan(rng, sources, customers, amount)
    today = date.today()
    history = _history(rng, sources, customers, amount, today)
    for spec in specs + history:  # numbered in the order the ORM generator posts them
        spec["name"], *spec["sequence"] = writer.sequences["invoice"].next(spec["date"])
    ids = _reserve(cr, writer, plan, specs, history)
    for position, spec in enumerate(specs, 1):
        spec["id"] = ids["move"]
        spec["total"], _receivable = writer.invoice(ids, spec, labels)
        if position % CHUNK == 0:
            writer.flush()
    for position, spec in enumerate(history, 1):  # paid in full 20 days after, reconciled
        full = ids["full"]
        total, receivable = writer.invoice(ids, spec, labels, paid_by=full)
        pay_day = spec["date"] + timedelta(days=20)
        pay_line = writer.payment(ids, spec["partner"], labels, pay_day, total, spec["name"], paid=(full,))
        writer.settle(ids, receivable, pay_line, total, pay_day)
        if position % CHUNK == 0:
            writer.flush()
    writer.flush()
    per_source = {}
    for spec in specs:
        if spec["owner"] is not None:
            per_source.setdefault(spec["owner"], []).append(spec)
    truth = io.StringIO()
    for index, (case, identifiable, customer) in enumerate(plan):
        targets = per_source[index]
        memo, paid = _source(rng, case, targets)
        expected = [targets[0]["id"]] if case == "recurring" else sorted(spec["id"] for spec in targets)
        if case == "bank_line":
            source = f"account.bank.statement.line,{ids['st_line']}"
            writer.bank_line(ids, today, paid, f"transfer {memo}")
        else:
            source = f"account.payment,{ids['payment']}"
            writer.payment(ids, customer, labels, today, paid, memo)
        truth.write("\t".join(_text(v) for v in (source, case, identifiable, json.dumps(expected), customer)) + "\n")
        if (index + 1) % CHUNK == 0:
            writer.flush()
    writer.flush()
    writer.link_back()
    _copy_truth(cr, truth)
    cr.execute("ANALYZE")
    cr.commit()
    return {name: table.total for name, table in writer.tables.items()}
