"""One normalisation of compared text (issue 21): store the duplicate check's reference key of existing moves.

The column is filled here, by batches in SQL, so that the ORM does not compute it record by record on upgrade.
"""

from odoo.addons.billing_specialist.models.account_move import fill_ref_keys


def migrate(cr, version):
    if version:
        fill_ref_keys(cr)
