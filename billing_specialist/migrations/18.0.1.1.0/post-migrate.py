"""One normalisation of compared text (issue 21): stored keys computed again with it.

Learned payer accounts and names (``billing.match.habit``), the fingerprints of imported remittance advices, and the
candidates a waiting chunk of a large matching run holds as ambiguous (its other hints are raw text, keyed when read).
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.billing_specialist.matching.text import text_key


def rekey_chunk_hints(env):
    """The typo candidates ambiguous on the whole ledger, of the chunks still to run, in today's key."""
    chunks = env["billing.run.chunk"].sudo().search([("state", "in", ("pending", "running", "failed"))])
    for chunk in chunks:
        hints = chunk.hints
        if isinstance(hints, dict) and hints.get("ambiguous"):
            ambiguous = [[currency, text_key(candidate)] for currency, candidate in hints["ambiguous"]]
            chunk.hints = {**hints, "ambiguous": ambiguous}


def migrate(cr, version):
    if version:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["billing.match.habit"]._rekey_payers()
        env["billing.remittance"]._billing_rekey_duplicates()
        rekey_chunk_hints(env)
