from lxml import etree

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import clean_context

APP = "billing_specialist"  # the name of the Billing app block in Odoo's Settings
# What a billing manager without Administration may read of his settings record besides the billing settings.
READABLE = {"id", "display_name", "company_id", "currency_id"}
# The context key of a manager's record being created with elevated rights: its value, a Python object JSON cannot
# carry, makes ``default_get`` give the application's defaults, not the user's own (``ir.default``).
ELEVATED = object()
ELEVATED_KEY = "billing_settings_elevated"


class ResConfigSettings(models.TransientModel):
    """The company's billing settings in Odoo's Settings, the Billing app block: each is a field of the company
    (label, help, default and checks declared there once) shown here through a related field.

    Billing managers without Administration rights open the same screen and see the Billing block only. They may
    read and change these fields and nothing else: no group, module, parameter or other app's field, only on their
    current company, only through their own record (checked here, not in the view)."""

    _inherit = "res.config.settings"

    billing_use_matching = fields.Boolean(related="company_id.billing_use_matching", readonly=False)
    billing_use_remittances = fields.Boolean(related="company_id.billing_use_remittances", readonly=False)
    billing_use_collections = fields.Boolean(related="company_id.billing_use_collections", readonly=False)
    billing_use_invoicing = fields.Boolean(related="company_id.billing_use_invoicing", readonly=False)
    billing_dispute_send_acknowledgement = fields.Boolean(
        related="company_id.billing_dispute_send_acknowledgement", readonly=False
    )
    billing_writeoff_account_id = fields.Many2one(related="company_id.billing_writeoff_account_id", readonly=False)
    billing_writeoff_journal_id = fields.Many2one(related="company_id.billing_writeoff_journal_id", readonly=False)
    billing_writeoff_max_amount = fields.Monetary(related="company_id.billing_writeoff_max_amount", readonly=False)
    billing_dispute_assignment = fields.Selection(related="company_id.billing_dispute_assignment", readonly=False)
    billing_dispute_default_user_id = fields.Many2one(
        related="company_id.billing_dispute_default_user_id",
        readonly=False,
        domain=lambda self: (
            "[('share', '=', False), ('company_ids', 'in', company_id), "
            f"('groups_id', 'in', {self.env.ref('billing_specialist.group_billing_user').id})]"
        ),
    )
    billing_portal_max_disputes_per_day = fields.Integer(
        related="company_id.billing_portal_max_disputes_per_day", readonly=False
    )
    billing_dispute_alias_id = fields.Many2one(related="company_id.billing_dispute_alias_id")
    billing_dispute_alias_name = fields.Char(
        related="company_id.billing_dispute_alias_id.alias_name",
        readonly=False,
        string="Disputes by E-mail",
        help="E-mails from customers to this address open cases: invoices from the numbers they quote, the reason "
        "from its keywords, attachments as evidence. Other senders get a polite refusal (editable on the alias).",
    )
    billing_match_auto = fields.Boolean(related="company_id.billing_match_auto", readonly=False)
    billing_match_threshold = fields.Integer(related="company_id.billing_match_threshold", readonly=False)
    billing_match_tolerance_amount = fields.Monetary(
        related="company_id.billing_match_tolerance_amount", readonly=False
    )
    billing_match_tolerance_percent = fields.Float(related="company_id.billing_match_tolerance_percent", readonly=False)
    billing_match_writeoff_account_id = fields.Many2one(
        related="company_id.billing_match_writeoff_account_id", readonly=False
    )
    billing_learn_after_days = fields.Integer(related="company_id.billing_learn_after_days", readonly=False)
    billing_habit_fade_days = fields.Integer(related="company_id.billing_habit_fade_days", readonly=False)
    billing_remittance_date_window = fields.Integer(related="company_id.billing_remittance_date_window", readonly=False)
    billing_remittance_alias_id = fields.Many2one(related="company_id.billing_remittance_alias_id")
    billing_remittance_alias_name = fields.Char(
        related="company_id.billing_remittance_alias_id.alias_name",
        readonly=False,
        string="Remittances by E-mail",
        help="E-mails to this address (body, CSV, spreadsheet or PDF attached) create remittance advices of this "
        "company (customers only; others get a polite refusal).",
    )
    billing_followup_skip_dispute_days = fields.Boolean(
        related="company_id.billing_followup_skip_dispute_days", readonly=False
    )
    billing_portal_promise_min_percent = fields.Integer(
        related="company_id.billing_portal_promise_min_percent", readonly=False
    )
    billing_promise_max_days = fields.Integer(related="company_id.billing_promise_max_days", readonly=False)
    billing_portal_promise_max_days = fields.Integer(
        related="company_id.billing_portal_promise_max_days", readonly=False
    )
    billing_promise_max_moves = fields.Integer(related="company_id.billing_promise_max_moves", readonly=False)
    billing_promise_move_max_days = fields.Integer(related="company_id.billing_promise_move_max_days", readonly=False)
    billing_promise_tolerance_days = fields.Integer(related="company_id.billing_promise_tolerance_days", readonly=False)
    billing_aging_buckets = fields.Char(related="company_id.billing_aging_buckets", readonly=False)
    # cash outlook (reports, issue 24)
    billing_outlook_default_days = fields.Integer(related="company_id.billing_outlook_default_days", readonly=False)
    billing_outlook_default_spread = fields.Integer(related="company_id.billing_outlook_default_spread", readonly=False)
    billing_outlook_dispute_days = fields.Integer(related="company_id.billing_outlook_dispute_days", readonly=False)
    billing_outlook_date = fields.Datetime(related="company_id.billing_outlook_date")

    # ------------------------------------------------------------------ the one list

    @api.model
    def _billing_setting_fields(self, writable=False):
        """The billing settings of this screen: its fields related to the company's ``billing_*`` fields (the
        company declares each once). ``writable``: only those a user may change (not the aliases themselves)."""
        return {
            name
            for name, field in self._fields.items()
            if (field.related or "").startswith("company_id.billing_") and not (writable and field.readonly)
        }

    # ------------------------------------------------------------------ billing managers without Administration

    def _billing_limited(self):
        """True for a user without Administration rights: he reaches the billing settings only (as a billing
        manager). Odoo's Settings belong to administrators (``base.group_system``) and the superuser."""
        return not self.env.su and not self.env.user.has_group("base.group_system")

    def _billing_check_manager(self):
        if not self.env.user.has_group("billing_specialist.group_billing_manager"):
            raise AccessError(self.env._("Only a billing manager can change the billing settings."))

    def _billing_check_values(self, vals):
        """Refuse any value but a billing setting (no group, module, parameter or other app's field) and any
        company but the user's current one."""
        company = vals.pop("company_id", self.env.company.id)
        if company != self.env.company.id:
            raise AccessError(self.env._("The billing settings are saved on your current company only."))
        others = sorted(set(vals) - self._billing_setting_fields(writable=True))
        if others:
            raise AccessError(
                self.env._(
                    "A billing manager changes the billing settings only, not: %(fields)s.", fields=", ".join(others)
                )
            )

    def _billing_check_own(self):
        """The record is the user's own, of his current company (another user's record, or one opened under
        another company, is refused)."""
        for settings in self:
            if settings.sudo().create_uid != self.env.user or settings.sudo().company_id != self.env.company:
                raise AccessError(self.env._("These settings belong to another company or user."))

    def _billing_check_readable(self, field_names):
        """A user without Administration reads the billing settings only, and only as a billing manager."""
        if not field_names or not self._billing_limited():
            return
        self._billing_check_manager()
        self.check_field_access_rights("read", list(field_names))

    @api.model
    def default_get(self, fields):
        if self.env.context.get(ELEVATED_KEY) is ELEVATED:
            # A manager's record created with elevated rights: the defaults of the fields he did not give are the
            # application's, not his own (any internal user may set those for himself, e.g. of a group or another
            # app's field of the company, which the elevated create would write).
            application = self.with_user(SUPERUSER_ID).with_company(self.env.company)
            return super(ResConfigSettings, application).default_get(fields)
        self._billing_check_readable(fields)
        return super().default_get(fields)

    def onchange(self, values, field_names, fields_spec):
        self._billing_check_readable(set(fields_spec) | set(values))
        if self._billing_limited() and "company_id" in values:
            # The billing fields are computed from the company sent (related fields read as superuser): his own only.
            company = self._fields["company_id"].convert_to_cache(values["company_id"], self)
            if company and company != self.env.company.id:
                raise AccessError(self.env._("The billing settings are read on your current company only."))
        return super().onchange(values, field_names, fields_spec)

    @api.model
    def check_field_access_rights(self, operation, field_names):
        if not self._billing_limited():
            return super().check_field_access_rights(operation, field_names)
        allowed = self._billing_setting_fields(writable=operation != "read") | (
            READABLE if operation == "read" else set()
        )
        if field_names:
            refused = sorted(name for name in field_names if name in self._fields and name not in allowed)
            if refused:
                raise AccessError(
                    self.env._("Only the billing settings are open to you, not: %(fields)s.", fields=", ".join(refused))
                )
        names = super().check_field_access_rights(operation, field_names)
        return names if field_names else [name for name in names if name in allowed]

    @api.model_create_multi
    def create(self, vals_list):
        if not self._billing_limited():
            return super().create(vals_list)
        self._billing_check_manager()
        for vals in vals_list:
            self._billing_check_values(vals)
            vals["company_id"] = self.env.company.id
        # Elevated only for what was checked above: the related fields write the billing fields of the company (its
        # constraints apply); the record keeps its creator, the user. A client's ``default_*`` context keys and his own
        # defaults (``ir.default``) give no value to any other field.
        elevated = self.sudo().with_context(clean_context(self.env.context), **{ELEVATED_KEY: ELEVATED})
        return super(ResConfigSettings, elevated).create(vals_list).with_env(self.env)

    def write(self, vals):
        if not self._billing_limited():
            return super().write(vals)
        self._billing_check_manager()
        self._billing_check_own()
        vals = dict(vals)
        self._billing_check_values(vals)
        return super(ResConfigSettings, self.sudo()).write(vals)

    def _compute_display_name(self):
        if not self._billing_limited():
            return super()._compute_display_name()
        for settings in self:  # Odoo names the record after its action, which only administrators may read
            settings.display_name = self.env._("Settings")

    def set_values(self):
        if self._billing_limited():
            raise AccessError(self.env._("Only administrators can change the settings"))
        return super().set_values()

    def execute(self):
        """Save. A billing manager without Administration: his billing settings were written with the record (the
        related fields); nothing else is applied (Odoo's own save refuses him)."""
        if not self._billing_limited():
            return super().execute()
        self.ensure_one()
        self._billing_check_manager()
        self._billing_check_own()
        return {"type": "ir.actions.client", "tag": "reload"}

    # ------------------------------------------------------------------ the screen

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """Each billing setting shows its field's help (declared once, on the company) under its label."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type == "form":
            for setting in arch.xpath(f"//app[@name='{APP}']//setting[not(@help)]"):
                first = setting[0] if len(setting) else None
                field = self._fields.get(first.get("name")) if first is not None and first.tag == "field" else None
                if field and field._description_help(self.env):
                    setting.set("help", field._description_help(self.env))
        return arch, view

    @api.model
    def get_view(self, view_id=None, view_type="form", **options):
        """A billing manager without Administration sees the Billing block of Settings and nothing else."""
        result = super().get_view(view_id, view_type, **options)
        if view_type != "form" or not self._billing_limited():
            return result
        self._billing_check_manager()
        arch = etree.fromstring(result["arch"])
        for app in arch.xpath(f"//app[@name!='{APP}']"):
            app.getparent().remove(app)
        allowed = self._billing_setting_fields() | READABLE
        for node in arch.xpath(f"//field[not(ancestor::app[@name='{APP}'])]"):
            if node.get("name") not in allowed:
                node.getparent().remove(node)
        result["arch"] = etree.tostring(arch, encoding="unicode")
        return result
