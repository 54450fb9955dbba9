"""The seam between the billing-activity report and the capabilities it reports on (issue 22, step 8).

The report (``report/billing_kpi.py``, ``report/billing_workbook.py``) does not name the disputes, matching,
collections or invoicing models. Each capability contributes through a small abstract model that inherits
``billing.report.hook``: its key figures (``_billing_kpis``) and its workbook sheets (``_billing_workbook_sheets``).
The report asks every contribution, in the order of ``_billing_report_sequence``.
"""

import dataclasses
from datetime import date

from odoo import api, models
from odoo.exceptions import AccessError, UserError


@dataclasses.dataclass(frozen=True)
class ReportScope:
    """What a billing-activity report covers: its companies, its period and its optional filters.

    ``companies`` is a ``res.company`` recordset; the filters are tuples of ids, empty when not set (all teams, all
    specialists, all customers; ``partner_ids`` holds commercial partners).
    """

    companies: models.BaseModel
    date_from: date
    date_to: date
    team_ids: tuple = ()
    user_ids: tuple = ()
    partner_ids: tuple = ()

    @classmethod
    def of(cls, companies, date_from, date_to, team_ids=None, user_ids=None, partner_ids=None):
        """The scope from the report's arguments (lists or None for the filters)."""
        return cls(
            companies, date_from, date_to, tuple(team_ids or ()), tuple(user_ids or ()), tuple(partner_ids or ())
        )

    @property
    def company(self):
        """The first company: its currency is the report's."""
        return self.companies[:1]

    @property
    def currency(self):
        return self.companies[:1].currency_id

    def filters(self):
        """The filters as the keyword arguments of the report's entry points (None when not set)."""
        return {
            "team_ids": list(self.team_ids) or None,
            "user_ids": list(self.user_ids) or None,
            "partner_ids": list(self.partner_ids) or None,
        }


class BillingReportHook(models.AbstractModel):
    """Inherit this to contribute to the billing-activity report; override what you contribute."""

    _name = "billing.report.hook"
    _description = "Billing Report Contribution"

    # The contributions are asked in this order (then by model name): it is the order of the workbook's sheets.
    _billing_report_sequence = 100

    @api.model
    def _billing_report_contributions(self):
        """Every model that inherits this hook, in ``_billing_report_sequence`` order."""
        children = [self.env[name] for name in self.env.registry[self._name]._inherit_children]
        return sorted(children, key=lambda model: (model._billing_report_sequence, model._name))

    @api.model
    def _check_companies(self, companies):
        """The companies reported on: at least one, all among the user's (the scheduled mail runs as superuser)."""
        if not companies:
            raise UserError(self.env._("Choose at least one of your companies for the report."))
        if not self.env.su and companies - self.env.user.company_ids:
            raise AccessError(self.env._("You can only report on your own companies."))

    @api.model
    def _billing_kpis(self, scope):
        """This capability's key figures for ``scope`` (a ``ReportScope``), in company currency.

        :return: {key: value}; an optional ``"na_reasons"`` entry {key: reason} says why a figure is None.
        """
        return {}

    @api.model
    def _billing_workbook_sheets(self, scope, workbook, formats):
        """Add and write this capability's sheets of the billing-activity workbook (``formats`` as the workbook's)."""
