from collections import defaultdict
from datetime import timedelta

from odoo import fields, models
from odoo.tools import SQL, format_date

from ..checks import AmountHistory, has_postal_address, is_unusual_amount
from ..checks.rules import HISTORY_WINDOW
from ..matching.text import text_key
from .billing_dispute_stage import OPEN_STATES

CHECKED_TYPES = ("out_invoice", "out_refund")


class BillingInvoiceChecker(models.AbstractModel):
    """Runs the pre-send checks over many invoices at once: one query per check, never one per invoice.

    Called as superuser by ``account.move._billing_run_checks``; returns the findings, it stores nothing.
    """

    _name = "billing.invoice.checker"
    _description = "Invoice Pre-send Checks"

    def _run(self, moves):
        """{move_id: [(code, severity, message)]} for the customer documents among ``moves``."""
        moves = moves.filtered(lambda m: m.move_type in CHECKED_TYPES)
        findings = defaultdict(list)
        if not moves:
            return findings
        self.env.flush_all()
        configs = self.env["billing.invoice.check"]._by_company(moves.company_id)
        codes = [code for code, _label in self.env["billing.invoice.check"]._fields["code"].selection]
        for code in codes:
            checks = {company: config[code] for company, config in configs.items() if code in config}
            targets = moves.filtered(lambda m, checks=checks: m.company_id.id in checks)
            if not targets:
                continue
            for move_id, message in getattr(self, f"_check_{code}")(targets, checks):
                findings[move_id].append((code, checks[moves.browse(move_id).company_id.id].mode, message))
        return findings

    @staticmethod
    def _params(checks, *names):
        """Per-company parameters as parallel arrays, to join in SQL (one query whatever the companies)."""
        company_ids = list(checks)
        return [company_ids] + [[checks[cid][name] for cid in company_ids] for name in names]

    @staticmethod
    def _label(move):
        return move.name if move.name and move.name != "/" else move.display_name

    # ------------------------------------------------------------------ near-duplicate

    def _check_duplicate(self, moves, checks):
        company_ids, tol_amounts, tol_percents, days = self._params(
            checks, "tolerance_amount", "tolerance_percent", "days_window"
        )
        self.env.cr.execute(
            SQL(
                """
                WITH cfg AS (
                    SELECT * FROM unnest(%s::int[], %s::numeric[], %s::numeric[], %s::int[])
                        AS cfg(company_id, tol_amount, tol_percent, days)
                ), cand AS (
                    SELECT m.id, m.company_id, m.commercial_partner_id, m.move_type, m.currency_id, m.amount_total,
                           COALESCE(m.invoice_date, m.date) AS day, m.billing_ref_key AS ref,
                           GREATEST(cfg.tol_amount, abs(m.amount_total) * cfg.tol_percent / 100) AS tol, cfg.days
                      FROM account_move m JOIN cfg ON cfg.company_id = m.company_id
                     WHERE m.id = ANY(%s)
                ), pairs AS (
                    SELECT c.id, o.id AS other_id,
                           (o.invoice_date BETWEEN c.day - c.days AND c.day + c.days
                            OR o.invoice_date IS NULL AND o.date BETWEEN c.day - c.days AND c.day + c.days) AS near,
                           o.currency_id = c.currency_id AND abs(o.amount_total - c.amount_total) <= c.tol AS same_amount,
                           o.billing_ref_key IS NOT NULL AND o.billing_ref_key = c.ref AS same_ref
                      FROM cand c
                      JOIN account_move o ON o.commercial_partner_id = c.commercial_partner_id
                           AND o.move_type = c.move_type AND o.company_id = c.company_id
                           AND o.state != 'cancel' AND o.id != c.id
                     WHERE o.invoice_date BETWEEN c.day - c.days AND c.day + c.days
                        OR o.invoice_date IS NULL AND o.date BETWEEN c.day - c.days AND c.day + c.days
                        OR o.billing_ref_key = c.ref
                ), signature AS (
                    SELECT l.move_id,
                           string_agg(concat_ws(':', l.product_id, l.quantity, l.price_unit), ','
                                      ORDER BY l.product_id, l.quantity, l.price_unit) AS lines
                      FROM account_move_line l
                     WHERE l.display_type = 'product'
                       AND l.move_id IN (SELECT id FROM cand UNION SELECT other_id FROM pairs WHERE near)
                     GROUP BY l.move_id
                )
                SELECT p.id, p.other_id, p.near AND p.same_amount, p.same_ref,
                       p.near AND COALESCE(sc.lines = so.lines, FALSE)
                  FROM pairs p
                  LEFT JOIN signature sc ON sc.move_id = p.id
                  LEFT JOIN signature so ON so.move_id = p.other_id
                 WHERE p.near AND p.same_amount OR p.same_ref OR p.near AND sc.lines = so.lines
                 ORDER BY p.id, p.other_id DESC
                """,
                company_ids,
                tol_amounts,
                tol_percents,
                days,
                moves.ids,
            )
        )
        matches = defaultdict(list)
        for move_id, other_id, same_amount, same_ref, same_lines in self.env.cr.fetchall():
            matches[move_id].append((other_id, same_amount, same_ref, same_lines))
        others = self.env["account.move"].browse({row[0] for rows in matches.values() for row in rows})
        others.fetch(["name", "move_type", "state", "ref"])
        for move_id, rows in matches.items():
            yield move_id, self._duplicate_message(rows, checks[moves.browse(move_id).company_id.id])

    def _duplicate_message(self, rows, check):
        parts = []
        for other_id, same_amount, same_ref, same_lines in rows[:3]:
            why = []
            if same_amount:
                why.append(self.env._("same amount within %(days)s days", days=check.days_window))
            if same_ref:
                # Name the other invoice's reference as written: a look-alike (a no-break hyphen, another case)
                # reads the same, and the specialist sees which reference it is.
                other_ref = self.env["account.move"].browse(other_id).ref
                why.append(self.env._("same PO reference %(ref)s", ref=(other_ref or "").strip()))
            if same_lines:
                why.append(self.env._("same lines"))
            parts.append(f"{self._label(self.env['account.move'].browse(other_id))} ({', '.join(why)})")
        more = len(rows) - 3
        message = self.env._("Looks like a duplicate of %(documents)s", documents="; ".join(parts))
        return message + (self.env._(" and %(count)s more", count=more) if more > 0 else "") + "."

    # ------------------------------------------------------------------ PO reference

    def _check_po_required(self, moves, checks):
        for move in moves:
            if (
                move.move_type == "out_invoice"
                and move.commercial_partner_id.billing_po_required
                # a reference is at least one letter or digit (``text_key``): spaces, zero-width or no-break
                # spaces, tabs, dashes and invisible letters (Hangul fillers) alone are no PO reference
                and not text_key(move.ref)
            ):
                yield (
                    move.id,
                    self.env._(
                        "%(customer)s requires a PO reference on its invoices; the Customer Reference is empty "
                        "(it has no letter or digit).",
                        customer=move.commercial_partner_id.display_name,
                    ),
                )

    # ------------------------------------------------------------------ unusual amount

    def _check_unusual_amount(self, moves, checks):
        """The customer's last 30 posted documents of the same type and currency, one lateral query for all."""
        self.env.cr.execute(
            SQL(
                """
                WITH keys AS (
                    SELECT DISTINCT company_id, commercial_partner_id, move_type, currency_id
                      FROM account_move WHERE id = ANY(%s)
                )
                SELECT k.company_id, k.commercial_partner_id, k.move_type, k.currency_id,
                       count(*), avg(h.amount_total), COALESCE(stddev_samp(h.amount_total), 0)
                  FROM keys k
                  CROSS JOIN LATERAL (
                        SELECT o.amount_total
                          FROM account_move o
                         WHERE o.commercial_partner_id = k.commercial_partner_id AND o.move_type = k.move_type
                           AND o.company_id = k.company_id AND o.currency_id = k.currency_id
                           AND o.state = 'posted'
                         ORDER BY o.invoice_date DESC, o.id DESC
                         LIMIT %s
                  ) h
                 GROUP BY 1, 2, 3, 4
                """,
                moves.ids,
                HISTORY_WINDOW,
            )
        )
        history = {
            tuple(row[:4]): AmountHistory(row[4], float(row[5]), float(row[6])) for row in self.env.cr.fetchall()
        }
        for move in moves:
            check = checks[move.company_id.id]
            key = (move.company_id.id, move.commercial_partner_id.id, move.move_type, move.currency_id.id)
            stats = history.get(key)
            if is_unusual_amount(move.amount_total, stats, check.min_history, check.factor, check.tolerance_percent):
                yield (
                    move.id,
                    self.env._(
                        "%(amount)s is unusual for %(customer)s: its last %(count)s documents averaged %(mean)s "
                        "(standard deviation %(stddev)s).",
                        amount=move.currency_id.format(move.amount_total),
                        customer=move.commercial_partner_id.display_name,
                        count=stats.count,
                        mean=move.currency_id.format(stats.mean),
                        stddev=move.currency_id.format(stats.stddev),
                    ),
                )

    # ------------------------------------------------------------------ taxes and fiscal position

    def _check_tax(self, moves, checks):
        self.env.cr.execute(
            SQL(
                """
                SELECT l.move_id, array_agg(l.id ORDER BY l.sequence, l.id)
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                  JOIN res_company c ON c.id = m.company_id
                 WHERE l.move_id = ANY(%s) AND l.display_type = 'product'
                   AND NOT EXISTS (SELECT 1 FROM account_move_line_account_tax_rel r WHERE r.account_move_line_id = l.id)
                   AND EXISTS (
                        SELECT 1
                          FROM account_tax t
                         WHERE t.type_tax_use = 'sale' AND t.active
                           AND t.company_id::text = ANY(string_to_array(rtrim(c.parent_path, '/'), '/'))
                           AND (t.id IN (SELECT ptr.tax_id FROM product_product pp
                                           JOIN product_taxes_rel ptr ON ptr.prod_id = pp.product_tmpl_id
                                          WHERE pp.id = l.product_id)
                                OR t.id IN (SELECT ar.tax_id FROM account_account_tax_default_rel ar
                                             WHERE ar.account_id = l.account_id))
                   )
                 GROUP BY l.move_id
                """,
                moves.ids,
            )
        )
        untaxed = dict(self.env.cr.fetchall())
        for move_id, line_ids in untaxed.items():
            lines = self.env["account.move.line"].browse(line_ids)
            yield (
                move_id,
                self.env._(
                    "No tax on %(lines)s, though the product or account normally carries one.",
                    lines=", ".join(f"'{(line.product_id.display_name or line.name or '').strip()}'" for line in lines),
                ),
            )
        yield from self._check_fiscal_position(moves)

    def _check_fiscal_position(self, moves):
        """The fiscal position Odoo would pick from the customer's country, VAT and delivery address."""
        expected = {}
        FiscalPosition = self.env["account.fiscal.position"]
        for move in moves:
            key = (move.company_id.id, move.partner_id.id, move.partner_shipping_id.id)
            if key not in expected:
                expected[key] = FiscalPosition.with_company(move.company_id)._get_fiscal_position(
                    move.partner_id, delivery=move.partner_shipping_id
                )
            wanted = expected[key]
            if wanted != move.fiscal_position_id:
                yield (
                    move.id,
                    self.env._(
                        "Fiscal position %(actual)s, but %(customer)s's country and VAT number imply %(expected)s.",
                        actual=move.fiscal_position_id.display_name or self.env._("none"),
                        customer=move.partner_id.display_name,
                        expected=wanted.display_name or self.env._("none"),
                    ),
                )

    # ------------------------------------------------------------------ delivery

    def _check_delivery(self, moves, checks):
        for move in moves:
            contact, customer = move.partner_id, move.commercial_partner_id
            if (contact.email or customer.email or "").strip():
                continue
            if any(has_postal_address(p.street, p.city, p.zip, p.country_id) for p in contact | customer):
                continue
            yield (
                move.id,
                self.env._(
                    "%(customer)s has no e-mail (on %(contact)s or the customer) and no postal address: the invoice "
                    "cannot be delivered.",
                    customer=customer.display_name,
                    contact=contact.display_name,
                ),
            )

    # ------------------------------------------------------------------ currency

    def _check_currency(self, moves, checks):
        self.env.cr.execute(
            SQL(
                """
                WITH keys AS (SELECT DISTINCT company_id, commercial_partner_id FROM account_move WHERE id = ANY(%s))
                SELECT k.company_id, k.commercial_partner_id, h.currency_id, h.total
                  FROM keys k
                  CROSS JOIN LATERAL (
                        SELECT o.currency_id, count(*) AS used, sum(count(*)) OVER () AS total
                          FROM account_move o
                         WHERE o.commercial_partner_id = k.commercial_partner_id
                           AND o.move_type IN ('out_invoice', 'out_refund')
                           AND o.company_id = k.company_id AND o.state = 'posted'
                         GROUP BY o.currency_id
                         ORDER BY used DESC, o.currency_id
                         LIMIT 1
                  ) h
                """,
                moves.ids,
            )
        )
        usual = {(company, partner): (currency, total) for company, partner, currency, total in self.env.cr.fetchall()}
        for move in moves:
            currency_id, total = usual.get((move.company_id.id, move.commercial_partner_id.id), (None, 0))
            if total >= checks[move.company_id.id].min_history and currency_id != move.currency_id.id:
                yield (
                    move.id,
                    self.env._(
                        "Invoiced in %(currency)s, but %(customer)s is usually invoiced in %(usual)s.",
                        currency=move.currency_id.name,
                        customer=move.commercial_partner_id.display_name,
                        usual=self.env["res.currency"].browse(currency_id).name,
                    ),
                )

    # ------------------------------------------------------------------ recent dispute on the same product

    def _check_dispute(self, moves, checks):
        """Cases of the customer opened in the lookback on a product of the invoice: open ones, and closed ones
        with a root cause (a rejected or cancelled case was no billing error)."""
        found = defaultdict(lambda: defaultdict(list))
        for move_id, case_id, product_id in self._recent_disputes(moves, checks):
            found[move_id][case_id].append(product_id)
        for move_id, cases in found.items():
            parts = []
            for case_id, product_ids in cases.items():
                case = self.env["billing.dispute"].browse(case_id)
                cause = case.root_cause_id.name or self.env._("open, %(reason)s", reason=case.reason_id.name)
                parts.append(
                    self.env._(
                        "%(case)s of %(date)s (%(cause)s) on %(products)s",
                        case=case.name,
                        date=format_date(self.env, case.date_opened),
                        cause=cause,
                        products=", ".join(self.env["product.product"].browse(product_ids).mapped("display_name")),
                    )
                )
            yield (
                move_id,
                self.env._("The customer disputed the same product recently: %(cases)s.", cases="; ".join(parts)),
            )

    def _recent_disputes(self, moves, checks):
        """[(move id, case id, product id)]: the cases of ``_check_dispute`` on each invoice's products."""
        today = fields.Date.context_today(self)
        company_ids = list(checks)
        since = [today - timedelta(days=checks[cid].lookback_days) for cid in company_ids]
        rel = self.env["billing.dispute"]._fields["invoice_line_ids"]
        self.env.cr.execute(
            SQL(
                """
                WITH cfg AS (SELECT * FROM unnest(%(companies)s::int[], %(since)s::date[]) AS cfg(company_id, since)),
                cand AS (
                    SELECT DISTINCT l.move_id, m.company_id, m.commercial_partner_id, l.product_id, cfg.since
                      FROM account_move_line l
                      JOIN account_move m ON m.id = l.move_id
                      JOIN cfg ON cfg.company_id = m.company_id
                     WHERE l.move_id = ANY(%(move_ids)s) AND l.display_type = 'product' AND l.product_id IS NOT NULL
                ), cases AS (
                    SELECT d.id, d.partner_id, d.company_id, d.date_opened
                      FROM billing_dispute d
                     WHERE d.active AND d.date_opened >= (SELECT min(since) FROM cfg)
                       AND d.partner_id IN (SELECT commercial_partner_id FROM cand)
                       AND (d.state IN %(open)s OR d.root_cause_id IS NOT NULL AND d.state NOT IN ('rejected', 'cancelled'))
                ), products AS (
                    SELECT c.id, dl.product_id
                      FROM cases c
                      JOIN %(rel)s r ON r.%(col1)s = c.id
                      JOIN account_move_line dl ON dl.id = r.%(col2)s
                     UNION
                    SELECT c.id, il.product_id
                      FROM cases c
                      JOIN billing_dispute_line bl ON bl.dispute_id = c.id
                      JOIN account_move_line il ON il.move_id = bl.move_id AND il.display_type = 'product'
                     WHERE NOT EXISTS (SELECT 1 FROM %(rel)s r WHERE r.%(col1)s = c.id)
                )
                SELECT DISTINCT cand.move_id, cases.id, cand.product_id
                  FROM cand
                  JOIN cases ON cases.partner_id = cand.commercial_partner_id AND cases.company_id = cand.company_id
                            AND cases.date_opened >= cand.since
                  JOIN products ON products.id = cases.id AND products.product_id = cand.product_id
                 ORDER BY 1, 2, 3
                """,
                companies=company_ids,
                since=since,
                move_ids=moves.ids,
                open=OPEN_STATES,
                rel=SQL.identifier(rel.relation),
                col1=SQL.identifier(rel.column1),
                col2=SQL.identifier(rel.column2),
            )
        )
        return self.env.cr.fetchall()
