"""One normalisation of compared text (issue 21): learned payer accounts and names keyed again with it."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if version:
        api.Environment(cr, SUPERUSER_ID, {})["billing.match.habit"]._rekey_payers()
