"""What the matching engine needs from the database besides the open items (plain functions taking ``env``)."""

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL

from ..matching import ClosedNumbers


def closed_invoice_numbers(env, company, years=2):
    """The numbers of ``company``'s customer invoices already paid, dated within the last ``years``, in one query.

    A memo naming one of them is held for review as a possible duplicate payment (see ``Matcher``): build this once
    and pass it as ``closed_numbers`` to the matcher of every currency.
    """
    since = fields.Date.context_today(env.user) - relativedelta(years=years)
    env["account.move"].flush_model(["name", "company_id", "state", "move_type", "payment_state", "invoice_date"])
    rows = env.execute_query(
        SQL(
            """SELECT name, amount_total, amount_total_signed FROM account_move
                WHERE company_id = %s AND state = 'posted' AND move_type = 'out_invoice'
                  AND payment_state IN ('paid', 'in_payment') AND invoice_date >= %s""",
            company.id,
            since,
        )
    )
    # The amounts each was invoiced for (its currency's, the company's): a memo naming a paid invoice while paying
    # another amount may be a typo for an open one (``Matcher._swapped_digits``).
    amounts = {}
    for name, total, signed in rows:
        amounts.setdefault(name, set()).update(float(value) for value in (total, signed) if value is not None)
    return ClosedNumbers((name for name, _total, _signed in rows), amounts=amounts)
